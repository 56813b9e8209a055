"""`edge codes`, `edge example`, `edge validate` through the CLI entry point and the installed script."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from edge.cli import main
from edge.domain.codes import TABLES
from edge.domain.records import CLI_KINDS

EDGE = Path(sys.executable).parent / "edge"


def test_codes_json_holds_every_table(capsys):
    assert main(["codes", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]   # JSON lines: a table each
    data = {t["table"]: t["codes"] for t in lines}
    assert data == TABLES
    assert data["yunnan.region"]["530900"] == "临沧市"
    assert len(data["ningxia.vehicle_type"]) == 282


def test_codes_one_table_and_a_prefix(capsys):
    assert main(["codes", "yunnan.plate_color"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "yunnan.plate_color  (appendix 7.6, 7 codes)"
    assert "  6      新能源绿黄牌" in out.splitlines()
    assert main(["codes", "--json", "ningxia"]) == 0
    data = [json.loads(line)["table"] for line in capsys.readouterr().out.splitlines()]
    assert sorted(data) == sorted(t for t in TABLES if t.startswith("ningxia."))


def test_codes_unknown_table_is_a_clear_error(capsys):
    assert main(["codes", "yunnan.colour"]) == 2
    assert "no code table 'yunnan.colour'" in capsys.readouterr().err


def test_codes_fixes(capsys):
    assert main(["codes", "--fixes"]) == 0
    assert "yunnan.region: printed 5530900 临沧市 -> 530900 临沧市" in capsys.readouterr().out


@pytest.mark.parametrize("kind", CLI_KINDS)
def test_example_then_validate_round_trip(kind, tmp_path, capsys):
    assert main(["example", kind]) == 0
    text = capsys.readouterr().out
    assert "\\u" not in text                      # Chinese printed as is (ensure_ascii=False)
    path = tmp_path / (kind + ".json")
    path.write_text(text, encoding="utf-8")
    assert main(["validate", kind, str(path)]) == 0
    assert capsys.readouterr().out.strip() == "%s: ok" % path


def test_example_fields(capsys):
    assert main(["example", "access", "--fields"]) == 0
    out = capsys.readouterr().out
    assert "cargoType" in out and "max 32" in out and "yunnan.plate_color" in out


def test_validate_lists_every_problem_and_exits_1(tmp_path, capsys):
    rec = json.loads(_example("access", capsys))
    del rec["licensePlate"]
    rec["plateColor"] = "9"
    rec["accessTime"] = "20250820 083045"
    rec["cargoType"] = "矿" * 40
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(rec, ensure_ascii=False), encoding="utf-8")
    assert main(["validate", "access", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "%s: invalid access record (4 problems)" % path
    assert out[1:] == [
        "  licensePlate: required",
        "  plateColor: '9' is not a plate colour code (appendix 7.6: 0=蓝牌, 1=黄牌, 2=白牌, 3=黑牌, "
        "4=新能源绿牌, 5=其他, 6=新能源绿黄牌)",
        "  accessTime: must be YYYY-MM-DD HH:mm:ss",
        "  cargoType: longer than 32 characters"]


def test_validate_an_array_prefixes_the_index(tmp_path, capsys):
    good = json.loads(_example("vehicle", capsys))
    bad = dict(good, registrationDate="20250230")
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps([good, bad, "x"], ensure_ascii=False), encoding="utf-8")
    assert main(["validate", "vehicle", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1:] == ["  [1].registrationDate: '20250230' is not a real date (YYYYMMDD)",
                       "  [2].(record): must be a JSON object"]


def test_validate_keeps_trailing_zeros_of_coordinates(tmp_path, capsys):
    ent = json.loads(_example("enterprise", capsys))
    text = json.dumps(ent, ensure_ascii=False)
    path = tmp_path / "ent.json"
    path.write_text(text.replace("102.478123", "102.500000"), encoding="utf-8")
    assert main(["validate", "enterprise", str(path)]) == 0
    capsys.readouterr()
    path.write_text(text.replace("102.478123", "102.5"), encoding="utf-8")
    assert main(["validate", "enterprise", str(path)]) == 1
    assert "longitude: must have exactly 6 decimals (102.5 has 1)" in capsys.readouterr().out


def test_validate_ningxia_platform(tmp_path, capsys):
    veh = json.loads(_example("vehicle", capsys))
    veh["vehicleType"] = "B11"
    path = tmp_path / "veh.json"
    path.write_text(json.dumps(veh), encoding="utf-8")
    assert main(["validate", "vehicle", str(path)]) == 1
    capsys.readouterr()
    assert main(["validate", "--platform", "ningxia", "vehicle", str(path)]) == 0


@pytest.mark.parametrize("content,msg", [
    ("{\"a\": ", "not valid JSON"), (None, "no such file"), (b"\xff\xfe{", "not UTF-8"),
])
def test_validate_bad_files_are_clear_errors(tmp_path, capsys, content, msg):
    path = tmp_path / "f.json"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif isinstance(content, bytes):
        path.write_bytes(content)
    assert main(["validate", "access", str(path)]) == 2
    err = capsys.readouterr().err
    assert msg in err and str(path) in err and "Traceback" not in err


def test_installed_script(tmp_path):
    ex = subprocess.run([str(EDGE), "example", "camera"], capture_output=True, text=True, check=True)
    path = tmp_path / "cam.json"
    path.write_text(ex.stdout, encoding="utf-8")
    ok = subprocess.run([str(EDGE), "validate", "camera", str(path)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    cam = json.loads(ex.stdout)
    cam["installDate"] = "2023-10-02"
    path.write_text(json.dumps(cam, ensure_ascii=False), encoding="utf-8")
    bad = subprocess.run([str(EDGE), "validate", "camera", str(path)], capture_output=True, text=True)
    assert bad.returncode == 1
    assert "  installDate: must be YYYYMMDD" in bad.stdout.splitlines()


def _example(kind, capsys):
    assert main(["example", kind]) == 0
    return capsys.readouterr().out
