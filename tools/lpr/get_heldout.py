"""Build the real held-out crop set: LPRNet_Pytorch's `data/test` crops (Apache-2.0; the label is
the file name) minus those the dev set already holds, in the dev set's layout.

    .venv/bin/python -m tools.lpr.get_heldout MIRROR OUTDIR [--dev ../shared/data/plates]

MIRROR: a git directory of sirius-ai/LPRNet_Pytorch (bare, e.g. /work/.mirror/sirius-ai+LPRNet_Pytorch/repo)
or a checkout of it. OUTDIR gets crops/heldout_NNNN.jpg (the original bytes) and crops/labels.tsv
(file, plate, color, source_repo, source_file), so `tools/lpr/compare.py --crops OUTDIR` and
`tools/bench_lpr.py --heldout OUTDIR` read it. A test image is left out when the dev set holds
the same bytes or the same plate (the dev crops from this repository were copied byte for byte).
Colour: every plate in that folder is a 7-character civil plate photographed as blue, and it is
labelled blue (the file names carry no colour); measure only, never train or tune on it.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DEV = ROOT.parent / "shared" / "data" / "plates"
REPO = "sirius-ai/LPRNet_Pytorch"
TEST_DIR = "data/test"


class Refused(Exception):
    pass


def git_blob_id(data):
    """The git object id of a file's bytes (what `git hash-object` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _git(gitdir, *args, text=True):
    try:
        out = subprocess.run(["git", "--git-dir", str(gitdir), "-c", "core.quotepath=off", *args],
                             capture_output=True, check=True)
    except FileNotFoundError:
        raise Refused("git is not installed")
    except subprocess.CalledProcessError as e:
        raise Refused("git %s failed in %s: %s" % (args[0], gitdir, e.stderr.decode(errors="replace").strip()[:200]))
    return out.stdout.decode("utf-8") if text else out.stdout


def test_images(mirror):
    """[(file name, bytes)] of data/test/*.jpg in a git directory or a checkout."""
    mirror = Path(mirror)
    if (mirror / TEST_DIR).is_dir():               # a checkout
        return [(p.name, p.read_bytes()) for p in sorted((mirror / TEST_DIR).glob("*.jpg"))]
    gitdir = mirror / ".git" if (mirror / ".git").exists() else mirror
    if not (gitdir / "HEAD").is_file():
        raise Refused("%s is neither a git directory nor a checkout with %s/" % (mirror, TEST_DIR))
    listing = _git(gitdir, "ls-tree", "-z", "HEAD", TEST_DIR + "/")
    out = []
    for entry in filter(None, listing.split("\0")):
        meta, _, path = entry.partition("\t")
        _mode, kind, oid = meta.split()
        if kind == "blob" and path.lower().endswith(".jpg"):
            out.append((path.rsplit("/", 1)[-1], _git(gitdir, "cat-file", "blob", oid, text=False)))
    return sorted(out)


def dev_held(dev):
    """(blob ids, plates) of the dev crops."""
    labels = Path(dev) / "crops" / "labels.tsv"
    if not labels.is_file():
        raise Refused("no dev crops labels at %s" % labels)
    ids, plates = set(), set()
    with open(labels, encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            plates.add(row["plate"])
            p = labels.parent / row["file"]
            if p.is_file():
                ids.add(git_blob_id(p.read_bytes()))
    return ids, plates


def build(mirror, outdir, dev=DEFAULT_DEV):
    images = test_images(mirror)
    if not images:
        raise Refused("no %s/*.jpg in %s" % (TEST_DIR, mirror))
    ids, plates = dev_held(dev)
    crops = Path(outdir) / "crops"
    crops.mkdir(parents=True, exist_ok=True)
    rows, skipped = [], 0
    for name, data in images:
        plate = name.rsplit(".", 1)[0]
        if git_blob_id(data) in ids or plate in plates:
            skipped += 1
            continue
        fn = "heldout_%04d.jpg" % (len(rows) + 1)
        (crops / fn).write_bytes(data)
        rows.append((fn, plate, "blue", REPO, TEST_DIR + "/" + name))
    with open(crops / "labels.tsv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(("file", "plate", "color", "source_repo", "source_file"))
        w.writerows(rows)
    return len(images), skipped, len(rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mirror")
    ap.add_argument("outdir")
    ap.add_argument("--dev", default=str(DEFAULT_DEV), help="the dev set (its crops/labels.tsv)")
    a = ap.parse_args(argv)
    try:
        n, skipped, kept = build(a.mirror, a.outdir, a.dev)
    except (Refused, OSError, ValueError) as e:
        print("get_heldout: %s" % e, file=sys.stderr)
        return 2
    print("[heldout] %d test images, %d already in the dev set, %d written to %s/crops" % (n, skipped, kept, a.outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
