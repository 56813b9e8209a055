"""Accuracy of the plate reader on the real development set (measure only, never train).

    .venv/bin/python -m tools.lpr.evaluate [--data ../shared/data/plates] [--variant fp32]
        [--det-variant V] [--rec-variant V] [--threads 1] [--show-errors]

Scenes: full-plate exact = the best-scoring read equals the label (and detection rate).
Crops: the whole image is the plate. Figures per colour and per province.
"""
from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "plates"


def load_labels(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def imread(path):
    return cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_COLOR)


class Tally:
    def __init__(self):
        self.n = defaultdict(int)
        self.ok = defaultdict(int)

    def add(self, keys, good):
        for k in keys:
            self.n[k] += 1
            self.ok[k] += int(good)

    def line(self, key):
        n = self.n.get(key, 0)
        return "%d/%d = %.1f%%" % (self.ok.get(key, 0), n, 100.0 * self.ok.get(key, 0) / n) if n else "-"

    def table(self, title):
        rows = [title]
        rows.append("  all            %s" % self.line("all"))
        if "province_char" in self.n:
            rows.append("  province char  %s" % self.line("province_char"))
        for k in sorted(k for k in self.n if k.startswith("colour:")):
            rows.append("  %-14s %s" % (k, self.line(k)))
        for k in sorted((k for k in self.n if k.startswith("province:")), key=lambda k: -self.n[k]):
            rows.append("  %-14s %s" % (k, self.line(k)))
        return "\n".join(rows)

    def rate(self, key="all"):
        return self.ok.get(key, 0) / max(1, self.n.get(key, 0))


def _kind_table(t, title):
    rows = [title, "  all            %s" % t.line("all")]
    if "province_char" in t.n:
        rows.append("  province char          %s" % t.line("province_char"))
    rows += ["  %-22s %s" % (k, t.line(k)) for k in sorted(k for k in t.n if k.startswith("kind:"))]
    return "\n".join(rows)


def keys_for(label, colour):
    return ["all", "colour:" + colour, "province:" + label[0]]


def add_colour(tally, keys, read, want):
    """Colour right or not under `keys`, and whether the read flagged its colour uncertain, as
    "flagged:wrong" (the colour was wrong: flagged is good) or "flagged:right" (needlessly)."""
    right = read.get("color") == want
    tally.add(keys, right)
    tally.add(["flagged:right" if right else "flagged:wrong"], bool(read.get("color_uncertain", True)))


def flag_line(tally):
    """'wrong colours flagged uncertain a/b, right ones c/d' of an add_colour tally."""
    return "wrong colours flagged uncertain %d/%d, right ones %d/%d" % (
        tally.ok.get("flagged:wrong", 0), tally.n.get("flagged:wrong", 0),
        tally.ok.get("flagged:right", 0), tally.n.get("flagged:right", 0))


def eval_scenes(read_fn, data, show=False, colour_tally=None):
    t = Tally()
    for row in load_labels(data / "scenes" / "labels.tsv"):
        img = imread(data / "scenes" / row["file"])
        reads = read_fn(img)
        got = reads[0]["plate"] if reads else ""
        t.add(keys_for(row["plate"], row["color"]), got == row["plate"])
        t.add(["province_char"], got[:1] == row["plate"][:1])
        if colour_tally is not None and reads:
            add_colour(colour_tally, ["all", "colour:" + row["color"]], reads[0], row["color"])
        if show and got != row["plate"]:
            print("   scene %s: want %s got %s" % (row["file"], row["plate"], [r["plate"] for r in reads]))
    return t


def eval_crops(read_fn, data, show=False, colour_tally=None):
    t = Tally()
    for row in load_labels(data / "crops" / "labels.tsv"):
        img = imread(data / "crops" / row["file"])
        r = read_fn(img)
        t.add(keys_for(row["plate"], row["color"]), r["plate"] == row["plate"])
        t.add(["province_char"], r["plate"][:1] == row["plate"][:1])
        if colour_tally is not None:
            add_colour(colour_tally, ["all", "colour:" + row["color"]], r, row["color"])
        if show and r["plate"] != row["plate"]:
            print("   crop %s: want %s got %s (%.3f %s)" % (row["file"], row["plate"], r["plate"], r["confidence"], r["reason"]))
    return t


def eval_synth(reader, folder, show=False):
    """Per-kind plate exact and colour correct on a tools.lpr.render set."""
    t, tc = Tally(), Tally()
    for row in load_labels(Path(folder) / "labels.tsv"):
        img = imread(Path(folder) / row["file"])
        if row["corners"]:
            reads = reader.read(img)
            r = reads[0] if reads else {"plate": "", "color": ""}
        else:
            r = reader.read_crop(img)
        keys = ["all", "kind:" + row["kind"], "province:" + row["plate"][0]]
        t.add(keys, r["plate"] == row["plate"])
        t.add(["province_char"], r["plate"][:1] == row["plate"][:1])
        add_colour(tc, keys[:2], r, row["color"])
        if show and r["plate"] != row["plate"]:
            print("   synth %s: want %s got %s" % (row["file"], row["plate"], r["plate"]))
    return t, tc


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--models", default="")
    ap.add_argument("--variant", default="fp32")
    ap.add_argument("--det-variant")
    ap.add_argument("--rec-variant")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--show-errors", action="store_true")
    ap.add_argument("--synth", action="append", default=[], help="also a tools.lpr.render set (repeatable)")
    a = ap.parse_args(argv)
    from edge.vision.plates import PlateReader
    reader = PlateReader(a.models, threads=a.threads, variant=a.variant,
                         det_variant=a.det_variant, rec_variant=a.rec_variant)
    data = Path(a.data)
    ct_s, ct_c = Tally(), Tally()
    if (data / "scenes" / "labels.tsv").exists():     # a crops-only set has no scenes/
        s = eval_scenes(reader.read, data, a.show_errors, ct_s)
        print(s.table("scenes full-plate exact (%s)" % (a.rec_variant or a.variant)))
        print(ct_s.table("scene colour correct"))
    if (data / "crops" / "labels.tsv").exists():
        c = eval_crops(reader.read_crop, data, a.show_errors, ct_c)
        print(c.table("crops exact"))
        print(ct_c.table("crop colour correct"))
    prov = Tally()
    for folder in a.synth:
        t, tc = eval_synth(reader, folder, a.show_errors)
        print(_kind_table(t, "synthetic %s plate exact" % folder))
        print(_kind_table(tc, "synthetic %s colour correct" % folder))
        for k in t.n:
            if k.startswith("province:"):
                prov.n[k] += t.n[k]
                prov.ok[k] += t.ok[k]
    if prov.n:
        print("synthetic sets, plate exact per province: " + ", ".join(
            "%s %d/%d" % (k[9:], prov.ok[k], prov.n[k]) for k in sorted(prov.n, key=lambda k: prov.ok[k] / prov.n[k])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
