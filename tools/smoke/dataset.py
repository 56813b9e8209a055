"""Render the synthetic Ringelmann data sets: `train` and a held-out `eval` with unseen backgrounds.

    .venv/bin/python -m tools.smoke.dataset [--train 16000] [--eval 3000] [--out var/smoke]

Held-out means: the eval set crops only the scene photos of the eval split (render.scene_photos),
and every procedural background, plume and camera draw comes from random streams seeded
(split, index) with a different split id, so no eval background was ever seen in training.
Writes <out>/<split>.npz: images and references (no plume, no shadow) uint8 [N,64,64,3] RGB, level, blackness, bg, plume, shadow.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import cv2
import numpy as np

from tools.smoke import render as R

SPLIT_IDS = {"train": 0, "eval": 1, "fixtures": 2, "clips-train": 3, "clips-eval": 4, "val": 5, "train_b": 6}
BG_P = {"scene": 0.30, "road": 0.18, "sky": 0.12, "gate": 0.14, "night": 0.12, "wet": 0.14}
PLUME_P = {"black": 0.65, "steam": 0.15, "dust": 0.07, "none": 0.13}


def render_set(split, n, progress=True):
    cv2.setNumThreads(1)
    photos = R.PhotoPool(R.scene_photos("eval" if split.endswith("eval") else "train"))
    bgs, bg_p = list(BG_P), list(BG_P.values())
    plumes, pl_p = list(PLUME_P), list(PLUME_P.values())
    out = {k: [] for k in ("image", "reference", "level", "blackness", "bg", "plume", "shadow")}
    t0 = time.time()
    for i in range(n):
        rng = np.random.default_rng((SPLIT_IDS[split], i))
        s = R.render_sample(rng, rng.choice(bgs, p=bg_p), rng.choice(plumes, p=pl_p), photos)
        for k in out:
            out[k].append(s[k])
        if progress and (i + 1) % 1000 == 0 or i + 1 == n:
            el = time.time() - t0
            print("  %s: %d/%d rendered, %.0f s elapsed, ~%.0f s left" % (split, i + 1, n, el, el / (i + 1) * (n - i - 1)),
                  flush=True)
    return {"images": np.stack(out["image"]), "references": np.stack(out["reference"]), "level": np.array(out["level"], np.int8),
            "blackness": np.array(out["blackness"], np.float32),
            "bg": np.array([R.BACKGROUNDS.index(b) for b in out["bg"]], np.int8),
            "plume": np.array([R.PLUMES.index(p) for p in out["plume"]], np.int8),
            "shadow": np.array(out["shadow"], bool)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", type=int, default=16000)
    ap.add_argument("--eval", type=int, default=3000)
    ap.add_argument("--val", type=int, default=0, help="fresh validation crops (training photos, new seeds) for choosing rules")
    ap.add_argument("--train-b", type=int, default=0, help="more training crops (training photos, own seeds): train_b.npz")
    ap.add_argument("--out", default="var/smoke")
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    for split, n in (("train", a.train), ("eval", a.eval), ("val", a.val), ("train_b", a.train_b)):
        if n <= 0:
            continue
        print("rendering %d %s crops (photos: %s)" % (n, split, ", ".join(
            os.path.basename(f) for f in R.scene_photos("eval" if split == "eval" else "train"))[:120] + "..."))
        d = render_set(split, n)
        path = os.path.join(a.out, split + ".npz")
        np.savez_compressed(path, **d)
        print("wrote %s: levels %s" % (path, np.bincount(d["level"], minlength=6).tolist()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
