"""The lane state machine, transition by transition (pure: no clock, no I/O), and its runner."""
import asyncio

import pytest

from edge.lane.machine import LaneMachine
from edge.lane.runner import LaneRunner

ALLOW = {"allowed": True, "code": "allow", "reason": "准许通行", "display": ["准许通行"], "voice": "请通行"}
REFUSE = {"allowed": False, "code": "exceed", "reason": "超标车辆", "display": ["超标车辆"], "voice": "禁止通行"}


def verbs(actions):
    return [a[0] for a in actions]


def events(actions):
    return [a[1] for a in actions if a[0] == "event"]


def arrive_and_vote(m, plate="宁A12345", t=0):
    m.loop(True, t)
    out = []
    for i in range(3):
        out += m.plate_read(plate, "yellow", 0.9, t + 10 * (i + 1))
    return out


def test_vote_then_decision_then_relay_first_then_record():
    m = LaneMachine()
    out = arrive_and_vote(m)
    assert verbs(out) == ["decide"] and m.state == "deciding"
    out = m.decided(m.token, ALLOW, 100)
    assert verbs(out)[:2] == ["open", "record"] and m.state == "open" and m.barrier == "open"
    assert events(out) == ["allow", "barrier_open"]
    assert ("show", ["准许通行"]) in out and ("say", "请通行") in out


def test_barrier_never_closes_while_loop_or_anti_smash_is_occupied():
    m = LaneMachine({"close_delay_ms": 1000})
    arrive_and_vote(m)
    m.decided(m.token, ALLOW, 100)
    m.anti_smash(True, 2000)            # the truck is under the barrier
    m.loop(False, 2500)                 # its tail has left the loop
    for t in range(2600, 60000, 500):
        assert "close" not in verbs(m.tick(t)), t
    m.anti_smash(False, 60000)
    m.loop(True, 60200)                 # something on the loop again: still no close
    for t in range(60300, 62000, 100):
        assert "close" not in verbs(m.tick(t))
    m.loop(False, 62000)
    assert "close" not in verbs(m.tick(62900))
    out = m.tick(63000)
    assert verbs(out)[0] == "close" and m.state == "idle" and m.barrier == "closed"


def test_refused_vehicle_is_kept_locally_not_recorded_and_alarmed():
    m = LaneMachine()
    arrive_and_vote(m)
    out = m.decided(m.token, REFUSE, 100)
    assert "open" not in verbs(out) and "record" not in verbs(out)
    assert "refusal" in verbs(out) and "alarm" in verbs(out) and events(out) == ["refuse"]
    assert m.state == "refused"
    out = m.loop(False, 5000)
    assert events(out) == ["vehicle_leave"] and m.state == "idle"
    assert out[0][2]["passed"] is False


def test_late_or_stale_decisions_are_ignored():
    m = LaneMachine({"decide_timeout_ms": 1000})
    arrive_and_vote(m)
    token = m.token
    out = m.tick(2000)                  # the decision never came: manual entry
    assert m.state == "waiting_manual" and "alarm" in verbs(out)
    assert m.decided(token, ALLOW, 2100) == []


def test_unreadable_plate_waits_for_manual_entry_which_is_marked():
    m = LaneMachine({"plate_timeout_ms": 5000})
    m.loop(True, 0)
    m.plate_read("宁A1234", "blue", 0.3, 100)  # one poor read: not enough
    out = m.tick(5000)
    assert m.state == "waiting_manual" and ("show", ["车牌未识别", "请人工登记"]) in out
    out = m.manual_plate("宁A12345", "yellow", "guard1", 6000)
    assert events(out) == ["manual_entry"] and verbs(out)[-1] == "reply"
    req = [a[1] for a in out if a[0] == "decide"][0]
    assert req["manual"] is True and req["who"] == "guard1" and req["plate"] == "宁A12345"
    out = m.decided(m.token, ALLOW, 6100)
    rec = [a[1] for a in out if a[0] == "record"][0]
    assert rec["manual"] is True and rec["manual_entry"] is True and rec["who"] == "guard1"


def test_one_confident_read_decides_at_the_timeout():
    m = LaneMachine({"plate_timeout_ms": 5000})
    m.loop(True, 0)
    m.plate_read("宁A12345", "yellow", 0.95, 100)
    out = m.tick(5000)
    assert verbs(out) == ["decide"]


def test_manual_lift_opens_at_once_records_manual_and_keeps_its_own_clip():
    m = LaneMachine()
    m.loop(True, 0)
    m.plate_read("宁A12345", "yellow", 0.9, 10)
    out = m.manual_lift("司机忘带随车清单", "guard2", 3000)
    assert verbs(out)[0] == "open" and m.state == "open"
    clip = [a[1] for a in out if a[0] == "clip"][0]
    assert clip["of"] == "manual_lift" and clip["to_ms"] - clip["from_ms"] >= 10000
    rec = [a[1] for a in out if a[0] == "record"][0]
    assert rec["manual"] and rec["manual_lift"] and rec["plate"] == "宁A12345" and rec["who"] == "guard2"
    assert m.manual_lift("again", "guard2", 3100)[0][1]["ok"] is False


def test_manual_lift_over_a_refusal_records_the_refused_vehicle_as_manual():
    m = LaneMachine()
    arrive_and_vote(m)
    m.decided(m.token, REFUSE, 100)
    out = m.manual_lift("环保员核实后放行", "officer", 2000)
    rec = [a[1] for a in out if a[0] == "record"][0]
    assert rec["manual"] and rec["decision"]["code"] == "exceed"


def test_manual_entry_without_a_vehicle_is_refused():
    out = LaneMachine().manual_plate("宁A12345", "yellow", "guard", 0)
    assert out == [("reply", {"ok": False, "error": "no vehicle is waiting at the gate (lane is idle)"})]


def test_tailgating_alarms_and_holds_the_barrier():
    m = LaneMachine({"close_delay_ms": 500})
    arrive_and_vote(m)
    m.decided(m.token, ALLOW, 100)
    m.loop(False, 2000)
    out = m.loop(True, 2200)
    assert events(out) == ["tailgate"] and "alarm" in verbs(out) and m.state == "open"
    assert "close" not in verbs(m.tick(5000))
    m.loop(False, 6000)
    assert verbs(m.tick(6600))[0] == "close"


def test_camera_down_sends_vehicles_to_manual_entry():
    m = LaneMachine()
    out = m.camera(False, 0)
    assert events(out) == ["camera_down"] and "alarm" in verbs(out)
    m.loop(True, 100)
    assert m.state == "waiting_manual"
    assert ("show", ["摄像机故障", "请人工登记"]) in m._wait_manual(200, "x")


def test_camera_trigger_uses_vehicle_seen_not_the_loop():
    m = LaneMachine({"trigger": "camera"})
    assert m.loop(True, 0) == [] and m.state == "idle"
    out = m.vehicle_seen(True, 100)
    assert events(out) == ["vehicle_arrive"] and m.state == "reading"


def test_loop_stuck_alarms_once():
    m = LaneMachine({"loop_stuck_ms": 1000, "plate_timeout_ms": 100000})
    m.loop(True, 0)
    assert "alarm" in verbs(m.tick(1000))
    assert m.tick(5000) == []


def test_relay_without_feedback_is_a_fault():
    m = LaneMachine({"feedback_ms": 2000})
    arrive_and_vote(m)
    m.decided(m.token, ALLOW, 100)
    out = m.tick(2200)
    assert events(out) == ["relay_fault"]
    m2 = LaneMachine({"feedback_ms": 2000})
    arrive_and_vote(m2)
    m2.decided(m2.token, ALLOW, 100)
    m2.barrier_feedback(True, 500)
    assert m2.tick(2200) == []


def test_recheck_after_registration():
    m = LaneMachine()
    arrive_and_vote(m)
    m.decided(m.token, {**REFUSE, "code": "unregistered"}, 100)
    out = m.recheck("guard", 500)
    assert verbs(out) == ["decide", "reply"] and m.state == "deciding"


class Hooks:
    def __init__(self, fail=()):
        self.fail = set(fail)
        self.calls = []

    async def decide(self, req):
        return ALLOW

    def __getattr__(self, verb):
        async def hook(*args):
            self.calls.append((verb, args))
            if verb in self.fail:
                raise OSError("%s is broken" % verb)
        return hook


async def _drive(hooks, until):
    runner = LaneRunner(LaneMachine({"close_delay_ms": 0}), hooks)
    task = asyncio.create_task(runner.run())
    runner.submit("loop", True)
    for _ in range(3):
        runner.submit("plate_read", "宁A12345", "yellow", 0.9)
    for _ in range(200):
        await asyncio.sleep(0.01)
        if until(runner):
            break
    runner.close()
    await asyncio.wait_for(task, 5)
    return runner


async def test_runner_a_dead_relay_becomes_an_alarm_and_the_record_is_still_made():
    hooks = Hooks(fail={"open"})
    await _drive(hooks, lambda r: any(c[0] == "record" for c in hooks.calls))
    names = [c[0] for c in hooks.calls]
    assert "record" in names
    alarms = [c[1] for c in hooks.calls if c[0] == "alarm"]
    assert any(a[0] == "relay" for a in alarms), alarms


async def test_runner_a_dead_display_never_stops_the_gate():
    hooks = Hooks(fail={"show", "say"})
    runner = await _drive(hooks, lambda r: r.machine.state == "open")
    assert runner.machine.state == "open"
    assert [c[0] for c in hooks.calls].count("record") == 1


async def test_runner_request_gets_its_reply():
    runner = LaneRunner(LaneMachine(), Hooks())
    task = asyncio.create_task(runner.run())
    reply = await asyncio.wait_for(runner.request("manual_plate", "宁A12345", "yellow", "g"), 5)
    assert reply["ok"] is False and "no vehicle" in reply["error"]
    reply = await asyncio.wait_for(runner.request("manual_lift", "test", "g"), 5)
    assert reply["ok"] is True
    runner.close()
    await task


@pytest.mark.parametrize("bad", [("loop",), ("no_such_input", 1)])
async def test_runner_survives_a_bad_input(bad):
    hooks = Hooks()
    runner = LaneRunner(LaneMachine(), hooks)
    task = asyncio.create_task(runner.run())
    runner.submit(*bad)
    reply = await asyncio.wait_for(runner.request("manual_lift", "test", "g"), 5)
    runner.close()
    await task
    assert reply["ok"] is True
    assert any(c[0] == "alarm" for c in hooks.calls)


def test_the_plate_of_the_vehicle_that_just_left_is_not_the_next_ones():
    m = LaneMachine({"gone_ignore_ms": 5000})
    arrive_and_vote(m, "宁B00001")
    m.decided(m.token, REFUSE, 100)
    m.loop(False, 1000)                       # it backs off; the camera still sees it
    for t in (1100, 1200, 1300):
        m.plate_read("宁B00001", "yellow", 0.9, t)
    m.loop(True, 2000)                        # the next one, plate covered
    assert m.state == "reading" and m.vote.reads == []
    out = []
    for t in (7000, 7100, 7200):              # the same truck back again later is read as usual
        out += m.plate_read("宁B00001", "yellow", 0.9, t)
    assert verbs(out) == ["decide"]
