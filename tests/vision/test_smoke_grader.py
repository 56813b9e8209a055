"""SmokeGrader -- the lane's one entry point -- with the committed models, on crops rendered here
(fixed seeds, never used in training), and its clear failures."""
import json
import shutil

import cv2
import numpy as np
import pytest

from edge.cli import main as edge_main
from edge.errors import EdgeError
from edge.vision.interpreter import models_dir
from edge.vision.smoke.grader import SmokeGrader
from tools.smoke import render as R


@pytest.fixture(scope="module")
def grader():
    return SmokeGrader()


def sample(seed, bg, plume, **kw):
    return R.render_sample(np.random.default_rng((79, seed)), bg, plume, None, **kw)


def heavy(n):
    """Dense black plumes (truth level >= 4, chosen by the renderer's label, not by the model)."""
    out, seed = [], 0
    while len(out) < n:
        s = sample(seed, ("sky", "gate", "road")[seed % 3], "black", target=0.85, shadow=False)
        if s["level"] >= 4:
            out.append(s)
        seed += 1
    return out


@pytest.mark.parametrize("i", range(4))
def test_heavy_plume_with_reference_grades_3_or_more(grader, i):
    s = heavy(4)[i]
    r = grader.grade(s["image"], s["reference"])
    assert r["level"] >= 3, r
    assert r["method"] == "reference" and 0 < r["confidence"] <= 1 and 0 <= r["cnn_level"] <= 5


@pytest.mark.parametrize("seed", range(4))
def test_clean_crop_is_not_smoke_with_and_without_reference(grader, seed):
    s = sample(seed, ("road", "sky", "gate", "road")[seed], "none", shadow=False)
    with_ref = grader.grade(s["image"], s["reference"])
    alone = grader.grade(s["image"])
    assert with_ref["level"] == 0 and with_ref["method"] == "reference", with_ref
    assert alone["level"] < 2 and alone["method"] == "cnn" and alone["cnn_level"] == alone["level"]


@pytest.mark.parametrize("seed", range(4))
def test_cast_shadow_without_plume_is_not_smoke_against_the_reference(grader, seed):
    # the known false alarm: the vehicle's shadow is in the crop, not in the empty-lane reference
    s = sample(seed, ("road", "gate", "wet", "road")[seed], "none", shadow=True)
    assert s["level"] == 0
    assert grader.grade(s["image"], s["reference"])["level"] < 2


def test_without_the_reference_model_a_reference_uses_the_chart_rule(tmp_path):
    # a lane that only has the crop-only model installed still reads levels against its reference
    shutil.copy(models_dir() / "smoke_ringelmann_fp32.tflite", tmp_path / "smoke_ringelmann_fp32.tflite")
    g = SmokeGrader(models_dir=tmp_path)
    s = heavy(1)[0]
    r = g.grade(s["image"], s["reference"])
    assert r["method"] == "combined" and r["level"] >= 3


def test_int8_variant_agrees_on_a_heavy_plume():
    s = heavy(1)[0]
    r = SmokeGrader(variant="int8").grade(s["image"], s["reference"])
    assert r["method"] == "reference" and r["level"] >= 3
    with pytest.raises(EdgeError, match="variant"):
        SmokeGrader(variant="fp16")


def test_any_crop_size_and_a_reference_of_another_resolution(grader):
    s = heavy(1)[0]
    big = cv2.resize(s["image"], (150, 150), interpolation=cv2.INTER_LINEAR)
    ref = cv2.resize(s["reference"], (90, 90), interpolation=cv2.INTER_AREA)
    r = grader.grade(big, ref)
    assert r["level"] >= 3 and isinstance(r["level"], int) and isinstance(r["confidence"], float)


def test_bad_crop_shape_is_a_value_error(grader):
    with pytest.raises(ValueError, match="crop must be HxWx3"):
        grader.grade(np.zeros((64, 64), np.uint8))
    with pytest.raises(ValueError, match="reference must be HxWx3"):
        grader.grade(np.zeros((64, 64, 3), np.uint8), np.zeros((64, 64, 4), np.uint8))


def test_missing_model_is_a_clear_edge_error(tmp_path):
    with pytest.raises(EdgeError, match="not found"):
        SmokeGrader(models_dir=tmp_path)


def test_wrong_shape_model_is_a_clear_edge_error(tmp_path):
    # a real TFLite model with the wrong input: the plate recogniser under the smoke model's names
    src = models_dir() / "plate_rec_fp16.tflite"
    for name in ("smoke_ringelmann_fp32.tflite", "smoke_ringelmann_ref_fp32.tflite"):
        shutil.copy(src, tmp_path / name)
    with pytest.raises(EdgeError, match="input"):
        SmokeGrader(models_dir=tmp_path)


def test_cli_grades_exactly_as_the_grader(grader, tmp_path, capsys):
    # `edge smoke --background` and the lane must agree: same crops (lossless PNG), same result
    cases = [heavy(1)[0], sample(5, "road", "none", shadow=True), sample(6, "gate", "black", target=0.45)]
    for i, s in enumerate(cases):
        img, ref = tmp_path / ("c%d.png" % i), tmp_path / ("r%d.png" % i)
        assert cv2.imwrite(str(img), s["image"][..., ::-1]) and cv2.imwrite(str(ref), s["reference"][..., ::-1])
        assert edge_main(["smoke", "--json", "--background", str(ref), str(img)]) == 0
        (r,) = json.loads(capsys.readouterr().out)
        want = grader.grade(s["image"], s["reference"])
        assert {k: r[k] for k in want} == want
