"""Rendered clips of one vehicle passing the smoke camera's ROI, with per-frame truth.

Kinds (what happens after the vehicle passes):
    smoke   black smoke of a chosen Ringelmann level, hanging, then thinning
    clean   a clean exhaust: a faint haze (blackness < 8 %)                      -> no event
    shadow  the vehicle's cast shadow trails it through the ROI for 3-9 frames   -> no event
    wet     wet road: puddle reflections, a moving light streak, tyre spray mist  -> no event
    steam   a white steam plume (opacity 20-90 %)                                -> no event
A clip is 40 frames at 10 fps of the 64x64 ROI: 5 empty frames, the vehicle body crossing the
ROI (frames 5-14, `vehicle` True), then 25 frames after it. Every frame after the first drifts
in exposure/white balance and shakes by up to 1.5 px against it (render.reference_drift).
"""
from __future__ import annotations

import cv2
import numpy as np

from tools.smoke import render as R

KINDS = ("smoke", "clean", "shadow", "wet", "steam")
FPS = 10
N_FRAMES = 40
PASS = (5, 15)  # frames with the vehicle body in the ROI


def _vehicle(rng):
    body = rng.uniform(0.08, 0.75) * (np.array([1.0, 1.0, 1.0]) + rng.normal(0, 0.15, 3))
    return {"colour": np.clip(body, 0, 1), "top": rng.uniform(-0.2, 0.3), "light_y": rng.uniform(0.4, 0.8),
            "shadow_len": rng.uniform(0.7, 2.2), "shadow_s": rng.uniform(0.3, 0.65),
            "shadow_top": rng.uniform(0.2, 0.7)}


def _pass_x(i):
    """Left edge of the vehicle body (width 1.4 ROI) at frame i: enters at frame 5, gone after 14."""
    return -1.4 + (i - PASS[0] + 1) * (2.4 / (PASS[1] - PASS[0]))


def _draw_vehicle(img, veh, x0, size):
    x, y = np.mgrid[0:size, 0:size][::-1].astype(np.float32) / size
    inside = (x >= x0) & (x < x0 + 1.4) & (y >= veh["top"])
    img = np.where(inside[..., None], veh["colour"], img)
    lamp = inside & (np.abs(y - veh["light_y"]) < 0.05) & (np.abs(x - (x0 + 1.3)) < 0.06)
    return np.where(lamp[..., None], np.array([0.9, 0.15, 0.1]), img).astype(np.float32)


def _draw_shadow(img, veh, x0, size):
    """The cast shadow trails the body: it starts at the body's rear edge and reaches back shadow_len."""
    x, y = np.mgrid[0:size, 0:size][::-1].astype(np.float32) / size
    inside = (x >= x0 - veh["shadow_len"]) & (x < x0 + 1.4) & (y >= veh["shadow_top"])
    m = cv2.GaussianBlur(inside.astype(np.float32), (0, 0), 1.0)
    s = veh["shadow_s"]
    return np.clip(img * (1 - m * (1 - s))[..., None], 0, 1).astype(np.float32)


def render_clip(rng, kind, photos=None, level=None, bg_kind=None, size=R.SIZE):
    """dict(frames [N,H,W,3] uint8 RGB, vehicle [N] bool, kind, level, bg, blackness [N])."""
    if bg_kind is None:
        bg_kind = "wet" if kind == "wet" else rng.choice(["scene", "road", "gate", "sky", "night"]
                                                         if kind != "shadow" else ["scene", "road", "gate"])
    ambient = 0.55 if bg_kind == "night" else rng.uniform(0.7, 1.0)
    if kind == "smoke":
        level = int(rng.integers(1, 6)) if level is None else level
        target = float(np.clip(rng.uniform(level * 0.2 - 0.08, level * 0.2 + 0.08), 0.05, 0.97))
        medium, start = R.smoke_colour(rng, "black", ambient), PASS[0] + 3
    elif kind == "clean":
        target, medium, start = rng.uniform(0.0, 0.08), R.smoke_colour(rng, "black", ambient), PASS[0] + 3
    elif kind == "steam":
        target, medium, start = rng.uniform(0.2, 0.9), None, PASS[0] + 3
    elif kind == "wet":  # tyre spray: fine droplets, bright and thin
        target, medium, start = rng.uniform(0.1, 0.4), None, PASS[1] - 2
    else:
        target, medium, start = rng.uniform(0.0, 0.06), R.smoke_colour(rng, "black", ambient), PASS[0] + 3
    _, mask0, shape = R.plume_density(rng, size)
    for _ in range(30):  # a background that can show this much blackness (see render_sample)
        bg = R.background(rng, bg_kind, photos, size)
        bg_lum = R.luminance(R.to_linear(bg))
        contrast = np.ones_like(bg_lum) if medium is None else \
            np.clip(1 - R.luminance(medium) / np.maximum(bg_lum, 1e-4), 0, 1)
        if np.mean(bg_lum) >= R.MIN_BG_LINEAR * 2 and np.mean(contrast[mask0]) * 0.95 >= target:
            break
    veh = _vehicle(rng)
    steam_rng = np.random.default_rng(int(rng.integers(1 << 30)))
    # a fixed camera for the whole clip: same exposure, codec; fresh sensor noise per frame
    cam_seed = int(rng.integers(1 << 30))
    frames, vehicle, blackness = [], [], []
    streak_x = rng.uniform(0, 1)
    for i in range(N_FRAMES):
        img = bg.copy()
        if kind == "wet":  # a light's reflection sliding along the wet road
            x = np.mgrid[0:size, 0:size][1].astype(np.float32) / size
            img = np.clip(img + 0.4 * np.exp(-((x - (streak_x + 0.03 * i) % 1.0) / 0.03) ** 2)[..., None], 0, 1)
        x0 = _pass_x(i)
        if kind == "shadow":
            img = _draw_shadow(img, veh, x0, size)
        tau = target if i < 30 else target * 0.85 ** (i - 29)
        black = 0.0
        if i >= start and tau > 0:
            dens, mask, _ = R.plume_density(rng, size, t=i / FPS, shape=shape)
            k = R.solve_k(dens, mask, tau, contrast if medium is not None else None)
            med = medium if medium is not None else R.smoke_colour(steam_rng, "steam", ambient, dens)
            img, T = R.composite(img, dens, k, med)
            if medium is not None:
                black = R.plume_blackness((1 - T) * contrast)
        present = x0 < 1.0 and x0 + 1.4 > 0.0
        if present:
            img = _draw_vehicle(img, veh, x0, size)
        # each frame drifts and shakes a little against frame 0 (the lane's empty reference), as
        # render_sample's references do; own seed, so the scene and plume draws are unchanged
        img = R.reference_drift(np.random.default_rng((cam_seed, i, 1)), img) if i else img
        frame = R.camera(np.random.default_rng(cam_seed), img, night=bg_kind == "night",
                         noise_rng=np.random.default_rng((cam_seed, i)))
        frames.append((frame * 255 + 0.5).astype(np.uint8))
        vehicle.append(present)
        blackness.append(black)
    return {"frames": np.stack(frames), "vehicle": np.array(vehicle), "kind": kind,
            "level": level if kind == "smoke" else 0, "bg": bg_kind, "blackness": np.array(blackness)}


def write_video(path, frames_rgb, fps=FPS, scale=2):
    """An MJPG .avi (OpenCV can always read it back) of the RGB frames, upscaled for viewing."""
    h, w = frames_rgb.shape[1:3]
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w * scale, h * scale))
    if not out.isOpened():
        raise OSError("cannot write %s" % path)
    for f in frames_rgb:
        out.write(cv2.resize(np.ascontiguousarray(f[..., ::-1]), (w * scale, h * scale), interpolation=cv2.INTER_LINEAR))
    out.release()
