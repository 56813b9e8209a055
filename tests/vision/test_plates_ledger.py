"""Reads checked against the site's ledger (edge.vision.plates.ledger_snap) through the real
reader and `edge lpr --ledger`: a doubtful read of a registered plate snaps to it with the
evidence kept; a plate that is not registered is never pulled onto a registered neighbour."""
import csv
import itertools
import json
import math
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.vision.plates import PlateReader
from edge.vision.plates.formats import LETTERS, PROVINCES
from edge.vision.plates.ledger_snap import PlateIndex, check, ctc_log_prob, levenshtein, parse_plates

ROOT = Path(__file__).resolve().parents[2]
FIX = Path(__file__).parent / "fixtures"
DOUBTFUL = FIX / "crop_lprnet_0024.jpg"     # a real 苏AP48A8 the recogniser reads as 皖AP48A8 (皖 0.34, 苏 0.16)


@pytest.fixture(scope="module")
def reader():
    return PlateReader(threads=1)


def _brute_ctc(probs, labels):
    """Sum over every path of length T that collapses to `labels`."""
    T, C = probs.shape
    total = 0.0
    for path in itertools.product(range(C), repeat=T):
        out, prev = [], 0
        for k in path:
            if k != prev and k != 0:
                out.append(k)
            prev = k
        if out == list(labels):
            total += float(np.prod([probs[t, k] for t, k in enumerate(path)]))
    return total


@pytest.mark.parametrize("labels", [[1], [1, 2], [2, 2], [1, 2, 1]])
def test_ctc_forward_equals_the_sum_over_paths(labels):
    rng = np.random.default_rng(len(labels))
    probs = rng.dirichlet(np.ones(3), size=5)
    assert math.exp(ctc_log_prob(probs, labels)) == pytest.approx(_brute_ctc(probs, labels), rel=1e-9)


def test_index_finds_neighbours_within_two_edits():
    idx = PlateIndex(["宁RV24HB", "宁R·V24HC", "苏VFK9696", " 京A12345 "])
    assert "宁RV24HC" in idx and "京A12345" in idx and len(idx) == 4
    assert idx.near("宁RV24HB", 0) == ["宁RV24HB"]
    assert idx.near("宁RV24H") == ["宁RV24HB", "宁RV24HC"]
    assert idx.near("VFK9696") == ["苏VFK9696"]
    assert idx.near("沪B99999") == []
    assert levenshtein("CR709", "粤BCR709") == 2


def test_ledger_file_lines_or_csv(tmp_path):
    assert parse_plates("# site ledger\n宁RV24HB\n\n苏VFK9696\n") == ["宁RV24HB", "苏VFK9696"]
    csvp = tmp_path / "vehicles.csv"
    csvp.write_text("vehicleId,licensePlate,plateColor\n1,宁RV24HB,1\n2,苏VFK9696,4\n", encoding="utf-8")
    assert PlateIndex.load(csvp).plates == ["宁RV24HB", "苏VFK9696"]
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.csv: no plate column"):
        PlateIndex.load(bad)


def test_doubtful_province_snaps_to_the_registered_plate(reader):
    img = cv2.imread(str(DOUBTFUL))
    free = reader.read_crop(img)
    assert free["plate"] == "皖AP48A8" and free["ledger"] is None
    assert len(free["char_probs"]) == 7
    r = reader.read_crop(img, ledger=PlateIndex(["苏AP48A8", "宁RV24HB"]))
    assert r["plate"] == "苏AP48A8" and r["ledger"] == "snapped" and r["valid"]
    assert r["snapped_from"] == "皖AP48A8"
    pos = r["snap"]["positions"]
    assert [(d["pos"], d["read"], d["ledger"]) for d in pos] == [(1, "皖", "苏")]
    assert pos[0]["p_ledger"] > 0.05
    assert r["snap"]["ratio"] >= 0.05


def test_registered_plate_read_right_is_an_exact_match(reader):
    r = reader.read_crop(cv2.imread(str(FIX / "crop_lprnet_0002.jpg")), ledger=PlateIndex(["川JK0707"]))
    assert r["plate"] == "川JK0707" and r["ledger"] == "exact" and "snapped_from" not in r


def _site_ledger(rng, n):
    """n plates as a site's ledger looks: most from one or two cities, yellow-truck serials."""
    serial = LETTERS + "0123456789"
    out = set()
    while len(out) < n:
        head = "宁A" if rng.random() < 0.6 else PROVINCES[rng.integers(31)] + LETTERS[rng.integers(24)]
        out.add(head + "".join(serial[rng.integers(34)] for _ in range(5)))
    return sorted(out)


def test_unregistered_vehicles_are_never_snapped_onto_a_neighbour(reader):
    # the true plate is absent, but the ledger holds its closest neighbours: every other
    # province with the same serial and every one-character change of the serial
    rng = np.random.default_rng(5)
    labels = {r["file"]: r["plate"] for r in csv.DictReader(open(FIX / "plates_labels.tsv", encoding="utf-8"), delimiter="\t")}
    for name in ("crop_lprnet_0002.jpg", "crop_lprnet_0004.jpg", "crop_lprnet_0150.jpg"):
        true = labels[name]
        near = [p + true[1:] for p in PROVINCES if p != true[0]]
        near += [true[:i] + c + true[i + 1:] for i in range(2, 7) for c in "0123456789ABCDEFGH" if c != true[i]]
        ledger = PlateIndex(_site_ledger(rng, 2000) + near)
        assert true not in ledger
        r = reader.read_crop(cv2.imread(str(FIX / name)), ledger=ledger)
        assert r["plate"] == true and r["ledger"] == "absent", r.get("snap")


def test_two_equally_likely_registered_plates_are_not_guessed():
    chars = ["", "皖", "苏", "A", "1"]
    probs = np.full((8, 5), 1e-4)
    for t, k in enumerate([1, 0, 3, 0, 4, 0, 4, 0]):
        probs[t, k] = 1.0
    probs[0, 1], probs[0, 2] = 0.5, 0.5            # 皖 or 苏: a coin toss
    probs /= probs.sum(1, keepdims=True)
    assert check("皖A11", probs, chars, PlateIndex(["苏A11"])).status == "snapped"
    both = check("皖A1", probs, chars, PlateIndex(["苏A11", "皖A11"]))
    assert both.status == "absent" and len(both.evidence["candidates"]) == 2


def edge_lpr(*args):
    return subprocess.run([sys.executable, "-m", "edge", "lpr", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def test_cli_ledger_shows_the_snap(tmp_path):
    led = tmp_path / "ledger.txt"
    led.write_text("苏AP48A8\n宁RV24HB\n", encoding="utf-8")
    p = edge_lpr("--crop", "--ledger", str(led), str(DOUBTFUL))
    assert p.returncode == 0, p.stderr
    assert "苏AP48A8" in p.stdout and "[ledger: read 皖AP48A8, snapped" in p.stdout
    j = edge_lpr("--crop", "--json", "--ledger", str(led), str(DOUBTFUL), str(FIX / "crop_lprnet_0002.jpg"))
    rows = [json.loads(ln) for ln in j.stdout.splitlines()]
    assert [(r["plate"], r["ledger"]) for r in rows] == [("苏AP48A8", "snapped"), ("川JK0707", "absent")]
    assert rows[0]["snapped_from"] == "皖AP48A8"


def test_cli_unreadable_ledger_is_one_line(tmp_path):
    p = edge_lpr("--ledger", str(tmp_path / "missing.csv"), str(DOUBTFUL))
    assert p.returncode != 0
    assert "ledger" in p.stderr and "missing.csv" in p.stderr and "Traceback" not in p.stderr
