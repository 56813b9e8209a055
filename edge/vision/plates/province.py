"""A second opinion on the province character: a small CNN on the province's cell of the
rectified plate (models/plate_province_fp32.tflite, tools/lpr/train_province.py).

The recogniser learned provinces from CCPD (~95 % 皖) and confuses the others (粤 -> 闽/京,
浙 -> 粤); this model learned only the 31 province glyphs of the plate typeface, seen the way
the reader sees them. Its probabilities are combined with the recogniser's at the time step
where the recogniser put the province (a product of experts, each to the power 1/2, fixed
beforehand), and the read is decoded again -- so the ledger check and the confidence see the
combined numbers.
"""
from __future__ import annotations

import cv2
import numpy as np

from edge.vision.interpreter import VectorModel
from edge.vision.plates.formats import PROVINCES

IN = 32
WEIGHT = 0.5      # exponent of each expert


def cell(plate, two_row):
    """The province's cell of a rectified plate (220x70 single-row, 220x110 two-row), with
    margin for corners that are a little off: GA 36 puts it at 15-60 mm of 440 (single row) and
    110-190 mm across the top row of a two-row plate."""
    return plate[2:42, 40:112] if two_row else plate[2:68, 0:40]


def model_input(crop_bgr):
    """[1, 32, 32, 1] float32: grey, stretched to 0..1 (plate colour and exposure drop out)."""
    g = cv2.cvtColor(crop_bgr, cv2.COLOR_BGR2GRAY) if crop_bgr.ndim == 3 else crop_bgr
    g = cv2.resize(g, (IN, IN), interpolation=cv2.INTER_AREA).astype(np.float32)
    lo, hi = np.percentile(g, 2), np.percentile(g, 98)
    g = np.clip((g - lo) / max(1.0, hi - lo), 0, 1)
    return g[None, :, :, None]


class ProvinceModel(VectorModel):
    def __init__(self, interpreter):
        super().__init__(interpreter, "province model", len(PROVINCES))

    def probs(self, plate, two_row):
        return self.run(model_input(cell(plate, two_row))).astype(np.float64)


def fuse(probs, chars, province_probs, weight=WEIGHT):
    """Recogniser probabilities [T, C] with the province model's opinion folded into the step
    where the first character (a province) peaks; None when the read does not start with one."""
    idx = probs.argmax(1)
    nz = np.nonzero(idx)[0]
    if not nz.size or chars[idx[nz[0]]] not in PROVINCES:
        return None
    # the run of steps that emit the first character
    t0 = nz[0]
    t1 = t0
    while t1 + 1 < len(idx) and idx[t1 + 1] == idx[t0]:
        t1 += 1
    cols = np.array([chars.index(p) for p in PROVINCES])
    out = probs.copy()
    for t in range(t0, t1 + 1):
        rec = probs[t, cols]
        mass = rec.sum()
        mix = (rec / mass) ** weight * np.asarray(province_probs) ** (1 - weight)
        out[t, cols] = mass * mix / mix.sum()
    return out
