"""Plate background colour from a rectified plate, by an HSV pixel vote.

Colours are the words of edge.domain.codes.plate_color_code: blue, yellow, green (small new
energy: a light-to-green vertical gradient), white, black, yellow_green (large new energy:
a yellow block and a green block side by side). Each pixel is put in one of the five hue/value
classes; the character band's ink takes up to ~40% of pixels, so the background is decided by
thresholds on the fractions rather than by the plain majority. Light top of the green gradient
looks white to a pure-hue rule: green wins when enough pixels are green at all.
"""
from __future__ import annotations

import cv2
import numpy as np

COLORS = ("blue", "yellow", "green", "white", "black", "yellow_green")


def pixel_classes(plate_bgr):
    """Per-pixel class masks (blue, yellow, green, white, black) of an HxWx3 BGR image."""
    hsv = cv2.cvtColor(plate_bgr, cv2.COLOR_BGR2HSV)
    h, s, v = hsv[..., 0].astype(np.int16), hsv[..., 1], hsv[..., 2]
    # dim plates (night, shade) keep their hue: chroma needs saturation more than value
    chroma = (s > 70) & (v > 35)
    blue = chroma & (h >= 88) & (h <= 130)
    yellow = chroma & (h >= 10) & (h < 36)
    green = (s > 45) & (v > 60) & (h >= 36) & (h < 88)
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
    if white >= black:
        return "white", min(1.0, white / 0.5)
    return "black", min(1.0, black / 0.5)
