"""Shared by the install/doctor/provision tests: a lane config, the `edge` command, a running lane."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tools import procs

ROOT = Path(__file__).resolve().parents[2]


def write_config(tmp_path: Path, *, rtsp_url: str = "", platform_url: str | None = None,
                 board: str = "sim", site_duties: bool = False, extra: str = "") -> Path:
    from edge.config import example
    text = example()
    text = text.replace('state_dir = "/var/lib/edge"', 'state_dir = "%s"' % (tmp_path / "state"))
    text = text.replace('rtsp_url = "rtsp://127.0.0.1:8554/lane"', 'rtsp_url = "%s"' % rtsp_url)
    if not site_duties:
        text = text.replace("site_duties = true", "site_duties = false")
    if platform_url:
        text = text.replace('base_url = "http://127.0.0.1:8710/access/api/dataReceive"', 'base_url = "%s"' % platform_url)
    text = text.replace('profile = "sim"', 'profile = "%s"' % board)
    path = tmp_path / "edge.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def edge(conf, *args, timeout=120, env=None, input=None):
    e = dict(os.environ, **(env or {}))
    cmd = [sys.executable, "-m", "edge"] + (["--config", str(conf)] if conf else []) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=e, input=input, cwd=str(ROOT))


def start_lane(conf, env=None, log_level="INFO"):
    e = dict(os.environ, **(env or {}))
    return subprocess.Popen([sys.executable, "-m", "edge", "--config", str(conf), "--log-level", log_level, "run"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=e, cwd=str(ROOT))


def wait_status(conf, predicate=lambda st: True, timeout=90, proc=None):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError("the lane exited: %s" % proc.stderr.read()[-3000:])
        r = edge(conf, "status", "--json")
        if r.returncode == 0:
            last = json.loads(r.stdout)
            if predicate(last):
                return last
        time.sleep(0.5)
    raise AssertionError("lane status never matched; last: %r" % (last,))


def stop_lane(proc):
    procs.stop(proc, grace_s=30)
