"""CameraSource: one RTSP connection per camera — the newest decoded frame, a ring of the
encoded stream for clips and past photos, reconnect and a watchdog.

Two threads per camera (PyAV/FFmpeg releases the GIL in both):
  reader   RTSP (TCP) -> demux -> PacketRing (edge/vision/ring.py): the camera's own packets,
           the last [vision] ring_s seconds, bounded in bytes too;
  decoder  PacketRing -> newest frame only. Inference is slower than the camera and a gate
           wants the truck that is there *now*, not a queue of old frames; a decoder that falls
           more than max_lag_s behind jumps to the newest keyframe (counted in `dropped`), so a
           slow board never delays the ring, and the ring never waits for the decoder.
Frames are converted to BGR only when someone looks at `Frame.image` (most frames nobody does).

RTSP readers block silently on a frozen server unless timeouts are set, and end like a normal
EOF when the server dies (see shared/notes), so the reader sets open/read timeouts (PyAV's
`timeout`), reconnects with backoff, and the decoder reports the age of the last frame for a
watchdog (`status()["stale"]`, `on_health(ok, reason)` when it flips).

`clip()` cuts MP4 by stream copy from the ring (edge/vision/clip.py); `frame_at()` and
`frames_between()` decode a past moment from it (a photo of the moment a vehicle arrived,
taken after the fact at no cost while nothing asks).
"""
from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque

import av
import numpy as np

from edge import logsetup
from edge.vision import clip as cliplib
from edge.vision.clip import Clip, ClipError
from edge.vision.ring import PacketRing, StreamInfo, Timeline

log = logging.getLogger(__name__)

__all__ = ["CameraSource", "Clip", "ClipError", "Frame", "mask_url"]

# TCP interleaved RTSP: UDP loses packets on busy site LANs and through NAT. Video only (no
# SETUP for a camera's audio track); a short probe: the first frame in ~0.25 s, not 5 s.
RTSP_OPTIONS = {"rtsp_transport": "tcp", "allowed_media_types": "video", "analyzeduration": "200000"}


def mask_url(url: str) -> str:
    """rtsp://user:pass@host/... -> rtsp://user:***@host/... (for logs and the status page); every
    URL form (`:pw@`, a raw @ in the password, ?password=) — edge.logsetup.mask_urls."""
    from edge.logsetup import mask_urls
    return mask_urls(url)


def _fmt_wall(t: float) -> str:
    lt = time.localtime(t)
    return time.strftime("%H:%M:%S", lt) + ".%d" % (int(t * 10) % 10)


class Frame:
    """One decoded frame. `image` (BGR, HxWx3) is converted on first access."""
    __slots__ = ("seq", "t_mono", "t_wall", "decode_ms", "_image", "_av", "_lock")

    def __init__(self, seq: int, t_mono: float, image: np.ndarray | None = None, *,
                 t_wall: float | None = None, av_frame=None, decode_ms: float | None = None):
        self.seq = seq              # increases by one per decoded frame over the source's life
        self.t_mono = t_mono        # time.monotonic() when decoded
        self.t_wall = time.time() - (time.monotonic() - t_mono) if t_wall is None else t_wall  # when its packet arrived
        self.decode_ms = decode_ms  # decoder time for the packet that gave this frame
        self._image = image
        self._av = av_frame
        self._lock = threading.Lock()

    @property
    def image(self) -> np.ndarray:
        if self._image is None:
            with self._lock:
                if self._image is None:
                    self._image = self._av.to_ndarray(format="bgr24")
                    self._av = None
        return self._image


class CameraSource:
    def __init__(self, url: str, *, name: str = "", open_timeout_s: float = 5.0, read_timeout_s: float = 3.0,
                 stale_after_s: float = 3.0, reconnect_min_s: float = 0.5, reconnect_max_s: float = 30.0,
                 ring_s: float = 120.0, ring_mb: float = 96.0, max_lag_s: float = 1.0, decode_threads: int = 0,
                 on_health=None):
        m = re.search(r"//[^:/@]+:([^@]*)@", url)
        if m:
            logsetup.register_secret(m.group(1))
        self.url = url
        self.name = name or mask_url(url)
        self.open_timeout_s = open_timeout_s
        self.read_timeout_s = read_timeout_s
        self.stale_after_s = stale_after_s
        self.reconnect_min_s = reconnect_min_s
        self.reconnect_max_s = reconnect_max_s
        self.max_lag_s = max_lag_s
        self.decode_threads = decode_threads
        self.on_health = on_health          # on_health(ok, reason), from a camera thread
        self.ring = PacketRing(ring_s, int(ring_mb * (1 << 20)))
        self._lock = threading.Lock()
        self._new = threading.Condition(self._lock)
        self._latest: Frame | None = None
        self._seq = 0
        self._running = False
        self._threads: list[threading.Thread] = []
        self._gen = 0
        self._frame_times: deque[float] = deque(maxlen=50)
        self._decode_ms: float | None = None
        self._healthy: bool | None = None
        self._started = 0.0
        self.stream: StreamInfo | None = None
        self.connected = False
        self.reconnects = 0
        self.dropped = 0
        self.clips = 0
        self.last_error = ""

    @classmethod
    def from_settings(cls, url: str, vision, *, name: str = "", **kw) -> "CameraSource":
        """A camera with the ring and decoder settings of `[vision]`."""
        return cls(url, name=name, ring_s=vision.ring_s, ring_mb=vision.ring_mb,
                   decode_threads=vision.decode_threads, **kw)

    # -- lifecycle
    def start(self) -> "CameraSource":
        if not self._running:
            self._running = True
            self._started = time.monotonic()
            self._threads = [threading.Thread(target=self._read_loop, name="camera-rx", daemon=True),
                             threading.Thread(target=self._decode_loop, name="camera-dec", daemon=True)]
            for t in self._threads:
                t.start()
        return self

    def stop(self) -> None:
        self._running = False
        self.ring.close()
        with self._new:
            self._new.notify_all()
        for t in self._threads:
            t.join(timeout=self.read_timeout_s + self.open_timeout_s + 1)

    # -- the newest frame
    def latest(self) -> Frame | None:
        with self._lock:
            return self._latest

    def wait_next(self, after_seq: int, timeout_s: float) -> Frame | None:
        """The newest frame with seq > after_seq, waiting up to timeout_s; None if none came."""
        deadline = time.monotonic() + timeout_s
        with self._new:
            while self._running and (self._latest is None or self._latest.seq <= after_seq):
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._new.wait(left)
            f = self._latest
            return f if f is not None and f.seq > after_seq else None

    def age_s(self) -> float | None:
        f = self.latest()
        return None if f is None else time.monotonic() - f.t_mono

    def fps(self) -> float | None:
        with self._lock:
            ts = list(self._frame_times)
        if len(ts) < 2 or time.monotonic() - ts[-1] > self.stale_after_s:
            return None
        return (len(ts) - 1) / (ts[-1] - ts[0]) if ts[-1] > ts[0] else None

    # -- the past: clips and frames from the ring
    def cut(self, start_wall_s: float, end_wall_s: float, timeout_s: float = 30.0, *,
            partial: bool = False) -> Clip:
        """The clip from the keyframe at or before start_wall_s through end_wall_s (time.time()
        seconds), waiting (up to timeout_s in all) until the camera has sent video past the end.
        ClipError if the ring no longer covers the start or the stream stalls before the end —
        unless `partial`, which returns what the ring has of the span (Clip.complete False).
        Blocks: call it in a thread."""
        if end_wall_s <= start_wall_s:
            raise ClipError("camera %s: clip end %s is not after its start %s"
                            % (self.name, _fmt_wall(end_wall_s), _fmt_wall(start_wall_s)))
        reached = self.ring.wait_past(end_wall_s, timeout_s)
        pkts, covered = self.ring.span(start_wall_s, end_wall_s)
        if not pkts:
            raise ClipError("camera %s: no video in the ring for %s-%s (%s)"
                            % (self.name, _fmt_wall(start_wall_s), _fmt_wall(end_wall_s),
                               self.last_error or "no stream yet"))
        if not partial and not covered:
            raise ClipError("camera %s: the ring starts at %s, after the clip's start %s (ring_s %g)"
                            % (self.name, _fmt_wall(pkts[0].wall), _fmt_wall(start_wall_s), self.ring.max_s))
        if not partial and not reached:
            raise ClipError("camera %s: no video after %s, before the clip's end %s (%s)"
                            % (self.name, _fmt_wall(pkts[-1].wall), _fmt_wall(end_wall_s),
                               self.last_error or "stream stalled"))
        data, n, last = cliplib.mux_mp4(pkts)
        self.clips += 1
        return Clip(data, pkts[0].wall, last, n, pkts[0].stream.codec,
                    complete=covered and reached and last >= pkts[-1].wall)

    def clip(self, start_wall_s: float, end_wall_s: float, timeout_s: float = 30.0) -> bytes:
        """MP4 bytes (stream copy, +faststart) of the span; see cut()."""
        return self.cut(start_wall_s, end_wall_s, timeout_s).data

    def frames_between(self, start_wall_s: float, end_wall_s: float, step_s: float = 0.0,
                       timeout_s: float = 5.0) -> list[Frame]:
        """Frames whose packets arrived in [start, end], at most one per step_s, decoded from
        the ring (waits up to timeout_s for `end` to arrive). [] if the ring does not hold them."""
        self.ring.wait_past(end_wall_s, timeout_s)
        pkts, covered = self.ring.span(start_wall_s, end_wall_s)
        out, last = [], None
        for p, f in cliplib.decode_packets(pkts, self.decode_threads):
            if p.wall < start_wall_s - 1e-6 or p.wall > end_wall_s + 1e-6:
                continue
            if last is not None and p.wall - last < step_s:
                continue
            last = p.wall
            out.append(Frame(0, time.monotonic(), t_wall=p.wall, av_frame=f))
        return out

    def frame_at(self, wall_s: float, timeout_s: float = 5.0) -> Frame | None:
        """The frame whose packet arrived nearest `wall_s`, decoded from the ring; None when the
        ring does not reach back that far."""
        self.ring.wait_past(wall_s, timeout_s)
        pkts, covered = self.ring.span(wall_s, wall_s)
        if not covered:
            return None
        best = None
        for p, f in cliplib.decode_packets(pkts, self.decode_threads):
            if best is None or abs(p.wall - wall_s) < abs(best[0].wall - wall_s):
                best = (p, f)
        return None if best is None else Frame(0, time.monotonic(), t_wall=best[0].wall, av_frame=best[1])

    # -- status
    def status(self) -> dict:
        age = self.age_s()
        fps = self.fps()
        s = self.stream
        out = {"url": mask_url(self.url), "connected": self.connected,
               "stale": age is None or age > self.stale_after_s,
               "last_frame_age_s": None if age is None else round(age, 2),
               "frames": self._seq, "reconnects": self.reconnects, "last_error": self.last_error,
               "fps": None if fps is None else round(fps, 1),
               "decode_ms": None if self._decode_ms is None else round(self._decode_ms, 2),
               "dropped": self.dropped, "clips": self.clips,
               "codec": s.codec if s else None, "size": [s.width, s.height] if s else None}
        out.update(self.ring.stats())
        return out

    # -- the reader thread
    def _mask(self, e) -> str:
        return mask_url(str(e).replace(self.url, mask_url(self.url)))

    def _read_loop(self) -> None:
        delay = self.reconnect_min_s
        first = True
        while self._running:
            if not first:
                self.reconnects += 1
            first = False
            got_any = False
            try:
                container = av.open(self.url, options=RTSP_OPTIONS if self.url.startswith("rtsp") else {},
                                    timeout=(self.open_timeout_s, self.read_timeout_s))
            except (av.FFmpegError, OSError) as e:
                self.last_error = "cannot open stream: %s" % (getattr(e, "strerror", None) or self._mask(e))
                log.warning("camera %s: %s; retry in %.1f s", self.name, self.last_error, delay)
            else:
                try:
                    got_any = self._demux(container)
                finally:
                    self.connected = False
                    container.close()
                log.warning("camera %s: stream ended (%s); reconnecting", self.name, self.last_error)
            if got_any:
                delay = self.reconnect_min_s
            end = time.monotonic() + delay
            while self._running and time.monotonic() < end:
                time.sleep(0.05)
            delay = min(delay * 2, self.reconnect_max_s)

    def _demux(self, container) -> bool:
        video = next((s for s in container.streams if s.type == "video"), None)
        if video is None:
            self.last_error = "the stream has no video"
            return False
        self.connected = True
        self._gen += 1
        timeline = Timeline(video.time_base, float(video.guessed_rate or video.average_rate or 25))
        info, got = None, False
        try:
            for pkt in container.demux(video):
                if not self._running:
                    break
                if pkt.size == 0:
                    continue
                if info is None:
                    if not pkt.is_keyframe:
                        continue  # nothing can be decoded or cut before the first keyframe
                    cc = video.codec_context
                    info = StreamInfo(self._gen, cc.name, cc.width, cc.height, video.time_base,
                                      bytes(cc.extradata or b""), cliplib.template_for(video, pkt))
                    self.stream = info
                dts, pts = timeline.place(pkt.dts, pkt.pts)
                self.ring.push(info, dts, pts, bool(pkt.is_keyframe), bytes(pkt))
                got = True
            self.last_error = "stream ended" if self._running else ""
        except av.FFmpegError as e:
            self.last_error = "read failed or timed out: %s" % (getattr(e, "strerror", None) or self._mask(e))
        return got

    # -- the decoder thread
    def _decode_loop(self) -> None:
        n, info, tc, ctx, need_key = 0, None, None, None, True
        try:
            while self._running:
                pkts = self.ring.after(n, 0.5)
                self._watch()
                if not pkts:
                    continue
                if n and pkts[0].n > n + 1:
                    need_key = True     # the ring moved on past the decoder
                if time.monotonic() - pkts[0].mono > self.max_lag_s:
                    k = max((i for i, p in enumerate(pkts) if p.key), default=0)
                    if k:
                        self.dropped += k
                        pkts = pkts[k:]
                for p in pkts:
                    n = p.n
                    if p.stream is not info:
                        if tc is not None:
                            tc.close()
                        info = p.stream
                        tc, ctx = cliplib.open_decoder(info, self.decode_threads)
                        need_key = True
                    if need_key and not p.key:
                        continue
                    need_key = False
                    t0 = time.perf_counter()
                    try:
                        frames = ctx.decode(cliplib.to_av(p))
                    except av.FFmpegError as e:
                        self.last_error = "decode: %s" % getattr(e, "strerror", e)
                        need_key = True
                        continue
                    ms = (time.perf_counter() - t0) * 1000
                    self._decode_ms = ms if self._decode_ms is None else 0.9 * self._decode_ms + 0.1 * ms
                    for f in frames:
                        self._publish(f, p.wall, ms)
        finally:
            if tc is not None:
                tc.close()

    def _publish(self, av_frame, wall: float, ms: float) -> None:
        now = time.monotonic()
        with self._new:
            self._seq += 1
            self._latest = Frame(self._seq, now, t_wall=wall, av_frame=av_frame, decode_ms=ms)
            self._frame_times.append(now)
            self._new.notify_all()
        self._watch()

    def _watch(self) -> None:
        """Tell on_health when the camera goes down (no fresh frame) or comes back."""
        age = self.age_s()
        ok = self.connected and age is not None and age <= self.stale_after_s
        if ok == self._healthy:
            return
        if self._healthy is None and not ok and \
                time.monotonic() - self._started < self.open_timeout_s + self.stale_after_s:
            return  # still starting: not "down" yet
        self._healthy = ok
        reason = "" if ok else (self.last_error or "no frame for %.1f s" % (age or 0))
        (log.info if ok else log.warning)("camera %s: %s", self.name, "up" if ok else "down: " + reason)
        if self.on_health is not None:
            try:
                self.on_health(ok, reason)
            except Exception:
                log.exception("camera %s: on_health callback failed", self.name)
