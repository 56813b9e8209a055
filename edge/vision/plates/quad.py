"""The whole plate's 4 corners from a detection: a small CNN on a window around the detector's
quad (models/plate_quad_fp32.tflite, tools/lpr/train_quad.py).

The CCPD-trained detector puts its corners around the bottom row of a two-row truck plate (the
top row, province and letter, is cut off: 粤BCR709 read as CR709) and sometimes inside the
left edge of a single-row plate. This model looks at the detection with room above it (the top
row of a two-row plate lies up to one detection height above), below and to both sides, and
gives the plate's own corners and whether it has two rows. The reader asks it when the read from
the detector's quad fails the format, before the colour outline (refine.py).
"""
from __future__ import annotations

import cv2
import numpy as np

from edge.vision.interpreter import VectorModel

IN_H, IN_W = 64, 112
# the window around the detection's bounding box, in its width (x) and height (y)
PAD_LEFT = PAD_RIGHT = 0.3
PAD_UP, PAD_DOWN = 1.3, 0.6


def window(corners):
    """(x0, y0, x1, y1) of the window the model sees around detector corners (frame pixels)."""
    c = np.asarray(corners, np.float32)
    x1, y1 = c.min(0)
    x2, y2 = c.max(0)
    w, h = max(x2 - x1, 4.0), max(y2 - y1, 2.0)
    return (float(x1 - PAD_LEFT * w), float(y1 - PAD_UP * h), float(x2 + PAD_RIGHT * w), float(y2 + PAD_DOWN * h))


def model_input(frame, win):
    """[1, IN_H, IN_W, 3] float32 BGR in 0..1: the window resampled (edge pixels repeated
    where it leaves the frame)."""
    x0, y0, x1, y1 = win
    sx, sy = IN_W / (x1 - x0), IN_H / (y1 - y0)
    m = np.array([[sx, 0, -x0 * sx], [0, sy, -y0 * sy]], np.float32)
    # INTER_AREA is not available to warpAffine; shrink in two steps when the window is large
    img = cv2.warpAffine(frame, m, (IN_W, IN_H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return (img.astype(np.float32) / 255.0)[None]


def to_frame(out, win):
    """Model output (8 window-normalised corner coordinates + a two-row logit) -> (corners
    TL, TR, BR, BL in frame pixels, probability of two rows)."""
    x0, y0, x1, y1 = win
    pts = np.asarray(out[:8], np.float32).reshape(4, 2) * (x1 - x0, y1 - y0) + (x0, y0)
    return pts.astype(np.float32), float(1.0 / (1.0 + np.exp(-float(out[8]))))


class QuadModel(VectorModel):
    """`corners(frame, det_corners)` -> (plate corners TL, TR, BR, BL, P(two rows))."""

    def __init__(self, interpreter):
        super().__init__(interpreter, "plate quad model", 9, "outputs")

    def corners(self, frame, det_corners):
        win = window(det_corners)
        return to_frame(self.run(model_input(frame, win)), win)
