"""The one Ringelmann grader the lane and `edge smoke` use: a crop (and, when the lane has a fresh
one, the empty-lane reference of the same ROI) -> level 0-5 and the plume's opacity.

    g = SmokeGrader()                       # models from models/ (or models_dir)
    g.grade(crop_rgb, reference_rgb=None)   # -> {"level", "opacity", "confidence", "mode"}

The level is opacity: level N <=> 20 N % of the background hidden by the plume (HJ/T 398-2007,
US EPA Method 9; models/smoke_ringelmann.md), so a plume reads the same level over sky, road,
wall or a truck body. `mode` says what the level was read against:
* "reference": the reference-aware CNN (smoke_ringelmann_ref_*.tflite) with the empty-lane
  reference -- the lane's default;
* "crop": the crop-only CNN (smoke_ringelmann_*.tflite) -- no reference (a single photo, a lane
  whose reference is stale or missing), or the reference model is not installed.
How each mode measures, per level, background and negative kind: the model card.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from edge.errors import EdgeError
from edge.vision.interpreter import models_dir as default_models_dir
from edge.vision.smoke.classifier import CHANNELS_REF, SmokeClassifier, read_outputs

VARIANTS = ("fp32", "int8")
MODES = ("reference", "crop")


def _rgb(a, what):
    a = np.asarray(a)
    if a.ndim != 3 or a.shape[2] != 3 or a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError("%s must be HxWx3 RGB, got shape %s" % (what, a.shape))
    return a


class SmokeGrader:
    """Loads the committed models once; `grade()` costs a few ms on one core (bench_smoke.py).
    `variant` picks the fp32 (default) or int8 files of both models; `none_weight` (None: each
    model's calibration file beside it, classifier.load_none_weight) overrides both models'."""

    def __init__(self, models_dir=None, threads=1, delegate="", variant="fp32", none_weight=None):
        if variant not in VARIANTS:
            raise EdgeError("smoke model variant %r: must be one of %s" % (variant, ", ".join(VARIANTS)))
        self.models_dir = Path(models_dir) if models_dir else default_models_dir()
        crop_path = self.models_dir / ("smoke_ringelmann_%s.tflite" % variant)
        if not crop_path.is_file():
            raise EdgeError("smoke model %s not found" % crop_path)
        self.crop_cnn = SmokeClassifier(str(crop_path), threads=threads, delegate=delegate, none_weight=none_weight)
        ref_path = self.models_dir / ("smoke_ringelmann_ref_%s.tflite" % variant)
        self.ref_cnn = None
        if ref_path.is_file():  # optional: without it every grade is crop-only
            self.ref_cnn = SmokeClassifier(str(ref_path), threads=threads, delegate=delegate, channels=CHANNELS_REF,
                                           none_weight=none_weight)

    def outputs(self, crop_rgb, reference_rgb=None):
        """(the CNN's 7 outputs, that CNN, the mode) for a crop: what grade() reads the level from
        (tools/smoke/evaluate.py keeps the outputs to re-read them at other none weights)."""
        crop = _rgb(crop_rgb, "crop")
        if reference_rgb is None or self.ref_cnn is None:
            return self.crop_cnn.outputs(crop), self.crop_cnn, "crop"
        ref = _rgb(reference_rgb, "reference")
        if ref.shape != crop.shape:  # same ROI, other resolution: compare like with like
            ref = cv2.resize(ref, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_AREA)
        return self.ref_cnn.outputs(crop, ref), self.ref_cnn, "reference"

    def grade(self, crop_rgb, reference_rgb=None):
        out, cnn, mode = self.outputs(crop_rgb, reference_rgb)
        r = read_outputs(out, cnn.none_weight)
        return {"level": int(r["level"]), "opacity": float(r["opacity"]),
                "confidence": float(r["confidence"]), "mode": mode}
