"""PlateVote: consensus over frames; one bad frame never becomes the record."""
import pytest

from edge.lane.vote import PlateVote


def vote(reads, **kw):
    v = PlateVote(**kw)
    for r in reads:
        v.add(*r)
    return v.result()


def test_needs_enough_reads():
    assert vote([("云A12345", "blue", 0.9)] * 2) is None
    assert vote([("云A12345", "blue", 0.9)] * 3) == ("云A12345", "blue", 0.9)


def test_single_char_errors_are_outvoted():
    reads = [("云A12345", "yellow", 0.9), ("云A12845", "yellow", 0.8), ("皖A12345", "yellow", 0.7),
             ("云A12345", "yellow", 0.95), ("云A12345", "yellow", 0.9)]
    plate, color, conf = vote(reads)
    assert (plate, color) == ("云A12345", "yellow")
    assert conf == pytest.approx(3 / 5 * (0.9 + 0.95 + 0.9) / 3, abs=1e-4)


def test_disagreement_gives_no_answer():
    reads = [("云A12345", "blue", 0.9), ("云A12845", "blue", 0.9), ("云B12345", "blue", 0.9),
             ("云A72345", "blue", 0.9)]
    assert vote(reads) is None  # voted 云A12345 but only 1 of 4 frames read it


def test_length_and_colour_follow_the_majority():
    reads = [("云AD12345", "green", 0.9)] * 3 + [("云AD1234", "blue", 0.9)]
    assert vote(reads, min_agreement=0.7) == ("云AD12345", "green", 0.675)


def test_low_confidence_reads_are_ignored():
    reads = [("云A12345", "blue", 0.9)] * 3 + [("XXXXXXX", "blue", 0.1)] * 5
    assert vote(reads)[0] == "云A12345"
