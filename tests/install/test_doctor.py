"""edge doctor against a running simulated lane (real RTSP feed, platform simulator, pty RS-485,
tmpfs state dir), then with one fault after another: each gives its FAIL line with a fix."""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from edge.doctor import Env, clock, run_checks, storage
from edge.doctor.config_checks import check_board
from tests.install.helpers import ROOT, edge, start_lane, stop_lane, wait_status, write_config
from tests.lane.rtsp import RtspFeed, free_port, has_gstreamer, write_frames

LINE = re.compile(r"^(PASS|WARN|FAIL) [\w.-]+: \S.*$")
# what a development/sim machine cannot have (the issue: WARN, not FAIL)
SIM_WARNS = {"service", "ntp", "emmc"}


def doctor(conf, *args):
    r = edge(conf, "doctor", *args, timeout=180)
    lines = r.stdout.splitlines()
    if "--json" not in args:
        assert lines and lines[-1].startswith("doctor: "), r.stdout
        body = lines[:-1]
        for line in body:
            assert LINE.match(line), "not a doctor line: %r" % line
            status = line.split()[0]
            assert (" — " in line) == (status != "PASS"), "WARN/FAIL need a fix, PASS none: %r" % line
        assert max(len(x) for x in lines) < 400
        return r, {line.split()[1].rstrip(":"): line for line in body}
    return r, {json.loads(x)["name"]: json.loads(x) for x in lines}


def failing(found):
    return {n for n, line in found.items() if line.startswith("FAIL")}


def start_platform():
    p = subprocess.Popen([sys.executable, str(ROOT / "tools" / "yunnan_sim.py"), "--port", "0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = p.stdout.readline().strip()
    assert url.startswith("http://"), p.stderr.read()
    return p, url


def mount_tmpfs(path: Path, size_mb: int) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm,mode=0755" % size_mb, "tmpfs", str(path)],
                          capture_output=True).returncode == 0


@pytest.mark.skipif(not has_gstreamer(), reason="needs the GStreamer RTSP server (bash tools/dev setup)")
def test_doctor_on_a_running_sim_lane_and_each_fault(tmp_path):
    state = tmp_path / "state"
    on_tmpfs = mount_tmpfs(state, 256)
    feed = RtspFeed(write_frames(tmp_path / "frames", n=20), free_port(), fps=10).start()
    platform, url = start_platform()
    master, slave = os.openpty()                      # the RS-485 adapter: a pty whose far end we hold
    tty = tmp_path / "ttyRS485"
    tty.symlink_to(os.ttyname(slave))
    os.close(slave)
    board = tmp_path / "board.toml"
    board.write_text((ROOT / "boards" / "sim.toml").read_text().replace('rs485_device = "pty"',
                                                                       'rs485_device = "%s"' % tty))
    conf = write_config(tmp_path, rtsp_url=feed.url, platform_url=url, board=str(board), site_duties=True)
    lane = holder = None
    try:
        for args in (("keys", "generate"), ("register",)):
            r = edge(conf, *args)
            assert r.returncode == 0, r.stderr
        lane = start_lane(conf)
        wait_status(conf, lambda s: s.get("platform", {}).get("heartbeat_at")
                    and all(c.get("connected") and not c.get("stale") for c in s.get("cameras", {}).values())
                    and s.get("cameras"), proc=lane, timeout=120)

        # healthy: PASS everywhere but what a sim cannot have
        r, found = doctor(conf)
        assert {n for n, line in found.items() if not line.startswith("PASS")} == SIM_WARNS, r.stdout
        assert r.returncode == 0
        for name in ("lane", "camera-01", "gpio", "rs485", "clock", "disk", "keys", "platform", "registered",
                     "token", "heartbeat", "outbox", "models"):
            assert found[name].startswith("PASS"), found.get(name)
        assert "fps" in found["camera-01"] and "last frame" in found["camera-01"]
        r, objs = doctor(conf, "--json")
        assert set(objs["keys"]) == {"status", "name", "found", "fix"} and objs["ntp"]["fix"]

        # 1. private key mode 0644
        key = state / "keys" / "client_private.key"
        key.chmod(0o644)
        r, found = doctor(conf)
        assert r.returncode == 1 and failing(found) == {"keys"}, r.stdout
        assert "mode 0644" in found["keys"] and "chmod 600 %s" % key in found["keys"]
        key.chmod(0o600)

        # 2. clock off by 10 minutes (the platform's Date says we are 600 s ahead)
        urllib.request.urlopen(urllib.request.Request(url.split("/access")[0] + "/_sim/clock", method="POST",
                               data=b'{"offset_s": -600}', headers={"Content-Type": "application/json"}), timeout=10)
        r, found = doctor(conf)
        assert failing(found) == {"clock"}, r.stdout
        assert re.search(r"FAIL clock: (599|600)\.\d s ahead of the platform's clock .* — .*NTP", found["clock"])

        urllib.request.urlopen(urllib.request.Request(url.split("/access")[0] + "/_sim/clock", method="POST",
                               data=b'{"offset_s": 0}', headers={"Content-Type": "application/json"}), timeout=10)

        # 3. the RS-485 port held by another program, then gone
        holder = subprocess.Popen(["sleep", "300"], stdin=open(tty))
        r, found = doctor(conf)
        assert failing(found) == {"rs485"}, r.stdout
        assert "busy: held by sleep (pid %d)" % holder.pid in found["rs485"]
        holder.kill()
        holder.wait()
        os.close(master)
        master = None
        r, found = doctor(conf)
        assert failing(found) == {"rs485"} and "%s missing" % tty in found["rs485"], r.stdout
        assert "enable the UART" in found["rs485"]

        # 4. camera down: the RTSP feed stops
        feed.stop()
        wait_status(conf, lambda s: s["cameras"] and all(c.get("stale") for c in s["cameras"].values()), proc=lane)
        r, found = doctor(conf)
        assert failing(found) == {"rs485", "camera-01"}, r.stdout
        assert "check the camera's power" in found["camera-01"]

        # 5. platform unreachable
        platform.terminate()
        platform.wait(10)
        r, found = doctor(conf)
        assert {"platform"} <= failing(found), r.stdout
        assert "unreachable" in found["platform"] and "check the network" in found["platform"]
        assert found["clock"].startswith("WARN")      # no reference to compare with: not a false FAIL

        # 6. disk nearly full (a 256 MB tmpfs state dir filled to 97 %)
        if not on_tmpfs:
            pytest.skip("cannot mount a tmpfs here (not root?): the disk-full fault needs one")
        st = os.statvfs(state)
        with open(state / "filler", "wb") as f:
            f.write(b"\0" * int(st.f_blocks * st.f_frsize * 0.97))
        r, found = doctor(conf)
        assert "disk" in failing(found) and re.search(r"9[7-9]% used", found["disk"]), r.stdout
        assert r.returncode == 1
    finally:
        if lane is not None:
            stop_lane(lane)
        if holder is not None and holder.poll() is None:
            holder.kill()
        if master is not None:
            os.close(master)
        feed.stop()
        if platform.poll() is None:
            platform.terminate()
            platform.wait(10)
        if on_tmpfs:
            subprocess.run(["umount", "-l", str(state)])


def test_doctor_without_a_config_or_lane(tmp_path):
    r, found = doctor(tmp_path / "missing.toml")
    assert r.returncode == 1 and found["config"].startswith("FAIL config:") and "edge provision" in found["config"]
    assert found["service"].startswith("WARN")
    bad = tmp_path / "bad.toml"
    bad.write_text(write_config(tmp_path).read_text().replace('gate_id = "A01"', 'gate_id = "Z1"'))
    r, found = doctor(bad)
    assert r.returncode == 1 and "site.gate_id" in found["config"], r.stdout


# ------------------------------------------------------------------ the parts, with fake sources

def test_chrony_tracking_parse():
    text = """Reference ID    : C0A80001 (192.168.0.1)
Stratum         : 3
System time     : 0.000123456 seconds slow of NTP time
Leap status     : Normal
"""
    d = clock.parse_chrony_tracking(text)
    assert d == {"reference": "C0A80001 (192.168.0.1)", "stratum": 3, "offset_s": -0.000123456, "leap": "Normal"}
    assert clock.parse_chrony_tracking("Leap status     : Not synchronised\n")["leap"] == "Not synchronised"


def test_offset_from_http_date_carries_its_uncertainty():
    off, unc = clock.offset_from_date({"sent": 1000.2, "received": 1000.4, "date": 400.0})
    assert round(off, 3) == 599.8 and round(unc, 3) == 0.6
    off, unc = clock.offset_from_date({"sent": 1000.0, "received": 1000.0, "date": 1000.0})
    assert abs(off) <= unc


def test_disk_thresholds():
    gb = 2**30
    assert storage.disk_verdict(100 * gb, 50 * gb, 90)[0] == "PASS"
    assert storage.disk_verdict(100 * gb, 8 * gb, 90)[0] == "WARN"
    assert storage.disk_verdict(100 * gb, 4 * gb, 90)[0] == "FAIL"
    assert storage.disk_verdict(1 * gb, 50 * 2**20, 90)[0] == "FAIL"   # 95 % free but under 100 MB


def _sysfs(root: Path, life: str, pre: str):
    d = root / "sys/block/mmcblk0/device"
    d.mkdir(parents=True)
    (d / "life_time").write_text(life + "\n")
    (d / "pre_eol_info").write_text(pre + "\n")
    (root / "sys/block/mmcblk0boot0/device").mkdir(parents=True)


@pytest.mark.parametrize("life,pre,status", [("0x01 0x02", "0x01", "PASS"), ("0x08 0x03", "0x01", "WARN"),
                                             ("0x02 0x02", "0x02", "WARN"), ("0x0a 0x0b", "0x01", "FAIL"),
                                             ("0x01 0x01", "0x03", "FAIL")])
def test_emmc_wear_from_sysfs(tmp_path, life, pre, status):
    _sysfs(tmp_path, life, pre)
    env = Env(sysroot=str(tmp_path))
    res = storage.check_emmc(env)
    assert [r.status for r in res] == [status] and "mmcblk0" in res[0].found


def test_emmc_wear_from_ext_csd(tmp_path):
    raw = bytearray(512)
    raw[267], raw[268], raw[269] = 1, 3, 2
    f = tmp_path / "sys/kernel/debug/mmc0/mmc0:0001/ext_csd"
    f.parent.mkdir(parents=True)
    f.write_text(raw.hex())
    assert storage.emmc_wear(str(tmp_path)) == [{"device": "mmc0:0001", "pre_eol": 1, "life_a": 3, "life_b": 2}]


def test_board_profile_against_the_device_tree(tmp_path):
    from edge.config import parse
    from edge.io.board import load_board
    model = tmp_path / "proc/device-tree/model"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"Raspberry Pi 5 Model B Rev 1.0\0")
    conf = parse(write_config(tmp_path).read_text())
    for profile, status, words in (("rpi5", "PASS", "matches"), ("rpi4", "FAIL", "profile = 'rpi5'"),
                                   ("sim", "WARN", "profile = 'rpi5'")):
        r = check_board(Env(config=conf, board=load_board(profile), sysroot=str(tmp_path)))
        assert r.status == status and words in r.line(), r.line()
    r = check_board(Env(config=conf, board=load_board("rpi4"), sysroot=str(tmp_path / "nothing")))
    assert r.status == "FAIL" and "no device-tree model" in r.found


def test_a_crashing_check_is_one_fail_line():
    def check_broken(env):
        raise RuntimeError("boom")
    res = run_checks(Env(config=object()), only=[check_broken])
    assert [r.line() for r in res] == ["FAIL broken: the check itself failed: RuntimeError: boom — "
                                       "report this to the developers with `edge doctor --json` output"]


def test_key_modes_owner_and_missing(tmp_path):
    from edge.config import parse
    conf = parse(write_config(tmp_path).read_text())
    env = Env(config=conf)
    assert storage.check_keys(env).status == "FAIL" and "edge keys generate" in storage.check_keys(env).fix
    r = edge(tmp_path / "edge.toml", "keys", "generate")
    assert r.returncode == 0
    assert storage.check_keys(env).status == "PASS"
    keys = tmp_path / "state" / "keys"
    os.chmod(keys, 0o755)
    res = storage.check_keys(env)
    assert res.status == "FAIL" and "chmod 700 %s" % keys in res.fix
    assert stat.S_IMODE(os.stat(keys).st_mode) == 0o755  # the doctor only tells; it changes nothing
