"""Four physically different plume models: density fields (optical depth up to a factor k) on a
size x size grid, each with a `shape` dict that fixes the geometry across the frames of a clip.

* `fbm`    a turbulent jet: a curved centreline from the outlet, widening and diluting downstream,
           domain-warped fractal noise (the first renderer's plume, kept as one model of three);
* `cloud`  a hanging cloud: one or a few soft ellipsoids with fractal density and a ragged edge,
           from a small blob up to a haze filling the crop (smoke that has left the outlet);
* `puffs`  particle based: 6-40 puffs released along a rising, wind-bent path, each an anisotropic
           Gaussian growing and thinning with age, their optical depths summed (Beer-Lambert), a
           little texture per puff. Never used for training: the held-out plume model
           (tools/smoke/dataset.py), so validation measures a plume the model never saw.
* `wisps`  Lagrangian tracers (round 9): a few thousand particles leave the outlet with the exhaust
           speed and are carried by a divergence-free turbulent field (the curl of fractal noise) plus
           a random walk; the density is where they are now, each blurred by its age. It makes the
           filaments and torn edges of a plume in cross-wind, which neither noise model (fbm, cloud)
           nor the Gaussian puffs draw. A training model (`dataset.py --wisps`), never a held-out one.

`density(model, rng, size, t, shape)` -> (density float32 HxW, shape). The level is read on the
image, not on the field (samples.plume_opacity), so the models need no common scale.
"""
from __future__ import annotations

import cv2
import numpy as np

from tools.smoke.render import fbm, grid

MODELS = ("fbm", "cloud", "puffs", "wisps")

# Where an exhaust enters the crop: per side, ((x lo, x hi), (y lo, y hi)) of the outlet in crop
# units and (offset, lo, hi) of the direction's angle (offset + uniform(lo, hi)). Every side's
# numbers are drawn, in this order, whichever side is chosen (the order fixes the random stream).
SIDES, SIDE_P = ("left", "bottom", "right", "inside"), (0.35, 0.3, 0.2, 0.15)
JET_OUTLETS = {
    "left": (((-0.1, 0.05), (0.4, 0.95)), (0.0, -0.6, 0.3)),
    "right": (((0.95, 1.1), (0.4, 0.95)), (np.pi, -0.3, 0.6)),
    "bottom": (((0.2, 0.8), (0.95, 1.1)), (-np.pi / 2, -0.7, 0.7)),
    "inside": (((0.2, 0.8), (0.55, 0.9)), (0.0, -np.pi, 0.0)),
}
WISP_OUTLETS = {   # a little further inside the crop and a wider spread of directions than the jet
    "left": (((-0.05, 0.1), (0.45, 0.95)), (0.0, -0.7, 0.3)),
    "right": (((0.9, 1.05), (0.45, 0.95)), (np.pi, -0.3, 0.7)),
    "bottom": (((0.2, 0.8), (0.9, 1.05)), (-np.pi / 2, -0.8, 0.8)),
    "inside": (((0.2, 0.8), (0.55, 0.9)), (0.0, -np.pi, 0.0)),
}


def _outlet(rng, table):
    """(outlet xy, unit direction), float32, on a side drawn with SIDE_P."""
    side = rng.choice(list(SIDES), p=list(SIDE_P))
    origins = {k: (rng.uniform(*xy[0]), rng.uniform(*xy[1])) for k, (xy, _) in table.items()}
    angles = {k: off + rng.uniform(lo, hi) for k, (_, (off, lo, hi)) in table.items()}
    ang = angles[side]
    return np.array(origins[side], np.float32), np.array([np.cos(ang), np.sin(ang)], np.float32)


def _jet(rng, size, t, shape):
    if shape is None:
        o, d = _outlet(rng, JET_OUTLETS)
        shape = {"o": o, "dir": d, "rise": rng.uniform(0.0, 0.6), "w0": rng.uniform(0.04, 0.14), "spread": rng.uniform(0.15, 0.6),
                 "warp": rng.uniform(0.02, 0.08), "puff": rng.uniform(0.3, 0.8), "seed": int(rng.integers(1 << 30))}
    nrng = np.random.default_rng(shape["seed"])
    x, y = grid(size)
    big = size * 2
    wx, wy, puff = (fbm(nrng, big, big, base=4, octaves=3) for _ in range(3))
    sh = int(t * size * 0.25) % size
    crop = lambda a: a[sh:sh + size, sh // 2:sh // 2 + size]  # noqa: E731
    xw = x + shape["warp"] * crop(wx)
    yw = y + shape["warp"] * crop(wy)
    s = np.linspace(0, 1.6, 48, dtype=np.float32)
    up = np.array([0.0, -1.0], np.float32)
    cl = shape["o"][None, :] + s[:, None] * shape["dir"][None, :] + shape["rise"] * (s ** 2)[:, None] * up[None, :]
    d2 = (xw[None] - cl[:, 0, None, None]) ** 2 + (yw[None] - cl[:, 1, None, None]) ** 2
    i = np.argmin(d2, axis=0)
    dist = np.sqrt(np.take_along_axis(d2, i[None], 0)[0])
    width = shape["w0"] + shape["spread"] * s[i]
    env = np.exp(-(dist / width) ** 2) * (shape["w0"] / width) ** 0.7  # dilution downstream
    return (env * np.clip(1 + shape["puff"] * crop(puff), 0.05, None)).astype(np.float32), shape


def _cloud(rng, size, t, shape):
    if shape is None:
        n = int(rng.choice([1, 1, 2, 3]))
        big = rng.random() < 0.25  # a haze over most of the crop
        blobs = []
        for _ in range(n):
            r = rng.uniform(0.45, 0.9) if big else rng.uniform(0.15, 0.45)
            blobs.append((rng.uniform(0.0, 1.0), rng.uniform(0.1, 1.0), r, r * rng.uniform(0.5, 1.3),
                          rng.uniform(0, np.pi), rng.uniform(0.5, 1.0)))
        shape = {"blobs": blobs, "edge": rng.uniform(1.5, 4.0), "tex": rng.uniform(0.3, 0.9),
                 "drift": rng.uniform(-0.1, 0.1, 2), "seed": int(rng.integers(1 << 30))}
    nrng = np.random.default_rng(shape["seed"])
    x, y = grid(size)
    x = x - shape["drift"][0] * t
    y = y - shape["drift"][1] * t
    ragged = fbm(nrng, size, size, base=3, octaves=3)
    tex = fbm(nrng, size, size, base=5, octaves=4)
    dens = np.zeros((size, size), np.float32)
    for cx, cy, rx, ry, a, amp in shape["blobs"]:
        u = (x - cx) * np.cos(a) + (y - cy) * np.sin(a)
        v = -(x - cx) * np.sin(a) + (y - cy) * np.cos(a)
        r = np.sqrt((u / rx) ** 2 + (v / ry) ** 2) + 0.25 * ragged
        dens += amp / (1 + np.exp(shape["edge"] * 2 * (r - 1)))  # soft, ragged rim
    return (dens * np.clip(1 + shape["tex"] * tex, 0.05, None)).astype(np.float32), shape


def _puffs(rng, size, t, shape):
    if shape is None:
        o = np.array([rng.uniform(-0.1, 1.1), rng.uniform(0.6, 1.05)])
        wind = np.array([rng.uniform(-0.8, 0.8), -rng.uniform(0.1, 0.7)])
        n = int(rng.integers(6, 40))
        age = np.sort(rng.uniform(0, 1.0, n))
        shape = {"o": o, "wind": wind, "age": age, "jit": rng.normal(0, 0.06, (n, 2)),
                 "r0": rng.uniform(0.03, 0.09), "grow": rng.uniform(0.15, 0.45),
                 "ecc": rng.uniform(0.6, 1.6, n), "rot": rng.uniform(0, np.pi, n),
                 "amp": rng.uniform(0.5, 1.0, n), "tex": rng.uniform(0.0, 0.5), "seed": int(rng.integers(1 << 30))}
    x, y = grid(size)
    tex = fbm(np.random.default_rng(shape["seed"]), size, size, base=6, octaves=2)
    dens = np.zeros((size, size), np.float32)
    for i, a0 in enumerate(shape["age"]):
        a = (a0 + 0.15 * t) % 1.2
        c = shape["o"] + shape["wind"] * a * 1.4 + shape["jit"][i] * (0.3 + a)
        r = shape["r0"] + shape["grow"] * a
        u, v = x - c[0], y - c[1]
        ca, sa = np.cos(shape["rot"][i]), np.sin(shape["rot"][i])
        uu, vv = (u * ca + v * sa) / (r * shape["ecc"][i]), (-u * sa + v * ca) * shape["ecc"][i] / r
        # conserved mass: a puff's peak thins as its area grows
        dens += shape["amp"][i] * (shape["r0"] / r) ** 1.2 * np.exp(-(uu * uu + vv * vv))
    return (dens * np.clip(1 + shape["tex"] * tex, 0.05, None)).astype(np.float32), shape


WISP_STEPS = 40
WISP_AGES = 3   # age groups, each blurred once: older tracers have spread further


def _wisps(rng, size, t, shape):
    if shape is None:
        o, d = _outlet(rng, WISP_OUTLETS)
        shape = {"o": o, "dir": d, "speed": rng.uniform(0.5, 1.1), "turb": rng.uniform(0.4, 1.6), "cells": int(rng.integers(2, 6)),
                 "rise": rng.uniform(0.0, 0.5), "n": int(rng.integers(4000, 8000)), "w0": rng.uniform(0.02, 0.08),
                 "walk": rng.uniform(0.04, 0.14), "life": rng.uniform(0.8, 1.8), "blur": rng.uniform(1.0, 2.0),
                 "seed": int(rng.integers(1 << 30))}
    nrng = np.random.default_rng(shape["seed"])
    g = int(size * 1.5)                       # the field covers [-0.25, 1.25]: tracers may leave and come back
    psi = fbm(nrng, g, g, base=shape["cells"], octaves=3)
    dpy, dpx = np.gradient(psi)
    u, v = dpy * g, -dpx * g                  # curl of a stream function: no sources or sinks
    peak = max(float(max(np.abs(u).max(), np.abs(v).max())), 1e-6)
    u, v = u / peak, v / peak
    n = shape["n"]
    birth = (np.arange(n) / n + 0.2 * t) % 1.0            # continuous release; t moves it on in a clip
    age = birth * shape["life"]
    pos = shape["o"][None, :] + nrng.normal(0, shape["w0"], (n, 2)).astype(np.float32)
    walk = nrng.standard_normal((WISP_STEPS, n, 2)).astype(np.float32)
    dt = shape["life"] / WISP_STEPS
    flow = shape["speed"] * shape["dir"]
    for k in range(WISP_STEPS):
        live = age > k * dt
        ix = np.clip(((pos[:, 0] + 0.25) / 1.5 * g).astype(int), 0, g - 1)
        iy = np.clip(((pos[:, 1] + 0.25) / 1.5 * g).astype(int), 0, g - 1)
        vel = flow + shape["turb"] * np.stack([u[iy, ix], v[iy, ix]], 1) + (0.0, -shape["rise"] * k * dt)
        step = vel * dt + shape["walk"] * np.sqrt(dt) * walk[k]
        pos = np.where(live[:, None], pos + step, pos)
    dens = np.zeros((size, size), np.float32)
    group = np.minimum((age / shape["life"] * WISP_AGES).astype(int), WISP_AGES - 1)
    for a in range(WISP_AGES):
        sel = group == a
        h, _, _ = np.histogram2d(pos[sel, 1], pos[sel, 0], bins=size, range=[[0, 1], [0, 1]])
        sigma = shape["blur"] * (1 + 2.5 * a) * size / 64
        dens += cv2.GaussianBlur(h.astype(np.float32), (0, 0), sigma)
    return dens * (64.0 / size) ** 2, shape


def density(model, rng, size, t=0.0, shape=None):
    fn = {"fbm": _jet, "cloud": _cloud, "puffs": _puffs, "wisps": _wisps}[model]
    d, shape = fn(rng, size, t, shape)
    return d, shape
