"""Check the event parameters on rendered vehicle clips, per kind, in both grading modes.

    .venv/bin/python -m tools.smoke.tune_events [--clips 40] [--split clips-eval] [--model puffs]

Renders clips of every kind (tools/smoke/clips.py) from the split's seeds, grades every frame once
with SmokeGrader -- "reference" mode against the clip's first (empty) frame, and "crop" mode --
then replays SmokeEventDetector over a grid of (settle_frames, min_frames, min_confidence) and
prints false events per negative kind and detections per level. Choose on "clips-train" (training
photos, a training plume model); report on "clips-eval" (evaluation photos, the held-out plume model).
"""
from __future__ import annotations

import argparse
import itertools
import sys

import cv2
import numpy as np

from edge.vision.smoke.events import SmokeEventDetector
from edge.vision.smoke.grader import SmokeGrader
from tools.smoke import clips as C
from tools.smoke import render as R
from tools.smoke.dataset import SET_IDS


def graded_clips(n, split, model, models=None):
    g = SmokeGrader(models)
    photos = R.PhotoPool(R.scene_photos("train" if split == "clips-train" else "eval"))
    out = []
    for ki, kind in enumerate(C.KINDS):
        for j in range(n):
            rng = np.random.default_rng((SET_IDS[split], ki, j))
            clip = C.render_clip(rng, kind, photos, level=1 + j % 5 if kind == "smoke" else None, model=model)
            ref = [g.grade(f, clip["frames"][0]) for f in clip["frames"]]
            crop = [g.grade(f) for f in clip["frames"]]
            out.append((kind, clip["level"], clip["vehicle"], {"reference": ref, "crop": crop}))
        print("  graded %d %s clips" % (n, kind), flush=True)
    return out


def replay(clips, mode, **kw):
    fired, levels = {}, []
    for kind, level, vehicle, grades in clips:
        det = SmokeEventDetector(watch_frames=C.N_FRAMES, **kw)
        ev = None
        for i, (g, v) in enumerate(zip(grades[mode], vehicle)):
            ev = ev or det.feed({"index": i, "level": g["level"], "confidence": g["confidence"], "vehicle": bool(v)})
        key = kind if kind != "smoke" else "smoke%d" % level
        n, e = fired.get(key, (0, 0))
        fired[key] = (n + 1, e + (ev is not None))
        if ev is not None and kind == "smoke":
            levels.append((level, ev["record"]["smokeLevel"]))
    return fired, levels


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=40)
    ap.add_argument("--split", default="clips-eval", choices=("clips-train", "clips-eval"))
    ap.add_argument("--model", default="puffs", help="plume model of the clips (tools/smoke/plumes.py)")
    ap.add_argument("--models", default=None)
    ap.add_argument("--grid", action="store_true", help="replay a grid of event parameters (else the defaults)")
    a = ap.parse_args(argv)
    cv2.setNumThreads(1)
    clips = graded_clips(a.clips, a.split, a.model, a.models)
    grid = itertools.product((0, 2, 3), (4, 5, 6, 8), (0.5, 0.6)) if a.grid else [(0, 5, 0.5)]
    negs = [k for k in C.KINDS if k != "smoke"]
    for mode in ("reference", "crop"):
        print("mode %s: settle min_frames min_conf | false events %s | fired level 2-5 (level 1) | event level exact / within one"
              % (mode, " ".join(negs)))
        for settle, mf, mc in grid:
            f, lv = replay(clips, mode, threshold_level=2, min_frames=mf, min_confidence=mc, settle_frames=settle)
            det = sum(f["smoke%d" % v][1] for v in range(2, 6)), sum(f["smoke%d" % v][0] for v in range(2, 6))
            ex = np.mean([t == p for t, p in lv]) if lv else float("nan")
            w1 = np.mean([abs(t - p) <= 1 for t, p in lv]) if lv else float("nan")
            print("%6d %9d %8.1f | %s | %d/%d (%d/%d) | %.2f / %.2f" % (
                settle, mf, mc, " ".join("%d/%d" % (f[k][1], f[k][0]) for k in negs), det[0], det[1],
                f["smoke1"][1], f["smoke1"][0], ex, w1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
