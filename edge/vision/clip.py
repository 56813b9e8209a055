"""Clips and past frames from the packet ring (edge/vision/ring.py), with PyAV.

A clip is the camera's own H.264 (or whatever it sends) copied into MP4 — no decoding, no
re-encoding — starting at a keyframe, timestamps rebased to 0, the index (moov) in front
(`+faststart`) so a browser starts playing before the whole file arrived. The MP4 muxer
rewrites the file to move the index, so it writes to a temporary file: in /dev/shm (RAM)
when there is one, not to the board's flash.

The codec parameters of a connection outlive it as a "template": a NUT file with the
stream's header and first keyframe (NUT keeps the codec parameters and time base exactly;
a header alone cannot be opened again). Muxing and decoding open it instead of the live
input container, which the camera thread owns and closes on reconnect.
"""
from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass

import av

from edge.vision.ring import Packet, StreamInfo


class ClipError(Exception):
    """A clip cannot be cut (one line: camera, span, why)."""


@dataclass
class Clip:
    data: bytes            # the MP4 file
    start_wall: float      # arrival time of its first packet (a keyframe)
    end_wall: float        # arrival time of its last packet
    frames: int
    codec: str
    complete: bool         # covers the whole span asked for

    @property
    def duration_s(self) -> float:
        return self.end_wall - self.start_wall


def template_for(stream, keyframe) -> bytes:
    """NUT bytes carrying `stream`'s codec parameters and one keyframe packet."""
    buf = io.BytesIO()
    out = av.open(buf, "w", format="nut")
    try:
        s = out.add_stream_from_template(stream, opaque=True)
        p = av.Packet(bytes(keyframe))
        p.pts = p.dts = 0
        p.time_base = stream.time_base
        p.is_keyframe = True
        p.stream = s
        out.mux(p)
    finally:
        out.close()
    return buf.getvalue()


def open_template(info: StreamInfo):
    """(container, video stream) of a connection's template; close the container after use."""
    c = av.open(io.BytesIO(info.template), format="nut")
    return c, c.streams.video[0]


def _tmp_dir() -> str | None:
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def _timestamps(packets: list[Packet]):
    """(packet, dts, pts) rebased to start at 0, continued across reconnects of the same codec
    by the wall-clock gap; stops at a reconnect that changed the codec parameters."""
    first = packets[0]
    info, tb = first.stream, float(first.stream.time_base)
    offset = -first.dts
    prev, prev_dts = None, 0
    waiting_key = False
    for p in packets:
        if p.stream is not info:
            if not p.stream.same_codec(first.stream):
                return
            info, waiting_key = p.stream, True
            offset = None
        if waiting_key:
            if not p.key:
                continue
            waiting_key = False
        if offset is None:   # continue after the gap the reconnect left
            gap = max(1, round((p.wall - prev.wall) / tb)) if prev else 1
            offset = prev_dts + gap - p.dts
        dts = p.dts + offset
        prev, prev_dts = p, dts
        yield p, dts, p.pts + offset


def mux_mp4(packets: list[Packet]) -> tuple[bytes, int, float]:
    """MP4 bytes of `packets` (the first must be a keyframe) by stream copy; also the number of
    packets written and the arrival time of the last one."""
    if not packets or not packets[0].key:
        raise ClipError("no keyframe to start the clip at")
    info = packets[0].stream
    tc, ts = open_template(info)
    fd, path = tempfile.mkstemp(prefix="edge-clip-", suffix=".mp4", dir=_tmp_dir())
    os.close(fd)
    try:
        out = av.open(path, "w", format="mp4", container_options={"movflags": "+faststart"})
        n, last_wall = 0, packets[0].wall
        try:
            s = out.add_stream_from_template(ts, opaque=True)
            for p, dts, pts in _timestamps(packets):
                q = to_av(p)
                q.dts, q.pts = dts, pts
                q.stream = s
                out.mux(q)
                n, last_wall = n + 1, p.wall
        finally:
            out.close()
        with open(path, "rb") as f:
            return f.read(), n, last_wall
    except av.FFmpegError as e:
        raise ClipError("muxing failed: %s" % e) from None
    finally:
        tc.close()
        os.unlink(path)


def open_decoder(info: StreamInfo, threads: int = 0):
    """(template container, decoder context) for a connection's packets; close the container
    when done. threads 0: FFmpeg's choice (slice threads: no added latency)."""
    tc, ts = open_template(info)
    ctx = ts.codec_context
    if threads:
        ctx.thread_count = threads
    return tc, ctx


def to_av(p: Packet) -> av.Packet:
    q = av.Packet(p.data)
    q.dts, q.pts = p.dts, p.pts
    q.time_base = p.stream.time_base
    q.is_keyframe = p.key
    return q


def decode_packets(packets: list[Packet], threads: int = 0):
    """Yield (packet, av.VideoFrame) decoding `packets` from their first keyframe; each frame
    is paired with the packet whose pts it carries."""
    info, ctx, tc = None, None, None
    by_pts: dict[int, Packet] = {}
    need_key = True
    try:
        for p in packets:
            if p.stream is not info:
                if tc is not None:
                    tc.close()
                info = p.stream
                tc, ctx = open_decoder(info, threads)
                by_pts.clear()
                need_key = True
            if need_key and not p.key:
                continue
            need_key = False
            by_pts[p.pts] = p
            try:
                frames = ctx.decode(to_av(p))
            except av.FFmpegError:
                need_key = True
                continue
            for f in frames:
                yield by_pts.pop(f.pts, p), f
    finally:
        if tc is not None:
            tc.close()
