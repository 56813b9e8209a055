"""Plate background colour from a rectified plate: a small CNN (models/plate_color_fp32.tflite,
tools/lpr/train_color.py) with a confidence, constrained by what the read's format allows; the
HSV pixel vote below (`classify`) when no colour model is installed.

`decide(probs, allowed, prior)`: a 7-character ordinary plate is never yellow-green or green, an
8-character NEV plate never blue (formats.KIND_COLORS), and an ordinary plate is blue or yellow far
more often than black or white (formats.KIND_COLOR_PRIOR), so the colour is the most probable one
the read's kind is issued in after that prior; `uncertain` says the decision was not sure
(confidence below UNCERTAIN_BELOW, its first choice was a colour the format rules out, or the prior
overturned what the pixels said).

Colours are the words of edge.domain.codes.plate_color_code: blue, yellow, green (small new
energy: a light-to-green vertical gradient), white, black, yellow_green (large new energy:
a yellow block and a green block side by side). Each pixel is put in one of the five hue/value
classes; the character band's ink takes up to ~40% of pixels, so the background is decided by
thresholds on the fractions rather than by the plain majority. Light top of the green gradient
looks white to a pure-hue rule: green wins when enough pixels are green at all. Hue-less
plates are told white from black by polarity (background brighter or darker than the ink).
"""
from __future__ import annotations

import cv2
import numpy as np

from edge.vision.interpreter import VectorModel

COLORS = ("blue", "yellow", "green", "white", "black", "yellow_green")
MODEL_H, MODEL_W = 24, 64
UNCERTAIN_BELOW = 0.8


def model_input(plate_bgr):
    """[1, 24, 64, 3] float32 BGR in 0..1 for a rectified plate of any size."""
    x = cv2.resize(plate_bgr, (MODEL_W, MODEL_H), interpolation=cv2.INTER_AREA)
    return (x.astype(np.float32) / 255.0)[None]


class ColorModel(VectorModel):
    """The colour CNN: `probs(plate_bgr)` -> probabilities over COLORS."""

    def __init__(self, interpreter):
        super().__init__(interpreter, "colour model", len(COLORS))

    def probs(self, plate_bgr):
        return self.run(model_input(plate_bgr)).astype(np.float64)


RULE_FLOOR = 0.05


def combine(model_probs, rule, polarity=None):
    """The CNN's probabilities and the HSV vote (colour, confidence) as a product of experts
    (each to the power 1/2): the CNN knows casts and mud from renders, the vote knows the hues
    of real plates; where they disagree the result is uncertain rather than wrong. With
    `polarity` (ink_polarity), the side the ink is on weighs in at full power: it is evidence
    of another kind (the two hue experts are both fooled by the same cast)."""
    word, conf = rule
    q = np.full(len(COLORS), max(RULE_FLOOR, (1.0 - conf) / (len(COLORS) - 1)))
    q[COLORS.index(word)] = max(conf, RULE_FLOOR)
    p = np.sqrt(np.asarray(model_probs, np.float64) * q)
    if polarity is not None:
        p = p * polarity_weights(polarity)
    return p / p.sum()


# GA 36: blue and black plates carry white characters, the others dark ones. Which side the ink
# is on does not move with a colour cast or exposure, so it settles what hue cannot: a blue plate
# under orange or sodium light has yellow pixels but still light strokes.
LIGHT_INK = ("blue", "black")
POLARITY_KERNEL = 7        # px on the 220-wide warp: wider than a stroke, narrower than a character
POLARITY_DEAD_ZONE = 0.04  # |polarity - 0.5| inside this says nothing (blurred small plates sit near 0.5)
POLARITY_SCALE = 0.02      # logistic scale beyond the dead zone
POLARITY_FLOOR = 0.01      # never rule a side out completely
_POLARITY_KER = cv2.getStructuringElement(cv2.MORPH_RECT, (POLARITY_KERNEL, POLARITY_KERNEL))
_LIGHT = np.array([c in LIGHT_INK for c in COLORS])


def ink_polarity(plate_bgr):
    """Share of the thin-stroke contrast that is brighter than its surroundings: the white
    top-hat over both top-hats of the grey plate. Light ink (blue, black plates) ~0.55-0.8;
    dark ink 0.2-0.47 (dev crops and renders). A gradient (the green NEV plate) or a cast
    background has no thin structure and adds nothing to either side."""
    h, w = plate_bgr.shape[:2]
    grey = cv2.cvtColor(plate_bgr, cv2.COLOR_BGR2GRAY).astype(np.float32)
    grey = grey[int(h * 0.1):int(h * 0.9), int(w * 0.03):int(w * 0.97)]
    light = float(cv2.morphologyEx(grey, cv2.MORPH_TOPHAT, _POLARITY_KER).sum())
    dark = float(cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, _POLARITY_KER).sum())
    return light / (light + dark) if light + dark > 0 else 0.5


def polarity_weights(polarity):
    """Per-colour likelihood weights (over COLORS) of a measured ink polarity."""
    d = polarity - 0.5
    d = np.sign(d) * max(0.0, abs(d) - POLARITY_DEAD_ZONE)
    q = 1.0 / (1.0 + np.exp(-d / POLARITY_SCALE))
    q = min(1.0 - POLARITY_FLOOR, max(POLARITY_FLOOR, q))
    return np.where(_LIGHT, q, 1.0 - q)


def decide(probs, allowed=None, prior=None):
    """(colour, confidence, uncertain) from class probabilities; `allowed` the colours the
    read's kind is issued in (None: any); `prior` {colour: weight} how often a plate read as
    that kind really is each colour (formats.KIND_COLOR_PRIOR; None: `allowed` alike). With a
    prior, the colours it lists are the ones chosen among (it may list, with a small weight, one
    the format rules out: an NEV plate read with a character lost).

    The colour is the most probable after the prior; its confidence is its share of the
    weighted probabilities (the posterior). Uncertain: that share is below UNCERTAIN_BELOW, the
    unconstrained first choice was a colour the format rules out, or the prior overturned the
    evidence (the evidence alone preferred another allowed colour)."""
    probs = np.asarray(probs, np.float64)
    top = int(probs.argmax())
    if prior:
        allowed = tuple(prior)
    if allowed:
        mask = np.array([c in allowed for c in COLORS])
        if mask.any() and probs[mask].sum() > 0:
            sub = np.where(mask, probs, 0.0)
            evidence = int(sub.argmax())
            if prior:
                weighted = sub * np.array([prior.get(c, 0.0) for c in COLORS])
                if weighted.sum() > 0:
                    sub = weighted
            best = int(sub.argmax())
            conf = float(sub[best] / sub.sum())
            # the model preferred a colour this plate cannot have: say so
            ruled_out = not mask[top] and probs[top] > 0.5
            return COLORS[best], conf, conf < UNCERTAIN_BELOW or ruled_out or best != evidence
    return COLORS[top], float(probs[top]), float(probs[top]) < UNCERTAIN_BELOW


def pixel_classes(plate_bgr):
    """Per-pixel class masks (blue, yellow, green, white, black) of an HxWx3 BGR image."""
    hsv = cv2.cvtColor(plate_bgr, cv2.COLOR_BGR2HSV)
    h, s, v = hsv[..., 0].astype(np.int16), hsv[..., 1], hsv[..., 2]
    # dim plates (night, shade) keep their hue: chroma needs saturation more than value
    chroma = (s > 70) & (v > 35)
    blue = chroma & (h >= 88) & (h <= 130)
    yellow = chroma & (h >= 10) & (h < 36)
    # pale greens (the light top of the NEV gradient) need light; saturated greens count
    # when dim, as at night (large NEV truck plates were read as yellow without this)
    green = (((s > 45) & (v > 60)) | ((s > 90) & (v > 30))) & (h >= 36) & (h < 88)
    rest = ~(blue | yellow | green)
    white = rest & (v >= 140) & (s < 70)
    black = rest & (v < 90)
    return blue, yellow, green, white, black


def classify(plate_bgr):
    """(colour word, confidence 0..1) for a rectified plate image."""
    img = plate_bgr
    hgt, wid = img.shape[:2]
    # ignore the outer 6% (frame, screws, background bleeding in at the corners)
    my, mx = int(hgt * 0.06), int(wid * 0.03)
    img = img[my:hgt - my, mx:wid - mx]
    masks = pixel_classes(img)
    blue, yellow, green, white, black = (float(m.mean()) for m in masks)
    # yellow_green: one side yellow, the other side green
    cols_y = masks[1].mean(0)
    cols_g = masks[2].mean(0)
    n = cols_y.size
    third = max(1, n // 3)
    left_y, right_y = cols_y[:third].mean(), cols_y[-third:].mean()
    left_g, right_g = cols_g[:third].mean(), cols_g[-third:].mean()
    if (left_y > 0.3 and right_g > 0.3) or (left_g > 0.3 and right_y > 0.3):
        return "yellow_green", min(1.0, (yellow + green) / 0.7)
    if blue >= 0.15 and blue >= max(yellow, green):
        return "blue", min(1.0, blue / 0.5)
    # the light top of the green gradient counts as white: a little green is enough
    if green >= 0.1 and green >= max(yellow, blue):
        return "green", min(1.0, (green + white * 0.5) / 0.6)
    if yellow >= 0.15:
        return "yellow", min(1.0, yellow / 0.5)
    # White (police, embassy-less) and black (HK/Macau, consulate) plates carry no hue, and a
    # night exposure or IR fill light turns a white plate grey: brightness alone calls it
    # black. Polarity does not move with exposure: on a white plate the background (the
    # majority of the band) is the bright side of an Otsu split, on a black plate the dark one.
    bright = bright_fraction(img)
    if bright >= 0.5:
        return "white", min(1.0, 0.5 + (bright - 0.5) * 2)
    return "black", min(1.0, 0.5 + (0.5 - bright) * 2)


def bright_fraction(img):
    """Fraction of pixels on the bright side of an Otsu split of the grey image."""
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    _, mask = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(np.count_nonzero(mask)) / mask.size
