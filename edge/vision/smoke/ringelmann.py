"""The classical Ringelmann reading: the plume's opacity against the local background, by hand.

The Ringelmann scale is an opacity scale (level N <=> 20 N % opacity; models/smoke_ringelmann.md).
In linear light a plume of transmittance T in front of a background I_bg shows
I = I_bg T + I_s (1 - T), I_s the smoke's own radiance, so its opacity is
    1 - T = (I_bg - I) / (I_bg - I_s).
Soot scatters little light back: I_s is bounded by SOOT x the scene's white level (the reference's
98th percentile, at least MIN_WHITE), which is all the chart reading assumes of the smoke. Over a
bright background I_s hardly matters (opacity ~ the darkening 1 - I/I_bg); over a grey road or a
dark truck body it is what keeps the reading from coming out a level low. Where the background is
within MIN_CONTRAST of the smoke, nothing can be read (black smoke on a black body): `observable`.
The background is the same region with no plume -- the lane's empty-lane reference when given,
otherwise the median of the crop's border ring (worse: plumes that cross the border, shadows,
textured backgrounds all bias it). The plume's opacity is read where it is densest, as the
renderer's truth is: the mean over pixels at least 70 % of the (3x3-smoothed) map's 99th percentile.
Lighter-than-background plumes (white steam) come out as 0.

This is the baseline the CNNs are measured and timed against (tools/bench_smoke.py); the lane
uses the CNNs. Pure numpy; any crop size; images RGB uint8 or float in [0, 1].
"""
import numpy as np

SOOT = 0.03           # soot's radiance, as a fraction of the scene's white level
MIN_WHITE = 0.3       # linear: a scene's white level is at least this (a dark crop is not a dark scene)
MIN_CONTRAST = 0.025  # linear luminance between background and smoke below which nothing can be read
MIN_OPACITY = 0.05    # noise and JPEG reach a few % per pixel
MIN_PLUME_FRACTION = 0.02
CORE = 0.7


def _linear_luminance(img):
    a = np.asarray(img)
    a = a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32)
    if a.ndim == 3:
        a = a[..., 0] * 0.2126 + a[..., 1] * 0.7152 + a[..., 2] * 0.0722
    return np.power(np.clip(a, 0.0, 1.0), 2.2)  # sRGB-ish camera curve back to light


def _box3(a):
    p = np.pad(a, 1, mode="edge")
    return sum(p[i:i + a.shape[0], j:j + a.shape[1]] for i in range(3) for j in range(3)) / 9.0


def level_of(opacity):
    """Nearest Ringelmann level (0-5) of an opacity in [0, 1]: 20 % per level."""
    return int(min(5, max(0, np.floor(float(opacity) * 5 + 0.5))))


def estimate(crop, background=None, ring=4):
    """dict(level, opacity, plume_fraction, background, observable, reference) for one crop."""
    lum = _linear_luminance(crop)
    if background is not None:
        bg = _box3(_linear_luminance(background))
        if bg.shape != lum.shape:
            raise ValueError("background %s and crop %s differ in size" % (bg.shape, lum.shape))
    else:
        border = np.concatenate([lum[:ring].ravel(), lum[-ring:].ravel(), lum[:, :ring].ravel(), lum[:, -ring:].ravel()])
        bg = np.full_like(lum, float(np.median(border)))
    white = max(MIN_WHITE, float(np.percentile(bg, 98)))
    span = bg - SOOT * white
    seen = span >= MIN_CONTRAST
    op = np.where(seen, np.clip((bg - lum) / np.maximum(span, 1e-4), 0.0, 1.0), 0.0)
    observable = float(np.mean(seen)) >= 0.5
    smooth = _box3(op)  # the plume's extent from a denoised map, its opacity from the pixels
    p99 = float(np.percentile(smooth, 99))
    cut = max(MIN_OPACITY, CORE * p99)
    core = (smooth >= cut) & seen
    value = float(op[core].mean()) if core.mean() >= MIN_PLUME_FRACTION else 0.0
    return {"level": level_of(value), "opacity": round(value, 4),
            "plume_fraction": round(float(((smooth >= MIN_OPACITY * 2) & seen).mean()), 4),
            "background": round(float(np.median(bg)), 4), "observable": observable,
            "reference": background is not None}
