"""The smoke renderer's parts: backgrounds, the camera, Beer-Lambert compositing in linear light.

    I = I_bg * T + I_smoke * (1 - T),  T = exp(-k * density)

Background families (`FAMILIES`, `background()`): road, night, rain, truck (bodies of every
colour), wall (the gate), sky, and "photo" (crops of the real CCPD street photos, split
train/eval by a stable hash: `scene_photos`). `camera()` models exposure, tone curve, small
ROIs, blur, noise and JPEG; `reference_drift()` the empty-lane frame's own drift and shake.
Samples and their truth (the level is opacity) are assembled in tools/smoke/samples.py, plume
density models live in tools/smoke/plumes.py. `plume_density`/`solve_k`/`smoke_colour` are the
first renderer's jet plume, kept for the lane test's clip (tests/lane/test_smoke_lane.py).
Everything is numpy + OpenCV, float32 sRGB images in [0, 1], RGB order, 64x64 by default.
"""
from __future__ import annotations

import glob
import hashlib
import os

import cv2
import numpy as np

SCENES_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "plates", "scenes")
SIZE = 64


def to_linear(srgb):
    return np.power(np.clip(srgb, 0.0, 1.0), 2.2)


def to_srgb(lin):
    return np.power(np.clip(lin, 0.0, 1.0), 1.0 / 2.2)


def luminance(rgb):
    return rgb[..., 0] * 0.2126 + rgb[..., 1] * 0.7152 + rgb[..., 2] * 0.0722


# ---------------------------------------------------------------- noise
def fbm(rng, h, w, base=4, octaves=4, persistence=0.55):
    """Fractal value noise in about [-1, 1]: random grids upsampled (bicubic) and summed."""
    out = np.zeros((h, w), np.float32)
    amp, total, cells = 1.0, 0.0, base
    for _ in range(octaves):
        g = rng.standard_normal((cells + 3, cells + 3)).astype(np.float32)
        up = cv2.resize(g, (w + w * 3 // cells, h + h * 3 // cells), interpolation=cv2.INTER_CUBIC)
        ox, oy = rng.integers(0, up.shape[1] - w + 1), rng.integers(0, up.shape[0] - h + 1)
        out += amp * up[oy:oy + h, ox:ox + w]
        total += amp
        amp *= persistence
        cells *= 2
    return out / (total * 0.8)


# ---------------------------------------------------------------- backgrounds
def scene_photos(split):
    """The real vehicle photos of one split: a stable hash partition, ~70 % train / 30 % eval."""
    files = sorted(glob.glob(os.path.join(os.path.abspath(SCENES_DIR), "*.jpg")))
    def bucket(f):
        return int(hashlib.sha1(os.path.basename(f).encode()).hexdigest(), 16) % 10
    return [f for f in files if (bucket(f) < 7) == (split == "train")]


class PhotoPool:
    """Decoded photos (downscaled to 580 px high) cropped at random square windows."""

    def __init__(self, files):
        self.images = []
        for f in files:
            im = cv2.imread(f, cv2.IMREAD_COLOR)
            if im is None:
                continue
            scale = 580.0 / im.shape[0]
            im = cv2.resize(im, (int(im.shape[1] * scale), 580), interpolation=cv2.INTER_AREA)
            self.images.append(cv2.cvtColor(im, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0)
        if not self.images:
            raise FileNotFoundError("no scene photos in %s" % SCENES_DIR)

    def crop(self, rng, size=SIZE):
        im = self.images[rng.integers(len(self.images))]
        s = int(rng.integers(40, min(im.shape[:2]) // 2))
        y, x = rng.integers(0, im.shape[0] - s), rng.integers(0, im.shape[1] - s)
        c = im[y:y + s, x:x + s]
        if rng.random() < 0.5:
            c = c[:, ::-1]
        return cv2.resize(c, (size, size), interpolation=cv2.INTER_AREA)


def grid(size):
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    return x / size, y / size


_grid = grid


def bg_road(rng, size=SIZE):
    x, y = _grid(size)
    base = rng.uniform(0.22, 0.55)
    tone = np.array([1.0, 1.0, 1.0]) + rng.normal(0, 0.03, 3)
    img = base + 0.05 * fbm(rng, size, size, base=3, octaves=2) + 0.04 * rng.standard_normal((size, size))
    img = img + rng.uniform(-0.08, 0.08) * (y - 0.5)  # perspective shading
    if rng.random() < 0.6:  # lane marking, a painted stripe at some angle
        a, c, wdt = rng.uniform(-1.5, 1.5), rng.uniform(0.1, 0.9), rng.uniform(0.02, 0.08)
        d = np.abs(x - (c + a * (y - 0.5)))
        paint = rng.choice([0.85, 0.8]) if rng.random() < 0.8 else 0.7
        img = np.where(d < wdt, paint - 0.1 * rng.random(), img)
    if rng.random() < 0.3:  # kerb / patch edge
        edge = rng.uniform(0.2, 0.8)
        img = np.where(y > edge, img * rng.uniform(0.7, 1.3), img)
    return np.clip(img[..., None] * tone, 0, 1).astype(np.float32)


def bg_sky(rng, size=SIZE):
    x, y = _grid(size)
    if rng.random() < 0.5:  # blue sky
        top, bot = np.array([0.35, 0.55, 0.85]), np.array([0.7, 0.8, 0.92])
    else:  # overcast / hazy
        v = rng.uniform(0.65, 0.95)
        top, bot = np.array([v, v, v * 1.02]), np.array([v + 0.05] * 3)
    top = top * rng.uniform(0.85, 1.1)
    t = y[..., None]
    img = top * (1 - t) + bot * t
    clouds = np.clip(fbm(rng, size, size, base=2, octaves=4), 0, 1)[..., None]
    img = img * (1 - 0.5 * clouds) + 0.95 * 0.5 * clouds
    if rng.random() < 0.5:  # skyline: buildings / trees under the horizon
        h = rng.uniform(0.5, 0.9) + 0.08 * fbm(rng, 1, size, base=6, octaves=2)[0]
        h = np.repeat(np.round(h * 8) / 8, 1)
        below = y > h[None, :]
        col = rng.uniform(0.15, 0.5) * np.array([1.0, 1.05, 0.95])
        img = np.where(below[..., None], col + 0.05 * rng.standard_normal((size, size, 1)), img)
    return np.clip(img, 0, 1).astype(np.float32)


def bg_gate(rng, size=SIZE):
    """Gate surroundings: wall/facade, gate bars, the boom barrier with red-white stripes."""
    x, y = _grid(size)
    wall = rng.uniform(0.35, 0.8) * (np.array([1.0, 0.97, 0.9]) + rng.normal(0, 0.04, 3))
    img = np.ones((size, size, 3), np.float32) * wall
    img *= 1 + 0.06 * fbm(rng, size, size, base=4, octaves=3)[..., None]
    if rng.random() < 0.6:  # window / tile grid
        p = rng.uniform(0.15, 0.35)
        lines = ((x % p) < 0.02) | ((y % p) < 0.02)
        img = np.where(lines[..., None], img * 0.6, img)
    if rng.random() < 0.6:  # vertical gate bars
        p, w = rng.uniform(0.06, 0.15), rng.uniform(0.01, 0.03)
        bars = (x + rng.random()) % p < w
        img = np.where(bars[..., None], rng.uniform(0.1, 0.5), img)
    if rng.random() < 0.5:  # boom barrier
        yc, th, a = rng.uniform(0.2, 0.8), rng.uniform(0.04, 0.09), rng.uniform(-0.3, 0.3)
        d = np.abs(y - (yc + a * (x - 0.5)))
        stripe = ((x * 6 + rng.random()) % 1.0) < 0.5
        col = np.where(stripe[..., None], np.array([0.85, 0.1, 0.1]), np.array([0.92, 0.92, 0.92]))
        img = np.where((d < th)[..., None], col, img)
    if rng.random() < 0.5:  # ground band
        edge = rng.uniform(0.6, 0.9)
        img = np.where((y > edge)[..., None], bg_road(rng, size), img)
    return np.clip(img, 0, 1).astype(np.float32)


def bg_night(rng, size=SIZE):
    """Night: dark scene, the gate's fill light making a lit pool, lamps and their glare, sensor noise."""
    x, y = _grid(size)
    img = np.ones((size, size, 3), np.float32) * rng.uniform(0.02, 0.08)
    img *= 1 + 0.3 * fbm(rng, size, size, base=3, octaves=2)[..., None]
    cx, cy, r = rng.uniform(0.2, 0.8), rng.uniform(0.3, 0.9), rng.uniform(0.35, 0.9)
    pool = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (r * r))
    tint = np.array([1.0, 0.95, 0.8]) if rng.random() < 0.5 else np.array([0.9, 0.95, 1.0])
    img += (rng.uniform(0.35, 0.75) * pool)[..., None] * tint * (1 + 0.1 * fbm(rng, size, size, 4, 2))[..., None]
    for _ in range(rng.integers(0, 4)):  # lamps / headlights with glare
        lx, ly, lr = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.01, 0.05)
        glare = np.exp(-((x - lx) ** 2 + (y - ly) ** 2) / (2 * (lr * 3) ** 2))
        core = ((x - lx) ** 2 + (y - ly) ** 2) < lr * lr
        img += 0.5 * glare[..., None] * np.array([1.0, 0.9, 0.7])
        img = np.where(core[..., None], 1.0, img)
    return np.clip(img, 0, 1).astype(np.float32)


def bg_wet(rng, size=SIZE):
    """Wet road: dark asphalt, smooth puddles mirroring the sky, streaked reflections of lights."""
    x, y = _grid(size)
    img = bg_road(rng, size) * rng.uniform(0.45, 0.75)
    puddle = fbm(rng, size, size, base=3, octaves=3) > rng.uniform(-0.1, 0.4)
    sky = rng.uniform(0.4, 0.85) * np.array([0.85, 0.9, 1.0])
    ripple = 1 + 0.08 * fbm(rng, size, size, base=8, octaves=2)
    img = np.where(puddle[..., None], sky * ripple[..., None] * rng.uniform(0.5, 1.0), img)
    for _ in range(rng.integers(0, 4)):  # vertical light streaks
        lx, w = rng.uniform(0, 1), rng.uniform(0.01, 0.04)
        streak = np.exp(-((x - lx) / w) ** 2) * np.clip(y * rng.uniform(0.8, 2.0), 0, 1)
        img += rng.uniform(0.2, 0.7) * streak[..., None] * np.array([1.0, 0.9, 0.75])
    return np.clip(img, 0, 1).astype(np.float32)


def add_shadow(rng, img, size=SIZE, strength=None):
    """A vehicle's cast shadow: hard-edged polygon lit only by the sky (dimmer and bluer)."""
    x, y = _grid(size)
    x0, x1 = sorted(rng.uniform(-0.3, 1.3, 2))
    y0 = rng.uniform(-0.2, 0.7)
    skew = rng.uniform(-0.6, 0.6)
    inside = (x > x0 + skew * (y - y0)) & (x < x1 + skew * (y - y0)) & (y > y0)
    if rng.random() < 0.5:  # wheel gaps / chassis notches let sun through
        gx = rng.uniform(x0, max(x1, x0 + 0.01))
        inside &= ~((np.abs(x - gx) < 0.06) & (y > y0 + 0.2))
    m = cv2.GaussianBlur(inside.astype(np.float32), (0, 0), rng.uniform(0.5, 2.0))
    s = rng.uniform(0.3, 0.65) if strength is None else strength
    shade = (1 - m * (1 - s))[..., None] * (1 - m[..., None] * np.array([0.06, 0.02, -0.05]))
    return np.clip(img * shade, 0, 1).astype(np.float32)


def add_dust_haze(rng, img, size=SIZE):
    """Road dust hanging low: tan, light, thin — another thing that is not black smoke."""
    x, y = _grid(size)
    d = np.clip(0.5 + 0.5 * fbm(rng, size, size, base=3, octaves=3), 0, 1) * np.clip((y - 0.2) * 1.5, 0, 1)
    T = np.exp(-rng.uniform(0.2, 1.2) * d)[..., None]
    lin = to_linear(img) * T + to_linear(np.array([0.7, 0.62, 0.5]) * rng.uniform(0.8, 1.1)) * (1 - T)
    return to_srgb(lin).astype(np.float32)


# Truck bodies of every colour: paint in linear reflectance, from black to white
PAINTS = {"white": (0.85, 0.85, 0.85), "silver": (0.55, 0.56, 0.58), "grey": (0.25, 0.25, 0.26),
          "black": (0.03, 0.03, 0.035), "red": (0.6, 0.05, 0.04), "blue": (0.04, 0.12, 0.5),
          "darkblue": (0.02, 0.04, 0.15), "green": (0.06, 0.3, 0.08), "yellow": (0.75, 0.6, 0.05),
          "orange": (0.8, 0.3, 0.03), "brown": (0.2, 0.1, 0.05), "cement": (0.45, 0.42, 0.38)}


def truck_panel(rng, size=SIZE, paint=None):
    """The rear or side of a truck filling the crop: painted panel (any colour, dirt towards the
    bottom), container ribs or seams, door locking bars, tail lights, a specular band."""
    x, y = grid(size)
    name = paint or rng.choice(list(PAINTS))
    col = np.array(PAINTS[name]) * rng.uniform(0.7, 1.2) * (1 + rng.normal(0, 0.05, 3))
    img = np.ones((size, size, 3), np.float32) * col
    dirt = np.clip((y - rng.uniform(0.3, 1.0)) * rng.uniform(0, 2.0), 0, 1)[..., None]
    img = img * (1 - 0.6 * dirt) + 0.12 * dirt * np.array([0.8, 0.7, 0.55])
    kind = rng.choice(["ribs", "seams", "doors", "tarp"])
    if kind == "ribs":  # corrugated container: a periodic shading across x
        p = rng.uniform(0.04, 0.12)
        img = img * (1 + rng.uniform(0.1, 0.35) * np.sin(2 * np.pi * (x + rng.random()) / p))[..., None]
    elif kind == "seams":
        for _ in range(rng.integers(1, 4)):
            e = rng.uniform(0, 1)
            img = np.where((np.abs((y if rng.random() < 0.5 else x) - e) < 0.012)[..., None], img * 0.4, img)
    elif kind == "doors":  # two door leaves, vertical locking bars, hinges
        img = np.where((np.abs(x - rng.uniform(0.4, 0.6)) < 0.01)[..., None], img * 0.3, img)
        for bx in rng.uniform(0.05, 0.95, rng.integers(1, 5)):
            img = np.where((np.abs(x - bx) < 0.015)[..., None], np.array([0.5, 0.5, 0.52]) * rng.uniform(0.3, 1), img)
    else:  # tarpaulin: folds
        img = img * (1 + 0.25 * fbm(rng, size, size, base=3, octaves=3))[..., None]
    if rng.random() < 0.4:  # tail lights / reflectors
        lx, ly = rng.uniform(0, 1), rng.uniform(0.5, 1)
        lamp = (np.abs(x - lx) < rng.uniform(0.04, 0.12)) & (np.abs(y - ly) < rng.uniform(0.02, 0.06))
        img = np.where(lamp[..., None], np.array([0.7, 0.06, 0.03]) if rng.random() < 0.7 else np.array([0.8, 0.45, 0.0]), img)
    if rng.random() < 0.5:  # specular reflection of the sky on the paint
        band = np.exp(-((y - rng.uniform(0, 1)) / rng.uniform(0.05, 0.25)) ** 2)
        img = img + rng.uniform(0.05, 0.3) * band[..., None]
    img = img * (1 + 0.04 * fbm(rng, size, size, base=6, octaves=2))[..., None]
    return to_srgb(np.clip(img, 0, 1)).astype(np.float32)


def bg_truck(rng, size=SIZE):
    """Background family "truck": the plume seen over a vehicle body (alone, or its edge against the road)."""
    img = truck_panel(rng, size)
    if rng.random() < 0.4:  # the body's edge: road (or yard) beyond it
        x, y = grid(size)
        e = rng.uniform(0.2, 0.8)
        side = (x > e) if rng.random() < 0.5 else (y > e)
        img = np.where(side[..., None], bg_road(rng, size), img)
    return img.astype(np.float32)


def bg_wall(rng, size=SIZE):
    return bg_gate(rng, size)


FAMILIES = {"road": bg_road, "night": bg_night, "rain": bg_wet, "truck": bg_truck, "wall": bg_wall, "sky": bg_sky,
            "gate": bg_gate, "wet": bg_wet}


def background(rng, kind, photos=None, size=SIZE):
    """One background of a family; "photo" (and the first renderer's "scene") crops the real photos."""
    if kind in ("photo", "scene"):
        return photos.crop(rng, size)
    return FAMILIES[kind](rng, size)


# ---------------------------------------------------------------- plume
def plume_density(rng, size=SIZE, t=0.0, shape=None):
    """(density, body mask, shape) of the turbulent jet (plumes.py's "fbm" model); the body is
    where the density is at least 35 % of its peak."""
    from tools.smoke import plumes  # plumes builds on this module
    dens, shape = plumes.density("fbm", rng, size, t, shape)
    return dens, dens >= 0.35 * dens.max(), shape


BODY_FRACTION = 0.35


def plume_blackness(b):
    """The chart reading of a blackness field b = 1 - I / I_bg: its mean over the visible plume,
    the pixels at least 35 % as black as the plume's 98th percentile. Defined on what the image
    shows (not on a hidden density envelope), so the label is observable from the pixels."""
    p98 = float(np.percentile(b, 98))
    if p98 <= 0.01:
        return float(max(0.0, p98))
    return float(b[b >= BODY_FRACTION * p98].mean())


def solve_k(dens, mask, target, weight=None):
    """Extinction k for a target: with no weight, the mean opacity 1 - exp(-k * density) over the
    plume body `mask` (steam, dust); with the contrast weight of black smoke, the plume's
    blackness as plume_blackness() reads it."""
    if target <= 0:
        return 0.0
    d = dens[mask]
    lo, hi = -6.0, 9.0  # bisection on log k
    for _ in range(30):
        mid = (lo + hi) / 2
        if weight is None:
            v = np.mean(1 - np.exp(-np.exp(mid) * d))
        else:
            v = plume_blackness(weight * (1 - np.exp(-np.exp(mid) * dens)))
        if v < target:
            lo = mid
        else:
            hi = mid
    return float(np.exp((lo + hi) / 2))


def composite(bg_srgb, dens, k, smoke_rgb_linear):
    """Beer-Lambert over a background, in linear light; returns (sRGB image, transmittance)."""
    T = np.exp(-k * dens)[..., None]
    lin = to_linear(bg_srgb) * T + smoke_rgb_linear * (1 - T)
    return to_srgb(lin).astype(np.float32), T[..., 0]


def smoke_colour(rng, kind, ambient, dens=None):
    """Linear radiance of the plume medium: soot absorbs (0.5-3.5 % of the ambient light comes back); steam and dust scatter."""
    if kind == "black":
        grey = rng.uniform(0.005, 0.035) * ambient
        return np.array([grey, grey, grey * rng.uniform(1.0, 1.15)], np.float32)
    if kind == "steam":  # bright, with self-shading where thick
        c = rng.uniform(0.7, 1.0) * ambient * np.array([1.0, 1.0, rng.uniform(1.0, 1.08)], np.float32)
        if dens is not None:
            shade = 1 - rng.uniform(0.0, 0.35) * np.clip(dens / (dens.max() + 1e-6), 0, 1)
            return (c[None, None, :] * shade[..., None]).astype(np.float32)
        return c
    if kind == "dust":
        return (rng.uniform(0.35, 0.6) * ambient * np.array([1.0, 0.85, 0.65])).astype(np.float32)
    raise ValueError(kind)


def camera(rng, img, night=False, noise_rng=None):
    """Sensor and codec: exposure/white balance, tone curve, low resolution, defocus or motion blur,
    noise, JPEG. Exposure scales plume and background alike, so the opacity is unchanged.
    `noise_rng` (clips, references) draws only the sensor noise, so a clip and its reference keep
    one exposure and codec setting."""
    lin = to_linear(img) * rng.uniform(0.75, 1.25) * (1 + rng.normal(0, 0.03, 3))
    out = np.power(np.clip(lin, 0, 1), 1.0 / rng.uniform(2.0, 2.4))  # cameras' curves differ from sRGB's
    h, w = out.shape[:2]
    if rng.random() < 0.15:  # a small ROI in the camera frame, scaled up to the model's input
        f = rng.uniform(0.45, 0.9)
        small = cv2.resize(out, (max(8, int(w * f)), max(8, int(h * f))), interpolation=cv2.INTER_AREA)
        out = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    r = rng.random()
    if r < 0.35:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 1.0))
    elif r < 0.5:  # motion blur along a random direction
        n = int(rng.integers(3, 6))
        k = np.zeros((n, n), np.float32)
        k[n // 2, :] = 1.0 / n
        k = cv2.warpAffine(k, cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), rng.uniform(0, 180), 1.0), (n, n))
        out = cv2.filter2D(out, -1, k / max(k.sum(), 1e-6))
    sigma = rng.uniform(0.01, 0.04) if night else rng.uniform(0.002, 0.015)
    out = np.clip(out + (noise_rng or rng).normal(0, sigma, out.shape), 0, 1)
    if rng.random() < 0.8:
        q = int(rng.integers(40, 95))
        ok, buf = cv2.imencode(".jpg", (out[..., ::-1] * 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, q])
        out = cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1].astype(np.float32) / 255.0
    return out.astype(np.float32)


def reference_drift(rng, scene):
    """The empty-lane frame is another frame: besides its own sensor noise and JPEG (camera()),
    auto-exposure and white balance drift a little (+-6 % gain, +-2 % per channel) and the mast
    shakes by up to 1.5 px. Without this a reference-aware model could learn pixel-exact
    subtraction, which no real lane offers."""
    gain = rng.uniform(0.94, 1.06) * (1 + rng.uniform(-0.02, 0.02, 3))
    out = to_srgb(to_linear(scene) * gain).astype(np.float32)
    if rng.random() < 0.7:
        dx, dy = rng.uniform(-1.5, 1.5, 2)
        m = np.float32([[1, 0, dx], [0, 1, dy]])
        out = cv2.warpAffine(out, m, (out.shape[1], out.shape[0]), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REFLECT)
    return out
