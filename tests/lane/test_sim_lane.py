"""The README's main job, end to end as a user runs it: `tools/sim_lane.py` drives five vehicles
through the gate — real GStreamer RTSP feed, the lane's TFLite reader, gpiozero mock pins for
loop / anti-smash / relays, the RS-485 pty decoded by tools/rs485_decode.py (answering like the
LED card and the SYN6288), the Yunnan platform simulator — and writes what happened as JSON."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lane.rtsp import free_port, has_gstreamer

ROOT = Path(__file__).resolve().parents[2]


def _of(report, type_):
    return [e for e in report["events"] if e["type"] == type_]


def _voice(report):
    return [f["text"] for f in report["frames"] if f.get("device") == "voice" and f.get("text")]


def _led(report):
    return [" ".join(f.get("lines") or []) for f in report["frames"] if f.get("device") == "led"]


@pytest.mark.slow
@pytest.mark.skipif(not has_gstreamer(), reason="GStreamer RTSP server (python3-gi) not installed")
def test_five_vehicles_through_the_simulated_gate(tmp_path):
    import os
    import signal
    out = tmp_path / "sim.json"
    # as a user runs it: until the report, then Ctrl-C (SIGINT to the whole process group)
    p = subprocess.Popen([sys.executable, str(ROOT / "tools" / "sim_lane.py"),
                          "--state", str(tmp_path / "sim"), "--rtsp-port", str(free_port()),
                          "--platform-port", str(free_port()), "--web-port", "0", "--json", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    lines = []
    for line in p.stdout:
        lines.append(line)
        if "Ctrl-C stops" in line:
            os.killpg(p.pid, signal.SIGINT)
            break
    rest, err = p.communicate(timeout=600)
    r = subprocess.CompletedProcess(p.args, p.returncode, "".join(lines) + rest, err)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "Traceback" not in r.stdout + r.stderr, r.stdout[-3000:] + r.stderr[-3000:]
    got = json.loads(out.read_text(encoding="utf-8"))
    reports = {x["vehicle"]: x for x in got["reports"]}
    received = got["received"]

    allowed, exceed, alert = reports["allowed"], reports["exceed"], reports["alert"]
    unreadable, lifted = reports["unreadable"], reports["unregistered"]
    # 1. allowed: decision, barrier up and down, the record on the platform
    [allow] = _of(allowed, "allow")
    assert allow["plate"] == allowed["plate"] and allow["recordId"] in received
    assert _of(allowed, "barrier_open") and _of(allowed, "barrier_close")
    assert any(allowed["plate"] in v and "允许通行" in v for v in _voice(allowed))
    assert any(allowed["plate"] in line and "允许通行" in line for line in _led(allowed))
    # 2. exceed list and 3. red alert: refused with the guard's words, never sent, barrier never up
    for rep, words in ((exceed, ("超标车辆",)), (alert, ("红色预警", "国四"))):
        [ref] = _of(rep, "refuse")
        assert all(w in ref["reason"] for w in words), ref
        assert ref["recordId"].startswith("REF") and ref["recordId"] not in received
        assert not _of(rep, "barrier_open") and not _of(rep, "allow")
        assert any(all(w in v for w in words) for v in _voice(rep)), _voice(rep)
        assert any("禁止通行" in line for line in _led(rep))
    # 4. unreadable plate: 请人工登记, the guard's entry, marked manual, delivered
    assert _of(unreadable, "awaiting_manual")
    assert any("请人工登记" in line for line in _led(unreadable))
    [entry] = _of(unreadable, "manual_entry")
    assert entry["plate"] == unreadable["plate"] and entry["manual"] is True
    [allow4] = _of(unreadable, "allow")
    assert allow4["manual"] is True and allow4["recordId"] in received
    # 5. unregistered: refused, lifted by hand (manual, with its reason), kept locally until registered
    assert _of(lifted, "refuse")[0]["reason"] == "未登记车辆"
    [lift] = _of(lifted, "manual_lift")
    assert lift["manual"] is True and lift["reason"] and lift["who"].startswith("cli:")
    leave = [e for e in _of(lifted, "vehicle_leave") if e.get("passed")]
    assert leave and leave[0]["recordId"] not in received
    assert any("人工放行" in v for v in _voice(lifted))
    # the relays: every move logged with the inputs at that moment; no close while anti-smash
    moves = got["status"]["barrier"]["moves"]
    closes = [m for m in moves if m["relay"] == "close" and m["on"]]
    opens = [m for m in moves if m["relay"] == "open" and m["on"]]
    assert len(opens) >= 3 and len(closes) >= 3, moves
    assert not any(m["anti_smash"] for m in closes), moves
    # the last decision (vehicle 5, refused) says how long the lane took to decide
    last = got["status"]["last_decision"]
    assert last["allowed"] is False and 0 < last["decide_ms"] < 60000 and "relay_ms" not in last, last
    # the records say how their plate was read (kept with the record, never sent as such)
    from edge.store.outbox import Outbox
    with Outbox(tmp_path / "sim" / "lane", ["yunnan"]) as box:
        check1 = box.get(allow["recordId"])["record"]["plateCheck"]
        check4 = box.get(allow4["recordId"])["record"]["plateCheck"]
        assert box.get(allow4["recordId"])["record"]["passMode"] == "manual"
    assert "ledger check: exact" in check1 and "colour yellow" in check1, check1
    assert "人工录入" in check4, check4
    # what the lane printed for the user
    for plate in (x["plate"] for x in got["reports"]):
        assert plate in r.stdout
    assert "this run: 5 vehicles, 2 records on the platform" in r.stdout
    # Ctrl-C ends with the summary of this run: counts, and each rejection with its reason
    import re
    assert "sim: stopping (Ctrl-C)" in r.stdout
    m = re.search(r"sim: this run: \d+ records \(.*access.*\): (\d+) delivered, \d+ pending, (\d+) rejected", r.stdout)
    assert m and int(m.group(1)) >= 2 and int(m.group(2)) >= 1, r.stdout[-2000:]
    [rej] = [line for line in r.stdout.splitlines() if line.startswith("sim:   rejected %s" % leave[0]["recordId"])]
    assert "required" in rej and "{" not in rej and "Claim(" not in rej


@pytest.mark.parametrize("option", ["--rtsp-port", "--platform-port"])
def test_a_busy_port_names_the_option_to_change_it(tmp_path, option):
    import socket
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        ports = {"--rtsp-port": free_port(), "--platform-port": free_port()}
        ports[option] = busy.getsockname()[1]
        r = subprocess.run([sys.executable, str(ROOT / "tools" / "sim_lane.py"), "--state", str(tmp_path / "sim"),
                            *[str(x) for kv in ports.items() for x in kv]], capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    [line] = r.stderr.strip().splitlines()
    assert "port %d" % ports[option] in line and "busy" in line and "choose another with %s" % option in line
    assert "rendering" not in r.stdout            # said at once, not after a minute of work
