"""The one Ringelmann grader the lane and `edge smoke` use: a crop (and, when the lane has one,
the empty-lane reference of the same ROI) -> level 0-5.

    g = SmokeGrader()                       # models from models/ (or models_dir)
    g.grade(crop_rgb, reference_rgb=None)   # -> {"level", "confidence", "cnn_level", "method"}

With a reference: the CNN decides smoke vs. not, the chart reading against the reference
(ringelmann.combined_level) grades it -- method "combined". Without one: the no-reference CNN
alone -- method "cnn". Figures for each path: models/smoke_ringelmann.md.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from edge.errors import EdgeError
from edge.vision.interpreter import models_dir as default_models_dir
from edge.vision.smoke import ringelmann
from edge.vision.smoke.classifier import DEFAULT_MODEL, SmokeClassifier


def _rgb(a, what):
    a = np.asarray(a)
    if a.ndim != 3 or a.shape[2] != 3 or a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError("%s must be HxWx3 RGB, got shape %s" % (what, a.shape))
    return a


class SmokeGrader:
    """Loads the committed models once; `grade()` is cheap (a few ms on one core)."""

    def __init__(self, models_dir=None, threads=1, delegate=""):
        self.models_dir = Path(models_dir) if models_dir else default_models_dir()
        path = self.models_dir / DEFAULT_MODEL
        if not path.is_file():
            raise EdgeError("smoke model %s not found" % path)
        self.cnn = SmokeClassifier(str(path), threads=threads, delegate=delegate)

    def grade(self, crop_rgb, reference_rgb=None):
        crop = _rgb(crop_rgb, "crop")
        res = self.cnn.classify(crop)
        cnn_level, conf = int(res["level"]), float(res["confidence"])
        if reference_rgb is None:
            return {"level": cnn_level, "confidence": conf, "cnn_level": cnn_level, "method": "cnn"}
        ref = _rgb(reference_rgb, "reference")
        if ref.shape != crop.shape:  # same ROI, other resolution: compare like with like
            ref = cv2.resize(ref, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_AREA)
        est = ringelmann.estimate(crop, ref)
        return {"level": ringelmann.combined_level(cnn_level, est), "confidence": conf,
                "cnn_level": cnn_level, "method": "combined"}
