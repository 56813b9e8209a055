"""Board health readings (from a fake /sys), and the `edge web` verbs."""
import os
import stat
import subprocess
import sys

from edge.web import health
from edge.web.passwords import load_users, verify_password
from tests.web.helpers import lane_config


def test_cpu_temperature_is_the_hottest_zone(tmp_path):
    for i, (t, kind) in enumerate([(41000, "cpu-thermal"), (55500, "gpu-thermal"), ("junk", "x")]):
        z = tmp_path / "class" / "thermal" / ("thermal_zone%d" % i)
        z.mkdir(parents=True)
        (z / "temp").write_text(str(t))
        (z / "type").write_text(kind)
    assert health.cpu_temp(tmp_path) == {"celsius": 55.5, "zone": "gpu-thermal"}
    assert health.cpu_temp(tmp_path / "none")["celsius"] is None


def test_emmc_wear_from_life_time_and_pre_eol(tmp_path, monkeypatch):
    st = os.stat(tmp_path)
    dev = tmp_path / "devices" / "mmcblk0"
    (dev / "device").mkdir(parents=True)
    (dev / "mmcblk0p2").mkdir()
    (dev / "mmcblk0p2" / "partition").write_text("2")
    (dev / "device" / "life_time").write_text("0x02 0x0a\n")
    (dev / "device" / "pre_eol_info").write_text("0x01\n")
    link = tmp_path / "dev" / "block" / ("%d:%d" % (os.major(st.st_dev), os.minor(st.st_dev)))
    link.parent.mkdir(parents=True)
    link.symlink_to(dev / "mmcblk0p2")
    w = health.wear(tmp_path, sys_root=tmp_path)
    assert w["device"] == "mmcblk0" and w["life_used_pct"] == {"type_a": "10-20%", "type_b": "90-100%"}
    assert w["state"] == "worn" and w["pre_eol"] == "normal"


def test_no_wear_counter_says_unknown(tmp_path):
    w = health.wear(tmp_path, sys_root=tmp_path / "nosys")
    assert w["state"] == "unknown" and w["note"]


def test_time_sync_unknown_without_tools(monkeypatch):
    monkeypatch.setattr(health.shutil, "which", lambda name: None)
    t = health.time_sync()
    assert t["synchronised"] is None and "unknown" in t["note"]


def test_board_health_has_every_reading(tmp_path):
    h = health.board_health(tmp_path)
    assert set(h) >= {"cpu_temp", "disk", "wear", "uptime_s", "time_sync", "memory"}
    assert h["disk"]["total_bytes"] > 0 and h["uptime_s"] > 0


def _edge(conf, *args, input=None):
    return subprocess.run([sys.executable, "-m", "edge", "--config", str(conf), *args], input=input,
                          capture_output=True, text=True, timeout=120)


def test_edge_web_passwd_reads_stdin_and_stores_only_a_hash(tmp_path):
    config, path = lane_config(tmp_path)
    r = _edge(path, "web", "passwd", input="guard-house-pw\n")
    assert r.returncode == 0, r.stderr
    users_file = tmp_path / "state" / "web_users.json"
    assert stat.S_IMODE(os.stat(users_file).st_mode) == 0o600
    assert "guard-house-pw" not in users_file.read_text() and "guard-house-pw" not in r.stdout + r.stderr
    assert verify_password("guard-house-pw", load_users(tmp_path / "state")["guard"])
    r = _edge(path, "web", "passwd", "--user", "officer", input="officer-pw-2026\n")
    assert r.returncode == 0 and set(load_users(tmp_path / "state")) == {"guard", "officer"}
    r = _edge(path, "web", "passwd", input="short\n")
    assert r.returncode == 2 and "at least 8" in r.stderr and "Traceback" not in r.stderr
    r = _edge(path, "web", "passwd", input="")
    assert r.returncode == 2 and "no password on stdin" in r.stderr
    r = _edge(path, "web", "passwd", "--delete", "officer")
    assert r.returncode == 0 and set(load_users(tmp_path / "state")) == {"guard"}
    r = _edge(path, "web", "passwd", "--delete", "nobody")
    assert r.returncode == 2 and "no account" in r.stderr


def test_edge_web_reindex(tmp_path):
    from edge.store.outbox import Outbox
    from tests.web.records import access, fill
    config, path = lane_config(tmp_path)
    with Outbox.from_config(config) as box:
        fill(box, [access(i) for i in range(4)], photos=False)
    r = _edge(path, "web", "reindex")
    assert r.returncode == 0 and "4 records" in r.stdout, r.stderr


def test_web_section_is_in_the_schema_and_checked(tmp_path):
    config, path = lane_config(tmp_path)
    assert config.web.listen == "127.0.0.1:8080" and config.web.public_read is False
    text = path.read_text().replace('listen = "127.0.0.1:8080"', 'listen = "8080"')
    path.write_text(text)
    r = _edge(path, "config", "check")
    assert r.returncode == 2 and "web.listen" in r.stderr
