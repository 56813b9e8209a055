"""Three physically different plume models: density fields (optical depth up to a factor k) on a
size x size grid, each with a `shape` dict that fixes the geometry across the frames of a clip.

* `fbm`    a turbulent jet: a curved centreline from the outlet, widening and diluting downstream,
           domain-warped fractal noise (the first renderer's plume, kept as one model of three);
* `cloud`  a hanging cloud: one or a few soft ellipsoids with fractal density and a ragged edge,
           from a small blob up to a haze filling the crop (smoke that has left the outlet);
* `puffs`  particle based: 6-40 puffs released along a rising, wind-bent path, each an anisotropic
           Gaussian growing and thinning with age, their optical depths summed (Beer-Lambert), a
           little texture per puff. Never used for training: the held-out plume model
           (tools/smoke/dataset.py), so validation measures a plume the model never saw.

`density(model, rng, size, t, shape)` -> (density float32 HxW, shape). The level is read on the
image, not on the field (samples.plume_opacity), so the models need no common scale.
"""
from __future__ import annotations

import numpy as np

from tools.smoke.render import fbm, grid

MODELS = ("fbm", "cloud", "puffs")


def _jet(rng, size, t, shape):
    if shape is None:
        side = rng.choice(["left", "bottom", "right", "inside"], p=[0.35, 0.3, 0.2, 0.15])
        o = {"left": (rng.uniform(-0.1, 0.05), rng.uniform(0.4, 0.95)),
             "right": (rng.uniform(0.95, 1.1), rng.uniform(0.4, 0.95)),
             "bottom": (rng.uniform(0.2, 0.8), rng.uniform(0.95, 1.1)),
             "inside": (rng.uniform(0.2, 0.8), rng.uniform(0.55, 0.9))}[side]
        ang = {"left": rng.uniform(-0.6, 0.3), "right": np.pi + rng.uniform(-0.3, 0.6),
               "bottom": -np.pi / 2 + rng.uniform(-0.7, 0.7), "inside": rng.uniform(-np.pi, 0)}[side]
        shape = {"o": np.array(o, np.float32), "dir": np.array([np.cos(ang), np.sin(ang)], np.float32),
                 "rise": rng.uniform(0.0, 0.6), "w0": rng.uniform(0.04, 0.14), "spread": rng.uniform(0.15, 0.6),
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


def density(model, rng, size, t=0.0, shape=None):
    fn = {"fbm": _jet, "cloud": _cloud, "puffs": _puffs}[model]
    d, shape = fn(rng, size, t, shape)
    return d, shape
