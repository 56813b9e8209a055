"""One training or validation sample: a crop behind the exhaust, its empty-lane reference, and the truth.

The level is OPACITY, as the Ringelmann scale defines it: level N <=> 20 N % opacity (HJ/T 398-2007
reads the chart against a clear sky; US EPA Method 9 reads opacity; model card). Opacity is the
fraction of the background the plume hides, 1 - T with T = exp(-k density) (Beer-Lambert), read
on the densest part of the plume (where an observer reads it): the mean of 1 - T over the pixels
at least CORE of the plume's 99th-percentile opacity. It does not depend on what is behind the
plume -- sky, road, wall or a truck body -- while the darkening 1 - I/I_bg the first grader learned
does: I = I_bg T + I_s (1 - T), so darkening = opacity x (1 - I_s / I_bg), and over a grey road
or a dark body the same plume darkens the view far less.

The smoke's own radiance I_s: soot scatters 0.5-5 % of the light that falls on it (75 % of
plumes), lighter grey smoke 5-22 % (25 %); lit from above, a little darker where it is thick.
A plume whose radiance is within 0.025 (linear) of the background behind its core shows
nothing at all (black smoke over a black body): such samples are marked `observable` False and
kept out of training and scoring (a model-card limit, not a level anyone can read).

Kinds (`KINDS`): "smoke" (levels 1-5, opacity drawn uniform within the level's band) and the
negatives a real gate produces, all level 0 / opacity 0:
  clean     an exhaust plume below 10 % opacity (level 0 by definition; its opacity is kept)
  steam     white condensate (winter), 15-95 % opaque, bright, self-shaded
  dust      tan dust thrown up by the wheels, low and bottom-heavy
  shadow    the vehicle's cast shadow, or a moving shadow (pole, person, foliage) -- not in the reference
  wet       the road wet since the reference (darker, puddles mirroring sky and lights), tyre spray
  glare     night: headlight blooms and flare, a light pool that came on -- or went off -- since the reference
  body      a truck body filling 40-100 % of the crop (any colour, black included) -- not in the reference
  exposure  auto-exposure / white balance moved since the reference (the whole crop darker or lighter)
  none      the empty view
"""
from __future__ import annotations

import cv2
import numpy as np

from tools.smoke import plumes
from tools.smoke import render as R

KINDS = ("smoke", "clean", "steam", "dust", "shadow", "wet", "glare", "body", "exposure", "none")
NEGATIVES = KINDS[1:]
CORE = 0.7
MIN_CONTRAST = 0.025  # linear luminance between the smoke and what is behind its core


def level_of(opacity):
    """Ringelmann level of an opacity in [0, 1]: the nearest 20 % step."""
    return int(min(5, max(0, np.floor(float(opacity) * 5 + 0.5))))


def plume_opacity(op):
    """The plume's opacity as an observer reads it: the mean over its dense part (>= CORE x p99)."""
    p = float(np.percentile(op, 99))
    if p <= 0.01:
        return max(0.0, p)
    return float(op[op >= CORE * p].mean())


def core_mask(op):
    p = float(np.percentile(op, 99))
    return op >= CORE * max(p, 1e-6)


def solve_k(dens, target):
    """Extinction k such that plume_opacity(1 - exp(-k dens)) == target (bisection on log k)."""
    if target <= 0:
        return 0.0
    lo, hi = -8.0, 10.0
    for _ in range(28):
        mid = (lo + hi) / 2
        if plume_opacity(1 - np.exp(-np.exp(mid) * dens)) < target:
            lo = mid
        else:
            hi = mid
    return float(np.exp((lo + hi) / 2))


def white_level(rng, family):
    """Linear radiance of a white surface in this exposure: what lights the plume."""
    return rng.uniform(0.2, 0.55) if family == "night" else rng.uniform(0.6, 0.95)


def smoke_radiance(rng, white):
    rho = rng.uniform(0.005, 0.05) if rng.random() < 0.75 else rng.uniform(0.05, 0.22)
    tint = 1 + np.array([rng.uniform(-0.04, 0.06), 0.0, rng.uniform(-0.04, 0.08)])
    return (rho * white * tint).astype(np.float32)


def _lit(rng, dens, base):
    """Spatially varying radiance of the medium: lit from above, self-shaded where thick."""
    x, y = R.grid(dens.shape[0])
    shade = 1 - rng.uniform(0.0, 0.35) * np.clip(dens / (dens.max() + 1e-6), 0, 1)
    grad = 1 + rng.uniform(-0.15, 0.15) * (y - 0.5)
    return base[None, None, :] * (shade * grad)[..., None]


def _compose(bg, op, radiance):
    lin = R.to_linear(bg) * (1 - op[..., None]) + radiance * op[..., None]
    return R.to_srgb(lin).astype(np.float32)


# ---------------------------------------------------------------- transients (not in the reference)
def moving_shadow(rng, img, size=R.SIZE):
    x, y = R.grid(size)
    k = rng.choice(["vehicle", "pole", "person", "foliage"], p=[0.5, 0.2, 0.15, 0.15])
    if k == "vehicle":
        return R.add_shadow(rng, img, size)
    if k == "pole":
        a, c, w = rng.uniform(-1.5, 1.5), rng.uniform(0, 1), rng.uniform(0.02, 0.1)
        m = (np.abs(x - (c + a * (y - 0.5))) < w).astype(np.float32)
    elif k == "person":
        cx, cy = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8)
        m = (((x - cx) / 0.12) ** 2 + ((y - cy) / 0.3) ** 2 < 1).astype(np.float32)
    else:
        m = (R.fbm(rng, size, size, base=4, octaves=3) > rng.uniform(-0.2, 0.4)).astype(np.float32)
    m = cv2.GaussianBlur(m, (0, 0), rng.uniform(0.6, 2.5))
    s = rng.uniform(0.3, 0.7)
    return np.clip(img * (1 - m * (1 - s))[..., None], 0, 1).astype(np.float32)


def wet_road(rng, img, size=R.SIZE):
    x, y = R.grid(size)
    lin = R.to_linear(img)
    if rng.random() < 0.3:  # tyre spray: a thin bright mist low in the crop
        d = np.clip(0.5 + 0.5 * R.fbm(rng, size, size, 3, 3), 0, 1) * np.clip((y - 0.3) * 2, 0, 1)
        op = 1 - np.exp(-rng.uniform(0.2, 0.9) * d)
        return _compose(img, op, np.full(3, rng.uniform(0.5, 0.9), np.float32))
    lin = lin * rng.uniform(0.45, 0.85)  # wet asphalt is darker
    puddle = R.fbm(rng, size, size, base=3, octaves=3) > rng.uniform(-0.2, 0.5)
    refl = rng.uniform(0.05, 0.7) * np.array([0.85, 0.9, 1.0])
    if rng.random() < 0.4:  # the reflection of a dark vehicle body in the puddle
        refl = refl * np.where((x > rng.uniform(0, 0.7))[..., None], rng.uniform(0.05, 0.3), 1.0)
    lin = np.where(puddle[..., None], refl * (1 + 0.1 * R.fbm(rng, size, size, 8, 2))[..., None], lin)
    return R.to_srgb(np.clip(lin, 0, 1)).astype(np.float32)


def glare(rng, img, size=R.SIZE):
    x, y = R.grid(size)
    lin = R.to_linear(img)
    k = rng.choice(["bloom", "pool_on", "pool_off"], p=[0.5, 0.25, 0.25])
    if k == "bloom":  # headlights: blooming cores, a flare streak, veiling glare over the crop
        for _ in range(rng.integers(1, 3)):
            lx, ly, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.03, 0.12)
            d2 = (x - lx) ** 2 + (y - ly) ** 2
            lin = lin + (np.exp(-d2 / (2 * (3 * r) ** 2)) * rng.uniform(0.3, 1.0))[..., None] * np.array([1.0, 0.95, 0.85])
            lin = lin + (np.exp(-((y - ly) / 0.01) ** 2) * np.exp(-np.abs(x - lx) * 3) * 0.5)[..., None]
        lin = lin + rng.uniform(0.0, 0.08)
    else:  # a light pool on the road: on now, or on when the reference was taken and off now
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0.3, 1.0), rng.uniform(0.2, 0.7)
        pool = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (r * r))[..., None]
        g = rng.uniform(0.4, 1.5)
        lin = lin * (1 + g * pool) if k == "pool_on" else lin / (1 + g * pool)
    return R.to_srgb(np.clip(lin, 0, 1)).astype(np.float32)


def body_in_view(rng, img, size=R.SIZE):
    """A truck body that entered the view: straight edges, filling 40-100 % of the crop."""
    x, y = R.grid(size)
    panel = R.truck_panel(rng, size)
    frac = rng.uniform(0.4, 1.0)
    side = rng.choice(["left", "right", "top", "full"])
    m = {"left": x < frac, "right": x > 1 - frac, "top": y < frac, "full": np.ones_like(x, bool)}[side]
    if rng.random() < 0.3:  # a wheel arch / the dark gap under the chassis
        m &= ~(((x - rng.uniform(0.2, 0.8)) ** 2 + (y - 1.0) ** 2) < rng.uniform(0.03, 0.1))
    return np.where(m[..., None], panel, img).astype(np.float32)


def bright_view(rng, img):
    """A bright day view -- sunlit concrete, an overcast yard, a pale wall: the whole scene (and so
    its reference) lifted to a mean linear luminance of 0.3-0.75 and partly desaturated. Round 8:
    wheel dust darkens such a view a little, as a thin grey plume does; before it only the held-out
    sky family put dust in front of a bright view, and dust over the sky was half the false alarms."""
    lin = R.to_linear(img)
    target = rng.uniform(0.3, 0.75)
    lin = lin * min(target / max(float(R.luminance(lin).mean()), 1e-3), 4.0)
    lin = lin + max(0.0, target - float(R.luminance(lin).mean()))  # flat light over what gain cannot lift
    u = rng.uniform(0.0, 0.6)
    lin = lin * (1 - u) + R.luminance(lin)[..., None] * u
    return R.to_srgb(np.clip(lin, 0, 1)).astype(np.float32)


def exposure_change(rng, img):
    x, y = R.grid(img.shape[0])
    gain = rng.uniform(0.7, 1.35) * (1 + rng.uniform(-0.05, 0.05, 3))
    vign = 1 + rng.uniform(-0.15, 0.15) * ((x - 0.5) if rng.random() < 0.5 else (y - 0.5))
    return R.to_srgb(np.clip(R.to_linear(img) * gain * vign[..., None], 0, 1)).astype(np.float32)


# ---------------------------------------------------------------- the sample
def _plume(rng, model, size, target, family, bg, radiance_of):
    """(image, opacity field, observable) of one plume over bg at a target core opacity."""
    dens, _ = plumes.density(model, rng, size)
    if dens.max() <= 0:
        dens = dens + 1e-3
    k = solve_k(dens, target)
    op = 1 - np.exp(-k * dens)
    rad = _lit(rng, dens, radiance_of)
    core = core_mask(op)
    lum_bg = R.luminance(R.to_linear(bg))
    contrast = np.abs(lum_bg - R.luminance(rad))[core].mean()
    _plume.seen = {"core_fraction": float(core.mean()),
                   "relative_contrast": float(contrast / max(float(lum_bg[core].mean()), 1e-4))}
    return _compose(bg, op, rad), op, bool(contrast >= MIN_CONTRAST)


def render(rng, family, kind, model="fbm", photos=None, level=None, size=R.SIZE, bright=False):
    """dict(image, reference (uint8 HxWx3 RGB), level, opacity, kind, family, plume, observable).
    `bright`: a day view is lifted by bright_view() (not night, not glare)."""
    fam = family
    white = white_level(rng, fam)
    bright = bright and fam != "night" and kind != "glare"

    def view():
        s = R.background(rng, fam, photos, size)
        return bright_view(rng, s) if bright else s

    scene = view()
    if fam == "night" or kind == "glare":
        if fam != "night":  # glare happens in the dark: dim the scene to a night exposure
            scene = R.to_srgb(R.to_linear(scene) * rng.uniform(0.05, 0.3)).astype(np.float32)
    if rng.random() < 0.08 and kind not in ("dust",):
        scene = R.add_dust_haze(rng, scene, size)  # a dusty yard: in the reference too
    bg = scene
    if kind == "smoke" and rng.random() < 0.15:
        bg = moving_shadow(rng, bg, size)
    opacity, observable, img = 0.0, True, bg
    _plume.seen = {"core_fraction": 0.0, "relative_contrast": 0.0}
    if kind in ("smoke", "clean"):
        if kind == "smoke":
            lv = int(rng.integers(1, 6)) if level is None else int(level)
            target = rng.uniform(lv * 0.2 - 0.1, min(0.985, lv * 0.2 + 0.1))
        else:
            target = rng.uniform(0.0, 0.085)
        rad = smoke_radiance(rng, white)
        img, op, observable = _plume(rng, model, size, target, fam, bg, rad)
        for _ in range(3):  # soot over a near-black background: a darker or lighter background might show it
            if observable or kind == "clean":
                break
            scene = view()
            bg = scene
            img, op, observable = _plume(rng, model, size, target, fam, bg, rad)
        opacity = plume_opacity(op)
    elif kind == "steam":
        rad = (rng.uniform(0.6, 1.0) * white * np.array([1.0, 1.0, rng.uniform(1.0, 1.06)])).astype(np.float32)
        img, _, _ = _plume(rng, model, size, rng.uniform(0.15, 0.95), fam, bg, rad)
    elif kind == "dust":
        dens, _ = plumes.density(model, rng, size)
        x, y = R.grid(size)
        dens = dens * np.clip((y - rng.uniform(0.0, 0.5)) * 2.5, 0.05, 1)  # low, thrown up by the wheels
        op = 1 - np.exp(-solve_k(dens, rng.uniform(0.1, 0.7)) * dens)
        rad = rng.uniform(0.3, 0.6) * white * np.array([1.0, 0.82, 0.6]) * rng.uniform(0.9, 1.1, 3)
        img = _compose(bg, op, _lit(rng, dens, rad.astype(np.float32)))
    elif kind == "shadow":
        img = moving_shadow(rng, bg, size)
    elif kind == "wet":
        img = wet_road(rng, bg, size)
    elif kind == "glare":
        img = glare(rng, bg, size)
    elif kind == "body":
        img = body_in_view(rng, bg, size)
    elif kind == "exposure":
        img = exposure_change(rng, bg)
    elif kind != "none":
        raise ValueError("kind %r" % kind)
    lv = level_of(opacity) if kind in ("smoke", "clean") else 0
    cam = int(rng.integers(1 << 30))
    night = fam == "night" or kind == "glare"
    out = R.camera(np.random.default_rng(cam), img, night, noise_rng=rng)
    ref = R.camera(np.random.default_rng(cam), R.reference_drift(rng, scene), night, noise_rng=rng)
    u8 = lambda a: (np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8)  # noqa: E731
    return {"image": u8(out), "reference": u8(ref), "level": lv,
            "opacity": float(opacity) if kind in ("smoke", "clean") else 0.0,
            "kind": kind, "family": family, "plume": model, "observable": observable,
            "core_fraction": _plume.seen["core_fraction"], "relative_contrast": _plume.seen["relative_contrast"]}
