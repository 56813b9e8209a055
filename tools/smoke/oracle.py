"""The task's own ceiling: how an opacity reader of a given precision scores at 20 % steps.

    .venv/bin/python -m tools.smoke.oracle [--data /work/data-h15-smoke/smoke2b] [--sets heldout]

On the visible plumes (levels 1-5) of each set, the TRUE opacity plus Gaussian noise of sigma,
rounded to the level: a plume near a band edge is a coin toss for any reader that is not exact,
so "exact level" needs an opacity error far below the band's 20 %. Compare a grader's opacity
error (evaluate.py, "opacity MAE"; for Gaussian errors sigma = 1.25 x MAE) with this table to
know how far it is from the ceiling. Nothing here learns.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

from tools.smoke import dataset as D
from tools.smoke import evaluate as E
from tools.smoke import samples as S

SIGMAS = (0.0, 0.02, 0.03, 0.035, 0.04, 0.05, 0.06, 0.08)


def level(op):
    return np.clip(np.floor(np.asarray(op) * 5 + 0.5), 0, 5).astype(int)


def ceiling(opacity, truth, sigmas=SIGMAS, seed=0, repeats=20):
    """{sigma: (exact, within one)} of truth-plus-noise readers, averaged over `repeats` draws."""
    rng = np.random.default_rng(seed)
    out = {}
    for s in sigmas:
        ex, w1 = [], []
        for _ in range(repeats):
            lv = level(np.clip(opacity + rng.normal(0, s, len(opacity)), 0, 1))
            ex.append(np.mean(lv == truth))
            w1.append(np.mean(np.abs(lv - truth) <= 1))
        out["%.3f" % s] = {"exact": round(float(np.mean(ex)), 4), "within_one": round(float(np.mean(w1)), 4)}
    return out


def visible_plumes(d):
    """The plumes evaluate.py scores (observable, and visible: evaluate.visible)."""
    kind = np.array(S.KINDS)[d["kind"]]
    return (kind == "smoke") & E.visible(d)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=D.DEFAULT_OUT)
    ap.add_argument("--sets", default="heldout")
    a = ap.parse_args(argv)
    rep = {}
    for name in a.sets.split(","):
        path = os.path.join(a.data, name + ".npz")
        if not os.path.exists(path):
            print("oracle: set %s: no file %s (render it with tools.smoke.dataset)" % (name, path), file=sys.stderr)
            return 2
        d = dict(np.load(path))
        sel = visible_plumes(d)
        r = rep[name] = ceiling(d["opacity"][sel].astype(np.float64), d["level"][sel].astype(int))
        print("%s: %d visible plumes; opacity error sigma -> exact / within one:" % (name, int(sel.sum())))
        for s, v in r.items():
            print("  sigma %s: %.1f %% / %.1f %%" % (s, 100 * v["exact"], 100 * v["within_one"]))
    print(json.dumps(rep))
    return 0


if __name__ == "__main__":
    sys.exit(main())
