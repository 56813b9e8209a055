"""Choose how to combine the CNN and the classical estimate -- on a FRESH validation set, never on eval.

    .venv/bin/python -m tools.smoke.dataset --train 0 --eval 0 --val 3000   # var/smoke/val.npz (new seeds, training photos)
    .venv/bin/python -m tools.smoke.select_rule [--split val] [--model models/smoke_ringelmann_fp32.tflite]

Rules scored (exact, within one, negatives graded >= 2): the CNN alone; "hybrid T": the CNN decides
smoke (level >= T) vs. not, the classical estimate against the empty-lane reference grades the level
(never below 1 once the CNN calls smoke). Run with --split eval only after the rule is fixed.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import cv2
import numpy as np

from edge.vision.smoke import ringelmann
from edge.vision.smoke.classifier import SmokeClassifier
from tools.smoke import render as R


def rules(cnn, cls, black=None):
    out = {"cnn": cnn, "classical": cls}
    if black is not None:  # the chart reading biased upward by noise? shift its blackness before rounding
        for off in (0.02, 0.04, 0.06, 0.08):
            lv = np.array([ringelmann.level_of(max(0.0, b - off)) for b in black])
            out["hybrid2_off%.2f" % off] = np.where(cnn >= 2, lv, cnn)
    for t in (1, 2, 3):
        out["hybrid%d" % t] = np.where(cnn >= t, np.maximum(cls, 1), cnn)
        out["hybrid%d_raw" % t] = np.where(cnn >= t, cls, cnn)
        out["hybrid%d_clamp1" % t] = np.where(cnn >= t, np.clip(cls, cnn - 1, cnn + 1), cnn)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="var/smoke")
    ap.add_argument("--split", default="val")
    ap.add_argument("--model", default="models/smoke_ringelmann_fp32.tflite")
    a = ap.parse_args(argv)
    cv2.setNumThreads(1)
    d = np.load(os.path.join(a.data, a.split + ".npz"))
    truth = d["level"].astype(int)
    neg = np.array(R.PLUMES)[d["plume"]] != "black"
    clf = SmokeClassifier(a.model)
    cnn = np.array([int(np.argmax(clf.probabilities(im))) for im in d["images"]])
    est = [ringelmann.estimate(im, rf) for im, rf in zip(d["images"], d["references"])]
    cls = np.array([e["level"] for e in est])
    res = {}
    for name, p in rules(cnn, cls, np.array([e["blackness"] for e in est])).items():
        res[name] = {"exact": round(float(np.mean(p == truth)), 4), "within_one": round(float(np.mean(np.abs(p - truth) <= 1)), 4),
                     "negatives_ge2": round(float(np.mean(p[neg] >= 2)), 4),
                     "recall": [round(float(np.mean(p[truth == k] == k)), 2) for k in range(6)]}
        print("%-16s exact %.3f  within one %.3f  negatives>=2 %.3f  recall %s" % (
            name, res[name]["exact"], res[name]["within_one"], res[name]["negatives_ge2"], res[name]["recall"]))
    with open(os.path.join(a.data, "rules_%s_%s.json" % (a.split, os.path.basename(a.model))), "w") as f:
        json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
