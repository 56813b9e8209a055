"""The classical chart-style estimate on synthetic patches of known transmittance."""
import numpy as np
import pytest

from edge.vision.smoke import ringelmann


def srgb(lin):
    return (np.power(np.clip(lin, 0, 1), 1 / 2.2) * 255 + 0.5).astype(np.uint8)


def lin(v):
    return np.power(v, 2.2)


def patch_image(bg_lin, T, smoke_lin=0.0, box=(20, 44)):
    """Background (linear HxW or scalar) with a square of black smoke of transmittance T: Beer-Lambert."""
    bg = np.broadcast_to(np.asarray(bg_lin, np.float64), (64, 64)).copy()
    img = bg.copy()
    a, b = box
    img[a:b, a:b] = bg[a:b, a:b] * T + smoke_lin * (1 - T)
    return np.repeat(srgb(img)[..., None], 3, axis=2), np.repeat(srgb(bg)[..., None], 3, axis=2)


@pytest.mark.parametrize("T, level", [(1.0, 0), (0.8, 1), (0.6, 2), (0.4, 3), (0.2, 4), (0.02, 5)])
def test_uniform_background_known_transmittance(T, level):
    img, _ = patch_image(lin(0.8), T)
    est = ringelmann.estimate(img)
    assert est["level"] == level
    if T < 1.0:
        assert est["blackness"] == pytest.approx(1 - T, abs=0.03)
        assert est["plume_fraction"] == pytest.approx(24 * 24 / 64 / 64, abs=0.05)
    assert est["observable"] and not est["reference"]


def test_textured_background_needs_the_reference():
    rng = np.random.default_rng(3)
    texture = lin(np.clip(0.55 + 0.25 * rng.random((64, 64)), 0, 1))
    img, ref = patch_image(texture, 0.5)
    with_ref = ringelmann.estimate(img, ref)
    assert with_ref["reference"]
    assert with_ref["blackness"] == pytest.approx(0.5, abs=0.04)
    assert with_ref["level"] in (2, 3)  # 50 % sits on the 2/3 boundary


def test_lighter_plume_is_not_blackness():
    # white steam: the plume is brighter than what is behind it
    img, ref = patch_image(lin(0.5), 0.3, smoke_lin=lin(0.95))
    assert ringelmann.estimate(img, ref)["level"] == 0
    assert ringelmann.estimate(img)["blackness"] == 0.0


def test_black_background_is_unobservable():
    img, ref = patch_image(lin(0.08), 0.4)
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


@pytest.mark.parametrize("T", [0.6, 0.4, 0.2])
def test_combined_level_takes_the_chart_reading_once_the_cnn_sees_smoke(T):
    """With a reference, a plume of known transmittance is graded by the chart whatever smoke level the CNN said."""
    img, ref = patch_image(lin(0.8), T)
    est = ringelmann.estimate(img, ref)
    for cnn in range(ringelmann.SMOKE_FROM, 6):
        assert ringelmann.combined_level(cnn, est) == est["level"] == ringelmann.level_of(1 - T)


def test_combined_level_keeps_the_cnn_below_smoke_or_without_reference():
    img, ref = patch_image(lin(0.8), 0.2)  # dark patch: classical says 4 (could be a shadow)
    with_ref, border = ringelmann.estimate(img, ref), ringelmann.estimate(img)
    assert with_ref["level"] == 4 and border["level"] == 4
    for cnn in range(ringelmann.SMOKE_FROM):
        assert ringelmann.combined_level(cnn, with_ref) == cnn  # the CNN says "not smoke": it stays
    for cnn in range(6):
        assert ringelmann.combined_level(cnn, border) == cnn  # no empty-lane reference: the CNN's level
