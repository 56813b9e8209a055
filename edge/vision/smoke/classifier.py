"""The Ringelmann CNN: a 64x64 RGB crop behind the exhaust -> level 0-5 and a confidence.

The model (models/smoke_ringelmann_*.tflite, card in models/smoke_ringelmann.md) was trained
on rendered plumes only (tools/smoke/); the input is float32 RGB in [0, 1], any crop size is
resized with area averaging first. Runs through edge.vision.interpreter.load_model.
"""
from __future__ import annotations

import cv2
import numpy as np

from edge.errors import EdgeError
from edge.vision.interpreter import load_model, models_dir

DEFAULT_MODEL = "smoke_ringelmann_fp32.tflite"
INPUT = 64


def to_rgb(image_bgr):
    """OpenCV frames are BGR; the model and the classical estimate take RGB."""
    return np.ascontiguousarray(image_bgr[..., ::-1])


def crop_roi(image, roi):
    """The ROI (x, y, w, h) of a frame, or the whole frame for roi=None; EdgeError if it lies outside."""
    if roi is None:
        return image
    x, y, w, h = roi
    H, W = image.shape[:2]
    if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > W or y + h > H:
        raise EdgeError("roi %d,%d,%d,%d is outside the %dx%d frame" % (x, y, w, h, W, H))
    return image[y:y + h, x:x + w]


class SmokeClassifier:
    """Wraps one interpreter; `classify(crop_rgb)` -> dict(level, confidence, probs)."""

    def __init__(self, model_path=None, threads=1, delegate=""):
        self.path = model_path or str(models_dir() / DEFAULT_MODEL)
        self.interp = load_model(self.path, threads=threads, delegate=delegate)
        inp = self.interp.get_input_details()[0]
        if tuple(inp["shape"][1:]) != (INPUT, INPUT, 3):
            raise EdgeError("model %s: input %s is not [1,%d,%d,3]" % (self.path, inp["shape"], INPUT, INPUT))
        self._in = inp
        self._out = self.interp.get_output_details()[0]

    def prepare(self, crop_rgb):
        a = np.asarray(crop_rgb)
        if a.ndim != 3 or a.shape[2] != 3:
            raise ValueError("crop must be HxWx3 RGB, got shape %s" % (a.shape,))
        if a.shape[:2] != (INPUT, INPUT):
            a = cv2.resize(a, (INPUT, INPUT), interpolation=cv2.INTER_AREA)
        a = a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32)
        return a[None]

    def _invoke(self, x):
        if self._in["dtype"] != np.float32:  # fully quantised input
            scale, zero = self._in["quantization"]
            lo, hi = (-128, 127) if self._in["dtype"] == np.int8 else (0, 255)
            x = np.clip(np.round(x / scale + zero), lo, hi).astype(self._in["dtype"])
        self.interp.set_tensor(self._in["index"], x)
        self.interp.invoke()
        p = self.interp.get_tensor(self._out["index"])[0]
        if self._out["dtype"] != np.float32:
            scale, zero = self._out["quantization"]
            p = (p.astype(np.float32) - zero) * scale
        return p

    def probabilities(self, crop_rgb):
        """Mean of the crop's and its mirror's softmax: the model was trained flip-invariant, and
        averaging the two views gained ~1 point of held-out accuracy (model card) for 2 invokes."""
        x = self.prepare(crop_rgb)
        return (self._invoke(x) + self._invoke(np.ascontiguousarray(x[:, :, ::-1]))) / 2

    def classify(self, crop_rgb):
        p = self.probabilities(crop_rgb)
        level = int(np.argmax(p))
        return {"level": level, "confidence": round(float(p[level]), 4),
                "probs": [round(float(v), 4) for v in p]}
