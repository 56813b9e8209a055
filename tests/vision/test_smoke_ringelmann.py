"""The classical chart reading (the CNNs' baseline) on synthetic patches of known opacity."""
import numpy as np
import pytest

from edge.vision.smoke import ringelmann


def srgb(lin):
    return (np.power(np.clip(lin, 0, 1), 1 / 2.2) * 255 + 0.5).astype(np.uint8)


def lin(v):
    return np.power(v, 2.2)


def patch_image(bg_lin, T, smoke_lin=0.0, box=(20, 44), white=None):
    """Background (linear HxW or scalar) with a square plume of transmittance T: Beer-Lambert.
    `white`: a bright strip along the top (the scene's white level, as a real view has one)."""
    bg = np.broadcast_to(np.asarray(bg_lin, np.float64), (64, 64)).copy()
    if white is not None:
        bg[:3] = white
    img = bg.copy()
    a, b = box
    img[a:b, a:b] = bg[a:b, a:b] * T + smoke_lin * (1 - T)
    return np.repeat(srgb(img)[..., None], 3, axis=2), np.repeat(srgb(bg)[..., None], 3, axis=2)


@pytest.mark.parametrize("T, level", [(1.0, 0), (0.8, 1), (0.6, 2), (0.4, 3), (0.2, 4), (0.02, 5)])
def test_bright_background_known_transmittance(T, level):
    img, _ = patch_image(lin(0.8), T)
    est = ringelmann.estimate(img)
    assert est["level"] == level
    if T < 1.0:
        assert est["opacity"] == pytest.approx(1 - T, abs=0.04)
        assert est["plume_fraction"] == pytest.approx(24 * 24 / 64 / 64, abs=0.05)
    assert est["observable"] and not est["reference"]


@pytest.mark.parametrize("T", [0.8, 0.6, 0.4, 0.2])
@pytest.mark.parametrize("bg", [0.9, 0.6, 0.4, 0.32], ids=["sky", "wall", "road", "dark-body"])
def test_the_same_plume_reads_the_same_level_over_any_background(T, bg):
    # soot (SOOT of the white level) over sky, a wall, a grey road, a dark truck body, against the
    # reference: opacity, not darkening -- the darkening over the dark body is a level lower
    img, ref = patch_image(lin(bg), T, smoke_lin=ringelmann.SOOT * lin(0.9), white=lin(0.9))
    est = ringelmann.estimate(img, ref)
    assert est["level"] == ringelmann.level_of(1 - T), est
    assert est["opacity"] == pytest.approx(1 - T, abs=0.06)


def test_darkening_would_read_a_dark_body_a_level_low():
    # what the first grader learned was the darkening 1 - I/I_bg: 80 % opaque soot over a dark body
    T, bg, smoke = 0.2, lin(0.3), ringelmann.SOOT * lin(0.9)
    darkening = 1 - (bg * T + smoke * (1 - T)) / bg
    img, ref = patch_image(bg, T, smoke_lin=smoke, white=lin(0.9))
    est = ringelmann.estimate(img, ref)
    assert ringelmann.level_of(darkening) == 3 and est["level"] == 4, (darkening, est)


def test_textured_background_needs_the_reference():
    rng = np.random.default_rng(3)
    texture = lin(np.clip(0.55 + 0.25 * rng.random((64, 64)), 0, 1))
    img, ref = patch_image(texture, 0.5)
    with_ref = ringelmann.estimate(img, ref)
    assert with_ref["reference"]
    assert with_ref["opacity"] == pytest.approx(0.5, abs=0.06)
    assert with_ref["level"] in (2, 3)  # 50 % sits on the 2/3 boundary


def test_lighter_plume_is_not_smoke():
    # white steam: the plume is brighter than what is behind it
    img, ref = patch_image(lin(0.5), 0.3, smoke_lin=lin(0.95))
    assert ringelmann.estimate(img, ref)["level"] == 0
    assert ringelmann.estimate(img)["opacity"] == 0.0


def test_black_background_is_unobservable():
    img, ref = patch_image(lin(0.1), 0.4)
    est = ringelmann.estimate(img, ref)
    assert est["observable"] is False
    assert est["level"] == 0


def test_reference_of_another_size_is_an_error():
    img, _ = patch_image(lin(0.8), 0.5)
    with pytest.raises(ValueError, match="differ in size"):
        ringelmann.estimate(img, img[:32])


@pytest.mark.parametrize("b, level", [(0.0, 0), (0.09, 0), (0.11, 1), (0.5, 3), (0.49, 2), (0.89, 4), (0.91, 5), (1.0, 5)])
def test_level_of_rounds_to_the_nearest_20_percent(b, level):
    assert ringelmann.level_of(b) == level
