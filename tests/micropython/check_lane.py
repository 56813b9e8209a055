"""MicroPython (and CPython) check of the lane state machine and its aio runner.

Run: MICROPYPATH=/work/main:.frozen .venv/bin/micropython tests/micropython/check_lane.py
Scripted inputs (time in ms, machine input, arguments) replayed on the pure LaneMachine; the
actions of every step are the RESULT, which tests/test_micropython.py compares with CPython.
The runner part drives the same machine through edge/aio.py with scripted hooks."""
import json

from edge import aio
from edge.lane.machine import LaneMachine

ALLOW = {"allowed": True, "code": "allow", "reason": "准许通行", "display": ["宁A12345", "准许通行"],
         "voice": "宁A12345 请通行"}
REFUSE = {"allowed": False, "code": "exceed", "reason": "超标车辆", "display": ["宁B00001", "超标车辆 禁止通行"],
          "voice": "超标车辆，禁止通行"}

SCRIPTS = {
    "allowed": [
        (0, "plate_read", ("宁A12345", "yellow", 0.9)),          # read before the loop: preroll
        (100, "loop", (True,)),
        (200, "plate_read", ("宁A12345", "yellow", 0.95)),
        (300, "plate_read", ("宁A12345", "yellow", 0.93)),
        (350, "decided", (1, ALLOW)),
        (4000, "anti_smash", (True,)),
        (4500, "loop", (False,)),
        (6100, "tick", ()),                                      # anti-smash still on: no close
        (7000, "anti_smash", (False,)),
        (8000, "tick", ()),                                      # 1.0 s clear: not yet
        (8600, "tick", ()),                                      # 1.6 s clear: close
    ],
    "refused": [
        (0, "loop", (True,)),
        (100, "plate_read", ("宁B00001", "yellow", 0.9)),
        (200, "plate_read", ("宁B00001", "yellow", 0.9)),
        (300, "plate_read", ("宁B00001", "yellow", 0.9)),
        (400, "decided", (1, REFUSE)),
        (500, "decided", (1, ALLOW)),                            # a second answer changes nothing
        (9000, "loop", (False,)),
    ],
    "manual_entry": [
        (0, "loop", (True,)),
        (500, "plate_read", ("宁A1234", "blue", 0.3)),
        (8000, "tick", ()),                                      # not read in time: 请人工登记
        (9000, "manual_plate", ("宁A12345", "yellow", "guard1")),
        (9100, "decided", (1, ALLOW)),
        (12000, "loop", (False,)),
        (14000, "tick", ()),
    ],
    "lift_then_vehicle": [
        (0, "manual_lift", ("司机忘带随车清单", "guard2")),
        (1000, "loop", (True,)),
        (1100, "plate_read", ("宁C55555", "blue", 0.8)),
        (1200, "plate_read", ("宁C55555", "blue", 0.8)),
        (3000, "loop", (False,)),
        (5000, "tick", ()),
    ],
    "tailgate_and_stuck": [
        (0, "loop", (True,)),
        (10, "plate_read", ("宁A12345", "yellow", 0.9)),
        (20, "plate_read", ("宁A12345", "yellow", 0.9)),
        (30, "plate_read", ("宁A12345", "yellow", 0.9)),
        (40, "decided", (1, ALLOW)),
        (2000, "loop", (False,)),
        (2500, "loop", (True,)),                                 # a second vehicle before the close
        (302600, "tick", ()),                                    # loop occupied 300 s: alarm
        (303000, "loop", (False,)),
        (305000, "tick", ()),
    ],
    "camera_down": [
        (0, "camera", (False,)),
        (100, "loop", (True,)),                                  # straight to manual entry
        (200, "manual_lift", ("摄像机故障", "guard1")),
        (300, "loop", (False,)),
        (2000, "tick", ()),
        (2100, "camera", (True,)),
    ],
    "no_vehicle_waiting": [
        (0, "manual_plate", ("宁A12345", None, "guard1")),
    ],
}


def _plain(x):
    if isinstance(x, (list, tuple)):
        return [_plain(i) for i in x]
    if isinstance(x, dict):
        return dict((k, _plain(x[k])) for k in sorted(x))
    return x


def replay(script):
    m = LaneMachine()
    steps = []
    for t, name, args in script:
        out = getattr(m, name)(*(args + (t,)))
        steps.append([t, name, _plain(out), m.state])
    return steps


class Hooks:
    def __init__(self):
        self.log = []

    async def decide(self, req):
        await aio.sleep_ms(1)
        return ALLOW if req["plate"].endswith("5") else REFUSE

    def __getattr__(self, verb):
        async def hook(*args):
            self.log.append([verb] + _plain(list(args)))
        return hook


async def drive():
    clock = [0]
    hooks = Hooks()
    from edge.lane.runner import LaneRunner
    runner = LaneRunner(LaneMachine({"close_delay_ms": 0}), hooks, clock_ms=lambda: clock[0], max_wait_ms=5)
    task = aio.create_task(runner.run())
    runner.submit("loop", True)
    for _ in range(3):
        runner.submit("plate_read", "宁A12345", "yellow", 0.9)
    for _ in range(50):
        await aio.sleep_ms(2)
        if runner.machine.state == "open":
            break
    reply = await runner.request("manual_lift", "test", "guard")
    runner.submit("loop", False)
    for _ in range(50):
        await aio.sleep_ms(2)
        if runner.machine.state == "idle":
            break
    runner.close()
    await task
    verbs = [entry[0] for entry in hooks.log]
    return {"verbs": verbs, "reply": reply, "state": runner.machine.state}


def results():
    r = {}
    for name in sorted(SCRIPTS):
        r[name] = replay(SCRIPTS[name])
    r["runner"] = aio.run(drive())
    return r


def _actions(steps, i):
    return [a[0] for a in steps[i][2]]


if __name__ == "__main__":
    res = results()
    a = res["allowed"]
    assert a[3][3] == "deciding", a[3]                 # preroll read + 2 reads = the vote
    assert _actions(a, 4)[0] == "open", a[4]             # the relay comes first
    assert "record" in _actions(a, 4)
    assert "close" not in _actions(a, 7) and "close" not in _actions(a, 9), a
    assert _actions(a, 10)[0] == "close", a[10]
    r = res["refused"]
    assert r[4][3] == "refused" and "open" not in _actions(r, 4) and "refusal" in _actions(r, 4)
    assert r[5][2] == [] and r[6][3] == "idle"
    m = res["manual_entry"]
    assert m[2][3] == "waiting_manual" and "show" in _actions(m, 2)
    assert m[4][2][0][0] == "open" and m[4][2][1][1]["manual"] is True, m[4]
    lv = res["lift_then_vehicle"]
    assert lv[0][2][0][0] == "open" and "clip" in _actions(lv, 0)
    assert "record" in _actions(lv, 4), lv[4]
    t = res["tailgate_and_stuck"]
    assert "alarm" in _actions(t, 6) and "alarm" in _actions(t, 7), t
    c = res["camera_down"]
    assert c[1][3] == "waiting_manual", c[1]
    assert res["no_vehicle_waiting"][0][2][0][1]["ok"] is False
    run = res["runner"]
    assert run["verbs"][0] == "event" and "open" in run["verbs"] and run["verbs"][-1] == "idle_screen", run
    assert run["reply"]["ok"] is False, run                # already open
    print("RESULT " + json.dumps(res))
    print("OK")
