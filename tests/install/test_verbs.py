"""The maintenance verbs (relay test, display, say, camera snapshot, logs) through their real
interface: the CLI in a subprocess, the lane's control socket, LaneControl. The gate behind
LaneControl is a recording stand-in here (the lead's gate is not wired into edge run yet)."""
import asyncio
import io
import os
import sys
import time

import pytest

from edge.lane.control import LaneControl
from edge.lane.control_socket import ControlServer
from edge.lane.eventlog import EventLog
from tests.install.helpers import ROOT, edge, write_config
from tests.lane.rtsp import RtspFeed, free_port, has_gstreamer, write_frames


class RecordingGate:
    def __init__(self):
        self.calls = []

    async def show(self, lines):
        self.calls.append(("show", lines))

    async def say(self, text):
        self.calls.append(("say", text))

    async def relay_test(self):
        self.calls.append(("relay_test",))
        return {"ok": True, "pulse_s": 0.5, "feedback": "opened"}

    async def snapshot(self, name):
        from PIL import Image
        buf = io.BytesIO()
        Image.new("RGB", (64, 48), (10, 200, 30)).save(buf, "JPEG")
        self.calls.append(("snapshot", name))
        return buf.getvalue()


class Service:
    def __init__(self, state):
        state.mkdir(parents=True, exist_ok=True)
        self.eventlog = EventLog.open(state)
        self.gate = RecordingGate()
        self.board = type("B", (), {"simulated": True, "key": "sim"})()

    def status(self):
        return {"gate": "A01"}

    def event(self, type_, **fields):
        return self.eventlog.append(type_, **fields)


async def cli(conf, *args):
    p = await asyncio.create_subprocess_exec(sys.executable, "-m", "edge", "--config", str(conf), *args,
                                             stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                             cwd=str(ROOT))
    out, err = await asyncio.wait_for(p.communicate(), 120)
    return p.returncode, out, err.decode()


async def test_verbs_over_the_control_socket(tmp_path):
    conf = write_config(tmp_path)
    svc = Service(tmp_path / "state")
    server = await ControlServer(LaneControl(svc), tmp_path / "state").start()
    try:
        rc, out, err = await cli(conf, "display", "欢迎", "请通行")
        assert rc == 0 and out.decode() == "display: 欢迎 / 请通行\n", err
        rc, out, err = await cli(conf, "say", "请减速慢行")
        assert rc == 0 and out.decode() == "said: 请减速慢行\n", err
        rc, out, err = await cli(conf, "relay", "test")
        assert rc == 0 and out.decode().startswith("relay pulsed: feedback opened"), err
        snap = tmp_path / "snap.jpg"
        rc, out, err = await cli(conf, "camera", "snapshot", str(snap), "--camera", "A口车牌识别")
        assert rc == 0 and snap.read_bytes()[:2] == b"\xff\xd8", err
        rc, out, err = await cli(conf, "camera", "snapshot", "-")
        assert rc == 0 and out[:2] == b"\xff\xd8"
        assert svc.gate.calls == [("show", ["欢迎", "请通行"]), ("say", "请减速慢行"), ("relay_test",),
                                  ("snapshot", "A口车牌识别"), ("snapshot", None)]
        acts = [(e["op"], e["who"]) for e in svc.eventlog.query(types=["action"])]
        assert [a for a, _ in acts] == ["display", "say", "relay_test"] and all(w.startswith("cli:") for _, w in acts)
        rc, out, err = await cli(conf, "display", "x" * 300)
        assert rc == 2 and "text: at most 200 characters" in err and "Traceback" not in err
    finally:
        await server.close()
    rc, out, err = await cli(conf, "say", "hello")
    assert rc == 2 and "the lane is not running" in err and out == b""


@pytest.mark.skipif(not has_gstreamer(), reason="needs the GStreamer RTSP server")
def test_snapshot_without_the_lane_reads_the_camera_directly(tmp_path):
    feed = RtspFeed(write_frames(tmp_path / "frames", n=10), free_port()).start()
    try:
        conf = write_config(tmp_path, rtsp_url=feed.url)
        r = edge(conf, "camera", "snapshot", str(tmp_path / "s.jpg"))
        assert r.returncode == 0 and "the lane is not running; frame taken from rtsp://127.0.0.1" in r.stderr
        assert (tmp_path / "s.jpg").read_bytes()[:2] == b"\xff\xd8"
    finally:
        feed.stop()


def test_logs_from_the_lane_log_file(tmp_path):
    import subprocess
    conf = write_config(tmp_path)
    r = edge(conf, "logs")
    assert r.returncode == 2 and "no lane log at" in r.stderr
    env = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
    r = subprocess.run([sys.executable, "-m", "edge", "--config", str(conf), "run", "--seconds", "2"],
                       capture_output=True, text=True, env=env, timeout=120, cwd=str(ROOT))
    assert r.returncode == 0, r.stderr
    r = edge(conf, "logs", "--file", "-n", "50")
    assert r.returncode == 0 and "running jobs:" in r.stdout and "\x1b[" not in r.stdout
    follow = subprocess.Popen([sys.executable, "-m", "edge", "--config", str(conf), "logs", "--file", "-f", "-n", "0"],
                              stdout=subprocess.PIPE, text=True, cwd=str(ROOT))
    try:
        time.sleep(2)  # let it reach the end of the file
        with open(tmp_path / "state" / "lane.log", "a") as f:
            f.write("2025-01-01 00:00:00 INFO test: a line written later\n")
        assert follow.stdout.readline() == "2025-01-01 00:00:00 INFO test: a line written later\n"
    finally:
        follow.kill()
        follow.wait()
