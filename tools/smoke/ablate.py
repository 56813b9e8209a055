"""What each camera effect costs the grader: re-render a held-out set's plumes with one effect of
the renderer's camera switched off at a time and grade them with the committed models.

    .venv/bin/python -m tools.smoke.ablate [--set heldout] [--per-level 200] [--models models]

Same seeds, plume models and backgrounds as tools.smoke.dataset's set; only R.camera /
R.reference_drift change (monkeypatched here, the renderer is untouched). Variants:
  full        the renderer as it is (the set's own figures)
  no_drift    the reference is the same frame as the scene (no gain drift, no shake; own noise kept)
  gamma22     every camera uses the sRGB-like 2.2 curve the features assume
  no_blur     no small-ROI upscaling, no defocus or motion blur
  no_codec    no sensor noise, no JPEG
  ideal       all of the above off: what is left is the label's own definition and the model
and, on top of `ideal`, the scene (samples.py monkeypatched; other random draws, same priors):
  soot        every plume is soot (radiance 0.5-5 % of white; no grey smoke at 5-22 %)
  flat        the medium's radiance is uniform (no self-shading, no top-lit gradient)
  no_shadow   no moving shadow under a plume (15 % of plumes have one, not in the reference)
  physics     soot + flat + no_shadow: the chart reading's own assumptions all hold
The drop from a variant to `full` is what that effect costs a model trained with it; `ideal` is
the grader's ceiling on this plume model with a perfect camera. Nothing here learns.
"""
from __future__ import annotations

import argparse
import sys

import cv2
import numpy as np

from tools.smoke import dataset as D
from tools.smoke import diagnose as G
from tools.smoke import evaluate as E
from tools.smoke import render as R
from tools.smoke import samples as S

_CAMERA, _DRIFT = R.camera, R.reference_drift
VARIANTS = ("full", "no_drift", "gamma22", "no_blur", "no_codec", "ideal", "soot", "flat", "no_shadow", "physics")
SCENE = {"soot": {"soot"}, "flat": {"flat"}, "no_shadow": {"shadow"}, "physics": {"soot", "flat", "shadow"}}
_RAD, _LIT, _SHADOW = S.smoke_radiance, S._lit, S.moving_shadow


def scene_variant(off):
    def radiance(rng, white):
        if "soot" not in off:
            return _RAD(rng, white)
        rho = rng.uniform(0.005, 0.05)
        return (rho * white * np.ones(3)).astype(np.float32)

    def lit(rng, dens, base):
        return _LIT(rng, dens, base) if "flat" not in off else np.broadcast_to(base, dens.shape + (3,)).astype(np.float32)

    def shadow(rng, img, size=R.SIZE):
        return _SHADOW(rng, img, size) if "shadow" not in off else img
    S.smoke_radiance, S._lit, S.moving_shadow = radiance, lit, shadow


def camera_variant(off):
    """R.camera with the effects in `off` (a set of 'gamma', 'blur', 'codec') removed; draws the
    same random numbers in the same order, so everything else about a sample stays."""
    def camera(rng, img, night=False, noise_rng=None):
        lin = R.to_linear(img) * rng.uniform(0.75, 1.25) * (1 + rng.normal(0, 0.03, 3))
        g = rng.uniform(2.0, 2.4)
        out = np.power(np.clip(lin, 0, 1), 1.0 / (2.2 if "gamma" in off else g))
        h, w = out.shape[:2]
        if rng.random() < 0.15:
            f = rng.uniform(0.45, 0.9)
            if "blur" not in off:
                small = cv2.resize(out, (max(8, int(w * f)), max(8, int(h * f))), interpolation=cv2.INTER_AREA)
                out = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        r = rng.random()
        if r < 0.35:
            s = rng.uniform(0.3, 1.0)
            if "blur" not in off:
                out = cv2.GaussianBlur(out, (0, 0), s)
        elif r < 0.5:
            n = int(rng.integers(3, 6))
            k = np.zeros((n, n), np.float32)
            k[n // 2, :] = 1.0 / n
            k = cv2.warpAffine(k, cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), rng.uniform(0, 180), 1.0), (n, n))
            if "blur" not in off:
                out = cv2.filter2D(out, -1, k / max(k.sum(), 1e-6))
        sigma = rng.uniform(0.01, 0.04) if night else rng.uniform(0.002, 0.015)
        noise = (noise_rng or rng).normal(0, sigma, out.shape)
        if "codec" not in off:
            out = np.clip(out + noise, 0, 1)
        if rng.random() < 0.8:
            q = int(rng.integers(40, 95))
            if "codec" not in off:
                ok, buf = cv2.imencode(".jpg", (out[..., ::-1] * 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, q])
                out = cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1].astype(np.float32) / 255.0
        return np.clip(out, 0, 1).astype(np.float32)
    return camera


def drift_variant(on):
    def drift(rng, scene):
        rng.uniform(0.94, 1.06), rng.uniform(-0.02, 0.02, 3)  # keep the random stream aligned
        if rng.random() < 0.7:
            rng.uniform(-1.5, 1.5, 2)
        return scene.astype(np.float32)
    return _DRIFT if on else drift


def render(name, per_level, variant):
    off = {"full": set(), "no_drift": set(), "gamma22": {"gamma"}, "no_blur": {"blur"},
           "no_codec": {"codec"}, "ideal": {"gamma", "blur", "codec"}}.get(variant, {"gamma", "blur", "codec"})
    scene_variant(SCENE.get(variant, set()))
    R.camera = camera_variant(off)
    R.reference_drift = drift_variant(variant in ("full", "gamma22", "no_blur", "no_codec"))
    try:
        return D.render_set(name, 0, per_level, 0, progress=False)
    finally:
        R.camera, R.reference_drift = _CAMERA, _DRIFT
        S.smoke_radiance, S._lit, S.moving_shadow = _RAD, _LIT, _SHADOW


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default="heldout")
    ap.add_argument("--per-level", type=int, default=200)
    ap.add_argument("--models", default="models")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--graders", default="reference_fp32,classical_reference")
    a = ap.parse_args(argv)
    cv2.setNumThreads(1)
    variants = dict(E.GRADERS)
    print("| variant | grader | n | exact | within one | bias | spread | RMS |")
    print("|---|---|---|---|---|---|---|---|")
    for v in a.variants.split(","):
        d = render(a.set, a.per_level, v)
        keep = E.visible(d)
        for g in a.graders.split(","):
            level, opacity = E.grade_all(g, d, a.models, variants[g])
            m = keep
            s = G.stats(opacity[m] - d["opacity"][m], level[m], d["level"][m].astype(int))
            w1 = float(np.mean(np.abs(level[m] - d["level"][m]) <= 1))
            print("| %s | %s | %d | %.1f %% | %.1f %% | %+.3f | %.3f | %.3f |" % (
                v, g, s["n"], 100 * s["exact"], 100 * w1, s["bias"], s["sd"], s["rms"]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
