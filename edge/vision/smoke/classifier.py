"""The Ringelmann CNNs: a 64x64 RGB crop behind the exhaust -> level 0-5 and a confidence.

Two models (card in models/smoke_ringelmann.md), both trained on rendered plumes only (tools/smoke/):
* smoke_ringelmann_{fp32,int8}.tflite: the crop alone, float32 RGB in [0, 1] (3 channels);
* smoke_ringelmann_ref_{fp32,int8}.tflite: the crop and the empty-lane reference of the same ROI
  (reference_input(): crop RGB, reference RGB, and the chart's blackness map 1 - I / I_ref in
  linear luminance -- 7 channels). The label is defined against what is behind the plume, so the
  reference is what the chart reading needs; it also tells a cast shadow (in the crop, not in the
  reference) from a plume only as far as the model learned to.
Any crop size is resized with area averaging first. Runs through edge.vision.interpreter.load_model.
"""
from __future__ import annotations

import cv2
import numpy as np

from edge.errors import EdgeError
from edge.vision.interpreter import load_model, models_dir

DEFAULT_MODEL = "smoke_ringelmann_fp32.tflite"
REFERENCE_MODEL = "smoke_ringelmann_ref_fp32.tflite"
INPUT = 64
CHANNELS_CROP, CHANNELS_REF = 3, 7
_LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)
_MIN_REF_LINEAR = 0.02  # keeps the ratio finite where the reference is (nearly) black


def _box3(a):
    """3x3 mean over the two spatial axes of [..., H, W]: denoises the reference (sensor noise, shake)."""
    p = np.pad(a, [(0, 0)] * (a.ndim - 2) + [(1, 1), (1, 1)], mode="edge")
    H, W = a.shape[-2:]
    return sum(p[..., i:i + H, j:j + W] for i in range(3) for j in range(3)) / 9.0


def reference_features(crop, ref):
    """[..., 64, 64, 7] float32 from crops and references [..., 64, 64, 3] float32 in [0, 1]:
    crop RGB, reference RGB, blackness 1 - L(crop) / L(reference) in linear luminance (clipped to
    [-1, 1]; negative = lighter than the empty lane, e.g. steam)."""
    lc = np.power(np.clip(crop, 0, 1), 2.2) @ _LUMA
    lr = _box3(np.power(np.clip(ref, 0, 1), 2.2) @ _LUMA)
    b = np.clip(1.0 - lc / np.maximum(lr, _MIN_REF_LINEAR), -1.0, 1.0)
    return np.concatenate([crop, ref, b[..., None]], axis=-1).astype(np.float32)


def _as_input(a, what):
    a = np.asarray(a)
    if a.ndim != 3 or a.shape[2] != 3 or a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError("%s must be HxWx3 RGB, got shape %s" % (what, a.shape))
    if a.shape[:2] != (INPUT, INPUT):
        a = cv2.resize(a, (INPUT, INPUT), interpolation=cv2.INTER_AREA)
    return a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32)


def reference_input(crop_rgb, reference_rgb):
    """The reference model's input [64, 64, 7] for one crop and its empty-lane reference (any sizes)."""
    return reference_features(_as_input(crop_rgb, "crop"), _as_input(reference_rgb, "reference"))


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
    """Wraps one interpreter; `classify(crop_rgb[, reference_rgb])` -> dict(level, confidence, probs).
    `channels` = 3 for the crop-only model, 7 for the reference model (then a reference is required)."""

    def __init__(self, model_path=None, threads=1, delegate="", channels=CHANNELS_CROP):
        self.path = model_path or str(models_dir() / (REFERENCE_MODEL if channels == CHANNELS_REF else DEFAULT_MODEL))
        self.channels = channels
        self.interp = load_model(self.path, threads=threads, delegate=delegate)
        inp = self.interp.get_input_details()[0]
        if tuple(inp["shape"][1:]) != (INPUT, INPUT, channels):
            raise EdgeError("model %s: input %s is not [1,%d,%d,%d]" % (self.path, inp["shape"], INPUT, INPUT, channels))
        self._in = inp
        self._out = self.interp.get_output_details()[0]

    def prepare(self, crop_rgb, reference_rgb=None):
        if self.channels == CHANNELS_REF:
            if reference_rgb is None:
                raise ValueError("model %s needs the empty-lane reference" % self.path)
            return reference_input(crop_rgb, reference_rgb)[None]
        return _as_input(crop_rgb, "crop")[None]

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

    def probabilities(self, crop_rgb, reference_rgb=None):
        """Mean of the crop's and its mirror's softmax: the model was trained flip-invariant, and
        averaging the two views gained ~1 point of held-out accuracy (model card) for 2 invokes."""
        x = self.prepare(crop_rgb, reference_rgb)
        return (self._invoke(x) + self._invoke(np.ascontiguousarray(x[:, :, ::-1]))) / 2

    def classify(self, crop_rgb, reference_rgb=None):
        p = self.probabilities(crop_rgb, reference_rgb)
        level = int(np.argmax(p))
        return {"level": level, "confidence": round(float(p[level]), 4),
                "probs": [round(float(v), 4) for v in p]}
