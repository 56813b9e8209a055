"""The committed Ringelmann CNNs on held-out renders (never retrained), their output contract, and
`edge smoke` on clips."""
import json

import numpy as np
import pytest

from edge.cli import main as edge_main
from edge.errors import EdgeError
from edge.vision.interpreter import models_dir
from edge.vision.smoke.classifier import CHANNELS_REF, SmokeClassifier, read_outputs
from tools.smoke import clips as C
from tools.smoke import samples as S
from tools.smoke.dataset import SET_IDS


@pytest.fixture(scope="module")
def crop_cnn():
    return SmokeClassifier()


@pytest.fixture(scope="module")
def ref_cnn():
    return SmokeClassifier(channels=CHANNELS_REF)


def sample(i, family, kind, level=None, model="puffs"):
    return S.render(np.random.default_rng((SET_IDS["fixtures"], 50000 + i)), family, kind, model, None, level=level)


def test_outputs_are_six_probabilities_and_an_opacity(crop_cnn, ref_cnn):
    s = sample(0, "sky", "smoke", 3)
    for out in (crop_cnn.outputs(s["image"]), ref_cnn.outputs(s["image"], s["reference"])):
        assert out.shape == (7,)
        assert out[:6].sum() == pytest.approx(1.0, abs=0.01) and 0 <= out[6] <= 1


@pytest.mark.parametrize("out, level, opacity", [
    ([0.1, 0.1, 0.6, 0.1, 0.05, 0.05, 0.43], 2, 0.43),   # the head's opacity inside level 2's band
    ([0.1, 0.1, 0.6, 0.1, 0.05, 0.05, 0.61], 2, 0.5),    # outside it: kept at the band's edge
    ([0.9, 0.1, 0, 0, 0, 0, 0.2], 0, 0.1),
    ([0, 0, 0, 0, 0.2, 0.8, 0.99], 5, 0.99),
])
def test_read_outputs_keeps_level_and_opacity_consistent(out, level, opacity):
    r = read_outputs(np.array(out, np.float32))
    assert r["level"] == level and r["opacity"] == pytest.approx(opacity, abs=1e-3)
    assert r["confidence"] == pytest.approx(max(out[:6]) / sum(out[:6]), abs=1e-3)


def test_reference_model_needs_the_reference(ref_cnn):
    with pytest.raises(ValueError, match="reference"):
        ref_cnn.prepare(np.zeros((64, 64, 3), np.uint8))


def test_a_model_with_the_old_single_output_is_refused(tmp_path):
    # a 6-output model (no opacity) under the committed name: a clear error naming the output
    with pytest.raises(EdgeError, match="output|input"):
        SmokeClassifier(str(models_dir() / "plate_rec_fp16.tflite"))


def test_dense_held_out_plumes_are_level_4_or_5(crop_cnn, ref_cnn):
    got_crop, got_ref = [], []
    for i in range(8):
        s = sample(10 + i, ("wall", "sky")[i % 2], "smoke", 5)
        assert s["observable"]
        if s["core_fraction"] >= 0.02 and s["relative_contrast"] >= 0.15:  # visible (evaluate.visible)
            got_crop.append(crop_cnn.classify(s["image"])["level"])
            got_ref.append(ref_cnn.classify(s["image"], s["reference"])["level"])
    assert len(got_ref) >= 6
    assert all(v >= 4 for v in got_ref), got_ref
    assert sum(v >= 4 for v in got_crop) >= len(got_crop) - 1, got_crop


def render_clip_file(tmp_path, kind, seed, **kw):
    clip = C.render_clip(np.random.default_rng((SET_IDS["fixtures"], 78, seed)), kind, None, bg_kind="road", **kw)
    path = tmp_path / ("%s_%d.avi" % (kind, seed))
    C.write_video(path, clip["frames"])
    return clip, str(path)


def test_cli_clips_shadow_none_smoke_event(tmp_path, capsys):
    _, shadow = render_clip_file(tmp_path, "shadow", 0, model="puffs")
    _, smoke = render_clip_file(tmp_path, "smoke", 1, level=4, model="puffs")
    rc = edge_main(["smoke", "--json", "--vehicle", "%d-%d" % (C.PASS[0], C.PASS[1] - 1), shadow, smoke])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rc == 0
    assert [r["file"] for r in out] == [shadow, smoke]
    assert out[0]["kind"] == "clip" and out[0]["frames"] == C.N_FRAMES and out[0]["event"] is None
    assert out[0]["mode"] == "reference"  # the clip's first frame is the empty lane
    ev = out[1]["event"]
    assert ev is not None and ev["smokeLevel"] >= 3 and ev["firstFrame"] >= C.PASS[1]
    assert ev["smokeMode"] == "reference" and 0.5 <= ev["smokeOpacity"] <= 1.0


@pytest.mark.parametrize("argv, msg", [(["--roi", "1,2,3"], "X,Y,W,H"), (["--vehicle", "9-2"], "FIRST"),
                                       (["--roi", "0,0,500,500"], "outside")])
def test_cli_bad_options_are_clear(tmp_path, capsys, argv, msg):
    import cv2
    img = str(tmp_path / "a.png")
    cv2.imwrite(img, sample(0, "road", "none")["image"])
    rc = edge_main(["smoke"] + argv + [img])
    err = capsys.readouterr().err
    assert rc != 0 and msg in err and "Traceback" not in err


def test_none_weight_asks_more_evidence_before_a_faint_view_is_smoke():
    # level 1 at 0.45 against none at 0.40: smoke with the plain argmax, none once P(0) weighs x1.5;
    # a clear plume stays what it was and the opacity stays inside the level's band
    faint = np.array([0.40, 0.45, 0.1, 0.05, 0, 0, 0.18], np.float32)
    assert read_outputs(faint)["level"] == 1
    r = read_outputs(faint, none_weight=1.5)
    assert r["level"] == 0 and r["opacity"] <= 0.1
    assert r["confidence"] == pytest.approx(0.6 / 1.2, abs=1e-3) and sum(r["probs"]) == pytest.approx(1, abs=1e-3)
    clear = np.array([0.1, 0.1, 0.7, 0.1, 0, 0, 0.4], np.float32)
    assert read_outputs(clear, none_weight=3)["level"] == 2


def test_the_calibration_file_beside_the_model_sets_the_none_weight(tmp_path):
    # one file for a model's fp32 and int8 variants; without one the weight is 1 (plain argmax)
    src = models_dir() / "smoke_ringelmann_ref_fp32.tflite"
    dst = tmp_path / src.name
    dst.write_bytes(src.read_bytes())
    assert SmokeClassifier(str(dst), channels=CHANNELS_REF).none_weight == 1.0
    (tmp_path / "smoke_ringelmann_ref.calibration.json").write_text('{"none_weight": 2.5}')
    cnn = SmokeClassifier(str(dst), channels=CHANNELS_REF)
    assert cnn.none_weight == 2.5
    assert SmokeClassifier(str(dst), channels=CHANNELS_REF, none_weight=1).none_weight == 1.0  # an override wins
    s = sample(7, "road", "smoke", 1)
    out = cnn.outputs(s["image"], s["reference"])
    assert cnn.classify(s["image"], s["reference"])["level"] == read_outputs(out, 2.5)["level"]


@pytest.mark.parametrize("text", ['{"none_weight": 0}', '{"none_weight": "x"}', '{}', 'not json'])
def test_a_bad_calibration_file_is_one_clear_error_naming_it(tmp_path, text):
    src = models_dir() / "smoke_ringelmann_fp32.tflite"
    dst = tmp_path / src.name
    dst.write_bytes(src.read_bytes())
    (tmp_path / "smoke_ringelmann.calibration.json").write_text(text)
    with pytest.raises(EdgeError, match="smoke_ringelmann.calibration.json: none_weight must be"):
        SmokeClassifier(str(dst))
