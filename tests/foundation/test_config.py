"""Config: every bad key named with its rule; unknown keys refused; the example is valid."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from edge import config as cfg
from edge.cli import main
from edge.errors import EdgeError, ValidationError

MINIMAL = """
[site]
enterprise_id = "91530100MA6K5XYZ1P001V"
enterprise_name = "云南示例钢铁有限公司"
entrance_id = "A"
gate_id = "A01"
[paths]
state_dir = "/tmp/edge-test"
[uplink.yunnan]
base_url = "http://127.0.0.1:8710/access/api/dataReceive"
"""


def problems(text):
    with pytest.raises(ValidationError) as e:
        cfg.parse(text)
    return dict(e.value.problems)


def test_minimal_config_loads_with_defaults():
    c = cfg.parse(MINIMAL)
    assert c.site.gate_id == "A01"
    assert c.board.profile == "sim"
    assert c.uplink.destinations == ["yunnan"]
    assert c.uplink.yunnan.sign_scope == "key+content"
    assert c.outbox.retention_months == 24
    assert c.enterprise is None and c.cameras == []


def test_example_is_complete_and_valid():
    text = cfg.example()
    c = cfg.parse(text)
    # every section the product knows is in the example, including the spec-named ones
    for key in ("[site]", "[paths]", "[board]", "[uplink.yunnan]", "[uplink.hj212]", "[outbox]",
                "[enterprise]", "[[cameras]]", "sign_scope", "enterpriseCode", "cameraPassword"):
        assert key in text, key
    assert c.enterprise.enterpriseCode == "91530100MA6K5XYZ1P"
    assert len(c.cameras) == 1


def test_missing_required_keys_are_each_named():
    p = problems("[site]\nenterprise_id = \"X1\"\n")
    assert p["site.enterprise_name"] == "required"
    assert p["site.entrance_id"] == "required"
    assert p["site.gate_id"] == "required"
    assert p["paths"] == "required"


def test_unknown_keys_are_errors_at_every_depth():
    p = problems(MINIMAL + "\n[outbox]\nconcurency = 3\n[bogus]\nx = 1\n")
    assert p["outbox.concurency"].startswith("unknown key")
    assert "concurrency" in p["outbox.concurency"]  # lists what is allowed
    assert p["bogus"].startswith("unknown key")


def test_rules_and_types_are_reported_together():
    text = MINIMAL.replace('entrance_id = "A"', 'entrance_id = "a"').replace('gate_id = "A01"', 'gate_id = "B1"')
    text += '\n[outbox]\nconcurrency = "four"\ndisk_high_water_pct = 120\n[log]\nlevel = "LOUD"\n'
    p = problems(text)
    assert p["site.entrance_id"] == "one upper-case letter A–Z"
    assert p["site.gate_id"] == "entrance letter + 2 digits, e.g. A01"
    assert p["outbox.concurrency"] == "must be an integer, got a string"
    assert p["outbox.disk_high_water_pct"] == "must be ≤ 99"
    assert p["log.level"] == "one of DEBUG, INFO, WARNING, ERROR"


def test_cross_field_rules():
    p = problems(MINIMAL.replace('gate_id = "A01"', 'gate_id = "B01"'))
    assert p["site.gate_id"] == "must start with entrance_id 'A'"
    p = problems(MINIMAL + '\n[uplink]\ndestinations = ["yunnan", "hj212"]\n')
    assert p["uplink.destinations"] == "names 'hj212' but [uplink.hj212] is missing"
    p = problems(MINIMAL + '\n[uplink]\ndestinations = ["ftp"]\n')
    assert p["uplink.destinations[0]"] == "must be one of 'yunnan', 'hj212'"


def test_array_of_tables_errors_carry_the_index():
    text = MINIMAL + cfg.example().split("[[cameras]]", 1)[0][:0]  # keep MINIMAL
    text += '\n[[cameras]]\ncameraSeq = 1\ncameraName = "a"\ncameraType = "1"\ncameraModel = "m"\n' \
            'manufacturer = "x"\ninstallDate = "2025-01-01"\ncameraIp = "1.2.3.4"\ncameraHost = "554"\n'
    p = problems(text)
    assert p["cameras[0].installDate"] == "YYYYMMDD"


def test_bad_toml_and_missing_file(tmp_path):
    p = problems("[site\n")
    assert p["(file)"].startswith("not valid TOML")
    with pytest.raises(EdgeError, match="not found"):
        cfg.load_config(tmp_path / "nope.toml")


def test_config_found_via_env(tmp_path, monkeypatch):
    f = tmp_path / "lane.toml"
    f.write_text(MINIMAL, encoding="utf-8")
    monkeypatch.setenv("EDGE_CONFIG", str(f))
    assert cfg.load_config().site.enterprise_id == "91530100MA6K5XYZ1P001V"


def test_cli_config_check_lists_every_problem(tmp_path, capsys):
    f = tmp_path / "lane.toml"
    f.write_text(MINIMAL.replace('gate_id = "A01"', 'gate_id = "A1"') + "\n[board]\nprofle = \"rpi4\"\n",
                 encoding="utf-8")
    assert main(["config", "check", "--config", str(f)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("edge config: invalid")
    assert "  site.gate_id: entrance letter + 2 digits, e.g. A01" in err
    assert any(line.startswith("  board.profle: unknown key") for line in err)


def test_cli_config_check_ok_and_show_masks_secrets(tmp_path, capsys):
    f = tmp_path / "lane.toml"
    f.write_text(cfg.example(), encoding="utf-8")
    text = f.read_text(encoding="utf-8").replace('cameraPassword = "change-me"', 'cameraPassword = "s3cret-pw"')
    f.write_text(text, encoding="utf-8")
    assert main(["--config", str(f), "config", "check", "--show"]) == 0
    out = capsys.readouterr().out
    assert "s3cret-pw" not in out and '"cameraPassword": "***"' in out
    assert "ok (site 91530100MA6K5XYZ1P001V, gate A01, board Simulated lane board)" in out.splitlines()[-1]


@pytest.mark.parametrize("url", ["rtsp://admin:s3cret-pw@10.0.0.9:554/live", "rtsp://:s3cret-pw@10.0.0.9/x",
                                 "rtsp://admin:s3cret@pw@10.0.0.9:554/live", "rtsp://10.0.0.9/live?password=s3cret-pw",
                                 "rtsp://10.0.0.9/live?user=a&pwd=s3cret-pw"])
def test_show_masks_passwords_inside_every_url_form(tmp_path, capsys, url):
    f = tmp_path / "lane.toml"
    f.write_text(cfg.example().replace('rtsp_url = "rtsp://127.0.0.1:8554/lane"', 'rtsp_url = "%s"' % url),
                 encoding="utf-8")
    assert main(["--config", str(f), "config", "check", "--show"]) == 0
    out = capsys.readouterr().out
    assert "s3cret" not in out and "10.0.0.9" in out


def test_check_refuses_what_the_platform_would_refuse(tmp_path, capsys):
    text = cfg.example().replace('areaCode = "530100"', 'areaCode = "999999"') \
        .replace('industryType = "01"', 'industryType = "77"').replace('cameraIp = "127.0.0.1"', 'cameraIp = "300.1.1.1"')
    f = tmp_path / "lane.toml"
    f.write_text(text, encoding="utf-8")
    assert main(["--config", str(f), "config", "check"]) == 2
    err = capsys.readouterr().err
    assert "enterprise.areaCode: '999999'" in err and "enterprise.industryType: '77'" in err
    assert "cameras[0].cameraIp: must be an IPv4 address" in err


def test_check_warns_about_what_is_most_likely_wrong(tmp_path, capsys):
    text = cfg.example().replace('base_url = "http://127.0.0.1:8710/access/api/dataReceive"',
                                 'base_url = "http://10.1.2.3:8710/api"') \
        .replace('rtsp_url = "rtsp://127.0.0.1:8554/lane"', 'rtsp_url = "10.0.0.9:554/live"')
    f = tmp_path / "lane.toml"
    f.write_text(text, encoding="utf-8")
    os.chmod(f, 0o644)
    assert main(["--config", str(f), "config", "check"]) == 0
    out = capsys.readouterr().out
    assert "warning: site.enterprise_id: still the example enterprise id" in out
    assert "warning: cameras[0].cameraPassword: still the example password 'change-me'" in out
    assert "warning: cameras[0].rtsp_url: has no scheme" in out
    assert "warning: uplink.yunnan.base_url: http:// to 10.1.2.3" in out
    assert "readable by other users (mode 644): chmod 600" in out
    f.write_text(text.replace("[[cameras]]", "[[nocameras]]").split("[[nocameras]]")[0], encoding="utf-8")
    assert main(["--config", str(f), "config", "check", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {"warning": "cameras", "text": lines[[x.get("warning") for x in lines].index("cameras")]["text"]} in lines
    assert lines[-1]["ok"] is True and lines[-1]["warnings"] == len(lines) - 1


def test_check_warns_when_the_board_is_for_another_machine(tmp_path, capsys, monkeypatch):
    import platform
    f = tmp_path / "lane.toml"
    f.write_text(cfg.example().replace('profile = "sim"', 'profile = "rpi5"'), encoding="utf-8")
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    assert main(["--config", str(f), "config", "check"]) == 0
    assert "warning: board.profile: profile rpi5 is for aarch64, this machine is x86_64" in capsys.readouterr().out


def test_console_script_example_roundtrip(tmp_path):
    """The installed `edge` command: example → file → check."""
    edge = Path(sys.executable).with_name("edge")
    ex = subprocess.run([str(edge), "config", "example"], capture_output=True, text=True, check=True).stdout
    f = tmp_path / "e.toml"
    f.write_text(ex, encoding="utf-8")
    r = subprocess.run([str(edge), "config", "check"], capture_output=True, text=True,
                       env={**os.environ, "EDGE_CONFIG": str(f)})
    assert r.returncode == 0, r.stderr
