"""Render the Ringelmann (opacity) data sets, with whole plume models and background families held out.

    .venv/bin/python -m tools.smoke.dataset [--train 32000] [--out /work/data-h15-smoke/smoke] [--sets ...]

Sets (each <out>/<name>.npz):
  train          plume models fbm + cloud (+ wisps with --wisps), backgrounds road, night, rain, truck and
                 the TRAINING photos
  val            the same families, fresh seeds: for watching training (never for the figures)
  heldout        the held-out plume model (puffs) over the held-out families (wall, sky) and the
                 EVALUATION photos: nothing in it was seen in training -- the model card's figures
  heldout_fresh  heldout's recipe with other seeds: round 3 chose its training change after
                 diagnosing `heldout`, so this copy (never looked at before the models were fixed)
                 is the one whose samples nothing was chosen on -- the generators are the same
  heldout_fresh2 heldout's recipe with seeds of its own (round 5): rendered after round 5's candidate
                 was chosen on `val`, the set no decision of that round was made on
  heldout_fresh3 heldout's recipe with seeds of its own (round 7): rendered for round 7's one judgement,
                 after its rule was chosen on `val` and written down
  heldout_fresh4 heldout's recipe with seeds of its own (round 8): rendered for round 8's one judgement,
                 after its plan and rule were committed
  heldout_fresh5 heldout's recipe with seeds of its own (round 9), the same way
  train_mix      train's recipe (natural core-size mix) with seeds of its own, so that it shares no
                 plume with `train` (round 5: core-balanced `train` + `train_mix`)
  heldout_plume  puffs over the training families (fresh seeds, evaluation photos): the plume model alone
  heldout_bg     fbm + cloud over wall, sky and the evaluation photos: the backgrounds alone
The held-out sets have the issue's shape: `--per-level` plumes of each level 1-5, and `--per-kind`
crops of each negative kind (samples.NEGATIVES), spread evenly over the set's families.
Photos are split by a stable hash of the file name (render.scene_photos: ~70 % train / 30 % eval).
Seeds: (set id, index), a different id per set, so no two sets share a random stream.
Arrays: images, references uint8 [N,64,64,3] RGB; level, opacity, kind, family, plume, observable.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import cv2
import numpy as np

from tools.smoke import plumes
from tools.smoke import render as R
from tools.smoke import samples as S

DEFAULT_OUT = "/work/data-h15-smoke/smoke"
SET_IDS = {"train": 10, "val": 11, "heldout": 12, "heldout_plume": 13, "heldout_bg": 14, "heldout_fresh": 15,
           "train_mix": 16, "heldout_fresh2": 17, "heldout_fresh3": 18, "heldout_fresh4": 19, "heldout_fresh5": 20, "fixtures": 2, "clips-train": 3, "clips-eval": 4}
FAMILIES = ("road", "night", "rain", "truck", "photo", "wall", "sky")
TRAIN_FAMILIES = {"road": 0.2, "night": 0.15, "rain": 0.15, "truck": 0.25, "photo": 0.25}
HELDOUT_FAMILIES = ("wall", "sky", "photo")
# which sets draw from what: the training families and photos with the natural level mix, or the
# issue's shape (per level, per kind) over the unseen families and/or the unseen plume model
NATURAL_SETS = ("train", "val", "train_mix")
FRESH_SETS = ("heldout_fresh", "heldout_fresh2", "heldout_fresh3", "heldout_fresh4", "heldout_fresh5")
UNSEEN_FAMILY_SETS = ("heldout", *FRESH_SETS, "heldout_bg")
UNSEEN_PLUME_SETS = ("heldout", *FRESH_SETS, "heldout_plume")
TRAIN_PLUMES = ("fbm", "cloud")
VISIBLE_CORE, VISIBLE_CONTRAST = 0.02, 0.15  # evaluate.visible
HELDOUT_PLUME = "puffs"
TRAIN_KINDS = {"smoke": 0.55, "clean": 0.06, "steam": 0.07, "dust": 0.05, "shadow": 0.07, "wet": 0.05,
               "glare": 0.04, "body": 0.05, "exposure": 0.03, "none": 0.03}


def _pool(split):
    return R.PhotoPool(R.scene_photos(split))


def plan(name, n, per_level, per_kind):
    """[(family, kind, plume model, level or None)] for one set, deterministic."""
    rng = np.random.default_rng((SET_IDS[name], 999))
    if name in NATURAL_SETS:
        fam = rng.choice(list(TRAIN_FAMILIES), n, p=list(TRAIN_FAMILIES.values()))
        kind = rng.choice(list(TRAIN_KINDS), n, p=list(TRAIN_KINDS.values()))
        model = rng.choice(TRAIN_PLUMES, n)
        return [(f, k, m, None) for f, k, m in zip(fam, kind, model)]
    fams = HELDOUT_FAMILIES if name in UNSEEN_FAMILY_SETS else tuple(TRAIN_FAMILIES)
    models = (HELDOUT_PLUME,) if name in UNSEEN_PLUME_SETS else TRAIN_PLUMES
    out = []
    for lv in range(1, 6):
        out += [(fams[i % len(fams)], "smoke", models[(i // len(fams)) % len(models)], lv) for i in range(per_level)]
    for k in S.NEGATIVES:
        out += [(fams[i % len(fams)], k, models[(i // len(fams)) % len(models)], None) for i in range(per_kind)]
    return out


# --core-balance: each training plume gets a target bin of core fraction (the share of the crop its
# dense part covers), drawn uniformly, and is redrawn (fresh seeds) until it falls in it. Without it
# fbm + cloud make few small dense cores (8 % of val's plumes under 5 % of the crop), and small
# cores are where the grader errs most on every set (tools/smoke/diagnose.py; model card).
CORE_BINS = ((0.02, 0.05), (0.05, 0.1), (0.1, 0.2), (0.2, 1.01))
CORE_TRIES = 16


def is_bright(name, i, p):
    """--bright P (round 8): item i of a natural set is rendered over a bright view with probability
    P, drawn from a stream of its own so that every other item is the crop it was without it."""
    return p > 0 and name in NATURAL_SETS and np.random.default_rng((SET_IDS[name], i, 88)).random() < p


PLUME_KINDS = ("smoke", "clean", "steam", "dust")   # the kinds drawn with a plume model
EXTRA_PLUME = "wisps"


def is_wisps(name, i, kind, p):
    """--wisps P (round 9): a plume item of a natural set is drawn with the third training plume
    model (plumes `wisps`) with probability P, from a stream of its own, so that every other item
    is the crop it was without it."""
    return (p > 0 and name in NATURAL_SETS and kind in PLUME_KINDS
            and np.random.default_rng((SET_IDS[name], i, 99)).random() < p)


def _render_balanced(name, i, fam, kind, model, photos, lv, bright=False):
    rng = np.random.default_rng((SET_IDS[name], i))
    if kind != "smoke":
        return S.render(rng, fam, kind, model, photos, level=lv, bright=bright)
    lo, hi = CORE_BINS[int(np.random.default_rng((SET_IDS[name], i, 77)).integers(len(CORE_BINS)))]
    for t in range(CORE_TRIES):
        s = S.render(rng if t == 0 else np.random.default_rng((SET_IDS[name], i, t)), fam, kind, model, photos,
                     level=lv, bright=bright)
        if lo <= s["core_fraction"] < hi:
            break
    return s


def render_set(name, n=0, per_level=200, per_kind=100, progress=True, core_balance=False, items_range=None,
               bright=0.0, wisps=0.0):
    cv2.setNumThreads(1)
    photos = _pool("train" if name in NATURAL_SETS else "eval")
    items = plan(name, n, per_level, per_kind)
    lo, hi = items_range or (0, len(items))
    items = list(enumerate(items))[lo:hi]  # the same crops (same seeds) as those items of the whole set
    keys = ("image", "reference", "level", "opacity", "kind", "family", "plume", "observable",
            "core_fraction", "relative_contrast")
    out = {k: [] for k in keys}
    t0 = time.time()
    for j, (i, (fam, kind, model, lv)) in enumerate(items):
        b = is_bright(name, i, bright)
        model = EXTRA_PLUME if is_wisps(name, i, kind, wisps) else model
        if core_balance:
            s = _render_balanced(name, i, fam, kind, model, photos, lv, bright=b)
        else:
            s = S.render(np.random.default_rng((SET_IDS[name], i)), fam, kind, model, photos, level=lv, bright=b)
        for k in keys:
            out[k].append(s[k])
        if progress and ((j + 1) % 2000 == 0 or j + 1 == len(items)):
            el = time.time() - t0
            print("  %s: %d/%d rendered, %.0f s" % (name, j + 1, len(items), el), flush=True)
    d = {"images": np.stack(out["image"]), "references": np.stack(out["reference"]),
            "level": np.array(out["level"], np.int8), "opacity": np.array(out["opacity"], np.float32),
            "kind": np.array([S.KINDS.index(k) for k in out["kind"]], np.int8),
            "family": np.array([FAMILIES.index(f) for f in out["family"]], np.int8),
            "plume": np.array([plumes.MODELS.index(p) for p in out["plume"]], np.int8),
            "observable": np.array(out["observable"], bool),
            "core_fraction": np.array(out["core_fraction"], np.float32),
            "relative_contrast": np.array(out["relative_contrast"], np.float32)}
    d["visible"] = visible(d)
    return d


def visible(d):
    """Plumes a person could grade: the dense part covers >= 2 % of the crop (80 of 4096 px) and
    the smoke differs from what is behind it by >= 15 %; negatives always. Tiny or near-invisible
    plumes still get their renderer level, which no reader can see (evaluate.py `--all-plumes`
    scores them too)."""
    kind = np.array(S.KINDS)[d["kind"]]
    ok = (d["core_fraction"] >= VISIBLE_CORE) & (d["relative_contrast"] >= VISIBLE_CONTRAST)
    return d["observable"] & ((kind != "smoke") | ok)


def _items(text):
    """--items A:B, 0 <= A < B."""
    try:
        lo, hi = (int(v) for v in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not A:B (two whole numbers)" % text) from None
    if not 0 <= lo < hi:
        raise argparse.ArgumentTypeError("%r: need 0 <= A < B" % text)
    return lo, hi


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", type=int, default=32000)
    ap.add_argument("--val", type=int, default=3000)
    ap.add_argument("--per-level", type=int, default=200)
    ap.add_argument("--per-kind", type=int, default=100)
    ap.add_argument("--sets", default="train,val,heldout,heldout_plume,heldout_bg")
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--core-balance", action="store_true",
                    help="train/val plumes spread evenly over core-fraction bins (CORE_BINS); held-out sets never")
    ap.add_argument("--items", type=_items, default=None,
                    help="A:B renders only items A..B-1 of each set (the same crops as in the whole set) "
                         "into <name>_A-B.npz")
    ap.add_argument("--bright", type=float, default=0.0,
                    help="round 8: P of a train/val/train_mix item being over a bright day view "
                         "(samples.bright_view); files are named <name>_bP (P in %%)")
    ap.add_argument("--wisps", type=float, default=0.0,
                    help="round 9: P of a train/val/train_mix plume item being drawn with the `wisps` plume "
                         "model (plumes.py); files are named <name>[_bP]_wP (P in %%)")
    a = ap.parse_args(argv)
    for opt in ("bright", "wisps"):
        if not 0 <= getattr(a, opt) <= 1:
            ap.error("--%s: %s is not a probability (0-1)" % (opt, getattr(a, opt)))
    os.makedirs(a.out, exist_ok=True)
    rng_items = a.items
    unknown = [n for n in a.sets.split(",") if n not in SET_IDS]
    if unknown:
        ap.error("--sets: unknown set %s (one of %s)" % (", ".join(unknown), ", ".join(SET_IDS)))
    for name in a.sets.split(","):
        n = {"train": a.train, "train_mix": a.train, "val": a.val}.get(name, 0)
        try:
            d = render_set(name, n, a.per_level, a.per_kind, core_balance=a.core_balance and name in NATURAL_SETS,
                           items_range=rng_items, bright=a.bright, wisps=a.wisps)
        except FileNotFoundError as e:  # the photo family's photos live beside the checkout, not in it
            print("dataset: cannot render %s: %s" % (name, e), file=sys.stderr)
            return 2
        tag = "_b%d" % round(100 * a.bright) if a.bright and name in NATURAL_SETS else ""
        tag += "_w%d" % round(100 * a.wisps) if a.wisps and name in NATURAL_SETS else ""
        path = os.path.join(a.out, name + tag + ("_%d-%d" % rng_items if rng_items else "") + ".npz")
        np.savez_compressed(path, **d)
        print("wrote %s: %d crops, levels %s, unobservable %d" % (
            path, len(d["level"]), np.bincount(d["level"], minlength=6).tolist(), int((~d["observable"]).sum())), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
