"""The one Ringelmann grader the lane and `edge smoke` use: a crop (and, when the lane has one,
the empty-lane reference of the same ROI) -> level 0-5.

    g = SmokeGrader()                       # models from models/ (or models_dir)
    g.grade(crop_rgb, reference_rgb=None)   # -> {"level", "confidence", "cnn_level", "method"}

With a reference: the reference-aware CNN (smoke_ringelmann_ref_*.tflite: crop, reference and
the chart's blackness map) gives the level -- method "reference". Without one, or when that
model is not installed: the crop-only CNN (smoke_ringelmann_*.tflite) -- method "cnn"; if only the
crop model exists and a reference is given, the older rule (the crop CNN decides smoke, the
classical chart reading against the reference grades it) -- method "combined".
`cnn_level` is always the crop-only CNN's level (the fallback's opinion, for the record).
How the rule was chosen and what each path measures: models/smoke_ringelmann.md.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from edge.errors import EdgeError
from edge.vision.interpreter import models_dir as default_models_dir
from edge.vision.smoke import ringelmann
from edge.vision.smoke.classifier import CHANNELS_REF, SmokeClassifier

VARIANTS = ("fp32", "int8")


def _rgb(a, what):
    a = np.asarray(a)
    if a.ndim != 3 or a.shape[2] != 3 or a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError("%s must be HxWx3 RGB, got shape %s" % (what, a.shape))
    return a


class SmokeGrader:
    """Loads the committed models once; `grade()` costs a few ms on one core (bench_smoke.py).
    `variant` picks the fp32 (default) or int8 files of both models."""

    def __init__(self, models_dir=None, threads=1, delegate="", variant="fp32"):
        if variant not in VARIANTS:
            raise EdgeError("smoke model variant %r: must be one of %s" % (variant, ", ".join(VARIANTS)))
        self.models_dir = Path(models_dir) if models_dir else default_models_dir()
        crop_path = self.models_dir / ("smoke_ringelmann_%s.tflite" % variant)
        if not crop_path.is_file():
            raise EdgeError("smoke model %s not found" % crop_path)
        self.cnn = SmokeClassifier(str(crop_path), threads=threads, delegate=delegate)
        ref_path = self.models_dir / ("smoke_ringelmann_ref_%s.tflite" % variant)
        self.ref_cnn = None
        if ref_path.is_file():  # optional: without it a reference still helps through the chart reading
            self.ref_cnn = SmokeClassifier(str(ref_path), threads=threads, delegate=delegate, channels=CHANNELS_REF)

    def grade(self, crop_rgb, reference_rgb=None):
        crop = _rgb(crop_rgb, "crop")
        res = self.cnn.classify(crop)
        cnn_level, conf = int(res["level"]), float(res["confidence"])
        if reference_rgb is None:
            return {"level": cnn_level, "confidence": conf, "cnn_level": cnn_level, "method": "cnn"}
        ref = _rgb(reference_rgb, "reference")
        if ref.shape != crop.shape:  # same ROI, other resolution: compare like with like
            ref = cv2.resize(ref, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_AREA)
        if self.ref_cnn is not None:
            r = self.ref_cnn.classify(crop, ref)
            return {"level": int(r["level"]), "confidence": float(r["confidence"]),
                    "cnn_level": cnn_level, "method": "reference"}
        est = ringelmann.estimate(crop, ref)
        return {"level": ringelmann.combined_level(cnn_level, est), "confidence": conf,
                "cnn_level": cnn_level, "method": "combined"}
