"""The plate's own outline from its background colour, around a detection.

The CCPD-trained detector puts the corners of a two-row truck plate around its bottom row (the
top row, province and letter, is cut off: 粤BCR709 read as CR709) and sometimes inside the left
edge of a single-row plate. A plate is a rectangle of one saturated colour (yellow, blue,
green): the connected region of that colour around the detection, closed over the characters,
gives its real outline, and with it the row layout (a two-row plate is 2:1, a single-row one
3.1:1). Used by the reader when the detector's quad gives no valid read.
"""
from __future__ import annotations

import cv2
import numpy as np

PAD_X, PAD_UP, PAD_DOWN = 0.25, 0.9, 0.8     # search window around the detection, in its width/height
MIN_SATURATION = 70                           # a coloured plate (white/black plates have no hue to follow)
HUE_TOL = 14
AREA_RATIO = (0.6, 3.2)                       # the outline's area against the detection's
ASPECT = (1.4, 4.2)


def _order(pts):
    """4 points -> TL, TR, BR, BL."""
    pts = np.asarray(pts, np.float32).reshape(4, 2)
    s, d = pts.sum(1), pts[:, 1] - pts[:, 0]
    return np.array([pts[s.argmin()], pts[d.argmin()], pts[s.argmax()], pts[d.argmax()]], np.float32)


def _quad(contour):
    hull = cv2.convexHull(contour)
    peri = cv2.arcLength(hull, True)
    for eps in (0.02, 0.03, 0.05, 0.08):
        approx = cv2.approxPolyDP(hull, eps * peri, True)
        if len(approx) == 4:
            return _order(approx)
    return _order(cv2.boxPoints(cv2.minAreaRect(hull)))


def _area(q):
    return float(cv2.contourArea(np.asarray(q, np.float32).reshape(-1, 1, 2)))


def outline(frame, corners):
    """TL, TR, BR, BL of the coloured plate region around `corners` (frame pixels), or None
    when the plate has no clear hue or its region is not plate-shaped (a yellow cab, mud)."""
    corners = np.asarray(corners, np.float32)
    H, W = frame.shape[:2]
    x1, y1 = corners.min(0)
    x2, y2 = corners.max(0)
    bw, bh = x2 - x1, y2 - y1
    if bw < 8 or bh < 4:
        return None
    X0, X1 = int(max(0, x1 - PAD_X * bw)), int(min(W, x2 + PAD_X * bw))
    Y0, Y1 = int(max(0, y1 - PAD_UP * bh)), int(min(H, y2 + PAD_DOWN * bh))
    roi = frame[Y0:Y1, X0:X1]
    hsv = cv2.cvtColor(roi, cv2.COLOR_BGR2HSV)
    # the plate's hue: the saturated pixels inside the detection (ink is dark or white)
    inner = np.zeros(roi.shape[:2], np.uint8)
    cv2.fillConvexPoly(inner, np.round(corners - (X0, Y0)).astype(np.int32), 1)
    h, s, v = hsv[..., 0].astype(np.int16), hsv[..., 1], hsv[..., 2]
    colourful = (inner > 0) & (s >= MIN_SATURATION) & (v >= 50)
    if colourful.sum() < 0.25 * inner.sum():
        return None
    hue = int(np.median(h[colourful]))
    dh = np.abs(h - hue)
    dh = np.minimum(dh, 180 - dh)
    # a plate on a body of nearly its colour (a yellow bumper) merges with it: try again
    # with a narrower hue band and less closing before giving up
    for tol, close in ((HUE_TOL, 0.35), (HUE_TOL // 2, 0.15)):
        region = _region(dh, s, v, tol, max(3, int(bh * close)) | 1, inner)
        if region is not None:
            break
    else:
        return None
    cnts, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    q = _quad(max(cnts, key=cv2.contourArea)) + (X0, Y0)
    ratio = _area(q) / max(1.0, _area(corners))
    tl, tr, br, bl = q
    wq = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    hq = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    aspect = wq / max(hq, 1e-6)
    if not (AREA_RATIO[0] <= ratio <= AREA_RATIO[1] and ASPECT[0] <= aspect <= ASPECT[1]):
        return None
    return q.astype(np.float32)


def _region(dh, s, v, tol, k, inner):
    """Mask of the plate-coloured component that covers most of the detection `inner`, closed over the characters, or None when
    it reaches the search window's edge (the colour goes on beyond the plate)."""
    mask = ((dh <= tol) & (s >= MIN_SATURATION * 0.7) & (v >= 40)).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, 8)
    if n < 2:
        return None
    lab = int(np.bincount(labels[inner > 0], minlength=n)[1:].argmax()) + 1
    x, y, w, h, _ = stats[lab]
    if x == 0 or y == 0 or x + w >= mask.shape[1] or y + h >= mask.shape[0]:
        return None
    return (labels == lab).astype(np.uint8)
