"""Rendered clips of one vehicle passing the smoke camera's ROI, with per-frame truth (opacity levels).

Kinds (what happens after the vehicle passes):
    smoke   smoke of a chosen Ringelmann level (opacity), hanging, then thinning
    clean   a clean exhaust: a faint plume below 8 % opacity                    -> no event
    shadow  the vehicle's cast shadow trails it through the ROI for 3-9 frames  -> no event
    wet     wet road: puddle reflections, a moving light streak, tyre spray mist -> no event
    steam   a white steam plume (opacity 20-90 %)                               -> no event
A clip is 40 frames at 10 fps of the 64x64 ROI: 5 empty frames, the vehicle body crossing the
ROI (frames 5-14, `vehicle` True), then 25 frames after it. Every frame after the first drifts
in exposure/white balance and shakes by up to 1.5 px against it (render.reference_drift).
`model` picks the plume model (tools/smoke/plumes.py).
"""
from __future__ import annotations

import cv2
import numpy as np

from tools.smoke import plumes
from tools.smoke import render as R
from tools.smoke import samples as S

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
    x, y = R.grid(size)
    inside = (x >= x0) & (x < x0 + 1.4) & (y >= veh["top"])
    img = np.where(inside[..., None], veh["colour"], img)
    lamp = inside & (np.abs(y - veh["light_y"]) < 0.05) & (np.abs(x - (x0 + 1.3)) < 0.06)
    return np.where(lamp[..., None], np.array([0.9, 0.15, 0.1]), img).astype(np.float32)


def _draw_shadow(img, veh, x0, size):
    """The cast shadow trails the body: it starts at the body's rear edge and reaches back shadow_len."""
    x, y = R.grid(size)
    inside = (x >= x0 - veh["shadow_len"]) & (x < x0 + 1.4) & (y >= veh["shadow_top"])
    m = cv2.GaussianBlur(inside.astype(np.float32), (0, 0), 1.0)
    s = veh["shadow_s"]
    return np.clip(img * (1 - m * (1 - s))[..., None], 0, 1).astype(np.float32)


def render_clip(rng, kind, photos=None, level=None, bg_kind=None, model="fbm", size=R.SIZE):
    """dict(frames [N,H,W,3] uint8 RGB, vehicle [N] bool, kind, level, bg, opacity [N])."""
    if bg_kind is None:
        bg_kind = "rain" if kind == "wet" else rng.choice(["photo", "road", "wall", "sky", "night", "truck"]
                                                          if photos is not None else ["road", "wall", "sky", "night", "truck"])
    white = S.white_level(rng, bg_kind)
    if kind == "smoke":
        level = int(rng.integers(1, 6)) if level is None else level
        target = float(np.clip(rng.uniform(level * 0.2 - 0.08, level * 0.2 + 0.08), 0.05, 0.985))
        radiance, start = S.smoke_radiance(rng, white), PASS[0] + 3
    elif kind == "clean":
        target, radiance, start = rng.uniform(0.0, 0.08), S.smoke_radiance(rng, white), PASS[0] + 3
    elif kind == "steam":
        target, start = rng.uniform(0.2, 0.9), PASS[0] + 3
        radiance = (rng.uniform(0.6, 1.0) * white * np.ones(3)).astype(np.float32)
    elif kind == "wet":  # tyre spray: fine droplets, bright and thin
        target, start = rng.uniform(0.1, 0.4), PASS[1] - 2
        radiance = (rng.uniform(0.5, 0.9) * white * np.ones(3)).astype(np.float32)
    else:
        target, radiance, start = rng.uniform(0.0, 0.06), S.smoke_radiance(rng, white), PASS[0] + 3
    dens0, shape = plumes.density(model, rng, size)
    k = S.solve_k(dens0, target)
    core = S.core_mask(1 - np.exp(-k * dens0))
    for _ in range(30):  # a background the plume can be seen against (samples.MIN_CONTRAST)
        bg = R.background(rng, bg_kind, photos, size)
        if abs(R.luminance(R.to_linear(bg))[core].mean() - R.luminance(radiance)) >= 2 * S.MIN_CONTRAST:
            break
    veh = _vehicle(rng)
    cam_seed = int(rng.integers(1 << 30))  # one camera for the whole clip; fresh sensor noise per frame
    frames, vehicle, opacity = [], [], []
    streak_x = rng.uniform(0, 1)
    for i in range(N_FRAMES):
        img = bg.copy()
        if kind == "wet":  # a light's reflection sliding along the wet road
            x = R.grid(size)[0]
            img = np.clip(img + 0.4 * np.exp(-((x - (streak_x + 0.03 * i) % 1.0) / 0.03) ** 2)[..., None], 0, 1)
        x0 = _pass_x(i)
        if kind == "shadow":
            img = _draw_shadow(img, veh, x0, size)
        fade = 1.0 if i < 30 else 0.85 ** (i - 29)
        op_i = 0.0
        if i >= start and target > 0:
            dens, _ = plumes.density(model, rng, size, t=i / FPS, shape=shape)
            op = 1 - np.exp(-k * fade * dens)
            img = S._compose(img, op, radiance[None, None, :])
            op_i = S.plume_opacity(op)
        present = x0 < 1.0 and x0 + 1.4 > 0.0
        if present:
            img = _draw_vehicle(img, veh, x0, size)
        # each frame drifts and shakes a little against frame 0 (the lane's empty reference)
        img = R.reference_drift(np.random.default_rng((cam_seed, i, 1)), img) if i else img
        frame = R.camera(np.random.default_rng(cam_seed), img, night=bg_kind == "night",
                         noise_rng=np.random.default_rng((cam_seed, i)))
        frames.append((np.clip(frame, 0, 1) * 255 + 0.5).astype(np.uint8))
        vehicle.append(present)
        opacity.append(op_i if kind in ("smoke", "clean") else 0.0)
    return {"frames": np.stack(frames), "vehicle": np.array(vehicle), "kind": kind,
            "level": level if kind == "smoke" else 0, "bg": bg_kind, "opacity": np.array(opacity)}


def write_video(path, frames_rgb, fps=FPS, scale=2):
    """An MJPG .avi (OpenCV can always read it back) of the RGB frames, upscaled for viewing."""
    h, w = frames_rgb.shape[1:3]
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w * scale, h * scale))
    if not out.isOpened():
        raise OSError("cannot write %s" % path)
    for f in frames_rgb:
        out.write(cv2.resize(np.ascontiguousarray(f[..., ::-1]), (w * scale, h * scale), interpolation=cv2.INTER_LINEAR))
    out.release()
