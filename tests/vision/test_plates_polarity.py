"""Plate colour weighed by the side the ink is on (color.ink_polarity in color.combine): blue and
black plates carry light characters, the other colours dark ones, and a colour cast does not move
that. Real dev crops of blue plates under orange light that the CNN and the HSV vote both call
yellow, drawn plates for the measure itself, and the real reader with the switch on and off."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge import config as cfg
from edge.vision.plates import PlateReader, color
from tests.foundation.test_config import MINIMAL, problems

FIX = Path(__file__).parent / "fixtures"


def img(name):
    return cv2.imread(str(FIX / name))


def drawn_plate(background, ink, gradient=False):
    """A 220x70 plate with seven character-like blocks of strokes in `ink` on `background`."""
    p = np.zeros((70, 220, 3), np.uint8)
    p[:] = background
    if gradient:      # the small NEV plate: light at the top, green at the bottom
        for y in range(70):
            p[y] = np.array(background) * (0.55 + 0.45 * (1 - y / 69))
    for i in range(7):
        x = 12 + i * 29
        cv2.rectangle(p, (x, 12), (x + 20, 58), ink, 4)
        cv2.line(p, (x, 35), (x + 20, 35), ink, 4)
    return p


@pytest.mark.parametrize("background,ink,light", [
    ((160, 60, 20), (235, 235, 235), True),       # blue, white ink
    ((20, 20, 20), (220, 220, 220), True),        # black (港/澳), white ink
    ((30, 190, 230), (25, 25, 25), False),        # yellow, black ink
    ((230, 230, 230), (20, 20, 20), False),       # white (警), black ink
])
def test_polarity_says_which_side_the_strokes_are_on(background, ink, light):
    p = color.ink_polarity(drawn_plate(background, ink))
    assert (p > 0.5 + color.POLARITY_DEAD_ZONE) is light and (p < 0.5 - color.POLARITY_DEAD_ZONE) is not light


def test_a_gradient_background_does_not_pass_for_light_ink():
    # the NEV plate's light-to-green gradient is no stroke: the dark characters still decide
    p = color.ink_polarity(drawn_plate((120, 220, 120), (20, 20, 20), gradient=True))
    assert p < 0.5 - color.POLARITY_DEAD_ZONE


def test_an_orange_cast_does_not_move_the_polarity():
    blue = drawn_plate((160, 60, 20), (235, 235, 235))
    cast = np.clip(blue * np.array([0.35, 0.85, 1.6]), 0, 255).astype(np.uint8)   # sodium light
    assert color.ink_polarity(cast) > 0.5 + color.POLARITY_DEAD_ZONE


def test_weights_are_neutral_near_the_middle_and_never_rule_a_side_out():
    assert np.allclose(color.polarity_weights(0.5 + color.POLARITY_DEAD_ZONE * 0.9), 0.5)
    light = color.polarity_weights(0.9)
    dark = color.polarity_weights(0.1)
    for i, c in enumerate(color.COLORS):
        assert bool(light[i] > 0.9) is (c in color.LIGHT_INK) and bool(dark[i] > 0.9) is (c not in color.LIGHT_INK)
    assert light.min() == pytest.approx(color.POLARITY_FLOOR) and dark.min() == pytest.approx(color.POLARITY_FLOOR)


def test_combine_without_polarity_is_the_cnn_and_vote_as_before():
    cnn = [0.02, 0.83, 0.0, 0.04, 0.1, 0.01]
    assert np.allclose(color.combine(cnn, ("yellow", 0.9)), color.combine(cnn, ("yellow", 0.9), None))
    # a cast blue plate: both hue experts say yellow, light strokes say otherwise
    with_pol = color.combine(cnn, ("yellow", 0.9), 0.67)
    assert color.COLORS[int(with_pol.argmax())] in color.LIGHT_INK


@pytest.fixture(scope="module")
def readers():
    return PlateReader(threads=1), PlateReader(threads=1, color_polarity=False)


# real dev crops (LPRNet_Pytorch data/test, Apache-2.0): blue plates under orange light
# (皖AD168D is also misread 皖A01680, with and without: only its colour is the point here)
@pytest.mark.parametrize("name,plate", [("crop_lprnet_0186.jpg", "皖AL136E"), ("crop_lprnet_0136.jpg", "皖A01680")])
def test_blue_plate_under_orange_light_is_blue_not_yellow(readers, name, plate):
    reader, without = readers
    before = without.read_crop(img(name))
    assert (before["plate"], before["color"]) == (plate, "yellow")
    r = reader.read_crop(img(name))
    assert (r["plate"], r["color"], r["color_code"]) == (plate, "blue", "0")
    assert r["color_uncertain"] is True        # the hues said yellow: the read says it was not sure


@pytest.mark.parametrize("name,colour", [
    ("synth_yellow.png", "yellow"), ("synth_two_row_yellow.png", "yellow"), ("synth_green_nev.png", "green"),
    ("synth_yellow_green_nev.png", "yellow_green"), ("synth_white_police.png", "white"),
    ("synth_black_hk.png", "black"), ("crop_lprnet_0002.jpg", "blue"), ("crop_ccpd_0002_p0.jpg", "green"),
])
def test_every_colour_keeps_its_colour_with_polarity(readers, name, colour):
    assert readers[0].read_crop(img(name))["color"] == colour


def test_config_switch_turns_polarity_off():
    assert cfg.parse(MINIMAL).vision.plate_color_polarity is True
    assert cfg.parse(MINIMAL + "\n[vision]\nplate_color_polarity = false\n").vision.plate_color_polarity is False
    assert "vision.plate_color_polarity" in problems(MINIMAL + "\n[vision]\nplate_color_polarity = 3\n")
