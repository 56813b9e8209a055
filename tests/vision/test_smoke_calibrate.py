"""tools/smoke/calibrate.py: the none weight is chosen from saved outputs, by the evaluator's own
scoring, and written where the grader reads it."""
import json

import numpy as np

from edge.vision.smoke.classifier import load_none_weight
from tools.smoke import calibrate


def _set(tmp_path):
    # 4 plumes (two faint level-1 ones) and 4 negatives (two faint false alarms): outputs graded x1
    kind = np.array([0, 0, 0, 0, 3, 1, 4, 9])  # samples.KINDS: smoke x4, dust, clean, shadow, none
    level = np.array([1, 1, 3, 5, 0, 0, 0, 0])
    outs = np.array([[.30, .60, .1, 0, 0, 0, .2], [.45, .50, .05, 0, 0, 0, .2],
                     [.0, .1, .2, .7, 0, 0, .6], [0, 0, 0, .1, .2, .7, .95],
                     [.40, .55, .05, 0, 0, 0, .15], [.35, .60, .05, 0, 0, 0, .15],
                     [.9, .1, 0, 0, 0, 0, .02], [.95, .05, 0, 0, 0, 0, .01]], np.float32)
    d = {"kind": kind, "level": level, "opacity": np.array([.2, .2, .6, 1, 0, 0, 0, 0]),
         "family": np.zeros(8, int), "observable": np.ones(8, bool)}
    np.savez(tmp_path / "val.npz", **d)
    np.savez(tmp_path / "ev_preds.npz", **{"val/reference_fp32/outputs": outs})
    return d, outs


def test_the_smallest_weight_within_the_bound_is_chosen_and_written(tmp_path, capsys):
    d, outs = _set(tmp_path)
    rows = calibrate.sweep(d, outs, d["observable"], grid=(1.0, 1.25, 1.5, 2.0))
    fa = [s["negatives"]["ge1"] for _, s in rows]
    assert fa == [2, 2, 1, 0]  # dust (0.40 vs 0.55) gives way at x1.5, clean (0.35 vs 0.60) at x2
    assert calibrate.choose(rows, 1) == 1.5 and calibrate.choose(rows, 0) == 2.0
    assert [s["by_level"]["1"]["exact"] for _, s in rows] == [1.0, 0.5, 0.5, 0.0]  # what it costs
    assert calibrate.choose(rows, -1) is None
    out = tmp_path / "smoke_ringelmann_ref.calibration.json"
    rc = calibrate.main(["--preds", str(tmp_path / "ev_preds.npz"), "--data", str(tmp_path),
                         "--max-false-alarms", "0", "--write", str(out)])
    # the full grid has x1.75 (clean: 0.35 x 1.75 = 0.61 > 0.60)
    assert rc == 0 and json.loads(out.read_text())["none_weight"] == 1.75
    assert load_none_weight(tmp_path / "smoke_ringelmann_ref_int8.tflite") == 1.75  # both variants read it
    assert "chosen: none_weight 1.75" in capsys.readouterr().out


def test_outputs_of_another_set_are_refused_in_one_line(tmp_path, capsys):
    _set(tmp_path)
    np.savez(tmp_path / "short_preds.npz", **{"val/reference_fp32/outputs": np.zeros((3, 7), np.float32)})
    try:
        calibrate.main(["--preds", str(tmp_path / "short_preds.npz"), "--data", str(tmp_path)])
    except SystemExit as e:
        assert e.code == 2
    assert "3 outputs for 8 crops" in capsys.readouterr().err
