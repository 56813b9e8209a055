"""Smoke grading speed per 1080p frame on one core, against the classical chart reading as baseline.

    .venv/bin/python tools/bench_smoke.py [--n 300] [--models models]

Times (median of n, after a warm-up, 1 interpreter thread), each on a 1920x1080 frame: cut the
256x256 ROI behind the exhaust (and the same ROI of the empty-lane reference), area-resize it to
64x64 and grade it --
  * baseline: the classical chart reading against the reference (edge.vision.smoke.ringelmann.estimate);
  * SmokeGrader.grade in "reference" mode (the lane's default) and in "crop" mode, fp32 and int8
    (each grade is two invokes: the crop and its mirror).
Prints ms per frame, the ratio to the baseline, and the model sizes. The goal is <= 5 ms per
1080p frame on one core of this machine for every variant.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edge.vision.smoke import ringelmann  # noqa: E402
from edge.vision.smoke.classifier import crop_roi, to_rgb  # noqa: E402
from edge.vision.smoke.grader import SmokeGrader  # noqa: E402


def median_ms(fn, items, warm=20):
    for it in items[:warm]:
        fn(it)
    ts = []
    for it in items:
        t = time.perf_counter()
        fn(it)
        ts.append((time.perf_counter() - t) * 1000)
    return statistics.median(ts)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--models", default=str(Path(__file__).resolve().parents[1] / "models"))
    a = ap.parse_args(argv)
    cv2.setNumThreads(1)
    rng = np.random.default_rng(0)
    frames = [(rng.random((1080, 1920, 3)) * 255).astype(np.uint8) for _ in range(4)]
    empty = (rng.random((1080, 1920, 3)) * 255).astype(np.uint8)
    roi = (800, 600, 256, 256)
    items = [frames[i % len(frames)] for i in range(a.n)]

    def cut(f):
        return cv2.resize(to_rgb(crop_roi(f, roi)), (64, 64), interpolation=cv2.INTER_AREA)
    ref_small = cut(empty)
    base = median_ms(lambda f: ringelmann.estimate(cut(f), ref_small), items)
    print("classical chart reading with reference: %.3f ms per 1080p frame  [baseline]" % base)
    for kind in ("fp32", "int8"):
        g = SmokeGrader(a.models, threads=1, variant=kind)
        size_ref = os.path.getsize(os.path.join(a.models, "smoke_ringelmann_ref_%s.tflite" % kind)) / 1024
        size_crop = os.path.getsize(os.path.join(a.models, "smoke_ringelmann_%s.tflite" % kind)) / 1024
        ref_ms = median_ms(lambda f: g.grade(cut(f), ref_small), items)
        crop_ms = median_ms(lambda f: g.grade(cut(f)), items)
        print("SmokeGrader %-4s reference mode (%5.1f KiB): %.3f ms per 1080p frame, %.2fx baseline"
              % (kind, size_ref, ref_ms, ref_ms / base))
        print("SmokeGrader %-4s crop mode      (%5.1f KiB): %.3f ms per 1080p frame, %.2fx baseline"
              % (kind, size_crop, crop_ms, crop_ms / base))
    return 0


if __name__ == "__main__":
    sys.exit(main())
