"""Perspective rectification of a detected plate and the cut of its character band(s).

Plates are warped to a canonical size from their 4 corners; reading only the character band
(no frame, screws or border) is what made the CCPD recogniser reliable (39/40 vs 10-30/40 on
the whole plate). Geometry from GA 36-2018: a single-row plate is 440x140 mm (480x140 for
new energy), characters 90 mm tall from 25 mm; a two-row (large vehicle) plate is 440x220 mm
with a 60 mm top row (province + letter, centred) and a 110 mm bottom row (5 characters).
"""
from __future__ import annotations

import cv2
import numpy as np

W, H = 220, 70            # single-row canvas
W2, H2 = 220, 110         # two-row canvas
# Single-row plates are 3.1-3.4 wide per high, two-row 2.0; seen at an angle both shrink
# (CCPD single-row plates measure down to ~2.3), so between these bounds both are tried.
TWO_ROW_SURE_ASPECT = 1.7
SINGLE_ROW_SURE_ASPECT = 2.8


def aspect(corners):
    """Width/height of the quadrilateral TL, TR, BR, BL (mean of opposite sides)."""
    tl, tr, br, bl = np.asarray(corners, np.float32)
    w = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    h = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    return float(w / max(h, 1e-6))


def warp(frame, corners, size):
    w, h = size
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    m = cv2.getPerspectiveTransform(np.asarray(corners, np.float32), dst)
    return cv2.warpPerspective(frame, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def single_band(plate):
    """Character band of a 220x70 single-row plate. A little margin above/below the 90 mm
    characters (rows 4-66, measured best of 6 cuts on the dev crops and scenes) survives
    corners that sit a few pixels inside the plate."""
    return plate[4:66, 0:220]


def two_row_bands(plate):
    """(top, bottom) character bands of a 220x110 two-row plate."""
    return plate[4:40, 40:180], plate[38:106, 4:216]


def two_row_line(plate):
    """The two rows of a 220x110 plate laid out as one single-row band.

    The recogniser was trained on single-row plates: its LSTM expects the province first and
    characters about half as wide as high. The top row's characters are 80x60 mm (wider than
    high), so they are squeezed to the bottom row's proportions and put in front of it."""
    top, bottom = two_row_bands(plate)
    h = bottom.shape[0]
    # 2 characters at ~0.55 width/height each plus the gap a single-row plate has there
    top = cv2.resize(top, (int(h * 1.35), h), interpolation=cv2.INTER_AREA)
    return np.hstack([top, bottom])


def crop_corners(img):
    """Corners for an image that already is a plate (the whole image)."""
    h, w = img.shape[:2]
    return np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)


def expand(corners, top=0.0, bottom=0.0, left=0.0, right=0.0):
    """The quad TL, TR, BR, BL grown outward by fractions of its own height/width."""
    tl, tr, br, bl = np.asarray(corners, np.float32)
    down_l, down_r = bl - tl, br - tr            # left/right edges, top to bottom
    tl, bl = tl - down_l * top, bl + down_l * bottom
    tr, br = tr - down_r * top, br + down_r * bottom
    across_t, across_b = tr - tl, br - bl
    tl, tr = tl - across_t * left, tr + across_t * right
    bl, br = bl - across_b * left, br + across_b * right
    return np.array([tl, tr, br, bl], np.float32)
