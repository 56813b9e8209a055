"""edge provision --answers FILE: a fresh state dir to a registered lane against the platform
simulator; the same answers again change nothing; a changed answer changes only itself."""
import json
import os
import stat
import tomllib
import urllib.request

import pytest

from edge.config import example
from edge.web.passwords import check_password, users_path
from tests.install.helpers import edge
from tests.install.test_doctor import start_platform
from tests.lane.rtsp import RtspFeed, free_port, has_gstreamer, write_frames


def answers_text(tmp_path, platform_url, rtsp_url, lane_name="1号门 进厂", camera_name="A口车牌识别"):
    ex = tomllib.loads(example())
    ent = "\n".join('%s = %s' % (k, json.dumps(v, ensure_ascii=False)) for k, v in ex["enterprise"].items())
    return f"""
[provision]
board = "sim"
keys = "generate"
register = true
push = ["enterprise", "cameras"]
status_password = "gate-guard-2025"

[site]
enterprise_id = "91530100MA6K5XYZ1P001V"
enterprise_name = "云南示例钢铁有限公司"
entrance_id = "A"
gate_id = "A01"
lane_name = "{lane_name}"

[paths]
state_dir = "{tmp_path / 'state'}"

[lane]
site_duties = false

[uplink]
destinations = ["yunnan"]

[uplink.yunnan]
base_url = "{platform_url}"

[enterprise]
{ent}

[[cameras]]
cameraSeq = 1
cameraName = "{camera_name}"
cameraType = "1"
cameraModel = "DS-2CD7A47"
manufacturer = "海康威视"
installDate = "20250101"
cameraIp = "127.0.0.1"
cameraHost = "8554"
cameraUsername = "admin"
cameraPassword = "cam-secret-1"
nvrUsername = "admin"
nvrPassword = "nvr-secret-1"
nvrIp = "127.0.0.1"
nvrPost = "8000"
rtsp_url = "{rtsp_url}"
"""


def platform_state(url):
    return json.load(urllib.request.urlopen(url.split("/access")[0] + "/_sim/state", timeout=10))


@pytest.mark.skipif(not has_gstreamer(), reason="needs the GStreamer RTSP server (bash tools/dev setup)")
def test_provision_fresh_then_again_then_one_change(tmp_path):
    feed = RtspFeed(write_frames(tmp_path / "frames", n=20), free_port(), fps=10).start()
    platform, url = start_platform()
    conf = tmp_path / "etc" / "edge.toml"
    answers = tmp_path / "answers.toml"
    answers.write_text(answers_text(tmp_path, url, feed.url), encoding="utf-8")
    try:
        r = edge(conf, "provision", "--answers", str(answers), timeout=300)
        out = r.stdout
        assert r.returncode == 0, out + r.stderr     # the doctor it ends with has no FAIL
        assert "provision board: sim (as answered)" in out
        assert "provision config: %s: changed " % conf in out
        assert "provision keys: generated" in out and "provision register: registered" in out
        assert "provision push enterprise: pushed" in out and "provision push cameras: pushed" in out
        assert "provision password: set" in out
        assert "PASS registered:" in out and "PASS token:" in out and "PASS camera-01:" in out
        assert out.splitlines()[-1].startswith("doctor: ")
        st = platform_state(url)
        assert len(st["enterprises"]) == 1
        assert st["received"]["enterprise"] == 1 and st["received"]["camera"] == 1
        assert stat.S_IMODE(os.stat(conf).st_mode) == 0o640
        state = tmp_path / "state"
        assert check_password(state, "guard", "gate-guard-2025") and not check_password(state, "guard", "wrong")
        assert stat.S_IMODE(os.stat(users_path(state)).st_mode) == 0o600
        r = edge(conf, "config", "check")
        assert r.returncode == 0, r.stderr

        # a technician's note in the config survives re-runs
        conf.write_text(conf.read_text(encoding="utf-8") + "# fibre to the guard house: port 3\n", encoding="utf-8")
        files = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in
                 (conf, state / "keys" / "client_private.key", state / "keys" / "platform.json",
                  users_path(state), state / "provision.json")}

        r = edge(conf, "provision", "--answers", str(answers), "--no-doctor", timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        for line in ("provision config: %s: unchanged" % conf, "provision keys: kept",
                     "provision register: already registered", "provision push enterprise: unchanged",
                     "provision push cameras: unchanged", "provision password: unchanged"):
            assert line in r.stdout, r.stdout
        assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files} == files
        assert platform_state(url)["received"] == st["received"]

        # one answer changed: only that key, and only the push whose payload it is in
        answers.write_text(answers_text(tmp_path, url, feed.url, camera_name="A口车牌识别2"), encoding="utf-8")
        r = edge(conf, "provision", "--answers", str(answers), "--no-doctor", timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "provision config: %s: changed cameras" % conf in r.stdout
        assert "provision push enterprise: unchanged" in r.stdout and "provision push cameras: pushed" in r.stdout
        assert platform_state(url)["received"]["camera"] == 2
        assert "# fibre to the guard house: port 3" in conf.read_text(encoding="utf-8")
    finally:
        feed.stop()
        platform.terminate()
        platform.wait(10)


def test_bad_answers_write_nothing(tmp_path):
    conf = tmp_path / "edge.toml"
    answers = tmp_path / "answers.toml"
    answers.write_text(answers_text(tmp_path, "http://127.0.0.1:9/x", "").replace('gate_id = "A01"', 'gate_id = "B7"')
                       .replace('keys = "generate"', 'keys = "steal"'), encoding="utf-8")
    r = edge(conf, "provision", "--answers", str(answers))
    assert r.returncode == 2 and "provision.keys: one of generate, bundle, keep" in r.stderr
    answers.write_text(answers.read_text().replace('keys = "steal"', 'keys = "generate"'))
    r = edge(conf, "provision", "--answers", str(answers))
    assert r.returncode == 2 and "site.gate_id" in r.stderr and "Traceback" not in r.stderr
    assert not conf.exists() and not (tmp_path / "state").exists()
    answers.write_text(answers.read_text().replace('gate_id = "B7"', 'gate_id = "A01"')
                       .replace('board = "sim"', 'board = "auto"'))
    r = edge(conf, "provision", "--answers", str(answers))  # this machine has no device tree: sim is detected
    assert "provision board: sim (detected from the device tree model 'none')" in r.stdout, r.stdout + r.stderr
    answers.write_text(answers.read_text().replace('keys = "generate"', 'keys = "bundle"'))
    r = edge(conf, "provision", "--answers", str(answers), "--no-doctor")
    assert r.returncode == 2 and "no `edge keys import`" in r.stderr


def test_wizard_asks_the_same_keys(tmp_path):
    """The wizard over a pipe (a serial console): Enter keeps each shown default."""
    conf = tmp_path / "edge.toml"
    answers = tmp_path / "answers.toml"
    answers.write_text(answers_text(tmp_path, "http://127.0.0.1:9/x", ""), encoding="utf-8")
    r = edge(conf, "provision", "--answers", str(answers), "--no-doctor")
    before = conf.read_text(encoding="utf-8")
    # register fails (no platform at port 9); the config is written before that step
    assert "provision config:" in r.stdout and r.returncode == 2 and "platform" in r.stderr
    r = edge(conf, "provision", "--no-doctor", input="\n" * 80 + "sim\n")
    assert "enterprise_id (" in r.stdout and "cameraName (" in r.stdout and "board profile (" in r.stdout
    assert "provision config: %s: unchanged" % conf in r.stdout, r.stdout + r.stderr
    assert conf.read_text(encoding="utf-8") == before
