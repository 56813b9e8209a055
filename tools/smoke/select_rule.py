"""Choose how the grader reads a level -- on a FRESH validation set, never on eval.

    .venv/bin/python -m tools.smoke.dataset --train 0 --eval 0 --val 3000   # var/smoke/val.npz (new seeds, training photos)
    .venv/bin/python -m tools.smoke.select_rule [--split val] [--model models/smoke_ringelmann_fp32.tflite]
                                                [--ref-model models/smoke_ringelmann_ref_fp32.tflite]

Rules scored (exact, within one, negatives graded >= 2, shadow crops graded >= 2):
* without a reference: the crop-only CNN;
* with the empty-lane reference: "hybrid T" (the crop CNN decides smoke >= T, the classical chart
  reading grades it -- the previous lane rule); the reference-aware CNN alone (argmax, or the
  rounded expected level); the reference CNN deciding smoke and the chart reading grading it;
  the mean of the two CNNs' probabilities.
Run with --split eval only after the rule is fixed.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import cv2
import numpy as np

from edge.vision.smoke import ringelmann
from edge.vision.smoke.classifier import CHANNELS_REF, SmokeClassifier
from tools.smoke import render as R


def rules(cnn, cls, ref_p=None, crop_p=None):
    out = {"cnn": cnn, "classical": cls}
    for t in (1, 2, 3):
        out["hybrid%d" % t] = np.where(cnn >= t, cls, cnn)
    if ref_p is not None:
        ref = ref_p.argmax(1)
        out["ref"] = ref
        out["ref_expect"] = np.clip(np.floor(ref_p @ np.arange(6) + 0.5), 0, 5).astype(int)
        for t in (2, 3):
            out["ref%d_classical" % t] = np.where(ref >= t, cls, ref)
        out["ref_clamp_classical"] = np.where(ref >= 2, np.clip(cls, ref - 1, ref + 1), ref)
        out["mean_of_cnns"] = (ref_p + crop_p).argmax(1)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="var/smoke")
    ap.add_argument("--split", default="val")
    ap.add_argument("--model", default="models/smoke_ringelmann_fp32.tflite")
    ap.add_argument("--ref-model", default="models/smoke_ringelmann_ref_fp32.tflite")
    a = ap.parse_args(argv)
    cv2.setNumThreads(1)
    d = np.load(os.path.join(a.data, a.split + ".npz"))
    truth = d["level"].astype(int)
    neg = np.array(R.PLUMES)[d["plume"]] != "black"
    shadow_neg = neg & d["shadow"]
    clf = SmokeClassifier(a.model)
    crop_p = np.array([clf.probabilities(im) for im in d["images"]])
    cnn = crop_p.argmax(1)
    cls = np.array([ringelmann.estimate(im, rf)["level"] for im, rf in zip(d["images"], d["references"])])
    ref_p = None
    if a.ref_model and os.path.exists(a.ref_model):
        rc = SmokeClassifier(a.ref_model, channels=CHANNELS_REF)
        ref_p = np.array([rc.probabilities(im, rf) for im, rf in zip(d["images"], d["references"])])
    res = {}
    for name, p in rules(cnn, cls, ref_p, crop_p).items():
        res[name] = {"exact": round(float(np.mean(p == truth)), 4), "within_one": round(float(np.mean(np.abs(p - truth) <= 1)), 4),
                     "negatives_ge2": round(float(np.mean(p[neg] >= 2)), 4),
                     "shadow_negatives_ge2": round(float(np.mean(p[shadow_neg] >= 2)), 4),
                     "recall": [round(float(np.mean(p[truth == k] == k)), 2) for k in range(6)]}
        print("%-20s exact %.3f  within one %.3f  negatives>=2 %.3f  shadow negatives>=2 %.3f  recall %s" % (
            name, res[name]["exact"], res[name]["within_one"], res[name]["negatives_ge2"],
            res[name]["shadow_negatives_ge2"], res[name]["recall"]))
    out = os.path.join(a.data, "rules_%s_%s.json" % (a.split, os.path.basename(a.ref_model or a.model)))
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
