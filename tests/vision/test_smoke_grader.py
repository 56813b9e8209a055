"""SmokeGrader -- the lane's one entry point -- with the committed models, on crops rendered here
(fixed seeds, never used in training), and its clear failures."""
import shutil

import cv2
import numpy as np
import pytest

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
    assert r["method"] != "cnn" and 0 < r["confidence"] <= 1 and 0 <= r["cnn_level"] <= 5


@pytest.mark.parametrize("seed", range(4))
def test_clean_crop_is_not_smoke_with_and_without_reference(grader, seed):
    s = sample(seed, ("road", "sky", "gate", "road")[seed], "none", shadow=False)
    with_ref = grader.grade(s["image"], s["reference"])
    alone = grader.grade(s["image"])
    assert with_ref["level"] < 2, with_ref  # below the lane's event threshold
    assert alone["level"] < 2 and alone["method"] == "cnn" and alone["cnn_level"] == alone["level"]


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
