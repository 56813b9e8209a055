"""Rendered views of one gate lane from a fixed camera: the empty lane, a truck in it (with a
readable plate, a blurred one or none), a change of light, a soft shadow, night with headlights.

For testing the camera vehicle trigger (edge/vision/presence.py) and the lane over the real RTSP
feed. The lane is one fixed scene per seed — textured asphalt, lane markings, a kerb, a wall —
because a fixed camera sees the same lane every frame; only noise and light change.

    from tools.lane_scene import Lane
    lane = Lane(seed=3)
    lane.empty()                         # BGR uint8
    lane.truck(plate="readable", depth=0.7)
    lane.relight(lane.empty(), gain=0.55, tint=(1.0, 0.95, 0.8))
"""
from __future__ import annotations

import cv2
import numpy as np


class Lane:
    def __init__(self, seed: int = 3, size=(1280, 720)):
        self.W, self.H = size
        self.rng = np.random.default_rng(seed)
        self.base = self._render_empty()

    # ------------------------------------------------------------ the empty lane
    def _render_empty(self) -> np.ndarray:
        W, H, rng = self.W, self.H, self.rng
        img = np.empty((H, W, 3), np.float32)
        horizon = int(H * 0.28)
        # a wall and sky behind the lane
        img[:horizon] = np.linspace(200, 160, horizon)[:, None, None] * np.array([1.0, 0.97, 0.92])
        wall = int(H * 0.16)
        img[wall:horizon] = (120, 125, 130)
        for x in range(0, W, 64):
            cv2.line(img, (x, wall), (x, horizon), (95, 100, 105), 2)
        # asphalt: grey with grain at several scales, patches and cracks
        road = np.full((H - horizon, W), 105.0, np.float32)
        for scale, amp in ((2, 14), (8, 10), (32, 8)):
            n = rng.normal(0, 1, ((H - horizon) // scale + 2, W // scale + 2)).astype(np.float32)
            road += amp * cv2.resize(n, (W + 2 * scale, H - horizon + 2 * scale))[:H - horizon, :W]
        for _ in range(12):
            cx, cy = int(rng.integers(0, W)), int(rng.integers(0, H - horizon))
            cv2.ellipse(road, (cx, cy), (int(rng.integers(20, 120)), int(rng.integers(8, 40))), float(rng.uniform(0, 180)),
                        0, 360, float(rng.uniform(80, 130)), -1)
        for _ in range(8):
            pts = np.cumsum(rng.normal(0, 12, (10, 2)), 0) + (rng.integers(0, W), rng.integers(0, H - horizon))
            cv2.polylines(road, [pts.astype(np.int32)], False, 60.0, 1)
        img[horizon:] = road[..., None] * np.array([1.0, 1.0, 1.02])
        # lane markings in perspective, and a kerb on the right
        vx = W * 0.5
        for frac in (0.12, 0.88):
            x_bottom = W * frac
            cv2.line(img, (int(vx + (x_bottom - vx) * 0.25), horizon), (int(x_bottom), H), (215, 215, 210), 6)
        cv2.fillPoly(img, [np.array([[W * 0.93, H], [W, H], [W, horizon], [W * 0.6, horizon]], np.int32)], (150, 150, 145))
        # the barrier post at the left
        cv2.rectangle(img, (int(W * 0.04), int(H * 0.35)), (int(W * 0.08), H), (40, 90, 200), -1)
        return img

    def _finish(self, img: np.ndarray, noise: float = 3.0) -> np.ndarray:
        """Sensor noise (from a small bank of noise fields, cycled: drawing fresh noise for every
        720p frame costs more than the detector under test), RGB float -> BGR uint8."""
        if not hasattr(self, "_bank"):
            self._bank = [self.rng.normal(0, 1, img.shape).astype(np.float32) for _ in range(4)]
            self._next = 0
        self._next = (self._next + 1) % len(self._bank)
        img = img + noise * self._bank[self._next]
        return np.clip(img, 0, 255).astype(np.uint8)[..., ::-1].copy()   # RGB -> BGR

    def empty(self, noise: float = 3.0) -> np.ndarray:
        return self._finish(self.base, noise)

    # ------------------------------------------------------------ a truck
    def truck(self, plate: str = "readable", depth: float = 0.7, colour=(40, 90, 170), text: str = "",
              kind: str = "yellow", base=None, noise: float = 3.0) -> np.ndarray:
        """A truck's front coming down the lane; `depth` 0 (far, small) .. 1 (near, fills the lane).
        `plate`: "readable" (rendered plate), "blurred" (smeared beyond reading: mud, motion),
        "none" (no plate at all)."""
        img = (self.base if base is None else base).copy()
        W, H = self.W, self.H
        s = 0.35 + 0.65 * depth                       # scale with depth
        cx = W * 0.5
        bottom = H * (0.55 + 0.43 * depth)
        w, h = W * 0.62 * s, H * 0.95 * s
        x1, x2, y1, y2 = int(cx - w / 2), int(cx + w / 2), int(bottom - h), int(bottom)
        cv2.rectangle(img, (x1, y1), (x2, y2), colour, -1)                              # cab
        wy2 = int(y1 + h * 0.42)
        ws = np.linspace(30, 70, max(1, wy2 - y1 - 2 * int(h * 0.05)))[:, None, None] * np.ones(3)
        wx1, wx2, wy1 = int(x1 + w * 0.08), int(x2 - w * 0.08), int(y1 + h * 0.05)
        img[wy1:wy1 + len(ws), wx1:wx2] = ws                                           # windscreen
        cv2.line(img, ((wx1 + wx2) // 2, wy1), ((wx1 + wx2) // 2, wy1 + len(ws)), (20, 20, 20), max(2, int(4 * s)))
        gy1, gy2 = int(y1 + h * 0.55), int(y1 + h * 0.78)
        for k in range(6):                                                              # grille bars
            y = int(gy1 + (gy2 - gy1) * k / 6)
            cv2.rectangle(img, (int(x1 + w * 0.3), y), (int(x2 - w * 0.3), y + max(2, int(6 * s))), (25, 25, 25), -1)
        for hx in (x1 + w * 0.06, x2 - w * 0.22):                                       # headlights
            cv2.rectangle(img, (int(hx), int(y1 + h * 0.6)), (int(hx + w * 0.16), int(y1 + h * 0.7)), (235, 235, 220), -1)
        cv2.rectangle(img, (x1 - int(w * 0.02), int(y1 + h * 0.86)), (x2 + int(w * 0.02), y2), (60, 60, 60), -1)  # bumper
        for wx in (x1 + w * 0.04, x2 - w * 0.2):                                        # wheels
            cv2.rectangle(img, (int(wx), int(y2 - h * 0.02)), (int(wx + w * 0.16), min(H - 1, int(y2 + h * 0.05))), (15, 15, 15), -1)
        if plate != "none":
            from tools.lpr.render import paste, random_text, render_plate
            text = text or random_text(kind, self.rng)
            p, _ = render_plate(text, kind, self.rng)
            pw, ph = w * 0.2, w * 0.2 * p.shape[0] / p.shape[1]
            px, py = cx - pw / 2, y1 + h * 0.79
            quad = np.array([[px, py], [px + pw, py], [px + pw, py + ph], [px, py + ph]], np.float32)
            if plate == "blurred":
                canvas = np.zeros_like(img)
                canvas = paste(canvas, p, quad)
                mask = paste(np.zeros_like(img), np.ones_like(p), quad) > 0.5
                smeared = cv2.GaussianBlur(canvas * 0.4 + 70, (0, 0), max(6.0, pw / 12))   # mud + blur
                img[mask] = smeared[mask]
            else:
                img = paste(img, p, quad)
            self.last_text = text
        return self._finish(img, noise)

    # ------------------------------------------------------------ light
    @staticmethod
    def relight(frame_bgr: np.ndarray, gain: float = 0.55, tint=(1.0, 1.0, 1.0), gradient: float = 0.2) -> np.ndarray:
        """The same picture under other light: overall gain, a colour cast (R, G, B) and a
        left-right gradient (the sun lower, a cloud edge)."""
        H, W = frame_bgr.shape[:2]
        g = gain * (1 + gradient * np.linspace(-0.5, 0.5, W))[None, :, None]
        out = frame_bgr.astype(np.float32) * g * np.array(tint[::-1], np.float32)
        return np.clip(out, 0, 255).astype(np.uint8)

    @staticmethod
    def shadow(frame_bgr: np.ndarray, polygon, depth: float = 0.5, soft: float = 25.0) -> np.ndarray:
        """A soft shadow (a building, a tree, a passing cloud) over `polygon` (pixel points)."""
        mask = np.zeros(frame_bgr.shape[:2], np.float32)
        cv2.fillPoly(mask, [np.asarray(polygon, np.int32)], 1.0)
        mask = cv2.GaussianBlur(mask, (0, 0), soft)
        out = frame_bgr.astype(np.float32) * (1 - depth * mask)[..., None]
        return np.clip(out, 0, 255).astype(np.uint8)

    @staticmethod
    def night(frame_bgr: np.ndarray, level: float = 0.18, rng=None) -> np.ndarray:
        rng = rng or np.random.default_rng(0)
        out = frame_bgr.astype(np.float32) * level + rng.normal(0, 2.5, frame_bgr.shape)
        return np.clip(out, 0, 255).astype(np.uint8)

    @staticmethod
    def headlights(frame_bgr: np.ndarray, centres, radius: float = 40.0, beam: bool = True) -> np.ndarray:
        """Glare of headlights at `centres` (a vehicle still outside the ROI, or one passing
        the lane at night) and, with `beam`, their light pool on the road ahead of them."""
        H, W = frame_bgr.shape[:2]
        yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
        light = np.zeros((H, W), np.float32)
        for cx, cy in centres:
            d2 = (xx - cx) ** 2 + (yy - cy) ** 2
            light += 400 * np.exp(-d2 / (2 * radius ** 2)) + 120 * np.exp(-d2 / (2 * (radius * 4) ** 2))
            if beam:
                light += 2.2 * np.exp(-((xx - cx) / (W * 0.3)) ** 2 - ((yy - cy - H * 0.25) / (H * 0.2)) ** 2) * \
                    frame_bgr.mean()
        out = frame_bgr.astype(np.float32) * (1 + light[..., None] / 255.0 * 1.5) + light[..., None] * 0.6
        return np.clip(out, 0, 255).astype(np.uint8)
