"""The classical Ringelmann estimate: plume grey level against the local background.

This is how the chart is read: an observer compares how much darker the plume is than what is
behind it. For black smoke (soot scatters almost nothing back) Beer-Lambert gives
I = I_bg * T in linear light, so the blackness 1 - T = 1 - I / I_bg pixel by pixel.
The background is the same region with no plume -- a reference frame from the fixed camera
(the lane's empty-ROI frame) when given, otherwise the median of the crop's border ring
(worse: plumes that cross the border, shadows, textured backgrounds all bias it).
The plume is where the (3x3-smoothed) blackness is at least 35 % of its 98th percentile; the estimate is the
mean blackness there. Lighter-than-background plumes (white steam) come out as 0.

Pure numpy; works on any crop size. Images are RGB uint8 or float in [0, 1].
"""
import numpy as np

# Below this linear luminance behind the plume, black smoke cannot be seen (black on black):
# the estimate then reports observable=False rather than a made-up level.
MIN_BG_LINEAR = 0.035
MIN_BLACKNESS = 0.1  # sensor noise on a dark background reaches a few % per pixel
MIN_PLUME_FRACTION = 0.02
BODY_FRACTION = 0.35  # the plume: at least this fraction of its 98th-percentile blackness


def _linear_luminance(img):
    a = np.asarray(img)
    a = a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32)
    if a.ndim == 3:
        a = a[..., 0] * 0.2126 + a[..., 1] * 0.7152 + a[..., 2] * 0.0722
    return np.power(np.clip(a, 0.0, 1.0), 2.2)  # sRGB-ish camera curve back to light


def _box3(a):
    p = np.pad(a, 1, mode="edge")
    return sum(p[i:i + a.shape[0], j:j + a.shape[1]] for i in range(3) for j in range(3)) / 9.0


def level_of(blackness):
    """Nearest Ringelmann level (0-5) of a blackness in [0, 1]: 20 % per level."""
    return int(min(5, max(0, np.floor(float(blackness) * 5 + 0.5))))


def estimate(crop, background=None, ring=4):
    """dict(level, blackness, plume_fraction, background, observable, reference) for one crop."""
    lum = _linear_luminance(crop)
    if background is not None:
        bg = _box3(_linear_luminance(background))
        if bg.shape != lum.shape:
            raise ValueError("background %s and crop %s differ in size" % (bg.shape, lum.shape))
    else:
        border = np.concatenate([lum[:ring].ravel(), lum[-ring:].ravel(), lum[:, :ring].ravel(), lum[:, -ring:].ravel()])
        bg = np.full_like(lum, float(np.median(border)))
    black = np.clip(1.0 - lum / np.maximum(bg, 1e-4), 0.0, 1.0)
    black[bg < MIN_BG_LINEAR] = 0.0  # no evidence where the background is black
    observable = float(np.mean(bg >= MIN_BG_LINEAR)) >= 0.5
    smooth = _box3(black)  # the plume's extent from a denoised map, its blackness from the pixels
    p98 = float(np.percentile(smooth, 98))
    cut = max(MIN_BLACKNESS, BODY_FRACTION * p98)
    plume = (smooth >= cut) & (black >= cut) & (bg >= MIN_BG_LINEAR)
    value = float(black[plume].mean()) if plume.mean() >= MIN_PLUME_FRACTION else 0.0
    return {"level": level_of(value), "blackness": round(value, 4),
            "plume_fraction": round(float(plume.mean()), 4), "background": round(float(np.median(bg)), 4),
            "observable": observable, "reference": background is not None}


# With an empty-lane reference the chart reading grades a real plume better than the CNN
# (levels 3-5), but it also grades shadows, steam and texture as blackness; the CNN tells smoke
# from not-smoke. Chosen on a fresh validation set (tools/smoke/select_rule.py, model card).
SMOKE_FROM = 2


def combined_level(cnn_level, classical, smoke_from=SMOKE_FROM):
    """The lane's level: the CNN's when it sees no smoke (< smoke_from) or when the estimate
    had no empty-lane reference; else the classical estimate's level (may be lower or higher)."""
    if cnn_level < smoke_from or not classical.get("reference"):
        return int(cnn_level)
    return int(classical["level"])
