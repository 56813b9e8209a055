"""Synthetic Chinese plates after GA 36-2018 layouts, and synthetic scenes around them.

    .venv/bin/python -m tools.lpr.render --out var/lpr/synth --per-kind 40 [--seed 1]
        writes <kind>_<n>.png (a scene) + labels.tsv (file, plate, color, kind, corners)

Kinds: blue, yellow, yellow_two_row, green (small new energy, 8 chars), yellow_green (large
new energy), white (police 警), black (港/澳 / 领). Provinces are drawn uniformly from all 31.
Two typefaces:
- "font" (renderer A): Noto Sans CJK Bold / WenQuanYi Zen Hei from Debian, stretched into the GA 36
  character cells -- not the plate typeface; the measuring sets of earlier rounds.
- "glyph" (renderer B, `GlyphSet`): character images of the plate typeface and the plate blanks of
  leijd/chinese_license_plate_generator (MIT, glyphs traced from real plates), placed in
  var/lpr/glyphs (font_model/, plate_model/: `sh tools/lpr/get_glyphs.sh`); with embossing, paint wear, mud and bars
  (`realism`). What the recogniser and the colour model train on since round 3. A measuring
  set made with one renderer says little about a model trained on the same renderer.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from edge.vision.plates.formats import LETTERS, NEV_LARGE_LAST, PROVINCES

ROOT = Path(__file__).resolve().parents[2]
GLYPHS = Path(os.environ.get("LPR_GLYPHS", ROOT / "var" / "lpr" / "glyphs"))

FONTS = ["/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
         "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"]
DIGITS = "0123456789"
SERIAL = LETTERS + DIGITS

# background RGB, ink RGB per colour
PALETTE = {
    "blue": ((18, 65, 190), (245, 245, 245)),
    "yellow": ((240, 190, 20), (15, 15, 15)),
    "white": ((235, 235, 235), (15, 15, 15)),
    "black": ((20, 20, 20), (240, 240, 240)),
    "green": ((90, 200, 110), (15, 15, 15)),
    "yellow_green": ((90, 190, 100), (15, 15, 15)),
}
KINDS = ("blue", "yellow", "yellow_two_row", "green", "yellow_green", "white", "black")

_glyph_cache = {}


def _glyph(ch, font_path):
    """Tight grey glyph mask (uint8) of `ch`, cached."""
    key = (ch, font_path)
    if key not in _glyph_cache:
        font = ImageFont.truetype(font_path, 120)
        im = Image.new("L", (320, 320), 0)
        ImageDraw.Draw(im).text((80, 60), ch, fill=255, font=font)
        a = np.array(im)
        ys, xs = np.nonzero(a > 40)
        _glyph_cache[key] = a[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    return _glyph_cache[key]


class GlyphSet:
    """The plate typeface as images (black ink on white), by family: "140" single-row plates,
    "green" new-energy plates, "220" / "220_up" / "220_down" the rows of two-row plates; and
    the plate blanks (frame, rivet holes, the NEV gradient and the yellow|green split)."""

    TEMPLATES = {"blue": "blue_140", "yellow": "yellow_140", "yellow_two_row": "yellow_220",
                 "white": "white_140", "black": "black_140", "green": "green_car_140",
                 "yellow_green": "green_truck_140"}

    def __init__(self, root=GLYPHS):
        root = Path(root)
        self.masks = {}
        for f in sorted((root / "font_model").glob("*.jpg")):
            family, ch = f.stem.rsplit("_", 1)
            g = cv2.imdecode(np.fromfile(str(f), np.uint8), cv2.IMREAD_GRAYSCALE)
            a = 255 - g
            ys, xs = np.nonzero(a > 60)
            self.masks[(family, ch)] = a[ys.min():ys.max() + 1, xs.min():xs.max() + 1] if ys.size else a
        self.blanks = {}
        for kind, name in self.TEMPLATES.items():
            f = root / "plate_model" / (name + ".PNG")
            if f.is_file():
                self.blanks[kind] = cv2.imdecode(np.fromfile(str(f), np.uint8), cv2.IMREAD_COLOR)[..., ::-1]
        if not self.masks:
            raise FileNotFoundError("no plate glyphs in %s (font_model/*.jpg): see tools/lpr/render.py" % root)

    def mask(self, ch, families):
        for fam in families:
            if (fam, ch) in self.masks:
                return self.masks[(fam, ch)]
        return self.masks[("140", ch)]

    def blank(self, kind, w, h):
        b = self.blanks.get(kind)
        return None if b is None else cv2.resize(b, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)


_glyphsets = {}


def glyphset(root=GLYPHS):
    if root not in _glyphsets:
        _glyphsets[root] = GlyphSet(root)
    return _glyphsets[root]


def _put(canvas, ch, x, y, w, h, ink, font_path, stroke=0, families=None, alpha_out=None):
    g = glyphset().mask(ch, families) if families else _glyph(ch, font_path)
    if stroke:  # thicker (>0) or thinner (<0) strokes than the font's, in px of the 120 px glyph
        k = np.ones((2 * abs(stroke) + 1,) * 2, np.uint8)
        g = cv2.dilate(g, k) if stroke > 0 else cv2.erode(g, k)
    if ch in "1":          # a narrow glyph keeps its width and is centred in the cell
        gw = max(4, int(g.shape[1] * h / g.shape[0]))
        g = cv2.resize(g, (min(gw, w), h))
        x += (w - g.shape[1]) // 2
    else:
        g = cv2.resize(g, (w, h))
    a = (g.astype(np.float32) / 255.0)[..., None]
    region = canvas[y:y + h, x:x + g.shape[1]]
    region[:] = region * (1 - a) + np.array(ink, np.float32) * a
    if alpha_out is not None:
        sub = alpha_out[y:y + h, x:x + g.shape[1]]
        np.maximum(sub, a[..., 0], out=sub)


def random_text(kind, rng):
    p = PROVINCES[rng.integers(len(PROVINCES))]
    L = LETTERS[rng.integers(len(LETTERS))]
    ser = lambda n, pool=SERIAL: "".join(pool[rng.integers(len(pool))] for _ in range(n))
    if kind == "green":
        return p + L + "DF"[rng.integers(2)] + ser(1) + ser(4, DIGITS)
    if kind == "yellow_green":
        return p + L + ser(5, DIGITS) + NEV_LARGE_LAST[rng.integers(2)]
    if kind == "white":
        return p + L + ser(4) + "警"
    if kind == "black":
        return ("粤Z" + ser(4) + "港澳"[rng.integers(2)]) if rng.random() < 0.5 else (p + L + ser(4) + "领")
    if kind in ("yellow", "yellow_two_row") and rng.random() < 0.2:
        return p + L + ser(4) + ("挂" if kind == "yellow_two_row" else "学")
    return p + L + ser(5)


def colour_of(kind):
    return "yellow" if kind == "yellow_two_row" else kind


GLYPH = "glyph"      # font_path for the plate typeface (GlyphSet) instead of a TrueType font


def render_plate(text, kind, rng=None, font_path=None, scale=1.0, stroke=0):
    """RGB float32 plate image (mm -> px at `scale` px/mm) and its colour word; `stroke`
    thickens (>0) or thins (<0) the glyphs (training diversity; 0 for the measuring sets).
    `font_path` GLYPH: the plate typeface on the plate blank, with `realism`."""
    rng = rng or np.random.default_rng(0)
    font_path = font_path or FONTS[0]
    color = colour_of(kind)
    bg, ink = PALETTE[color]
    two_row = kind == "yellow_two_row"
    W, H = (440, 220) if two_row else ((480, 140) if len(text) == 8 else (440, 140))
    glyphs = font_path == GLYPH
    blank = glyphset().blank(kind, W, H) if glyphs else None
    if blank is not None:
        img = blank
    else:
        img = np.empty((H, W, 3), np.float32)
        img[:] = bg
        if color == "green":       # light-to-green vertical gradient
            t = np.linspace(0, 1, H)[:, None, None]
            img[:] = (1 - t) * np.array((235, 250, 235)) + t * np.array((60, 190, 90))
        if color == "yellow_green":  # yellow block on the left, green on the right
            img[:, :int(W * 0.3)] = PALETTE["yellow"][0]
        # frame line
        cv2.rectangle(img, (4, 4), (W - 5, H - 5), tuple(float(c) for c in ink), 3)
    alpha = np.zeros((H, W), np.float32) if glyphs else None
    red = (200, 20, 20)
    if glyphs:
        single = ("green", "140") if color in ("green", "yellow_green") else ("140",)
        top, bottom = ("220_up", "220", "140"), ("220_down", "220", "140")
    else:
        single = top = bottom = None
    if two_row:
        for i, ch in enumerate(text[:2]):
            _put(img, ch, 110 + i * 140, 15, 80, 60, ink, font_path, stroke, top, alpha)
        for i, ch in enumerate(text[2:]):
            _put(img, ch, 27 + i * 80, 90, 65, 110, red if ch == "警" else ink, font_path, stroke, bottom, alpha)
    elif len(text) == 8:
        xs = [15, 67, 161, 213, 265, 317, 369, 421]
        for x, ch in zip(xs, text):
            _put(img, ch, x, 25, 43, 90, ink, font_path, stroke, single, alpha)
        if blank is None:
            cv2.circle(img, (136, 70), 5, tuple(float(c) for c in ink), -1)
    else:
        xs = [15, 72, 151, 208, 265, 322, 379]
        for x, ch in zip(xs, text):
            _put(img, ch, x, 25, 45, 90, red if ch == "警" else ink, font_path, stroke, single, alpha)
        if blank is None:
            cv2.circle(img, (134, 70), 5, tuple(float(c) for c in ink), -1)
    if glyphs:
        img = realism(img, alpha, rng, kind)
    if scale != 1.0:
        img = cv2.resize(img, (int(W * scale), int(H * scale)), interpolation=cv2.INTER_AREA)
    return img, color


def realism(img, alpha, rng, kind):
    """What a plate on a truck looks like after some years: the background tint of the batch,
    embossed characters (a lit and a shaded edge), worn paint, dust and mud (heavier at the
    bottom), and now and then the bars of a bull-bar or a number frame in front of it."""
    h, w = img.shape[:2]
    img = _recolour(img, alpha, rng, kind)
    out = img * rng.uniform(0.8, 1.1, 3) + rng.uniform(-15, 15, 3)           # batch tint
    if rng.random() < 0.7:                                                  # embossing
        dx, dy = int(rng.integers(-2, 3)), int(rng.integers(1, 3))
        shifted = np.roll(np.roll(alpha, dy, 0), dx, 1)
        edge = (shifted - alpha)[..., None]
        out = out + edge * rng.uniform(-70, 70)
    if rng.random() < 0.4:                                                  # paint wear on the ink
        noise = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), rng.uniform(1.5, 4))
        worn = (noise > np.quantile(noise, rng.uniform(0.75, 0.95))).astype(np.float32)[..., None]
        worn = worn * alpha[..., None]                                     # worn ink shows the plate
        out = out * (1 - worn) + worn * out.mean((0, 1))
    if rng.random() < 0.5:                                                  # dust / mud
        noise = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), rng.uniform(4, 15))
        noise = (noise - noise.min()) / max(1e-6, float(np.ptp(noise)))
        if kind in ("yellow", "yellow_two_row") or rng.random() < 0.3:
            noise = noise * np.linspace(0.3, 1.3, h)[:, None]               # mud from the wheels
        amount = rng.uniform(0.1, 0.55) * noise[..., None]
        mud = np.array(rng.uniform((90, 70, 40), (150, 125, 95)), np.float32)
        out = out * (1 - amount) + mud * amount
    if rng.random() < 0.12:                                                 # bars in front
        for _ in range(int(rng.integers(1, 3))):
            t = int(rng.integers(4, 12))
            col = tuple(float(v) for v in rng.uniform(10, 90, 3))
            if rng.random() < 0.6:
                y = int(rng.integers(0, h))
                cv2.rectangle(out, (0, y), (w, y + t), col, -1)
            else:
                x = int(rng.choice([rng.integers(0, w // 8), rng.integers(w * 7 // 8, w)]))
                cv2.rectangle(out, (x, 0), (x + t, h), col, -1)
    return np.clip(out, 0, 255)


# Background colours real plates come in (RGB ranges): the blanks' navy is one end of the blue
# plates cameras see (most look a bright, saturated blue); yellows run from lemon to orange.
BACKGROUNDS = {"blue": ((0, 30, 120), (60, 120, 255)), "yellow": ((200, 150, 0), (255, 215, 60)),
               "yellow_two_row": ((200, 150, 0), (255, 215, 60)), "white": ((200, 200, 200), (250, 250, 250)),
               "black": ((0, 0, 0), (50, 50, 50))}


def _recolour(img, alpha, rng, kind):
    """The blank's background (pixels near its median colour, not ink) set to a colour drawn
    from BACKGROUNDS[kind], its shading kept."""
    if kind not in BACKGROUNDS:
        return img
    lo, hi = BACKGROUNDS[kind]
    target = rng.uniform(lo, hi).astype(np.float32)
    if kind.startswith("yellow"):           # keep it yellow-orange, never lime
        target[1] = target[0] * rng.uniform(0.6, 0.85)
    med = np.median(img[alpha < 0.1], axis=0)
    bg = (np.abs(img - med).sum(2) < 60) & (alpha < 0.1)
    out = img.copy()
    out[bg] = img[bg] - med + target
    return np.clip(out, 0, 255)


def cast(img_bgr, rng, strength=1.0):
    """A camera's colour: white balance off by up to +-25 % per channel, gamma, saturation."""
    x = img_bgr.astype(np.float32) * (1 + rng.uniform(-0.25, 0.25, 3) * strength)
    x = 255 * (np.clip(x, 0, 255) / 255) ** rng.uniform(0.7, 1.4)
    grey = x.mean(2, keepdims=True)
    x = grey + (x - grey) * rng.uniform(0.55, 1.3)
    return np.clip(x, 0, 255).astype(np.uint8)


def degrade(img, rng, night=False, dirt=True):
    """Blur, dirt (`dirt`), glare, noise, JPEG on a float RGB image -> uint8 BGR."""
    h, w = img.shape[:2]
    out = img.copy()
    for _ in range(rng.integers(0, 4) if dirt else 0):          # dirt blotches
        cx, cy, r = rng.integers(w), rng.integers(h), rng.integers(3, max(4, w // 15))
        cv2.circle(out, (int(cx), int(cy)), int(r), tuple(float(v) for v in rng.uniform(60, 120, 3)), -1)
    out = cv2.addWeighted(out, 0.85, img, 0.15, 0)
    if rng.random() < 0.3:                        # glare: a bright elliptical patch
        mask = np.zeros((h, w), np.float32)
        cv2.ellipse(mask, (int(rng.integers(w)), int(rng.integers(h))),
                    (int(rng.integers(w // 10 + 2, w // 3 + 3)), int(rng.integers(h // 10 + 2, h // 3 + 3))),
                    0, 0, 360, 1.0, -1)
        mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, w / 40))[..., None]
        out = out * (1 - 0.6 * mask) + 255 * 0.6 * mask
    if night:
        out = out * rng.uniform(0.25, 0.5) + rng.normal(0, 8, out.shape)
    k = rng.choice([0, 0, 1, 2])
    if k:
        out = cv2.GaussianBlur(out, (0, 0), float(k) * 0.6)
    out = out + rng.normal(0, rng.uniform(2, 8), out.shape)
    out = np.clip(out, 0, 255).astype(np.uint8)[..., ::-1]
    q = int(rng.integers(40, 90))
    return cv2.imdecode(cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, q])[1], cv2.IMREAD_COLOR)


def paste(canvas, plate_rgb, pts):
    """`canvas` (float RGB) with the plate warped onto the quad `pts` (TL, TR, BR, BL)."""
    H, W = canvas.shape[:2]
    ph, pw = plate_rgb.shape[:2]
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    m = cv2.getPerspectiveTransform(src, np.asarray(pts, np.float32))
    warped = cv2.warpPerspective(plate_rgb, m, (W, H), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.ones((ph, pw), np.float32), m, (W, H))[..., None]
    return canvas * (1 - mask) + warped * mask


def scene(plate_rgb, rng, size=(1280, 720), night=False, width_frac=(0.12, 0.3)):
    """Place a plate into a synthetic frame with perspective, `width_frac` of the frame wide
    (a range). -> (BGR uint8 frame, corners TL,TR,BR,BL)."""
    W, H = size
    ph, pw = plate_rgb.shape[:2]
    frame = np.empty((H, W, 3), np.float32)
    base = rng.uniform(40, 200, 3)
    grad = np.linspace(0.6, 1.2, H)[:, None, None]
    frame[:] = base * grad
    for _ in range(6):                            # vehicle-ish blocks
        x1, y1 = rng.integers(0, W), rng.integers(0, H)
        cv2.rectangle(frame, (int(x1), int(y1)), (int(x1 + rng.integers(50, 500)), int(y1 + rng.integers(30, 300))),
                      tuple(float(v) for v in rng.uniform(0, 255, 3)), -1)
    frame += rng.normal(0, 10, frame.shape)
    target_w = rng.uniform(*width_frac) * W
    s = target_w / pw
    tw, th = pw * s, ph * s
    cx, cy = rng.uniform(tw, W - tw), rng.uniform(th, H - th)
    ang = np.deg2rad(rng.uniform(-10, 10))
    base_pts = np.array([[-tw / 2, -th / 2], [tw / 2, -th / 2], [tw / 2, th / 2], [-tw / 2, th / 2]])
    rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
    pts = base_pts @ rot.T
    pts += rng.normal(0, th * 0.08, pts.shape)         # perspective jitter
    yaw = rng.uniform(-0.25, 0.25)                      # one side nearer
    pts[[1, 2], 1] *= 1 + yaw
    pts[[0, 3], 1] *= 1 - yaw
    pts += (cx, cy)
    return degrade(paste(frame, plate_rgb, pts), rng, night), pts.astype(np.float32)


def loose_crop(plate_rgb, rng, max_angle=12.0, margin=0.04):
    """A crop as a box label cuts it: the plate tilted by up to `max_angle` degrees on a
    background, cut by its axis-aligned bounding box plus `margin` -> float RGB image."""
    ph, pw = plate_rgb.shape[:2]
    s = rng.uniform(120, 200) / pw
    W, H = int(pw * s * 1.6), int(ph * s * 3)
    canvas = np.empty((H, W, 3), np.float32)
    canvas[:] = rng.uniform(30, 200, 3)
    a = np.deg2rad(rng.uniform(-max_angle, max_angle))
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    pts = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float64) * (pw * s / 2, ph * s / 2) @ rot.T + (W / 2, H / 2)
    img = paste(canvas, plate_rgb, pts)
    (x1, y1), (x2, y2) = pts.min(0), pts.max(0)
    mx, my = margin * (x2 - x1), margin * (y2 - y1)
    return img[max(0, int(y1 - my)):int(y2 + my), max(0, int(x1 - mx)):int(x2 + mx)]


TRUCK_KINDS = ("yellow", "yellow_two_row", "yellow_trailer", "yellow_green", "green", "blue")


def truck_text(kind, rng):
    """Plate text and render kind for the truck set: 挂 trailers are two-row yellow plates."""
    if kind == "yellow_trailer":
        t = random_text("yellow", rng)
        return t[:6] + "挂", "yellow_two_row"
    if kind == "yellow_two_row":
        t = random_text("yellow", rng)
        return (t if t[-1] not in "学挂" else t[:6] + "8"), kind
    return random_text(kind, rng), kind


def truck_scene(plate_rgb, rng, size=(1920, 1080), night=False, width_frac=(0.08, 0.16), bars=None):
    """A lorry's front or rear filling most of a gate camera's frame, the plate on the bumper
    (or the tailboard), `width_frac` of the frame wide, seen from above at an angle; sometimes
    behind the bars of a bull-bar or a guard (`bars` None: 30 %), mud splashed over the lower
    body. -> (BGR uint8 frame, plate corners TL, TR, BR, BL)."""
    W, H = size
    ph, pw = plate_rgb.shape[:2]
    frame = np.empty((H, W, 3), np.float32)
    frame[:] = rng.uniform(60, 170, 3) * np.linspace(0.7, 1.15, H)[:, None, None]   # yard, sky
    cab = rng.uniform(20, 230, 3)
    x0, x1 = int(W * rng.uniform(0.05, 0.2)), int(W * rng.uniform(0.8, 0.95))
    y0, y1 = int(H * rng.uniform(0.0, 0.1)), int(H * rng.uniform(0.85, 1.0))
    cv2.rectangle(frame, (x0, y0), (x1, y1), tuple(float(v) for v in cab), -1)          # cab / tailboard
    if rng.random() < 0.6:                                                              # windscreen
        cv2.rectangle(frame, (x0 + 40, y0 + 30), (x1 - 40, int(H * 0.4)), tuple(float(v) for v in rng.uniform(20, 90, 3)), -1)
    gy0, gy1 = int(H * 0.45), int(H * 0.62)                                             # grille slats
    for y in range(gy0, gy1, int(rng.integers(14, 30))):
        cv2.rectangle(frame, (x0 + 80, y), (x1 - 80, y + 6), tuple(float(v) for v in rng.uniform(10, 80, 3)), -1)
    by = int(H * rng.uniform(0.66, 0.74))                                               # bumper
    cv2.rectangle(frame, (x0, by), (x1, by + int(H * 0.12)), tuple(float(v) for v in rng.uniform(20, 120, 3)), -1)
    for _ in range(2):                                                                  # lamps
        cx = int(rng.uniform(x0 + 60, x1 - 60))
        cv2.circle(frame, (cx, by + 40), int(rng.integers(20, 45)), (230, 220, 180), -1)
    frame += rng.normal(0, 8, frame.shape)
    tw = rng.uniform(*width_frac) * W
    th = tw * ph / pw
    cx = rng.uniform(max(x0 + tw, W * 0.3), min(x1 - tw, W * 0.7))
    cy = by + rng.uniform(0.2, 0.8) * H * 0.12
    base = np.array([[-tw / 2, -th / 2], [tw / 2, -th / 2], [tw / 2, th / 2], [-tw / 2, th / 2]])
    ang = np.deg2rad(rng.uniform(-6, 6))
    rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
    pts = base @ rot.T
    pts[:2, 0] *= rng.uniform(0.85, 1.0)          # seen from above: the top edge looks shorter
    yaw = rng.uniform(-0.2, 0.2)
    pts[[1, 2], 1] *= 1 + yaw
    pts[[0, 3], 1] *= 1 - yaw
    pts += rng.normal(0, th * 0.04, pts.shape) + (cx, cy)
    frame = paste(frame, plate_rgb, pts)
    if bars if bars is not None else rng.random() < 0.3:                               # bull-bar / guard
        col = tuple(float(v) for v in rng.uniform(20, 200, 3))
        t = int(max(3, th * rng.uniform(0.05, 0.1)))
        for x in np.linspace(pts[:, 0].min() - tw * 0.3, pts[:, 0].max() + tw * 0.3, int(rng.integers(2, 5))):
            cv2.rectangle(frame, (int(x), int(H * 0.55)), (int(x) + t, H), col, -1)
        if rng.random() < 0.5:
            y = int(rng.uniform(pts[:, 1].min(), pts[:, 1].max()))
            cv2.rectangle(frame, (x0, y), (x1, y + t), col, -1)
    if rng.random() < 0.5:                                                              # mud splashes
        for _ in range(int(rng.integers(5, 25))):
            c = (int(rng.uniform(x0, x1)), int(rng.uniform(by - th, H)))
            cv2.circle(frame, c, int(rng.integers(3, max(4, int(th * 0.15)))),
                       tuple(float(v) for v in rng.uniform((70, 55, 35), (140, 115, 85))), -1)
    return degrade(frame, rng, night, dirt=False), pts.astype(np.float32)


def close_view(plate, rng):
    """A plate seen the way the lane's reader sees one: a small perspective view with some
    surroundings (90-240 px wide), degraded (blur, dirt, glare, night, JPEG, colour cast), and
    the detector's corners for it (a few percent off, biased outward) -> (BGR, corners)."""
    ph, pw = plate.shape[:2]
    # target plate width in pixels: CCPD-like crops are 80-200 px wide
    s = rng.uniform(90, 240) / pw
    mx, my = 0.15 * pw * s, 0.35 * ph * s
    W, H = int(pw * s + 2 * mx), int(ph * s + 2 * my)
    canvas = np.empty((H, W, 3), np.float32)
    canvas[:] = rng.uniform(20, 220, 3)
    canvas += 12 * rng.standard_normal(canvas.shape, dtype=np.float32)
    tw, th = pw * s, ph * s
    pts = np.array([[mx, my], [mx + tw, my], [mx + tw, my + th], [mx, my + th]], np.float64)
    ang = np.deg2rad(rng.uniform(-8, 8))
    c = pts.mean(0)
    rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
    pts = (pts - c) @ rot.T + c
    pts += rng.normal(0, th * 0.05, pts.shape)
    yaw = rng.uniform(-0.2, 0.2)
    pts[[1, 2], 1] = c[1] + (pts[[1, 2], 1] - c[1]) * (1 + yaw)
    pts[[0, 3], 1] = c[1] + (pts[[0, 3], 1] - c[1]) * (1 - yaw)
    img = degrade(paste(canvas, plate, pts), rng, night=rng.random() < 0.2)
    if rng.random() < 0.5:
        img = cast(img, rng)
    # the detector's corners: a few percent off the true ones, biased outward
    jitter = rng.normal(0.01, 0.03, (4, 2)) * np.array([tw, th])
    out = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float64)
    corners = (pts + out * jitter).astype(np.float32)
    return img, corners


def make_set(out, per_kind, seed=1, kinds=KINDS, crops=False, size=(1280, 720), width_frac=(0.12, 0.3),
             loose=False, typeface="font", truck=False):
    """`crops`: the plate alone (`loose`: tilted and cut by its bounding box, loose_crop);
    else a scene of `size` with the plate `width_frac` of its width (`truck`: a lorry's front,
    truck_scene, kinds from TRUCK_KINDS). `typeface` "font" (renderer A) or "glyph" (B)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows = []
    for kind in kinds:
        for i in range(per_kind):
            if truck:
                text, rkind = truck_text(kind, rng)
            else:
                text, rkind = random_text(kind, rng), kind
            font = FONTS[int(rng.integers(len(FONTS)))]
            plate, color = render_plate(text, rkind, rng, GLYPH if typeface == "glyph" else font)
            night = rng.random() < 0.25
            if truck:
                img, corners = truck_scene(plate, rng, size=size, night=night, width_frac=width_frac)
            elif crops and loose:
                img, corners = degrade(loose_crop(plate, rng), rng, night), None
            elif crops:
                scale = rng.uniform(0.25, 0.5)
                small = cv2.resize(plate, (int(plate.shape[1] * scale), int(plate.shape[0] * scale)),
                                   interpolation=cv2.INTER_AREA)
                img, corners = degrade(small, rng, night), None
            else:
                img, corners = scene(plate, rng, size=size, night=night, width_frac=width_frac)
            name = "%s_%03d.png" % (kind, i)
            cv2.imwrite(str(out / name), img)
            rows.append({"file": name, "plate": text, "color": color, "kind": kind,
                         "corners": "" if corners is None else ";".join("%.1f,%.1f" % tuple(p) for p in corners)})
        print("[render] %s: %d" % (kind, per_kind), flush=True)
    with open(out / "labels.tsv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["file", "plate", "color", "kind", "corners"], delimiter="\t")
        w.writeheader()
        w.writerows(rows)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="var/lpr/synth")
    ap.add_argument("--per-kind", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--crops", action="store_true", help="plate crops instead of scenes")
    a = ap.parse_args(argv)
    make_set(a.out, a.per_kind, a.seed, crops=a.crops)
    return 0


if __name__ == "__main__":
    sys.exit(main())
