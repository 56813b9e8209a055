"""`edge doctor`'s models check with a smoke camera: it builds the smoke grader as the lane does, so
a damaged calibration file beside the model fails here, in one line naming it, not in the lane."""
import shutil
from types import SimpleNamespace

from edge.doctor import Env
from edge.doctor.models import check_models
from edge.lane.smoke_settings import SmokeSettings
from edge.vision.interpreter import models_dir
from edge.vision.settings import VisionSettings


def _env(folder, none_weight=0.0):
    config = SimpleNamespace(vision=VisionSettings(models_dir=str(folder)),
                             smoke=SmokeSettings(camera="smoke", none_weight=none_weight))
    return Env(config=config)


def test_the_smoke_models_and_their_calibration_are_checked(tmp_path):
    folder = tmp_path / "models"
    shutil.copytree(models_dir(), folder, ignore=shutil.ignore_patterns("*.md"))
    (folder / "smoke_ringelmann_ref.calibration.json").unlink(missing_ok=True)
    r = check_models(_env(folder))
    assert r.status == "PASS" and "smoke model loads (reference and crop-only, none weight 1)" in r.found, r.line()
    (folder / "smoke_ringelmann_ref.calibration.json").write_text('{"none_weight": 2.5}')
    r = check_models(_env(folder))
    assert r.status == "PASS" and "none weight 2.5" in r.found, r.line()
    r = check_models(_env(folder, none_weight=4.0))  # [smoke] none_weight wins over the file
    assert r.status == "PASS" and "none weight 4" in r.found, r.line()
    (folder / "smoke_ringelmann_ref.calibration.json").write_text('{"none_weight": -1}')
    r = check_models(_env(folder))
    assert r.status == "FAIL" and "smoke_ringelmann_ref.calibration.json: none_weight must be > 0" in r.line(), r.line()
    assert "\n" not in r.line()
