"""PacketRing: the last seconds of a camera's encoded stream, kept in RAM as the camera sent it.

Clips are cut from it by stream copy (edge/vision/clip.py: no re-encoding on the board) and
photos of a past moment are decoded from it on demand, so the camera is read once and the
ring costs the stream's bitrate times its length (a 4 Mbit/s camera, 60 s: 30 MB), never
decoded frames. It is bounded in seconds and in bytes; whatever is older goes first.

Each packet carries the arrival wall clock (what a passage's time is compared with) and
timestamps placed on one strictly increasing timeline per connection (`Timeline`): RTSP gives
no timestamp for the first packets, and a camera's clock can jump or wrap; a muxer refuses both.
A connection's codec parameters travel with its packets (`StreamInfo`), so a clip that spans a
reconnect knows where the stream changed.
"""
from __future__ import annotations

import bisect
import threading
import time
from collections import deque
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True, eq=False)
class StreamInfo:
    """One connection's video stream. `template` holds its codec parameters (NUT header + the
    first keyframe: see clip.template_for) for muxing and decoding after the connection is gone."""
    gen: int
    codec: str
    width: int
    height: int
    time_base: Fraction
    extradata: bytes
    template: bytes

    def same_codec(self, other: "StreamInfo") -> bool:
        return (self.codec, self.width, self.height, self.time_base, self.extradata) == \
               (other.codec, other.width, other.height, other.time_base, other.extradata)


@dataclass(eq=False, slots=True)
class Packet:
    n: int               # increases by one per packet over the ring's life
    wall: float          # time.time() when it arrived
    mono: float          # time.monotonic() when it arrived
    dts: int             # on the connection's Timeline, in stream.time_base units
    pts: int
    key: bool
    data: bytes
    stream: StreamInfo


class Timeline:
    """Places a connection's (dts, pts) on one strictly increasing decode timeline: a missing
    timestamp follows the previous one by one frame; a jump back, or forward by more than
    `max_jump_s`, continues the timeline from there (the offset absorbs the camera's jump)."""

    def __init__(self, time_base: Fraction, fps: float = 25.0, max_jump_s: float = 10.0):
        self.step = max(1, round(1 / (float(time_base) * (fps or 25.0))))
        self.max_jump = max_jump_s / float(time_base)
        self.offset = 0
        self.last: int | None = None

    def place(self, dts: int | None, pts: int | None) -> tuple[int, int]:
        raw = dts if dts is not None else pts
        if raw is None:
            out = 0 if self.last is None else self.last + self.step
        else:
            out = raw + self.offset
            if self.last is not None:
                delta = out - self.last
                if delta <= 0 or delta > self.max_jump:
                    out = self.last + self.step
                    self.offset = out - raw
                else:
                    self.step = delta if delta < 4 * self.step else self.step
        self.last = out
        lead = (pts - raw) if (pts is not None and raw is not None) else 0
        return out, out + max(0, lead)


class PacketRing:
    def __init__(self, max_s: float = 60.0, max_bytes: int = 64 << 20):
        self.max_s = max_s
        self.max_bytes = max_bytes
        self._q: deque[Packet] = deque()
        self._bytes = 0
        self._n = 0
        self._cond = threading.Condition()
        self.closed = False

    # ------------------------------------------------------------ writing
    def push(self, stream: StreamInfo, dts: int, pts: int, key: bool, data: bytes,
             wall: float | None = None, mono: float | None = None) -> Packet:
        with self._cond:
            self._n += 1
            p = Packet(self._n, time.time() if wall is None else wall, time.monotonic() if mono is None else mono,
                       dts, pts, key, data, stream)
            q = self._q
            q.append(p)
            self._bytes += len(data)
            while len(q) > 1 and (p.wall - q[0].wall > self.max_s or self._bytes > self.max_bytes):
                self._bytes -= len(q.popleft().data)
            while len(q) > 1 and not q[0].key:   # nothing can start before a keyframe
                self._bytes -= len(q.popleft().data)
            self._cond.notify_all()
            return p

    def close(self) -> None:
        """Wake every waiter (the camera is stopping)."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    # ------------------------------------------------------------ reading
    def after(self, n: int, timeout_s: float) -> list[Packet]:
        """Packets newer than number `n` (all the ring holds if `n` is already gone), waiting up
        to timeout_s for one; [] if none came."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while not self.closed and (not self._q or self._q[-1].n <= n):
                left = deadline - time.monotonic()
                if left <= 0:
                    return []
                self._cond.wait(left)
            if not self._q or self._q[-1].n <= n:
                return []
            first = self._q[0].n
            return list(self._q)[max(0, n + 1 - first):]

    def wait_past(self, wall: float, timeout_s: float) -> bool:
        """Wait until a packet that arrived at or after `wall` is in the ring."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while not (self._q and self._q[-1].wall >= wall):
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    return False
                self._cond.wait(left)
            return True

    def snapshot(self) -> list[Packet]:
        with self._cond:
            return list(self._q)

    def span(self, start: float, end: float) -> tuple[list[Packet], bool]:
        """The packets from the keyframe at or before `start` through the first packet at or
        after `end`, and whether the ring covered `start`. When it did not, the span starts at
        the ring's first keyframe (the caller decides whether a shorter clip will do)."""
        pkts = self.snapshot()
        walls = [p.wall for p in pkts]
        i = bisect.bisect_right(walls, start) - 1
        while i >= 0 and not pkts[i].key:
            i -= 1
        covered = i >= 0
        if not covered:
            i = next((k for k, p in enumerate(pkts) if p.key), len(pkts))
        j = bisect.bisect_left(walls, end)
        return pkts[i:j + 1], covered

    def stats(self) -> dict:
        with self._cond:
            q = list(self._q)
            size = self._bytes
        if not q:
            return {"ring_s": 0.0, "ring_bytes": 0, "packets": 0, "kbps": None, "gop_s": None}
        span = q[-1].wall - q[0].wall
        keys = [p.wall for p in q if p.key]
        gop = (keys[-1] - keys[0]) / (len(keys) - 1) if len(keys) > 1 else None
        return {"ring_s": round(span, 1), "ring_bytes": size, "packets": len(q),
                "kbps": round(size * 8 / span / 1000) if span > 0 else None,
                "gop_s": None if gop is None else round(gop, 2)}
