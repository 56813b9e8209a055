"""Choose a smoke model's "none" weight on `val` and write it beside the model.

    .venv/bin/python -m tools.smoke.calibrate --preds EVAL_preds.npz --data DIR [--set val]
        [--grader reference_fp32] [--max-false-alarms N | --max-false-alarm-rate R]
        [--write models/smoke_ringelmann_ref.calibration.json]

The grader reads the level as the argmax of the six level probabilities after P(level 0) is
multiplied by the weight (classifier.read_outputs). A weight > 1 trades level-1 calls on faint
views (wheel dust, clean views, shadows) against level-1 plumes read as none. This tool replays
the outputs that `tools.smoke.evaluate` saved (`<set>/<grader>/outputs`, graded with weight 1),
so a sweep costs no inference: for each weight of the grid it prints exact / within one on the
visible plumes and the false alarms >= 1 (>= 2) on the negatives, then picks the smallest weight
whose false alarms >= 1 are within the bound. Choose on `val` only: a held-out set that picked
the weight is no longer held out.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

from edge.vision.smoke import classifier as C
from tools.smoke import evaluate as E
from tools.smoke import samples as S

GRID = (1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 16.0)


def sweep(d, outs, keep, grid=GRID):
    """Rows of (weight, score dict) for each weight: the evaluator's own scoring of the levels
    read_outputs gives at that weight."""
    rows = []
    for w in grid:
        rs = [C.read_outputs(o, w) for o in outs]
        level = np.array([r["level"] for r in rs])
        opacity = np.array([r["opacity"] for r in rs])
        rows.append((w, E.score(d, level, opacity, keep)))
    return rows


def choose(rows, max_false_alarms):
    """The smallest weight whose false alarms >= 1 are <= the bound (None if no weight meets it):
    the least change to the level read that meets the bound."""
    for w, s in rows:
        if s["negatives"]["ge1"] <= max_false_alarms:
            return w
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preds", required=True, help="the *_preds.npz tools.smoke.evaluate wrote")
    ap.add_argument("--data", required=True, help="the folder of the rendered sets")
    ap.add_argument("--set", default="val")
    ap.add_argument("--grader", default="reference_fp32")
    bound = ap.add_mutually_exclusive_group()
    bound.add_argument("--max-false-alarms", type=int, help="false alarms >= 1 allowed on the set")
    bound.add_argument("--max-false-alarm-rate", type=float, help="the same as a share of the negatives")
    ap.add_argument("--write", help="calibration file to write with the chosen weight")
    a = ap.parse_args(argv)
    key = "%s/%s/outputs" % (a.set, a.grader)
    try:
        preds = np.load(a.preds)
    except (OSError, ValueError, EOFError) as e:  # missing, empty or not an .npz
        ap.error("--preds %s: cannot read it as the .npz tools.smoke.evaluate writes (%s)" % (a.preds, e))
    if key not in preds:
        ap.error("--preds %s has no %s (re-run tools.smoke.evaluate with this set and grader)" % (a.preds, key))
    path = os.path.join(a.data, a.set + ".npz")
    if not os.path.exists(path):
        ap.error("--data: %s not found" % path)
    try:
        d = dict(np.load(path))
    except (OSError, ValueError, EOFError) as e:
        ap.error("--data: cannot read %s (%s)" % (path, e))
    outs = preds[key]
    if len(outs) != len(d["level"]):
        ap.error("--preds: %d outputs for %d crops of %s: not the same set" % (len(outs), len(d["level"]), path))
    rows = sweep(d, outs, E.scored(d))
    n_neg = rows[0][1]["negatives"]["n"]
    print("%s, %s: %d visible plumes, %d negatives" % (a.set, a.grader, rows[0][1]["plumes"]["n"], n_neg))
    print("  weight  exact  within1  L1 exact  FA>=1 (>=2)  " + " ".join("%6s" % k for k in S.NEGATIVES))
    for w, s in rows:
        bk = s["by_kind"]
        print("  %6.2f  %5.1f  %6.1f   %6.1f   %4d (%3d)   " % (
            w, 100 * s["plumes"]["exact"], 100 * s["plumes"]["within_one"], 100 * s["by_level"]["1"]["exact"],
            s["negatives"]["ge1"], s["negatives"]["ge2"]) + " ".join("%6d" % bk.get(k, {"ge1": 0})["ge1"] for k in S.NEGATIVES))
    limit = a.max_false_alarms
    if a.max_false_alarm_rate is not None:
        limit = int(np.floor(a.max_false_alarm_rate * n_neg))
    if limit is None:
        return 0
    w = choose(rows, limit)
    if w is None:
        print("no weight up to %g holds false alarms >= 1 at <= %d" % (GRID[-1], limit))
        return 1
    print("chosen: none_weight %g (false alarms >= 1 <= %d on %s)" % (w, limit, a.set))
    if a.write:
        with open(a.write, "w") as f:
            json.dump({"none_weight": w, "chosen_on": a.set, "grader": a.grader, "max_false_alarms": limit}, f, indent=1)
            f.write("\n")
        print("wrote", a.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
