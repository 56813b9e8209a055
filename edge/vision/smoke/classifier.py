"""The Ringelmann CNNs: a 64x64 RGB crop behind the exhaust -> level 0-5, opacity, confidence.

The level is opacity (level N <=> 20 N % opacity; models/smoke_ringelmann.md). Two models, both
trained on rendered plumes (tools/smoke/), both with one output [1, 7]: the softmax over levels
0-5, then the plume's opacity (sigmoid, 0-1):
* smoke_ringelmann_{fp32,int8}.tflite: the crop alone, float32 RGB in [0, 1] (3 channels) --
  "crop" mode, for a lane whose empty-lane reference is stale or missing;
* smoke_ringelmann_ref_{fp32,int8}.tflite: the crop and the empty-lane reference of the same ROI
  (reference_input(): crop RGB, reference RGB, the darkening 1 - L/L_ref, the difference
  L - L_ref, the chart reading's soot opacity and the texture ratio, in linear luminance -- 11
  channels) -- "reference" mode, the lane's default. The
  reference tells what is behind the plume, which opacity needs: over a dark road the same plume
  darkens the view less, over a dark body grey smoke even lightens it.
Any crop size is resized with area averaging first. Runs through edge.vision.interpreter.load_model.
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from edge.errors import EdgeError
from edge.vision.interpreter import load_model, models_dir
from edge.vision.smoke import ringelmann

DEFAULT_MODEL = "smoke_ringelmann_fp32.tflite"
REFERENCE_MODEL = "smoke_ringelmann_ref_fp32.tflite"
INPUT = 64
OUTPUTS = 7  # softmax over levels 0-5, then opacity
CHANNELS_CROP, CHANNELS_REF = 3, 11
CHANNELS_REF_V2 = 14  # + the gain-corrected soot opacity and the chroma shift (reference_features)
REF_CHANNELS = (CHANNELS_REF, CHANNELS_REF_V2)  # a reference model takes either; its input says which
_LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)
_MIN_REF_LINEAR = 0.02  # keeps the ratio finite where the reference is (nearly) black


def _blur(a, k):
    """k x k mean over the two spatial axes of [..., H, W] (OpenCV, edge-replicated borders)."""
    flat = np.ascontiguousarray(a, np.float32).reshape((-1,) + a.shape[-2:])
    out = np.stack([cv2.blur(m, (k, k), borderType=cv2.BORDER_REPLICATE) for m in flat])
    return out.reshape(a.shape)


def _local_std(a):
    m = _blur(a, 5)
    return np.sqrt(np.maximum(_blur(a * a, 5) - m * m, 0.0))


GAIN_BINS = np.linspace(-0.255, 0.255, 52)  # log gain crop / reference: 1 % bins, one centred on 0


def _gain(lc, lr):
    """[...] the crop's exposure relative to the reference's: the mode of log(L / L_ref) over the
    pixels bright enough to say (the reference drifts by up to +-6 %, auto-exposure more; a plume,
    shadow or body changes only part of the crop, the rest sits at the gain)."""
    n = int(np.prod(lc.shape[:-2]))
    q = np.log(np.maximum(lc, 1e-4) / np.maximum(lr, 1e-4)).reshape(n, -1)
    w = (lr.reshape(n, -1) > 0.01).astype(np.float32)
    b = np.clip(np.searchsorted(GAIN_BINS, q) - 1, -1, len(GAIN_BINS) - 1)
    ok = (b >= 0) & (b < len(GAIN_BINS) - 1)
    nb = len(GAIN_BINS) - 1
    idx = (np.arange(n)[:, None] * nb + np.clip(b, 0, nb - 1))[ok]
    h = np.bincount(idx, weights=w[ok], minlength=n * nb).reshape(n, nb)
    h = h + 0.5 * (np.roll(h, 1, 1) + np.roll(h, -1, 1))  # a little smoothing before the arg-max
    centre = (GAIN_BINS[:-1] + GAIN_BINS[1:]) / 2
    g = np.where(h.max(1) > 0, np.exp(centre[np.argmax(h, 1)]), 1.0)
    return g.reshape(lc.shape[:-2] + (1, 1)).astype(np.float32)


def _chroma_shift(crop, ref):
    """log(R/G) and log(B/G) of the crop minus the reference's (linear, 3x3-smoothed), less its
    median over the crop (white balance drift): tan dust raises R/G and lowers B/G, soot and steam
    are nearly neutral."""
    e = 0.01

    def smooth_linear(a):
        flat = np.power(np.clip(a, 0, 1), 2.2).astype(np.float32).reshape((-1,) + a.shape[-3:])
        out = np.stack([cv2.blur(m, (3, 3), borderType=cv2.BORDER_REPLICATE) for m in flat])
        return np.log(out + e).reshape(a.shape)
    c, r = smooth_linear(crop), smooth_linear(ref)
    out = []
    for k in (0, 2):
        d = (c[..., k] - c[..., 1]) - (r[..., k] - r[..., 1])
        med = np.median(d.reshape(d.shape[:-2] + (-1,)), axis=-1)[..., None, None]
        out.append(np.clip(4.0 * (d - med), -2.0, 2.0))
    return out


def reference_features(crop, ref, channels=CHANNELS_REF):
    """[..., 64, 64, 11] float32 from crops and references [..., 64, 64, 3] float32 in [0, 1]:
    crop RGB, reference RGB, and in linear luminance L (the reference 3x3-smoothed: sensor
    noise, shake):
    * the darkening 1 - L / L_ref (clipped to [-1, 1]; negative = lighter than the empty lane);
    * the difference L - L_ref;
    * the opacity the chart reading would give for soot, (L_ref - L) / (L_ref - SOOT x white),
      white = the reference's 98th percentile (ringelmann.py; clipped to [-1, 1]);
    * the texture ratio: the local (5x5) contrast of the crop over the reference's, which is
      the transmittance T wherever the background has texture, whatever the smoke's own
      radiance (I = T I_bg + (1 - T) I_s: the constant I_s adds no contrast; clipped to [0, 2]);
    * the reference's local contrast (where the ratio means something), x 10;
    and with channels=14 (CHANNELS_REF_V2) also
    * the soot opacity again with the reference scaled by the crop's gain (_gain: the exposure
      drift between the two frames otherwise reads as +-6 % opacity everywhere);
    * the chroma shift, log(R/G) and log(B/G) against the reference's (_chroma_shift: dust is tan).
    The physics as hints; the model learns where they do not hold."""
    if channels not in REF_CHANNELS:
        raise ValueError("reference features: %d channels, not one of %s" % (channels, REF_CHANNELS))
    lc = np.power(np.clip(crop, 0, 1), 2.2) @ _LUMA
    lr = _blur(np.power(np.clip(ref, 0, 1), 2.2) @ _LUMA, 3)
    b = np.clip(1.0 - lc / np.maximum(lr, _MIN_REF_LINEAR), -1.0, 1.0)
    flat = lr.reshape(lr.shape[:-2] + (-1,))
    k = int(0.98 * (flat.shape[-1] - 1))  # the 98th percentile (np.percentile is 10x slower here)
    white = np.maximum(np.partition(flat, k, axis=-1)[..., k][..., None, None], ringelmann.MIN_WHITE)
    span = np.maximum(lr - ringelmann.SOOT * white, ringelmann.MIN_CONTRAST)
    op = np.clip((lr - lc) / span, -1.0, 1.0)
    sr = _local_std(lr)  # both 3x3-smoothed first, so the ratio compares like with like
    tex = np.clip(_local_std(_blur(lc, 3)) / np.maximum(sr, 0.004), 0.0, 2.0)
    maps = [b, lc - lr, op, tex, np.clip(10 * sr, 0, 2)]
    if channels == CHANNELS_REF_V2:
        lg = lr * _gain(_blur(lc, 3), lr)
        span_g = np.maximum(lg - ringelmann.SOOT * white, ringelmann.MIN_CONTRAST)
        maps += [np.clip((lg - lc) / span_g, -1.0, 1.0)] + _chroma_shift(crop, ref)
    return np.concatenate([crop, ref] + [c[..., None] for c in maps], axis=-1).astype(np.float32)


def _as_input(a, what):
    a = np.asarray(a)
    if a.ndim != 3 or a.shape[2] != 3 or a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError("%s must be HxWx3 RGB, got shape %s" % (what, a.shape))
    if a.shape[:2] != (INPUT, INPUT):
        a = cv2.resize(a, (INPUT, INPUT), interpolation=cv2.INTER_AREA)
    return a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32)


def reference_input(crop_rgb, reference_rgb, channels=CHANNELS_REF):
    """The reference model's input [64, 64, channels] for one crop and its empty-lane reference (any sizes)."""
    return reference_features(_as_input(crop_rgb, "crop"), _as_input(reference_rgb, "reference"), channels)


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


def calibration_path(model_path):
    """smoke_ringelmann_ref_fp32.tflite -> smoke_ringelmann_ref.calibration.json: one file for a
    model's fp32 and int8 files, chosen with the weights (models/smoke_ringelmann.md)."""
    p = Path(model_path)
    stem = p.stem.rsplit("_", 1)[0] if p.stem.endswith(("_fp32", "_int8")) else p.stem
    return p.with_name(stem + ".calibration.json")


def load_none_weight(model_path):
    """The model's "none" weight from its calibration file, 1.0 (the plain argmax) without one."""
    path = calibration_path(model_path)
    if not path.is_file():
        return 1.0
    try:
        w = float(json.loads(path.read_text())["none_weight"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise EdgeError("%s: none_weight must be a number > 0 (%s)" % (path, e)) from None
    if not w > 0:
        raise EdgeError("%s: none_weight must be > 0, got %s" % (path, w))
    return w


class SmokeClassifier:
    """Wraps one interpreter; `classify(crop_rgb[, reference_rgb])` -> dict(level, opacity,
    confidence, probs). `channels` = 3 for the crop-only model, CHANNELS_REF for a reference model
    (then a reference is required; the model's input says whether it takes the 11 or 14 maps).
    `none_weight` (None: the model's calibration file) scales P(level 0) before the level is read."""

    def __init__(self, model_path=None, threads=1, delegate="", channels=CHANNELS_CROP, none_weight=None):
        ref = channels in REF_CHANNELS
        self.path = model_path or str(models_dir() / (REFERENCE_MODEL if ref else DEFAULT_MODEL))
        self.none_weight = load_none_weight(self.path) if none_weight is None else float(none_weight)
        if not self.none_weight > 0:
            raise EdgeError("smoke none_weight must be > 0, got %s" % none_weight)
        self.interp = load_model(self.path, threads=threads, delegate=delegate)
        inp = self.interp.get_input_details()[0]
        if ref and len(inp["shape"]) == 4 and int(inp["shape"][3]) in REF_CHANNELS:
            channels = int(inp["shape"][3])
        self.channels = channels
        if tuple(inp["shape"][1:]) != (INPUT, INPUT, channels):
            raise EdgeError("model %s: input %s is not [1,%d,%d,%d]" % (self.path, inp["shape"], INPUT, INPUT, channels))
        self._in = inp
        self._out = self.interp.get_output_details()[0]
        if tuple(self._out["shape"][1:]) != (OUTPUTS,):
            raise EdgeError("model %s: output %s is not [1,%d] (6 level probabilities + opacity)"
                            % (self.path, self._out["shape"], OUTPUTS))

    def prepare(self, crop_rgb, reference_rgb=None):
        if self.channels in REF_CHANNELS:
            if reference_rgb is None:
                raise ValueError("model %s needs the empty-lane reference" % self.path)
            return reference_input(crop_rgb, reference_rgb, self.channels)[None]
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

    def outputs(self, crop_rgb, reference_rgb=None):
        """Mean of the crop's and its mirror's outputs (7 values): the model was trained
        flip-invariant, and the two views average out some of its noise for 2 invokes."""
        x = self.prepare(crop_rgb, reference_rgb)
        return (self._invoke(x) + self._invoke(np.ascontiguousarray(x[:, :, ::-1]))) / 2

    def probabilities(self, crop_rgb, reference_rgb=None):
        return self.outputs(crop_rgb, reference_rgb)[:6]

    def classify(self, crop_rgb, reference_rgb=None):
        return read_outputs(self.outputs(crop_rgb, reference_rgb), self.none_weight)


def read_outputs(out, none_weight=1.0):
    """dict(level, opacity, confidence, probs) from the model's 7 outputs. The level is the most
    probable one after P(level 0) is scaled by `none_weight` and the six renormalised: a weight > 1
    asks more evidence before a faint view is called smoke (the level-1 false alarms on dust and
    clean views), chosen per model on `val`. The opacity is the regression head's, kept inside that
    level's 20 % band so the two never disagree (level N <=> opacity within 20 N +- 10 %)."""
    p = np.asarray(out[:6], np.float64).copy()
    p[0] *= none_weight
    p = p / max(p.sum(), 1e-9)
    level = int(np.argmax(p))
    lo, hi = max(0.0, 0.2 * level - 0.1), min(1.0, 0.2 * level + 0.1)
    opacity = float(np.clip(out[6], lo, hi))
    return {"level": level, "opacity": round(opacity, 3), "confidence": round(float(p[level]), 4),
            "probs": [round(float(v), 4) for v in p]}
