"""Where a grader's opacity error comes from: bias (a systematic offset) or spread (noise), per
true level, plume model, background family and plume property.

    .venv/bin/python -m tools.smoke.diagnose --data /work/data-h15c-smoke/smoke \
        --preds /work/data-h15c-smoke/eval/committed_preds.npz [--sets heldout] [--grader reference_fp32]

Reads the per-crop predictions evaluate.py writes (<out>_preds.npz) and the set itself, and on the
plumes evaluate.py scores (observable and visible, levels 1-5) prints, per group: n, the mean
signed opacity error (bias: predicted - true), its standard deviation (spread), the RMS, the
share of the squared error that is bias (bias^2 / RMS^2), exact level, and the share of level
misses that are low. A group whose error is mostly bias can be fixed by removing an offset the
renderer gap put there; one whose error is mostly spread cannot. Nothing here learns.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from tools.smoke import dataset as D
from tools.smoke import evaluate as E
from tools.smoke import plumes
from tools.smoke import samples as S


def stats(err, lv_pred, lv_true):
    n = len(err)
    if n == 0:
        return None
    bias, sd = float(err.mean()), float(err.std())
    rms = float(np.sqrt(np.mean(err ** 2)))
    miss = lv_pred != lv_true
    return {"n": n, "bias": bias, "sd": sd, "rms": rms, "bias_share": bias ** 2 / max(rms ** 2, 1e-12),
            "exact": float(np.mean(~miss)), "low_share": float(np.mean(lv_pred[miss] < lv_true[miss])) if miss.any() else 0.0}


def groups(d):
    """{(axis, value): mask} over the scored plumes."""
    kind = np.array(S.KINDS)[d["kind"]]
    sel = (kind == "smoke") & E.visible(d)
    fam = np.array(D.FAMILIES)[d["family"]]
    plume = np.array(plumes.MODELS)[d["plume"]]
    lv = d["level"].astype(int)
    rc, cf = d["relative_contrast"], d["core_fraction"]
    out = {("all", ""): sel}
    for v in range(1, 6):
        out[("level", str(v))] = sel & (lv == v)
    for v in np.unique(plume[sel]):
        out[("plume", v)] = sel & (plume == v)
    for v in np.unique(fam[sel]):
        out[("family", v)] = sel & (fam == v)
    for lo, hi in ((0.15, 0.4), (0.4, 0.7), (0.7, 0.9), (0.9, 1.01)):
        out[("contrast", "%.2f-%.2f" % (lo, hi))] = sel & (rc >= lo) & (rc < hi)
    for lo, hi in ((0.02, 0.05), (0.05, 0.1), (0.1, 0.2), (0.2, 1.01)):
        out[("core", "%.2f-%.2f" % (lo, hi))] = sel & (cf >= lo) & (cf < hi)
    return out


def table(d, opacity, level):
    rows = []
    for (axis, v), m in groups(d).items():
        s = stats(opacity[m] - d["opacity"][m], level[m], d["level"][m].astype(int))
        if s:
            rows.append((axis, v, s))
    return rows


def markdown(title, rows):
    out = ["", "#### %s" % title, "",
           "| group | n | bias (pred - true) | spread (sd) | RMS | bias share of MSE | exact | misses that are low |",
           "|---|---|---|---|---|---|---|---|"]
    for axis, v, s in rows:
        out.append("| %s %s | %d | %+.3f | %.3f | %.3f | %.0f %% | %.1f %% | %.0f %% |" % (
            axis, v, s["n"], s["bias"], s["sd"], s["rms"], 100 * s["bias_share"], 100 * s["exact"], 100 * s["low_share"]))
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=D.DEFAULT_OUT)
    ap.add_argument("--preds", required=True, help="evaluate.py's <out>_preds.npz")
    ap.add_argument("--sets", default="heldout")
    ap.add_argument("--grader", default="reference_fp32")
    a = ap.parse_args(argv)
    if not os.path.exists(a.preds):
        print("diagnose: no predictions file %s (run tools.smoke.evaluate first)" % a.preds, file=sys.stderr)
        return 2
    p = np.load(a.preds)
    for name in a.sets.split(","):
        key = "%s/%s/" % (name, a.grader)
        if key + "opacity" not in p:
            print("diagnose: %s has no %s predictions for set %s" % (a.preds, a.grader, name), file=sys.stderr)
            return 2
        d = dict(np.load(os.path.join(a.data, name + ".npz")))
        print(markdown("%s, %s" % (name, a.grader), table(d, p[key + "opacity"], p[key + "level"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
