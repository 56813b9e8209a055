"""Camera ingest: decode speed and CPU (PyAV, as the lane reads, against OpenCV's reader as the
baseline, same files, same run), the ring's memory, clip cut time, the presence check.

    nice -n 10 .venv/bin/python tools/bench_camera.py [--seconds 8] [--threads 1] [--rtsp]

1. Encodes a moving lane scene (tools/lane_scene.py, sensor noise: a camera's bitrate, not a
   cartoon's) to H.264 at 720p 2 Mbit/s and 1080p 4 Mbit/s, 25 fps, a keyframe every 2 s — a
   common gate camera setting — with PyAV's libx264 (setup only, not measured).
2. Decodes each file with cv2.VideoCapture (baseline; read() = decode + BGR conversion) and with
   PyAV: decode only (what the lane's decoder thread does: frames no one looks at are never
   converted) and decode + BGR. Prints fps, CPU seconds per second of video (process CPU time,
   all threads: 1.0 = one core busy), and ratios against OpenCV.
3. Ring memory: a 60 s PacketRing filled with the 1080p file's own packets, and at the
   simulated lane's bitrate (--rtsp: tools/sim_lane.py's pictures, 2 s each, served by the real
   RTSP feed and read by CameraSource), by tracemalloc (payload + bookkeeping).
4. Clip cut: a 10 s MP4 by stream copy from the 1080p ring (CameraSource.cut's work) against
   what re-encoding the same 10 s would cost (decode + libx264 veryfast) — the baseline we avoid.
5. VehiclePresence.feed on a 1080p frame (ROI 1280x600), against the 1080p decode per frame.
--threads sets FFmpeg's decoder threads (0: FFmpeg's choice, as the lane's default) and OpenCV's.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import av
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edge.vision import clip as cliplib  # noqa: E402
from edge.vision.presence import VehiclePresence  # noqa: E402
from edge.vision.ring import PacketRing, StreamInfo, Timeline  # noqa: E402
from tools.lane_scene import Lane  # noqa: E402

FPS = 25


def encode(path: Path, size, kbps: int, seconds: float) -> None:
    lane = Lane(7, size=size)
    frames = [lane.truck("readable", d) for d in np.linspace(0.05, 0.9, 25)] + [lane.empty() for _ in range(25)]
    out = av.open(str(path), "w")
    s = out.add_stream("libx264", rate=FPS)
    s.width, s.height, s.pix_fmt = size[0], size[1], "yuv420p"
    s.bit_rate = kbps * 1000
    s.options = {"preset": "veryfast", "g": str(2 * FPS), "bf": "0", "tune": "zerolatency"}
    for i in range(int(seconds * FPS)):
        for p in s.encode(av.VideoFrame.from_ndarray(frames[i % len(frames)], format="bgr24")):
            out.mux(p)
    for p in s.encode():
        out.mux(p)
    out.close()


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    n = fn()
    return n, time.perf_counter() - w, time.process_time() - c


def decode_cv2(path, threads):
    def run():
        cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, threads] if threads else [])
        n = 0
        while True:
            ok, _ = cap.read()
            if not ok:
                break
            n += 1
        cap.release()
        return n
    return timed(run)


def decode_av(path, threads, bgr: bool):
    def run():
        with av.open(str(path)) as c:
            v = c.streams.video[0]
            if threads:
                v.codec_context.thread_count = threads
            n = 0
            for f in c.decode(v):
                if bgr:
                    f.to_ndarray(format="bgr24")
                n += 1
        return n
    return timed(run)


def ring_from(path, seconds=60.0):
    """A PacketRing holding `seconds` of the file's packets (looped), stamped at FPS."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        pkts = [p for p in c.demux(v) if p.size]
        key = next(p for p in pkts if p.is_keyframe)
        info = StreamInfo(1, v.codec_context.name, v.codec_context.width, v.codec_context.height,
                          v.time_base, bytes(v.codec_context.extradata or b""), cliplib.template_for(v, key))
        tb = v.time_base
        raw = [(bytes(p), bool(p.is_keyframe)) for p in pkts]
    ring = PacketRing(max_s=seconds, max_bytes=1 << 30)
    tl = Timeline(tb, FPS)
    step = 1 / (FPS * float(tb))
    t0 = 1_000_000.0
    n = int(seconds * FPS)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(n):
        data, k = raw[i % len(raw)]
        data = bytes(memoryview(data))   # a fresh copy per packet, as the camera's demuxer gives
        dts, pts = tl.place(round(i * step), round(i * step))
        ring.push(info, dts, pts, k, data, wall=t0 + i / FPS, mono=t0 + i / FPS)
    mem = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return ring, mem, ring.stats()


def sim_bitrate_kbps(seconds: float = 12.0) -> float | None:
    """kbit/s of the simulated lane's RTSP feed (tools/sim_lane.py's clip through tools/rtsp_feed.py)."""
    from edge.vision.camera import CameraSource
    from tests.lane.rtsp import RtspFeed, free_port, has_gstreamer
    from tools.sim_lane import render_pictures
    if not has_gstreamer():
        return None
    with tempfile.TemporaryDirectory() as d:
        pictures = render_pictures(Path(d) / "pictures")   # what the sim's camera shows, 2 s each
        for i, img in enumerate(v[2] for _, v in sorted(pictures.items()) for _ in range(20)):
            cv2.imwrite(str(Path(d) / ("frame_%05d.jpg" % i)), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
        feed = RtspFeed(Path(d), free_port(), fps=10).start()
        cam = CameraSource(feed.url).start()
        try:
            cam.wait_next(0, 30)
            cam.ring.wait_past(time.time() + seconds, seconds + 30)
            st = cam.status()
            print("  sim feed via CameraSource: %s fps, decode %.2f ms/frame (status decode_ms), %s kbit/s, GOP %s s"
                  % (st["fps"], st["decode_ms"] or 0, st["kbps"], st["gop_s"]))
            return float(st["kbps"])
        finally:
            cam.stop()
            feed.stop()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=8.0, help="seconds of video per file")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rtsp", action="store_true", help="also measure the simulated lane's feed over RTSP")
    a = ap.parse_args(argv)
    cv2.setNumThreads(max(1, a.threads))
    with tempfile.TemporaryDirectory() as d:
        files = {}
        for name, size, kbps in (("720p", (1280, 720), 2000), ("1080p", (1920, 1080), 4000)):
            files[name] = Path(d) / ("%s.mp4" % name)
            encode(files[name], size, kbps, a.seconds)
            with av.open(str(files[name])) as c:
                real = c.size * 8 / a.seconds / 1000
            print("%s: %.0f kbit/s, %d frames, decoder threads %s" % (name, real, int(a.seconds * FPS),
                                                                      a.threads or "auto"))
            n, w, c = decode_cv2(files[name], a.threads)
            base_fps, base_cpu = n / w, c / (n / FPS)
            print("  OpenCV read()            %6.0f fps  %5.2f ms/frame  %.2f CPU s per video s  [baseline]"
                  % (base_fps, 1000 / base_fps, base_cpu))
            for label, bgr in (("PyAV decode (the lane)", False), ("PyAV decode + BGR", True)):
                n, w, c = decode_av(files[name], a.threads, bgr)
                print("  %-24s %6.0f fps  %5.2f ms/frame  %.2f CPU s per video s  fps x%.2f, CPU x%.2f vs OpenCV"
                      % (label, n / w, 1000 * w / n, c / (n / FPS), (n / w) / base_fps, (c / (n / FPS)) / base_cpu))

        print("ring of 60 s:")
        ring, mem, st = ring_from(files["1080p"])
        print("  1080p %d kbit/s: %.1f MB (%d packets, payload %.1f MB)"
              % (st["kbps"], mem / 2 ** 20, st["packets"], st["ring_bytes"] / 2 ** 20))
        sim_kbps = sim_bitrate_kbps() if a.rtsp else None
        _, mem7, st7 = ring_from(files["720p"])
        per_bit = mem / (st["ring_bytes"] * 8)
        if sim_kbps:
            print("  sim lane feed %.0f kbit/s: %.1f MB (payload x overhead of the 1080p ring)"
                  % (sim_kbps, sim_kbps * 1000 * 60 * per_bit / 2 ** 20))
        print("  720p %d kbit/s: %.1f MB" % (st7["kbps"], mem7 / 2 ** 20))

        print("clip of 10 s from the 1080p ring:")
        end = ring.snapshot()[-1].wall
        cut = []
        for _ in range(5):
            t = time.perf_counter()
            pkts, _ = ring.span(end - 10, end)
            data, frames, _ = cliplib.mux_mp4(pkts)
            cut.append(time.perf_counter() - t)
        copy_ms = statistics.median(cut) * 1000
        print("  stream copy (CameraSource.cut): %.1f ms, %.1f MB, %d frames" % (copy_ms, len(data) / 2 ** 20, frames))
        t = time.perf_counter()
        out = av.open(str(Path(d) / "re.mp4"), "w")
        s = out.add_stream("libx264", rate=FPS)
        s.width, s.height, s.pix_fmt, s.bit_rate = 1920, 1080, "yuv420p", 4_000_000
        s.options = {"preset": "veryfast", "threads": str(max(1, a.threads))}
        for _, f in cliplib.decode_packets(pkts, a.threads):
            for p in s.encode(f.reformat(format="yuv420p")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
        out.close()
        re_ms = (time.perf_counter() - t) * 1000
        print("  re-encode (decode + libx264 veryfast) %.0f ms  [baseline]  stream copy x%.4f" % (re_ms, copy_ms / re_ms))

        print("presence check:")
        with av.open(str(files["1080p"])) as c:
            frames = [f.to_ndarray(format="bgr24") for f, _ in zip(c.decode(c.streams.video[0]), range(60))]
        p = VehiclePresence((320, 400, 1280, 600))
        for i, f in enumerate(frames[:10]):
            p.feed(frames[0], i * 0.2)
        ts = []
        for i, f in enumerate(frames):
            t = time.perf_counter()
            p.feed(f, 10 + i * 0.2)
            ts.append((time.perf_counter() - t) * 1000)
        _, w, _ = decode_av(files["1080p"], a.threads, False)
        dec_ms = w * 1000 / (a.seconds * FPS)
        print("  VehiclePresence.feed on 1080p: %.2f ms/frame; 1080p decode %.2f ms/frame [baseline]; x%.2f"
              % (statistics.median(ts), dec_ms, statistics.median(ts) / dec_ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
