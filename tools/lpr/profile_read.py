"""Where a frame's reading time goes: per-stage wall time of PlateReader.read on the
tools/bench_lpr.py speed frames (the lane's reader: no zoom pass), 1 thread by default.

    .venv/bin/python -m tools.lpr.profile_read [--size 1080p] [--repeat 20] [--threads 1]

Stages are timed by wrapping the reader's functions (the wrappers add ~1 us a call): the
detector (letterbox, invoke, the rest = anchor decode + NMS), rectification warps, the colour
vote and CNN, the recogniser (input preparation, invoke, CTC decode), the format check.
A frame whose read fails the format pays the re-reads (more recogniser calls): see the calls.
"""
from __future__ import annotations

import argparse
import collections
import functools
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tools import bench_lpr  # noqa: E402
from tools.lpr import evaluate  # noqa: E402

T = collections.defaultdict(float)
N = collections.Counter()


def _wrap(obj, name, label):
    f = getattr(obj, name)

    @functools.wraps(f)
    def timed(*a, **k):
        t0 = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            T[label] += time.perf_counter() - t0
            N[label] += 1
    setattr(obj, name, timed)


def _wrap_invoke(interp, label):
    f = interp.invoke

    def timed():
        t0 = time.perf_counter()
        f()
        T[label] += time.perf_counter() - t0
        N[label] += 1
    interp.invoke = timed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1080p", choices=sorted(bench_lpr.SIZES))
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    import os
    from edge.vision.plates import PlateReader, color, detector, formats, recognizer, rectify
    _wrap(detector, "letterbox", "detect: letterbox")
    _wrap(detector.PlateDetector, "__call__", "detect (all)")
    _wrap(rectify, "warp", "rectify: warp")
    _wrap(color, "classify", "colour: HSV vote")
    _wrap(color.ColorModel, "probs", "colour: CNN (all)")
    _wrap(recognizer.PlateRecognizer, "prepare", "recognise: prepare")
    _wrap(recognizer.PlateRecognizer, "probs", "recognise (all but decode)")
    _wrap(recognizer.PlateRecognizer, "decode", "recognise: CTC decode")
    _wrap(formats, "check", "format check")
    bench_lpr.WORK.mkdir(parents=True, exist_ok=True)
    frames = bench_lpr.speed_frames()[a.size]
    reader = PlateReader(threads=a.threads, zoom=False)
    for d in filter(None, (reader.detector, reader.wide_detector)):
        _wrap_invoke(d.interp, "detect: invoke")
    _wrap_invoke(reader.recognizer.interp, "recognise: invoke")
    if reader.color_model is not None:
        _wrap_invoke(reader.color_model.interp, "colour: CNN invoke")
    print("per-stage ms per frame, %s speed frames, %d threads, %d repeats; load average %.1f on %d CPUs"
          % (a.size, a.threads, a.repeat, os.getloadavg()[0], os.cpu_count()))
    for p in frames:
        img = evaluate.imread(p)
        got = reader.read(img)
        T.clear()
        N.clear()
        ms = []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            reader.read(img)
            ms.append((time.perf_counter() - t0) * 1000)
        print("%s: read %s; total median %.2f ms, min %.2f" % (
            p.name, ", ".join("%s%s" % (r["plate"], "" if r["valid"] else " (invalid)") for r in got) or "nothing",
            statistics.median(ms), min(ms)))
        for k in sorted(T):
            print("   %-28s %6.2f ms  (%g calls)" % (k, T[k] * 1000 / a.repeat, N[k] / a.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
