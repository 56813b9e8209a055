"""Truck plates and colour through the real reader: the simulated lane's five trucks read with
the right plate and colour (the yellow one was read yellow-green, so the ledger turned it
away), a two-row plate whose top row the detector's quad cuts off is read from the plate's
coloured outline (the outline model sees the top row too), and the colour decision respects what the read's format allows."""
import numpy as np
import pytest

from edge.vision.plates import PlateReader, color, formats, refine
from edge.vision.plates import reader as reader_mod
from tools.lpr import render as R


@pytest.fixture(scope="module")
def reader():
    return PlateReader(threads=1)


def sim_clip_frames():
    """The vehicles of tools/sim_lane.py's clip (seed 7), rendered the same way."""
    rng = np.random.default_rng(7)
    out = []
    for kind in ("yellow", "blue", "green", "yellow", "yellow_green"):
        text = R.random_text(kind, rng)
        plate, colour = R.render_plate(text, kind, rng)
        frame, _ = R.scene(plate, rng, size=(1280, 720))
        out.append((text, colour, frame))
    return out


def test_sim_lane_trucks_read_with_their_colour(reader):
    got = []
    for text, colour, frame in sim_clip_frames():
        r = reader.read(frame)[0]
        got.append((r["plate"], r["color"], r["color_code"]))
        assert 0 < r["color_confidence"] <= 1
    want = [(t, c, {"yellow": "1", "blue": "0", "green": "4", "yellow_green": "6"}[c])
            for t, c, _ in sim_clip_frames()]
    assert got == want
    assert got[0][:2] == ("宁RV24HB", "yellow")      # mud on the right half is not the NEV green


def test_colour_is_one_the_plate_kind_is_issued_in():
    probs = np.array([0.02, 0.3, 0.02, 0.01, 0.01, 0.64])     # blue yellow green white black yellow_green
    assert color.decide(probs)[0] == "yellow_green"
    word, conf, uncertain = color.decide(probs, ("blue", "yellow", "black", "white"))   # a 7-character plate
    assert word == "yellow" and uncertain and conf == pytest.approx(0.3 / 0.34)
    word, conf, uncertain = color.decide([0.01, 0.97, 0.01, 0.0, 0.01, 0.0], ("blue", "yellow", "black", "white"))
    assert word == "yellow" and not uncertain
    assert color.decide([0.5, 0.4, 0.1, 0, 0, 0])[2]          # a coin toss is uncertain


def test_reads_carry_colour_confidence_and_uncertainty(reader):
    r = reader.read(sim_clip_frames()[1][2])[0]
    assert r["color"] == "blue" and r["color_uncertain"] is False and r["color_confidence"] >= 0.8


def _two_row_truck():
    # seed 8: the detector's quad holds only the bottom row of this trailer-lorry plate
    rng = np.random.default_rng(8)
    text, kind = R.truck_text("yellow_two_row", rng)
    plate, _ = R.render_plate(text, kind, rng, R.FONTS[0])
    frame, corners = R.truck_scene(plate, rng, bars=False)
    return text, frame, corners


def test_two_row_plate_keeps_its_top_row(reader, monkeypatch):
    text, frame, corners = _two_row_truck()
    r = reader.read(frame)[0]
    assert r["plate"] == text and r["rows"] == 2 and r["color"] == "yellow"
    # without the outline model, the outline (and the grow ladder) the province and letter are lost
    monkeypatch.setattr(reader, "quad_model", None)
    monkeypatch.setattr(refine, "outline", lambda f, c: None)
    monkeypatch.setattr(reader_mod, "TWO_ROW_TOP_LADDER", ())
    assert reader.read(frame)[0]["plate"] == text[2:]


def test_outline_model_sees_the_top_row_above_a_cut_quad(reader):
    # renderer A (fonts): a typeface the outline model never trained on
    text, frame, corners = _two_row_truck()
    cut = corners.copy()
    cut[:2, 1] += (corners[3, 1] - corners[0, 1]) * 0.4       # the top 40 % cut off
    q, p_two = reader.quad_model.corners(frame, cut)
    assert p_two > 0.5
    w = corners[1, 0] - corners[0, 0]
    assert np.abs(q - corners).max() < 0.15 * w
    assert q[:2, 1].mean() < cut[:2, 1].mean() - 0.2 * (corners[3, 1] - corners[0, 1])


def test_outline_finds_the_whole_plate_around_a_cut_quad():
    text, frame, corners = _two_row_truck()
    cut = corners.copy()
    cut[:2, 1] += (corners[3, 1] - corners[0, 1]) * 0.4       # the top 40 % cut off
    q = refine.outline(frame, cut)
    assert q is not None
    assert np.abs(q - corners).max() < 0.08 * (corners[1, 0] - corners[0, 0])


def test_outline_gives_up_on_a_plate_without_hue():
    grey = np.full((400, 600, 3), 128, np.uint8)
    quad = np.array([[200, 150], [400, 150], [400, 210], [200, 210]], np.float32)
    assert refine.outline(grey, quad) is None


def _trailer_truck():
    # seed 58 (renderer A): the detector finds the whole 挂 plate, and the read from its quad is
    # valid but has the wrong province (藏 for 豫); the outline model's corners read it right
    rng = np.random.default_rng(58)
    text, kind = R.truck_text("yellow_trailer", rng)
    plate, _ = R.render_plate(text, kind, rng, R.FONTS[0])
    frame, corners = R.truck_scene(plate, rng, bars=False)
    return text, frame


def test_a_valid_two_row_read_is_checked_against_the_plates_own_corners(reader):
    text, frame = _trailer_truck()
    det = reader._detector_for(frame.shape[1], frame.shape[0])(frame)[0]
    _, first, _, two_row = reader._read_quad(frame, det.corners, None, True)
    assert two_row and formats.check(first.text).ok and first.text != text   # what the reader used to keep
    r = reader.read(frame)[0]
    assert r["plate"] == text and r["rows"] == 2 and r["valid"]
    assert r["confidence"] > first.confidence


def test_a_valid_single_row_read_is_not_read_again(reader, monkeypatch):
    # the re-reads stay for failing single-row reads: a valid one costs nothing more
    text, colour, frame = sim_clip_frames()[1]
    calls = []
    orig = reader._retry_quads
    monkeypatch.setattr(reader, "_retry_quads", lambda *a: calls.append(1) or orig(*a))
    r = reader.read(frame)[0]
    assert r["plate"] == text and r["rows"] == 1 and calls == []


def test_the_views_of_a_two_row_plate_are_read_as_two_rows(reader, monkeypatch):
    # once the plate has read as two rows, its outline is not tried as a single-row plate
    # (each single-row try costs up to 8 recogniser calls and cannot be the right read)
    text, frame = _trailer_truck()
    layouts = []
    orig = reader._read_as
    monkeypatch.setattr(reader, "_read_as", lambda f, c, two_row, grow=True: layouts.append(two_row) or orig(f, c, two_row, grow))
    r = reader.read(frame)[0]
    assert r["plate"] == text and r["rows"] == 2
    first_two_row = layouts.index(True)       # the detector's quad may be tried single-row first
    assert layouts[first_two_row:] == [True] * 3    # its two-row read, the outline model's, the outline's
