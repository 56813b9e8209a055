"""Why two-row / 挂 truck plates are missed: each miss of a rendered truck set (tools/lpr/render.py
folder with true corners) read again per stage -- the detector's quad, the outline model's corners,
the coloured outline, the true corners -- and counted per cause (measure only, never train).

    .venv/bin/python -m tools.lpr.diagnose_two_row DIR [--kinds yellow_two_row,yellow_trailer] [--save CROPS_DIR] [--json OUT]
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from edge.vision.plates import PlateReader, formats, rectify, refine  # noqa: E402
from tools.lpr import evaluate  # noqa: E402


def _bbox(c):
    c = np.asarray(c)
    return c[:, 0].min(), c[:, 1].min(), c[:, 0].max(), c[:, 1].max()


def diagnose(reader, folder, row, save=None):
    img = evaluate.imread(folder / row["file"])
    gt = np.array([[float(v) for v in p.split(",")] for p in row["corners"].split(";")], np.float32)
    truth = row["plate"]
    reads = reader.read(img)
    got = reads[0]["plate"] if reads else ""
    info = {"file": row["file"], "kind": row["kind"], "truth": truth, "got": got, "ok": got == truth}
    gx1, gy1, gx2, gy2 = _bbox(gt)
    gw, gh = gx2 - gx1, gy2 - gy1

    def on_plate(d, m):
        cx, cy = (d.box[0] + d.box[2]) / 2, (d.box[1] + d.box[3]) / 2
        return gx1 - m * gw <= cx <= gx2 + m * gw and gy1 - m * gh <= cy <= gy2 + m * gh

    m = [d for d in reader._detector_for(img.shape[1], img.shape[0])(img) if on_plate(d, 0.1)]
    src = "full"
    if not m:
        m = [d for d in reader._detect_tiles(img) if on_plate(d, 0.0)]
        src = "tiles"
    info["oracle"] = reader._read_quad(img, gt, True, False)[1].text
    info["oracle_ok"] = info["oracle"] == truth
    if not m:
        info["det_src"] = "none"
        return info
    d = max(m, key=lambda d: d.score)
    dx1, dy1, dx2, dy2 = _bbox(d.corners)
    info.update(det_src=src, det_score=round(float(d.score), 3), det_top=round(float((dy1 - gy1) / gh), 2),
                det_bottom=round(float((dy2 - gy2) / gh), 2), det_aspect=round(rectify.aspect(d.corners), 2))
    first = reader._read_quad(img, d.corners, None, True)
    info["first"] = [first[1].text, formats.check(first[1].text).ok, bool(first[3])]
    if reader.quad_model is not None:
        q, p2 = reader.quad_model.corners(img, d.corners)
        info.update(quad_err=round(float(np.abs(q - gt).max() / gw), 3), quad_p2=round(p2, 2),
                    quad_read=reader._read_quad(img, q, p2 >= 0.5, False)[1].text)
    o = refine.outline(img, d.corners)
    info["outline_err"] = None if o is None else round(float(np.abs(o - gt).max() / gw), 3)
    if o is not None:
        info["outline_read"] = reader._read_quad(img, o, None, False)[1].text
    if save is not None and not info["ok"]:
        x0, y0 = int(max(0, gx1 - gw)), int(max(0, gy1 - gh))
        crop = img[y0:int(gy2 + gh), x0:int(gx2 + gw)].copy()
        cv2.polylines(crop, [np.round(gt - (x0, y0)).astype(np.int32)], True, (0, 255, 0), 1)
        cv2.polylines(crop, [np.round(d.corners - (x0, y0)).astype(np.int32)], True, (0, 0, 255), 1)
        save.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(save / ("%s_%s" % (folder.name, row["file"]))), crop)
    return info


def cause(d):
    t = d["truth"]
    views = [x for x in (d.get("first", [None])[0], d.get("quad_read"), d.get("outline_read")) if x]
    if d["det_src"] == "none":
        return "detector: no detection, not even in the zoom tiles"
    if t in views and not d["got"]:
        return "right read among the views, dropped (weak detection / no valid read)"
    if t in views:
        return "right read among the views, another view's valid-but-wrong read kept"
    if d["oracle_ok"]:
        return "geometry: outline-model / outline corners wrong (true corners read right)"
    o = d["oracle"]
    if o[:2] != t[:2]:
        return "recogniser wrong at the true corners: top row (province / letter)"
    return "recogniser wrong at the true corners: bottom row"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--kinds", default="yellow_two_row,yellow_trailer")
    ap.add_argument("--save", help="write a crop of each miss (green: true corners, red: detector's)")
    ap.add_argument("--json", help="write every plate's diagnosis (JSON lines)")
    a = ap.parse_args(argv)
    folder = Path(a.folder)
    if not (folder / "labels.tsv").is_file():
        ap.error("folder: %s has no labels.tsv (a set written by tools/lpr/render.py make_set)" % folder)
    reader = PlateReader(threads=1)
    rows = [r for r in evaluate.load_labels(folder / "labels.tsv") if r["kind"] in a.kinds.split(",")]
    out = [diagnose(reader, folder, r, Path(a.save) if a.save else None) for r in rows]
    if a.json:
        Path(a.json).write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in out), encoding="utf-8")
    misses = [d for d in out if not d["ok"]]
    print("%s: %d of %d read right" % (folder, len(out) - len(misses), len(out)))
    n, ex = Counter(), {}
    for d in misses:
        k = cause(d)
        n[k] += 1
        ex.setdefault(k, []).append("%s %s->%s" % (d["file"][:-4], d["truth"], d["got"] or "-"))
    for k in sorted(n, key=lambda k: -n[k]):
        print("  %2d %s\n       %s" % (n[k], k, "; ".join(ex[k])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
