"""Plate colour with the prior by plate kind (formats.KIND_COLOR_PRIOR in color.decide): dark or
colour-cast blue plates of the ordinary format, which the CNN and the HSV vote both call black,
come out blue (and say they are uncertain); black 港/澳/领/使 and white 警 plates keep their
colour, a black plate whose suffix was misread stays black when the pixels are sure, and a green
NEV plate read with a character lost stays green (yellow-green stays ruled out for 7 characters:
mud on yellow trucks). Real crops from the dev set, the real reader, and the decision on its own."""
from pathlib import Path

import cv2
import pytest

from edge import config as cfg
from edge.vision.plates import PlateReader, color, formats
from tests.foundation.test_config import MINIMAL, problems

FIX = Path(__file__).parent / "fixtures"
ORDINARY = formats.KIND_COLORS["ordinary"]
PRIOR = formats.KIND_COLOR_PRIOR


@pytest.fixture(scope="module")
def reader():
    return PlateReader(threads=1)


@pytest.fixture(scope="module")
def reader_without_prior():
    return PlateReader(threads=1, color_prior=False)


def img(name):
    return cv2.imread(str(FIX / name))


# real dev crops (LPRNet_Pytorch data/test, Apache-2.0): a navy plate at night, a dim grey-blue one
DARK_BLUE = [("crop_lprnet_0134.jpg", "皖ACD429"), ("crop_lprnet_0202.jpg", "皖ALZ682")]


@pytest.mark.parametrize("name,plate", DARK_BLUE)
def test_dark_blue_plate_that_read_black_is_blue_and_says_it_is_unsure(reader, reader_without_prior, name, plate):
    before = reader_without_prior.read_crop(img(name))
    assert (before["plate"], before["kind"], before["color"]) == (plate, "ordinary", "black")
    r = reader.read_crop(img(name))
    assert (r["plate"], r["color"], r["color_code"]) == (plate, "blue", "0")
    # the pixels preferred black: the prior overturned them, so the read says so
    assert r["color_uncertain"] is True and 0.5 < r["color_confidence"] < 1
    assert r["reason"] == ""


@pytest.mark.parametrize("name,plate,colour,kind", [
    ("synth_black_hk.png", "粤Z1234港", "black", "hk_macao"),
    ("synth_white_police.png", "云A1234警", "white", "police"),
    ("crop_lprnet_0002.jpg", "川JK0707", "blue", "ordinary"),
])
def test_plates_of_the_rare_kinds_keep_their_colour(reader, name, plate, colour, kind):
    r = reader.read_crop(img(name))
    assert (r["plate"], r["kind"], r["color"]) == (plate, kind, colour)
    assert r["color_uncertain"] is False and r["color_confidence"] >= 0.8


def test_green_plate_read_with_a_character_lost_stays_green(reader, reader_without_prior):
    # real CCPD crop 皖AD14488 (MIT); the recogniser reads it with 7 characters
    before = reader_without_prior.read_crop(img("crop_ccpd_0005_p0.jpg"))
    r = reader.read_crop(img("crop_ccpd_0005_p0.jpg"))
    assert r["color"] == "green" and r["color_code"] == "4"
    if len(r["plate"]) == 7:        # the format rules green out: the read, not the colour, is flagged
        assert before["color"] != "green"
        assert r["kind"] == "ordinary" and "colour green is unusual" in r["reason"]
        assert r["color_uncertain"] is True            # 0.67: the pixels were not sure either


# blue yellow green white black yellow_green (the combined CNN x vote probabilities of
# crop_lprnet_0134.jpg, rounded)
CAST_BLUE = [0.219, 0.028, 0.030, 0.014, 0.698, 0.012]


def test_prior_turns_a_cast_blue_ordinary_plate_blue_with_its_posterior_share():
    assert color.decide(CAST_BLUE, ORDINARY)[0] == "black"            # the format alone: black
    word, conf, uncertain = color.decide(CAST_BLUE, ORDINARY, PRIOR["ordinary"])
    w = PRIOR["ordinary"]
    posterior = 0.219 * w["blue"] / (0.219 * w["blue"] + 0.028 * w["yellow"] + 0.014 * w["white"]
                                     + 0.698 * w["black"] + 0.030 * w["green"])
    assert word == "blue" and conf == pytest.approx(posterior) and uncertain


def test_prior_does_not_touch_the_kinds_issued_in_one_colour():
    for kind in ("hk_macao", "consulate", "embassy"):
        assert color.decide(CAST_BLUE, formats.KIND_COLORS[kind], PRIOR[kind]) == ("black", 1.0, False)
    word, conf, uncertain = color.decide(CAST_BLUE, formats.KIND_COLORS["police"], PRIOR["police"])
    assert word == "white" and uncertain          # the pixels said black: a white-only kind, but unsure


def test_sure_black_pixels_stay_black_on_an_ordinary_read():
    # a rendered 粤Z..港 plate read 粤ZF5S77 (its suffix lost): the pixels are sure, the prior yields
    sure_black = [0.0001, 0.0002, 0.0004, 0.001, 0.9983, 0.0]
    word, conf, uncertain = color.decide(sure_black, ORDINARY, PRIOR["ordinary"])
    assert word == "black" and conf > 0.95 and not uncertain


def test_prior_between_blue_and_yellow_is_neutral():
    # trucks at a site gate are yellow as often as cars are blue: the prior never decides between them
    p = [0.45, 0.55, 0, 0, 0, 0]
    assert color.decide(p, ORDINARY, PRIOR["ordinary"])[:2] == color.decide(p, ORDINARY)[:2]
    assert color.decide(p, ORDINARY, PRIOR["ordinary"])[0] == "yellow"


def test_sure_green_pixels_on_a_seven_character_read_are_green_but_yellow_green_stays_out():
    lost = [0.013, 0.004, 0.661, 0.307, 0.005, 0.009]          # 皖AD14488 read 皖A01488
    assert color.decide(lost, ORDINARY)[0] == "white"           # the format alone
    assert color.decide(lost, ORDINARY, PRIOR["ordinary"])[0] == "green"
    # a little green on a blue plate is not enough: blue must be outweighed ten to one
    assert color.decide([0.2, 0.0, 0.75, 0.05, 0.0, 0.0], ORDINARY, PRIOR["ordinary"])[0] == "blue"
    # mud on a yellow truck plate: even 0.9 yellow-green is yellow on a 7-character read
    muddy = [0.004, 0.08, 0.0, 0.003, 0.002, 0.911]
    word, conf, uncertain = color.decide(muddy, ORDINARY, PRIOR["ordinary"])
    assert word == "yellow" and uncertain


def test_prior_table_covers_every_kind_with_its_issued_colours():
    assert set(PRIOR) == set(formats.KIND_COLORS)
    for kind, colours in formats.KIND_COLORS.items():
        assert set(colours) <= set(PRIOR[kind]), kind
        assert all(0 < w <= 1 for w in PRIOR[kind].values())
    o = PRIOR["ordinary"]
    assert o["blue"] == o["yellow"] == 1 and max(o["black"], o["white"], o["green"]) < 0.5
    assert "yellow_green" not in o


def test_config_switch_turns_the_prior_off():
    assert cfg.parse(MINIMAL).vision.plate_color_prior is True
    assert cfg.parse(MINIMAL + "\n[vision]\nplate_color_prior = false\n").vision.plate_color_prior is False
    assert "vision.plate_color_prior" in problems(MINIMAL + "\n[vision]\nplate_color_prior = 3\n")
