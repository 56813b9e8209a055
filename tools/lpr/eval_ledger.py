"""Both sides of the ledger check (edge/vision/plates/ledger_snap.py), measured on real and
rendered plates.

    .venv/bin/python -m tools.lpr.eval_ledger [--data ../shared/data/plates] [--synth DIR ...]

Registered: every plate is read with a ledger of 2,000 plates that holds it (the rest a site's
mix: 60 % the plate's own province and letter). Read right = the reported plate is the label.
Absent, site ledger: the plate read with 2,000 plates of the site mix that do not hold it (the
issue's test). Absent, adversarial: the same plate read with a ledger of 2,000 plates that does NOT hold it but holds its
nearest neighbours -- the same serial under every other province and every one-character
change of the serial (the hardest ledger for a false snap) -- plus the site mix. A false snap
= the read was pulled onto a ledger plate. Both sides are counted over the same images.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from edge.vision.plates.formats import LETTERS, PROVINCES  # noqa: E402
from edge.vision.plates.ledger_snap import PlateIndex  # noqa: E402
from tools.lpr import evaluate as E  # noqa: E402

SERIAL = LETTERS + "0123456789"


def site_mix(rng, n, like):
    out = set()
    while len(out) < n:
        head = like[:2] if rng.random() < 0.6 else PROVINCES[rng.integers(31)] + LETTERS[rng.integers(24)]
        out.add(head + "".join(SERIAL[rng.integers(34)] for _ in range(len(like) - 2)))
    return out


def neighbours(plate):
    near = {p + plate[1:] for p in PROVINCES}
    near |= {plate[:i] + c + plate[i + 1:] for i in range(1, len(plate)) for c in SERIAL}
    near.discard(plate)
    return near


def run(items, reader, rng, n=2000):
    """items: (label, read_fn(ledger) -> read dict). -> counts."""
    c = {"n": 0, "free_ok": 0, "reg_ok": 0, "reg_snapped": 0, "abs_ok": 0, "false_snap": 0, "site_false_snap": 0}
    misses = []
    for label, read in items:
        c["n"] += 1
        free = read(None)
        c["free_ok"] += free["plate"] == label
        mix = site_mix(rng, n - 1, label) - {label}
        reg = read(PlateIndex(list(mix)[:n - 1] + [label]))
        c["reg_ok"] += reg["plate"] == label
        c["reg_snapped"] += reg.get("ledger") == "snapped" and reg["plate"] == label
        if reg["plate"] != label:
            misses.append(("registered", label, reg["plate"], reg.get("ledger")))
        site = read(PlateIndex(sorted(site_mix(rng, n + 1, label) - {label})[:n]))
        if site.get("ledger") == "snapped":
            c["site_false_snap"] += 1
            misses.append(("absent (site)", label, site["plate"], "snapped from " + site["snapped_from"]))
        near = sorted(neighbours(label))
        ab = read(PlateIndex(near + sorted(mix)[:max(0, n - len(near))]))
        c["abs_ok"] += ab["plate"] == label
        if ab.get("ledger") == "snapped":
            c["false_snap"] += 1
            misses.append(("absent", label, ab["plate"], "snapped from " + ab["snapped_from"]))
    return c, misses


def report(title, c):
    n = max(1, c["n"])
    print("%s (%d plates):" % (title, c["n"]))
    print("  free read right           %d = %.1f%%" % (c["free_ok"], 100.0 * c["free_ok"] / n))
    print("  registered, read right    %d = %.1f%%  (%d by a snap)" % (c["reg_ok"], 100.0 * c["reg_ok"] / n, c["reg_snapped"]))
    print("  absent from a site ledger of 2,000: false snaps %d" % c["site_false_snap"])
    print("  absent, ledger of its neighbours: false snaps %d   (read right %d)" % (c["false_snap"], c["abs_ok"]), flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", action="append", default=[], help="real set(s) with crops/ and/or scenes/")
    ap.add_argument("--synth", action="append", default=[], help="tools.lpr.render set(s)")
    ap.add_argument("--show", action="store_true")
    a = ap.parse_args(argv)
    from edge.vision.plates import PlateReader
    reader = PlateReader(threads=2)
    rng = np.random.default_rng(3)
    sets = []
    for d in [Path(x) for x in (a.data or [str(E.DEFAULT_DATA)])]:
        if (d / "scenes" / "labels.tsv").exists():
            rows = E.load_labels(d / "scenes" / "labels.tsv")
            sets.append(("%s scenes" % d, [(r["plate"], (lambda img: lambda led: (reader.read(img, ledger=led) or [{"plate": ""}])[0])(
                E.imread(d / "scenes" / r["file"]))) for r in rows]))
        if (d / "crops" / "labels.tsv").exists():
            rows = E.load_labels(d / "crops" / "labels.tsv")
            sets.append(("%s crops" % d, [(r["plate"], (lambda img: lambda led: reader.read_crop(img, ledger=led))(
                E.imread(d / "crops" / r["file"]))) for r in rows]))
    for f in a.synth:
        rows = E.load_labels(Path(f) / "labels.tsv")
        items = []
        for r in rows:
            img = E.imread(Path(f) / r["file"])
            if r["corners"]:
                items.append((r["plate"], (lambda img: lambda led: (reader.read(img, ledger=led) or [{"plate": ""}])[0])(img)))
            else:
                items.append((r["plate"], (lambda img: lambda led: reader.read_crop(img, ledger=led))(img)))
        sets.append((f, items))
    total = {}
    for title, items in sets:
        c, misses = run(items, reader, rng)
        report(title, c)
        if a.show:
            for m in misses:
                print("   ", *m)
        for k, v in c.items():
            total[k] = total.get(k, 0) + v
    if len(sets) > 1:
        report("all", total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
