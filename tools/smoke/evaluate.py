"""Measure the smoke grader on the held-out sets, in the issue's terms, for both modes.

    .venv/bin/python -m tools.smoke.evaluate [--data /work/data-h15-smoke/smoke] [--models models]
                                             [--sets heldout,heldout_plume,heldout_bg] [--out report]

For each set (tools/smoke/dataset.py: `heldout` = a plume model and background families never
trained on) and each grader -- SmokeGrader in "reference" mode (the lane's default: crop + its
empty-lane reference) and in "crop" mode (no reference), fp32 and int8, and the classical chart
reading (ringelmann.estimate) with and without the reference as the baseline -- it reports:
  * plumes (levels 1-5): exact level, within one, per true level, per background family, and the
    mean absolute opacity error;
  * negatives: false alarms (graded >= 1, and >= 2, the lane's event threshold) per kind;
  * the confusion matrix.
Crops whose plume cannot be seen at all (samples.observable False: black smoke on a black body)
are counted and left out, and so (unless --all-plumes) are plumes too small or too faint to
grade (evaluate.visible: dense part under 2 % of the crop, or under 15 % contrast with what is
behind it); both figures are in the card. Writes <out>.json and <out>.md (the tables in the model card).
Runs in the main venv (ai-edge-litert); nothing here trains.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import zipfile

import cv2
import numpy as np

from edge.vision.smoke import classifier as C
from edge.vision.smoke import ringelmann
from edge.vision.smoke.grader import SmokeGrader
from tools.smoke import dataset as D
from tools.smoke import samples as S


def grade_all(name, d, models, variant, none_weight=None):
    """Levels, opacities and the raw 7 outputs per crop (zeros for the classical reading)."""
    if name.startswith("classical"):
        use_ref = name == "classical_reference"
        est = [ringelmann.estimate(im, rf if use_ref else None) for im, rf in zip(d["images"], d["references"])]
        return (np.array([e["level"] for e in est]), np.array([e["opacity"] for e in est]),
                np.zeros((len(est), 7), np.float32))
    g = SmokeGrader(models, variant=variant, none_weight=none_weight)
    ref = name.startswith("reference")
    got = [g.outputs(im, rf if ref else None) for im, rf in zip(d["images"], d["references"])]
    rs = [C.read_outputs(out, cnn.none_weight) for out, cnn, _ in got]  # what g.grade() returns, outputs kept
    outs = np.array([out for out, _, _ in got], np.float32)
    return np.array([r["level"] for r in rs]), np.array([r["opacity"] for r in rs]), outs


SET_KEYS = ("images", "references", "level", "opacity", "kind", "family", "observable")  # what grading and scoring read
visible = D.visible  # the one rule of which plumes a person could grade (dataset.py stores it per set)


def scored(d, all_plumes=False):
    """The crops a figure counts: the visible ones (or every observable one with `all_plumes`, or
    for a set rendered before the visibility fields existed)."""
    return d["observable"] if all_plumes or "core_fraction" not in d else visible(d)


def score(d, level, opacity, keep=None):
    keep = d["observable"] if keep is None else keep
    kind = np.array(S.KINDS)[d["kind"]]
    fam = np.array(D.FAMILIES)[d["family"]]
    truth = d["level"].astype(int)
    sm = keep & (kind == "smoke")
    neg = keep & (kind != "smoke")

    def acc(sel):
        n = int(sel.sum())
        if not n:
            return {"n": 0}
        return {"n": n, "exact": round(float(np.mean(level[sel] == truth[sel])), 4),
                "within_one": round(float(np.mean(np.abs(level[sel] - truth[sel]) <= 1)), 4),
                "opacity_mae": round(float(np.mean(np.abs(opacity[sel] - d["opacity"][sel]))), 4)}
    out = {"plumes": acc(sm), "unobservable": int((~keep).sum()),
           "by_level": {str(lv): acc(sm & (truth == lv)) for lv in range(1, 6)},
           "by_family": {f: acc(sm & (fam == f)) for f in D.FAMILIES if (sm & (fam == f)).any()},
           "negatives": {"n": int(neg.sum()), "ge1": int(np.sum(level[neg] >= 1)), "ge2": int(np.sum(level[neg] >= 2))},
           "by_kind": {}, "by_family_negatives": {}}
    for k in S.NEGATIVES:
        sel = neg & (kind == k)
        if sel.any():
            out["by_kind"][k] = {"n": int(sel.sum()), "ge1": int(np.sum(level[sel] >= 1)), "ge2": int(np.sum(level[sel] >= 2))}
    for f in D.FAMILIES:
        sel = neg & (fam == f)
        if sel.any():
            out["by_family_negatives"][f] = {"n": int(sel.sum()), "ge1": int(np.sum(level[sel] >= 1)),
                                             "ge2": int(np.sum(level[sel] >= 2))}
    m = np.zeros((6, 6), int)
    for t, p in zip(truth[keep], level[keep]):
        m[t, p] += 1
    out["confusion"] = m.tolist()
    return out


GRADERS = (("reference_fp32", "fp32"), ("reference_int8", "int8"), ("crop_fp32", "fp32"), ("crop_int8", "int8"),
           ("classical_reference", None), ("classical_border", None))


def markdown(rep):
    out = []
    for set_name, res in rep.items():
        if not all(g in res for g in ("reference_fp32", "crop_fp32", "classical_reference")):
            continue  # a partial run (--graders): the summary lines above are its report
        out += ["", "### %s" % set_name, "",
                "| grader | exact (plumes L1-5) | within one | opacity MAE | false alarms >=1 | >=2 |",
                "|---|---|---|---|---|---|"]
        for g, s in res.items():
            p, n = s["plumes"], s["negatives"]
            out.append("| %s | %.1f %% | %.1f %% | %.3f | %d/%d | %d/%d |" % (
                g, 100 * p["exact"], 100 * p["within_one"], p["opacity_mae"], n["ge1"], n["n"], n["ge2"], n["n"]))
        out += ["", "Per true level, exact / within one (reference fp32 | crop fp32 | classical with reference):", "",
                "| level | n | reference | crop | classical |", "|---|---|---|---|---|"]
        for lv in map(str, range(1, 6)):
            cells = []
            for g in ("reference_fp32", "crop_fp32", "classical_reference"):
                a = res[g]["by_level"][lv]
                cells.append("%.0f / %.0f %%" % (100 * a["exact"], 100 * a["within_one"]) if a["n"] else "-")
            out.append("| %s | %d | %s |" % (lv, res["reference_fp32"]["by_level"][lv]["n"], " | ".join(cells)))
        out += ["", "Per background family (plumes), exact / within one; negatives graded >= 1:", "",
                "| family | n | reference | crop | negatives >=1 reference | crop |", "|---|---|---|---|---|---|"]
        for f, a in res["reference_fp32"]["by_family"].items():
            c = res["crop_fp32"]["by_family"][f]
            nr = res["reference_fp32"]["by_family_negatives"].get(f, {"n": 0, "ge1": 0})
            nc = res["crop_fp32"]["by_family_negatives"].get(f, {"n": 0, "ge1": 0})
            out.append("| %s | %d | %.0f / %.0f %% | %.0f / %.0f %% | %d/%d | %d/%d |" % (
                f, a["n"], 100 * a["exact"], 100 * a["within_one"], 100 * c["exact"], 100 * c["within_one"],
                nr["ge1"], nr["n"], nc["ge1"], nc["n"]))
        out += ["", "Negatives per kind, graded >= 1 (>= 2):", "",
                "| kind | n | reference fp32 | reference int8 | crop fp32 | crop int8 | classical ref |",
                "|---|---|---|---|---|---|---|"]
        for k, a in res["reference_fp32"]["by_kind"].items():
            cells = ["%d (%d)" % (res[g]["by_kind"][k]["ge1"], res[g]["by_kind"][k]["ge2"])
                     for g in ("reference_fp32", "reference_int8", "crop_fp32", "crop_int8", "classical_reference")]
            out.append("| %s | %d | %s |" % (k, a["n"], " | ".join(cells)))
        for g in ("reference_fp32", "crop_fp32"):
            m = np.array(res[g]["confusion"])
            out += ["", "%s confusion (rows: true level, columns: graded):" % g, "",
                    "| true \\ graded | 0 | 1 | 2 | 3 | 4 | 5 |", "|---|---|---|---|---|---|---|"]
            out += ["| %d | %s |" % (t, " | ".join(str(v) for v in m[t])) for t in range(6)]
        un = res["reference_fp32"]["unobservable"]
        if un:
            out += ["", "Left out: %d plume crops that cannot be graded (black on black, or a plume "
                    "too small or too faint to see: see the card)." % un]
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=D.DEFAULT_OUT)
    ap.add_argument("--models", default="models")
    ap.add_argument("--sets", default="heldout,heldout_plume,heldout_bg")
    ap.add_argument("--graders", default=",".join(g for g, _ in GRADERS))
    ap.add_argument("--out", default=os.path.join(D.DEFAULT_OUT, "report"))
    ap.add_argument("--all-plumes", action="store_true", help="score every observable plume, tiny or faint ones too")
    ap.add_argument("--none-weight", type=float, default=None,
                    help="P(level 0) weight for every CNN grader (default: each model's calibration file)")
    a = ap.parse_args(argv)
    if a.none_weight is not None and not a.none_weight > 0:
        ap.error("--none-weight must be > 0")
    cv2.setNumThreads(1)
    variants = dict(GRADERS)
    rep, preds = {}, {}
    for set_name in a.sets.split(","):
        path = os.path.join(a.data, set_name + ".npz")
        if not os.path.exists(path):  # a fresh checkout: render it (seeded, under a minute)
            if D.main(["--sets", set_name, "--out", a.data]) != 0:
                print("evaluate: %s is not in %s and could not be rendered (line above)" % (set_name, a.data),
                      file=sys.stderr)
                return 2
        try:
            d = dict(np.load(path))
            missing = [k for k in SET_KEYS if k not in d]
        except (OSError, EOFError, ValueError, zipfile.BadZipFile) as e:
            missing, why = None, "%s: %s" % (type(e).__name__, e)
        if missing is None or missing:
            print("evaluate: %s is not a rendered set (%s)" % (path, why if missing is None else
                  "no " + ", ".join(missing)), file=sys.stderr)
            return 2
        rep[set_name] = {}
        for g in a.graders.split(","):
            t = time.time()
            level, opacity, outs = grade_all(g, d, a.models, variants[g], a.none_weight)
            keep = scored(d, a.all_plumes)
            s = rep[set_name][g] = score(d, level, opacity, keep)
            preds["%s/%s/level" % (set_name, g)], preds["%s/%s/opacity" % (set_name, g)] = level, opacity
            preds["%s/%s/outputs" % (set_name, g)] = outs  # calibrate.py re-reads levels from these
            print("%-14s %-20s plumes exact %.3f within one %.3f | negatives >=1 %d/%d >=2 %d  [%.0f s]" % (
                set_name, g, s["plumes"]["exact"], s["plumes"]["within_one"], s["negatives"]["ge1"],
                s["negatives"]["n"], s["negatives"]["ge2"], time.time() - t), flush=True)
    md = markdown(rep)
    print(md)
    with open(a.out + ".md", "w") as f:
        f.write(md + "\n")
    with open(a.out + ".json", "w") as f:
        json.dump(rep, f, indent=1)
    np.savez_compressed(a.out + "_preds.npz", **preds)  # per crop: later breakdowns without grading again
    print("\nwrote %s.{md,json} and %s_preds.npz" % (a.out, a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
