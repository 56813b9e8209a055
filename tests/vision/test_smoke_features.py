"""The reference model's physics maps (edge.vision.smoke.classifier.reference_features): the
exposure drift between the crop and its empty-lane reference is taken out, and tan dust shows in
the chroma shift where soot does not."""
import numpy as np
import pytest

from edge.vision.smoke import classifier as C


def _srgb(lin):
    return np.power(np.clip(lin, 0, 1), 1 / 2.2).astype(np.float32)


def _scene(seed=0):
    rng = np.random.default_rng(seed)
    base = 0.25 + 0.1 * rng.random((64, 64, 1)) * np.ones((1, 1, 3))  # textured grey road, linear
    return base.astype(np.float32)


def _plume(lin, opacity, radiance, box=(slice(10, 40), slice(20, 50))):
    out = lin.copy()
    out[box] = lin[box] * (1 - opacity) + np.asarray(radiance, np.float32) * opacity
    return out


@pytest.mark.parametrize("gain", [0.94, 1.0, 1.06, 1.2])
def test_the_gain_between_crop_and_reference_is_recovered_despite_a_plume(gain):
    ref = _scene()
    crop = _plume(ref * gain, 0.6, [0.01, 0.01, 0.01])  # soot over 23 % of the crop
    lum = lambda a: np.power(_srgb(a), 2.2) @ C._LUMA  # noqa: E731
    g = float(C._gain(C._blur(lum(crop), 3), C._blur(lum(ref), 3)).squeeze())
    assert g == pytest.approx(gain, abs=0.012)


def test_an_exposure_drift_reads_as_opacity_only_without_the_gain_correction():
    ref = _scene(1)
    f = C.reference_features(_srgb(ref * 1.06)[None], _srgb(ref)[None], C.CHANNELS_REF_V2)[0]
    # the empty view, 6 % brighter: the plain soot map says "-6 % opacity", the corrected one ~0
    assert np.median(f[..., 8]) < -0.04
    assert abs(float(np.median(f[..., 11]))) < 0.01


def test_tan_dust_shifts_the_chroma_and_soot_does_not():
    ref = _scene(2)
    white = 0.8
    dust = C.reference_features(_srgb(_plume(ref, 0.4, np.array([1.0, 0.82, 0.6]) * 0.45 * white))[None],
                                _srgb(ref)[None], C.CHANNELS_REF_V2)[0]
    soot = C.reference_features(_srgb(_plume(ref, 0.4, [0.02 * white] * 3))[None], _srgb(ref)[None],
                                C.CHANNELS_REF_V2)[0]
    box = (slice(15, 35), slice(25, 45))
    assert dust[box][..., 12].mean() > 0.3 and dust[box][..., 13].mean() < -0.3   # redder, less blue
    assert abs(soot[box][..., 12].mean()) < 0.1 and abs(soot[box][..., 13].mean()) < 0.1


def test_the_first_eleven_maps_do_not_change_with_the_extra_ones():
    rng = np.random.default_rng(3)
    crop, ref = rng.random((2, 64, 64, 3)).astype(np.float32), rng.random((2, 64, 64, 3)).astype(np.float32)
    a = C.reference_features(crop, ref)
    b = C.reference_features(crop, ref, C.CHANNELS_REF_V2)
    assert a.shape == (2, 64, 64, 11) and b.shape == (2, 64, 64, 14)
    assert np.array_equal(a, b[..., :11])  # maps 0-10: crop, reference, darkening, difference, soot opacity (8), texture


def test_an_unknown_feature_count_is_refused():
    with pytest.raises(ValueError, match="channels"):
        C.reference_features(np.zeros((64, 64, 3), np.float32), np.zeros((64, 64, 3), np.float32), 12)


def test_the_reference_model_takes_the_maps_its_input_asks_for():
    cnn = C.SmokeClassifier(channels=C.CHANNELS_REF)
    assert cnn.channels in C.REF_CHANNELS
    x = cnn.prepare(np.zeros((80, 80, 3), np.uint8), np.zeros((80, 80, 3), np.uint8))
    assert x.shape == (1, 64, 64, cnn.channels)
