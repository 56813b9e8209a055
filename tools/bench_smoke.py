"""Smoke grading speed per frame on one core, against the classical estimate as the baseline.

    .venv/bin/python tools/bench_smoke.py [--n 300] [--models models]

Times, per 64x64 ROI crop (median of n, after a warm-up): the classical estimate
(edge.vision.smoke.ringelmann.estimate, numpy), and SmokeClassifier.classify (resize check,
normalise, invoke, argmax) for each committed TFLite variant, 1 interpreter thread. Also the
whole per-frame path on a 1920x1080 frame: ROI crop + area resize from a 256x256 ROI + CNN.
Then the lane's call, SmokeGrader.grade(crop, reference) per variant (crop-only CNN for the record
+ reference-aware CNN, both with the mirror view), on a 64x64 crop and on a 1080p frame's 256x256 ROI.
Prints ms and the ratio to the classical estimate.
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
from edge.vision.smoke.classifier import SmokeClassifier, crop_roi, to_rgb  # noqa: E402
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
    crops = [(rng.random((64, 64, 3)) * 255).astype(np.uint8) for _ in range(a.n)]
    refs = [(rng.random((64, 64, 3)) * 255).astype(np.uint8) for _ in range(a.n)]
    base = median_ms(lambda c: ringelmann.estimate(c), crops)
    base_ref = median_ms(lambda i: ringelmann.estimate(crops[i], refs[i]), list(range(a.n)))
    print("classical estimate (border background):    %.3f ms/frame  [baseline]" % base)
    print("classical estimate (reference background): %.3f ms/frame" % base_ref)
    frame = (rng.random((1080, 1920, 3)) * 255).astype(np.uint8)
    for kind in ("fp32", "fp16", "int8"):
        path = os.path.join(a.models, "smoke_ringelmann_%s.tflite" % kind)
        if not os.path.exists(path):
            continue
        clf = SmokeClassifier(path, threads=1)
        ms = median_ms(clf.classify, crops)
        full = median_ms(lambda f: clf.classify(to_rgb(crop_roi(f, (800, 600, 256, 256)))), [frame] * a.n)
        print("CNN %-4s (%5.1f KiB): %.3f ms/crop, %.3f ms/1080p frame incl. ROI resize; ratio to baseline %.2fx"
              % (kind, os.path.getsize(path) / 1024, ms, full, ms / base))
    roi = (800, 600, 256, 256)
    for kind in ("fp32", "int8"):
        if not os.path.exists(os.path.join(a.models, "smoke_ringelmann_ref_%s.tflite" % kind)):
            continue
        g = SmokeGrader(a.models, threads=1, variant=kind)
        ms = median_ms(lambda i: g.grade(crops[i], refs[i]), list(range(a.n)))
        full = median_ms(lambda f: g.grade(to_rgb(crop_roi(f, roi)), to_rgb(crop_roi(frame, roi))), [frame] * a.n)
        print("SmokeGrader %-4s with reference: %.3f ms/crop, %.3f ms/1080p frame incl. ROI resize; ratio to baseline %.2fx"
              % (kind, ms, full, ms / base))
    return 0


if __name__ == "__main__":
    sys.exit(main())
