"""SmokeGrader -- the lane's one entry point -- with the committed models, on crops rendered here
from the HELD-OUT plume model and background families (fixed seeds, never used in training),
and `edge smoke` on top of it."""
import json
import shutil

import cv2
import numpy as np
import pytest

from edge.cli import main as edge_main
from edge.errors import EdgeError
from edge.vision.interpreter import models_dir
from edge.vision.smoke.grader import SmokeGrader
from tools.smoke import samples as S
from tools.smoke.dataset import SET_IDS


@pytest.fixture(scope="module")
def grader():
    return SmokeGrader()


def sample(i, family, kind, level=None, model="puffs"):
    return S.render(np.random.default_rng((SET_IDS["fixtures"], i)), family, kind, model, None, level=level)


def plumes(level, n, families=("wall", "sky")):
    """Visible held-out plumes of a true level (chosen by the renderer's truth, not by the model:
    tools/smoke/evaluate.visible)."""
    out, i = [], 0
    while len(out) < n:
        s = sample(1000 * level + i, families[i % len(families)], "smoke", level)
        if s["observable"] and s["level"] == level and s["core_fraction"] >= 0.02 and s["relative_contrast"] >= 0.15:
            out.append(s)
        i += 1
    return out


def write_png(path, rgb):
    assert cv2.imwrite(str(path), np.ascontiguousarray(rgb[..., ::-1]))
    return str(path)


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_held_out_plumes_read_their_opacity_level_against_the_reference(grader, level):
    got = [grader.grade(s["image"], s["reference"]) for s in plumes(level, 6)]
    assert all(g["mode"] == "reference" for g in got)
    # held-out figures (models/smoke_ringelmann.md): ~97-98 % within one, so a gross miss among
    # these 30 plumes happens (round 9's model reads one level-2 plume as 0): at most one per level
    assert sum(abs(g["level"] - level) <= 1 for g in got) >= 5, [g["level"] for g in got]
    # ~75 % exact; here at least half of six
    assert sum(g["level"] == level for g in got) >= 3, [g["level"] for g in got]
    for g in got:  # the opacity lies in the level's band: one reading, never two
        assert 0.2 * g["level"] - 0.1 - 1e-6 <= g["opacity"] <= 0.2 * g["level"] + 0.1 + 1e-6
        assert 0 < g["confidence"] <= 1


def test_crop_only_reads_dense_held_out_plumes_within_one_level(grader):
    # crop-only is the weak mode (held out: 36 % exact, 69 % within one; the card): dense smoke
    # it reads, thin smoke it mostly misses
    got = [grader.grade(s["image"]) for s in plumes(5, 6)]
    assert all(g["mode"] == "crop" and g["level"] >= 4 for g in got), got


@pytest.mark.parametrize("kind", ["none", "shadow", "wet", "body", "steam", "exposure"])
def test_negatives_are_no_smoke_against_the_reference(grader, kind):
    # the gate's false alarms: a cast shadow, the road wet since the reference, a truck body
    # filling the ROI, white steam, an exposure change -- none of them is in the reference
    got = [grader.grade(s["image"], s["reference"])
           for s in (sample(i, ("wall", "sky", "road")[i % 3], kind) for i in range(6))]
    assert all(g["level"] <= 1 for g in got), [g["level"] for g in got]
    assert sum(g["level"] == 0 for g in got) >= 5, [g["level"] for g in got]


def test_without_the_reference_model_a_reference_is_ignored(tmp_path):
    # a board with only the crop-only model installed grades crop-only, and says so
    shutil.copy(models_dir() / "smoke_ringelmann_fp32.tflite", tmp_path / "smoke_ringelmann_fp32.tflite")
    g = SmokeGrader(models_dir=tmp_path)
    s = plumes(4, 1)[0]
    r = g.grade(s["image"], s["reference"])
    assert r["mode"] == "crop" and abs(r["level"] - 4) <= 1


def test_int8_variant_agrees_with_fp32(grader):
    q = SmokeGrader(variant="int8")
    for s in plumes(3, 3) + plumes(5, 3):
        a, b = grader.grade(s["image"], s["reference"]), q.grade(s["image"], s["reference"])
        assert b["mode"] == "reference" and abs(a["level"] - b["level"]) <= 1
    with pytest.raises(EdgeError, match="variant"):
        SmokeGrader(variant="fp16")


def test_any_crop_size_and_a_reference_of_another_resolution(grader):
    s = plumes(5, 1)[0]
    big = cv2.resize(s["image"], (150, 150), interpolation=cv2.INTER_LINEAR)
    ref = cv2.resize(s["reference"], (90, 90), interpolation=cv2.INTER_AREA)
    r = grader.grade(big, ref)
    assert r["level"] >= 4 and isinstance(r["level"], int) and isinstance(r["opacity"], float)


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


def test_cli_json_lines_grade_exactly_as_the_grader(grader, tmp_path, capsys):
    # `edge smoke --json --background` and the lane must agree: same crops (lossless PNG), same
    # result; one JSON object per line with level, opacity, confidence and the mode
    cases = [plumes(4, 1)[0], sample(5, "road", "shadow"), plumes(2, 1)[0]]
    for i, s in enumerate(cases):
        img, ref = write_png(tmp_path / ("c%d.png" % i), s["image"]), write_png(tmp_path / ("r%d.png" % i), s["reference"])
        assert edge_main(["smoke", "--json", "--background", ref, img]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 1
        r = json.loads(lines[0])
        assert r["file"] == img and r["kind"] == "image"
        assert {k: r[k] for k in ("level", "opacity", "confidence", "mode")} == grader.grade(s["image"], s["reference"])
        assert r["mode"] == "reference"


def test_cli_json_is_one_line_per_image_crop_only(grader, tmp_path, capsys):
    paths = [write_png(tmp_path / ("p%d.png" % i), s["image"]) for i, s in enumerate(plumes(5, 2) + plumes(1, 1))]
    assert edge_main(["smoke", "--json"] + paths) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["file"] for r in rows] == paths
    assert all(r["mode"] == "crop" and set(r) == {"file", "kind", "level", "opacity", "confidence", "mode"} for r in rows)


def test_cli_human_output_prints_one_level_and_names_bad_inputs(tmp_path, capsys):
    clean = write_png(tmp_path / "clean.png", sample(0, "wall", "none")["image"])
    black = write_png(tmp_path / "black.png", plumes(5, 1)[0]["image"])
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    missing = str(tmp_path / "missing.png")
    rc = edge_main(["smoke", clean, str(broken), missing, black])
    cap = capsys.readouterr()
    assert rc == 2
    lines = cap.out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(clean + ": Ringelmann 0 (opacity ") and "crop only" in lines[0]
    assert lines[1].startswith(black + ": Ringelmann ") and int(lines[1].split("Ringelmann ")[1][0]) >= 4
    assert all(line.count("Ringelmann") == 1 for line in lines)  # one level, never two
    assert str(broken) in cap.err and "decode" in cap.err
    assert missing in cap.err and "no such file" in cap.err
