"""Evaluate the smoke models on the held-out synthetic set and on rendered vehicle clips.

    .venv/bin/python -m tools.smoke.evaluate [--data var/smoke] [--models models] [--clips 100]

Prints (and writes <data>/report.json):
  * the lane's grader (SmokeGrader.grade(crop, reference): the reference-aware CNN) for fp32 and int8;
  * per-level confusion matrix, exact and within-one accuracy of each TFLite variant
    (fp32/fp16/int8: the quantisation cost) and of the classical estimate (against the
    empty-lane reference and against the crop border);
  * accuracy by background and by plume kind; negatives (steam, dust, nothing) graded >= 2/>= 3;
  * where the CNN and the classical estimate disagree by 2+ levels, and who was right;
  * clips: event rate per kind -- false alarms on clean exhaust, shadow, wet road, white steam,
    detections and event levels on black-smoke clips (SmokeEventDetector, threshold 2, 5 frames).
Runs in the main venv (ai-edge-litert); nothing here trains.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import cv2
import numpy as np

from edge.vision.smoke import ringelmann
from edge.vision.smoke.classifier import SmokeClassifier
from edge.vision.smoke.events import SmokeEventDetector
from edge.vision.smoke.grader import SmokeGrader
from tools.smoke import clips as C
from tools.smoke import render as R
from tools.smoke.dataset import SPLIT_IDS


def confusion(truth, pred):
    m = np.zeros((6, 6), int)
    for t, p in zip(truth, pred):
        m[t, p] += 1
    return m


def scores(truth, pred):
    truth, pred = np.asarray(truth), np.asarray(pred)
    return {"n": int(len(truth)), "exact": round(float(np.mean(truth == pred)), 4),
            "within_one": round(float(np.mean(np.abs(truth - pred) <= 1)), 4)}


def md_confusion(m, title):
    lines = ["%s (rows: true level, columns: predicted)" % title, "",
             "| true \\ pred | 0 | 1 | 2 | 3 | 4 | 5 | recall |", "|---|---|---|---|---|---|---|---|"]
    for t in range(6):
        n = m[t].sum()
        lines.append("| %d | %s | %s |" % (t, " | ".join(str(v) for v in m[t]),
                                           "%.2f" % (m[t, t] / n) if n else "-"))
    return "\n".join(lines)


def predict(clf, images):
    out = np.zeros(len(images), int)
    conf = np.zeros(len(images), np.float32)
    for i, im in enumerate(images):
        p = clf.probabilities(im)
        out[i], conf[i] = int(np.argmax(p)), float(np.max(p))
    return out, conf


def still_report(data, models):
    path = os.path.join(data, "eval.npz")
    if not os.path.exists(path):  # a fresh checkout: render the held-out set (seeded, ~3 min)
        from tools.smoke import dataset
        dataset.main(["--train", "0", "--eval", "3000", "--out", data])
    ev = np.load(path)
    images, refs, truth = ev["images"], ev["references"], ev["level"].astype(int)
    bg = np.array(R.BACKGROUNDS)[ev["bg"]]
    plume = np.array(R.PLUMES)[ev["plume"]]
    shadow = ev["shadow"]

    def breakdown(pred, high_levels=True):
        """Scores of one predictor overall and per background, plume and shadow, plus how
        often non-smoke is graded as smoke (and, for graders, steam/high-level confusions)."""
        s = scores(truth, pred)
        s["confusion"] = confusion(truth, pred).tolist()
        s["by_background"] = {b: scores(truth[bg == b], pred[bg == b]) for b in R.BACKGROUNDS}
        s["by_plume"] = {p: scores(truth[plume == p], pred[plume == p]) for p in R.PLUMES}
        s["by_shadow"] = {str(v): scores(truth[shadow == v], pred[shadow == v]) for v in (False, True)}
        neg = plume != "black"
        s["negatives_graded_ge2"] = round(float(np.mean(pred[neg] >= 2)), 4)
        if high_levels:
            s["negatives_graded_ge3"] = round(float(np.mean(pred[neg] >= 3)), 4)
            s["steam_graded_ge3"] = round(float(np.mean(pred[plume == "steam"] >= 3)), 4)
        return s

    rep = {"set": {"n": int(len(truth)), "levels": np.bincount(truth, minlength=6).tolist()}, "models": {}}
    print("held-out set: %d crops, levels %s" % (len(truth), rep["set"]["levels"]))
    preds = {}
    for kind in ("fp32", "fp16", "int8"):
        path = os.path.join(models, "smoke_ringelmann_%s.tflite" % kind)
        if not os.path.exists(path):
            continue
        t = time.time()
        pred, conf = predict(SmokeClassifier(path), images)
        preds[kind] = pred
        s = breakdown(pred)
        s["size_bytes"] = os.path.getsize(path)
        rep["models"][kind] = s
        print("  %s: exact %.3f, within one %.3f (%.0f s)" % (kind, s["exact"], s["within_one"], time.time() - t))
    for name, use_ref in (("classical_reference", True), ("classical_border", False)):
        est = [ringelmann.estimate(im, rf if use_ref else None) for im, rf in zip(images, refs)]
        pred = np.array([e["level"] for e in est])
        preds[name] = pred
        s = breakdown(pred, high_levels=False)
        rep["models"][name] = s
        print("  %s: exact %.3f, within one %.3f" % (name, s["exact"], s["within_one"]))
    for kind in ("fp32", "int8"):  # the lane's level with an empty-lane reference (ringelmann.combined_level)
        if kind not in preds:
            continue
        est = [{"level": int(v), "reference": True} for v in preds["classical_reference"]]
        pred = np.array([ringelmann.combined_level(c, e) for c, e in zip(preds[kind], est)])
        s = breakdown(pred)
        rep["models"]["combined_" + kind] = s
        print("  combined_%s (CNN >= %d -> classical level): exact %.3f, within one %.3f" % (
            kind, ringelmann.SMOKE_FROM, s["exact"], s["within_one"]))
    for variant in ("fp32", "int8"):  # the lane's entry point, with the empty-lane reference
        if not os.path.exists(os.path.join(models, "smoke_ringelmann_ref_%s.tflite" % variant)):
            continue
        t = time.time()
        g = SmokeGrader(models, variant=variant)
        pred = np.array([g.grade(im, rf)["level"] for im, rf in zip(images, refs)])
        s = breakdown(pred)
        s["size_bytes"] = os.path.getsize(os.path.join(models, "smoke_ringelmann_ref_%s.tflite" % variant))
        rep["models"]["grader_ref_" + variant] = s
        print("  grader_ref_%s (SmokeGrader with reference): exact %.3f, within one %.3f (%.0f s)" % (
            variant, s["exact"], s["within_one"], time.time() - t), flush=True)
    if "fp32" in preds:  # cross-check: where do the CNN and the chart reading disagree by 2+ levels?
        cnn, cls = preds["fp32"], preds["classical_reference"]
        far = np.abs(cnn - cls) >= 2
        rows = {}
        for key, vals in (("background", bg), ("plume", plume), ("shadow", ev["shadow"].astype(str))):
            for v in np.unique(vals):
                sel = far & (vals == v)
                if sel.any():
                    rows["%s=%s" % (key, v)] = {"n": int(sel.sum()), "of": int((vals == v).sum()),
                                                "cnn_right": int(np.sum(cnn[sel] == truth[sel])),
                                                "classical_right": int(np.sum(cls[sel] == truth[sel]))}
        rep["disagreement"] = {"n": int(far.sum()), "of": int(len(far)), "rate": round(float(far.mean()), 4),
                               "cnn_right": int(np.sum(cnn[far] == truth[far])),
                               "classical_right": int(np.sum(cls[far] == truth[far])), "by": rows}
        print("  CNN vs classical (reference) differ by 2+ levels on %d/%d crops" % (far.sum(), len(far)))
    return rep


def clip_report(models, n_clips, threshold=2, min_frames=5, seed_split="clips-eval", combined=False, grader=False):
    clf = SmokeClassifier(os.path.join(models, "smoke_ringelmann_fp32.tflite"))
    g = SmokeGrader(models) if grader else None
    photos = R.PhotoPool(R.scene_photos("eval"))
    rep = {"threshold": threshold, "min_frames": min_frames, "fps": C.FPS, "kinds": {}, "combined": combined,
           "grader": grader}
    t0 = time.time()
    for ki, kind in enumerate(C.KINDS):
        events, levels, truths, frame_ge, by_level = 0, [], [], 0, {}
        post_frames = 0
        for j in range(n_clips):
            rng = np.random.default_rng((SPLIT_IDS[seed_split], ki, j))
            clip = C.render_clip(rng, kind, photos, level=1 + j % 5 if kind == "smoke" else None)
            det = SmokeEventDetector(threshold, min_frames, watch_frames=C.N_FRAMES)
            event = None
            for i, (f, v) in enumerate(zip(clip["frames"], clip["vehicle"])):
                if g is not None:  # the lane: SmokeGrader against the clip's first, empty frame
                    r = g.grade(f, clip["frames"][0])
                else:
                    r = clf.classify(f)
                if combined:  # the clip's first frame is the empty lane (as `edge smoke --vehicle` uses it)
                    r["level"] = ringelmann.combined_level(r["level"], ringelmann.estimate(f, clip["frames"][0]))
                if not v and i >= C.PASS[1]:
                    post_frames += 1
                    frame_ge += r["level"] >= threshold
                e = det.feed({"index": i, "level": r["level"], "confidence": r["confidence"], "vehicle": bool(v)})
                event = event or e
            by_level.setdefault(clip["level"], [0, 0])[0] += 1
            if event:
                events += 1
                by_level[clip["level"]][1] += 1
                levels.append(event["record"]["smokeLevel"])
                truths.append(clip["level"])
        k = {"clips": n_clips, "events": events, "event_rate": round(events / n_clips, 4),
             "frames_after_vehicle_ge_threshold": round(frame_ge / max(1, post_frames), 4)}
        if kind == "smoke":
            k["event_level_exact"] = round(float(np.mean(np.array(levels) == np.array(truths))), 4) if levels else None
            k["event_level_within_one"] = round(float(np.mean(np.abs(np.array(levels) - np.array(truths)) <= 1)), 4) if levels else None
            # detection per true level: level 1 is below the threshold and should not fire
            k["by_level"] = {str(lv): {"clips": n, "events": e} for lv, (n, e) in sorted(by_level.items())}
        rep["kinds"][kind] = k
        print("  clips %-6s: %d/%d with an event (%.1f%%); frames after the vehicle >= %d: %.1f%%  [%.0f s]" % (
            kind, events, n_clips, 100.0 * events / n_clips, threshold,
            100.0 * k["frames_after_vehicle_ge_threshold"], time.time() - t0), flush=True)
    return rep


def markdown(rep):
    """The tables for the model card."""
    out = []
    models = rep["models"]
    out.append("| model | exact | within one | negatives graded >=2 | steam graded >=3 | size |")
    out.append("|---|---|---|---|---|---|")
    for name, s in models.items():
        out.append("| %s | %.3f | %.3f | %s | %s | %s |" % (
            name, s["exact"], s["within_one"], s.get("negatives_graded_ge2", "-"), s.get("steam_graded_ge3", "-"),
            "%.1f KiB" % (s["size_bytes"] / 1024) if "size_bytes" in s else "-"))
    for name in ("grader_ref_fp32", "grader_ref_int8", "combined_fp32", "fp32", "int8", "classical_reference"):
        if name in models:
            out += ["", md_confusion(np.array(models[name]["confusion"]), name)]
    if "fp32" in models:
        out += ["", "Exact / within-one by background and by plume (fp32 | classical with reference):", "",
                "| subset | n | CNN exact | CNN within one | classical exact | classical within one |",
                "|---|---|---|---|---|---|"]
        for group in ("by_background", "by_plume", "by_shadow"):
            for key, s in models["fp32"][group].items():
                c = models["classical_reference"][group][key]
                out.append("| %s %s | %d | %.3f | %.3f | %.3f | %.3f |" % (
                    group[3:], key, s["n"], s["exact"], s["within_one"], c["exact"], c["within_one"]))
    if "disagreement" in rep:
        d = rep["disagreement"]
        out += ["", "CNN (fp32) and classical (with reference) differ by 2+ levels on %d of %d crops "
                "(CNN right on %d, classical right on %d):" % (d["n"], d["of"], d["cnn_right"], d["classical_right"]), "",
                "| where | disagreements | of | CNN right | classical right |", "|---|---|---|---|---|"]
        for k, v in sorted(d["by"].items(), key=lambda kv: -kv[1]["n"]):
            out.append("| %s | %d | %d | %d | %d |" % (k, v["n"], v["of"], v["cnn_right"], v["classical_right"]))
    for key in ("clips", "clips_combined", "clips_grader"):
        if key not in rep:
            continue
        c = rep[key]
        out += ["", "Clips (%s; one vehicle each, %d fps; event = %d consecutive frames >= level %d after the vehicle):"
                % ("SmokeGrader with the clip's first frame as reference" if c.get("grader") else
                   "combined level: CNN + classical against the clip's first frame" if c.get("combined") else "CNN level",
                   c["fps"], c["min_frames"], c["threshold"]), "",
                "| clip kind | clips | with an event | frames after the vehicle graded >= %d |" % c["threshold"],
                "|---|---|---|---|"]
        for kind, k in c["kinds"].items():
            out.append("| %s | %d | %d (%.1f%%) | %.1f%% |" % (kind, k["clips"], k["events"], 100 * k["event_rate"],
                                                           100 * k["frames_after_vehicle_ge_threshold"]))
        sm = c["kinds"].get("smoke")
        if sm:
            out += ["", "Black-smoke clips by true level: " + ", ".join(
                "level %s: %d/%d fired" % (lv, v["events"], v["clips"]) for lv, v in sm["by_level"].items())
                + "; event level exact %s, within one %s." % (sm["event_level_exact"], sm["event_level_within_one"])]
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="var/smoke")
    ap.add_argument("--models", default="models")
    ap.add_argument("--clips", type=int, default=100, help="clips per kind (0: skip clips)")
    a = ap.parse_args(argv)
    cv2.setNumThreads(1)
    rep = still_report(a.data, a.models)
    if a.clips:
        rep["clips"] = clip_report(a.models, a.clips)
        rep["clips_combined"] = clip_report(a.models, a.clips, combined=True)
        rep["clips_grader"] = clip_report(a.models, a.clips, grader=True)
    md = markdown(rep)
    print()
    print(md)
    with open(os.path.join(a.data, "report.md"), "w") as f:
        f.write(md + "\n")
    path = os.path.join(a.data, "report.json")
    with open(path, "w") as f:
        json.dump(rep, f, indent=1)
    print("\nwrote %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
