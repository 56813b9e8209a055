"""Reader variants timed interleaved in one process on the tools/bench_lpr.py speed frames, so a
busy shared host slows them alike (the bench's own table runs one reader after the other).

    .venv/bin/python -m tools.lpr.ab_speed --variant NAME:MODELS_DIR[:key=value,...] ... [--size 1080p] [--repeat 40]

Variants as in tools/lpr/compare.py (a models dir whose plate_* files replace models/). The
lane's reader (no zoom), 1 thread, OpenCV held to 1 thread. Prints per variant the median over
all frames and repeats (the bench's figure), the minimum, per-frame medians and the CPU time;
and the ratio of each median to the first variant's. The variants must give the same reads.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402

from tools import bench_lpr  # noqa: E402
from tools.lpr import compare, evaluate  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", action="append", required=True)
    ap.add_argument("--size", default="1080p", choices=sorted(bench_lpr.SIZES))
    ap.add_argument("--repeat", type=int, default=40)
    a = ap.parse_args(argv)
    from edge.vision.plates import PlateReader
    cv2.setNumThreads(1)
    readers = []
    for spec in a.variant:
        name, over, kw = compare.parse_variant(spec)
        readers.append((name, PlateReader(str(compare.models_with(over)), threads=1, zoom=False, **kw)))
    bench_lpr.WORK.mkdir(parents=True, exist_ok=True)
    frames = [evaluate.imread(p) for p in bench_lpr.speed_frames()[a.size]]
    for img in frames:
        reads = {name: [r["plate"] for r in rd.read(img)] for name, rd in readers}
        if len({tuple(v) for v in reads.values()}) > 1:
            print("the variants read differently: %s" % reads)
            return 1
    wall = {name: [[] for _ in frames] for name, _ in readers}
    cpu = {name: [] for name, _ in readers}
    load0 = os.getloadavg()[0]
    for k in range(a.repeat):
        for i, img in enumerate(frames):
            order = readers if k % 2 == 0 else readers[::-1]
            for name, rd in order:
                c0, t0 = time.process_time(), time.perf_counter()
                rd.read(img)
                wall[name][i].append((time.perf_counter() - t0) * 1000)
                cpu[name].append((time.process_time() - c0) * 1000)
    print("%s speed frames, %d repeats, 1 thread, interleaved; load average %.1f at start, %.1f at end"
          % (a.size, a.repeat, load0, os.getloadavg()[0]))
    first = None
    for name, _ in readers:
        allv = [v for per in wall[name] for v in per]
        med = statistics.median(allv)
        first = first or med
        print("  %-10s median %6.2f ms  min %6.2f  per frame %s  CPU median %6.2f  (first / this %.3f)" % (
            name, med, min(allv), " / ".join("%.2f" % statistics.median(p) for p in wall[name]),
            statistics.median(cpu[name]), first / med))
    return 0


if __name__ == "__main__":
    sys.exit(main())
