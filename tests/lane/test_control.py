"""The lane's control surface: the event log, the local socket and the verbs that use it
(`edge status`, `edge events`, `edge lift`, `edge plate`) against a running `edge run`."""
import asyncio
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edge.errors import EdgeError
from edge.lane import control_client
from edge.lane.control import LaneControl, normalize_plate
from edge.lane.control_socket import ControlServer, socket_path
from edge.lane.eventlog import EventLog

ROOT = Path(__file__).resolve().parents[2]


def test_event_log_is_durable_ordered_and_filtered(tmp_path):
    seen = []
    log = EventLog.open(tmp_path)
    log.on_append = seen.append
    a = log.append("allow", plate="宁A12345", reason="准许通行", code="allow")
    b = log.append("refuse", plate="宁B00001", reason="超标车辆", manual=None)
    c = log.append("manual_lift", reason="司机忘带随车清单", manual=True, who="cli:root")
    log.close()
    assert [e["type"] for e in seen] == ["allow", "refuse", "manual_lift"]
    assert a["id"] < b["id"] < c["id"] and "manual" not in b
    log = EventLog.open(tmp_path)          # reopened: everything is still there
    assert [e["type"] for e in log.query()] == ["allow", "refuse", "manual_lift"]
    assert [e["plate"] for e in log.query(types=["refuse"])] == ["宁B00001"]
    assert [e["id"] for e in log.query(after_id=a["id"])] == [b["id"], c["id"]]
    assert log.query(plate="宁A12345")[0]["reason"] == "准许通行"
    assert [e["type"] for e in log.query(newest=True, limit=1)] == ["manual_lift"]
    assert log.query(since="2999-01-01 00:00:00") == []
    with pytest.raises(ValueError):
        log.append("no_such_type")
    log.close()


def test_plate_normalisation():
    assert normalize_plate("宁a·12345") == "宁A12345"
    assert normalize_plate(" 宁A 123-45 ") == "宁A12345"


class FakeService:
    """What LaneControl needs of the service, for the socket's own tests."""

    def __init__(self, tmp_path):
        self.eventlog = EventLog.open(tmp_path)
        self.gate = None
        self.board = type("B", (), {"simulated": False, "key": "rpi4"})()

    def status(self):
        return {"gate": "A01", "state": "idle"}

    def event(self, type_, **fields):
        return self.eventlog.append(type_, **fields)


async def test_socket_round_trip_errors_and_who(tmp_path):
    svc = FakeService(tmp_path)
    server = await ControlServer(LaneControl(svc), tmp_path).start()
    try:
        mode = stat.S_IMODE(os.stat(socket_path(tmp_path)).st_mode)
        assert mode == 0o660, oct(mode)
        call = lambda *a, **k: asyncio.to_thread(control_client.call, tmp_path, *a, **k)  # noqa: E731
        assert (await call("status"))["gate"] == "A01"
        with pytest.raises(EdgeError, match="unknown request 'nope'"):
            await call("nope")
        with pytest.raises(EdgeError, match="gate is not running"):
            await call("lift", {"reason": "test"})
        with pytest.raises(EdgeError, match="reason: required"):
            await call("lift", {"reason": "  "})
        with pytest.raises(EdgeError, match="simulated board only"):
            await call("sim", {"input": "loop", "active": True})
        with pytest.raises(EdgeError, match="not a licence plate"):
            await call("plate", {"plate": "hello"})
        svc.event("manual_lift", reason="x", who="cli:root")
        got = await call("events", {"types": "manual_lift"})
        assert [e["type"] for e in got["events"]] == ["manual_lift"]
        # a second server on the same state dir is refused while the first listens
        with pytest.raises(EdgeError, match="another lane is listening"):
            await ControlServer(LaneControl(svc), tmp_path).start()
        # garbage on the socket: one error line, the server keeps serving
        r, w = await asyncio.open_unix_connection(str(socket_path(tmp_path)))
        w.write(b"this is not json\n")
        answer = json.loads(await r.readline())
        w.close()
        assert answer["ok"] is False and "bad request" in answer["error"]
        assert (await call("status"))["state"] == "idle"
    finally:
        await server.close()
    assert not socket_path(tmp_path).exists()
    with pytest.raises(EdgeError, match="lane is not running"):
        control_client.call(tmp_path, "status")


def test_long_state_dir_gets_a_short_socket_path(tmp_path):
    deep = tmp_path / ("x" * 60) / ("y" * 60)
    p = socket_path(deep)
    assert len(str(p)) <= 100 and p == socket_path(deep)
    assert socket_path(tmp_path) == tmp_path.resolve() / "lane.sock"


def _config(tmp_path):
    from edge.config import example
    text = example()
    text = text.replace('state_dir = "/var/lib/edge"', 'state_dir = "%s"' % (tmp_path / "state"))
    text = text.replace('rtsp_url = "rtsp://127.0.0.1:8554/lane"', 'rtsp_url = ""')
    text = text.replace("site_duties = true", "site_duties = false")
    text = text.replace('listen = "127.0.0.1:8080"', 'listen = "127.0.0.1:0"')  # the status page: a free port
    path = tmp_path / "edge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _edge(conf, *args, timeout=60):
    return subprocess.run([sys.executable, "-m", "edge", "--config", str(conf), *args], capture_output=True,
                          text=True, timeout=timeout)


def test_verbs_against_a_running_lane(tmp_path):
    conf = _config(tmp_path)
    r = _edge(conf, "status")
    assert r.returncode != 0 and "lane is not running" in r.stderr and "Traceback" not in r.stderr
    lane = subprocess.Popen([sys.executable, "-m", "edge", "--config", str(conf), "run"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            r = _edge(conf, "status", "--json")
            if r.returncode == 0:
                break
            time.sleep(0.5)
        assert r.returncode == 0, r.stderr
        st = json.loads(r.stdout)
        assert st["gate"] == "A01" and st["direction"] == "in"
        r = _edge(conf, "status")
        assert r.returncode == 0 and r.stdout.startswith("lane A01"), r.stdout
        r = _edge(conf, "events", "--json")
        assert r.returncode == 0
        types = [json.loads(line)["type"] for line in r.stdout.splitlines()]
        assert "lane_start" in types, types
        r = _edge(conf, "events", "--type", "bogus")
        assert r.returncode != 0 and "unknown event type" in r.stderr
        r = _edge(conf, "events", "--since", "yesterday")
        assert r.returncode != 0 and "--since" in r.stderr
    finally:
        lane.terminate()
        lane.wait(30)
    r = _edge(conf, "events")
    assert r.returncode == 0 and "lane_stop" in r.stdout
