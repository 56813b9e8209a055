"""The lane state machine: vehicle -> plate -> decision -> barrier -> vehicle gone -> closed.

Pure and synchronous: every input is a method call with the current time in ms (a monotonic
clock), and every method returns the list of actions the lane must carry out, in order. No
I/O, no clock of its own, no asyncio — so the same inputs give the same actions on CPython
and MicroPython (tests/micropython/check_lane.py replays a script on both), and every
transition is testable without hardware. `edge/lane/runner.py` drives it on edge/aio.py.

States
    idle            barrier closed, nobody at the gate
    reading         a vehicle is at the gate (loop, or the camera trigger); frames are voted
    deciding        the plate is known; waiting for the decision (policy + ledger + cache)
    waiting_manual  the plate could not be read in time (or the camera is down):
                    "请人工登记" until a guard enters the plate, lifts by hand, or it leaves
    refused         the decision refused the vehicle; the display says why until it leaves
    open            the barrier is up; the vehicle is passing
    closing         the vehicle has left the loop; the barrier closes once the loop and the
                    anti-smash (防砸) input are both clear for close_delay_ms — never before

Actions are tuples, first item the verb:
    ("open", {"manual"})        energise the barrier relay (always first in its list)
    ("close", {})               close the barrier (only emitted with loop and anti-smash clear)
    ("decide", req)             ask for a decision; answer with decided(token, decision)
    ("record", passage)         make the access record (durable) for vehicle passage["n"]
    ("refusal", info)           keep the refused vehicle's photo, plate and reason locally
    ("clip", req)               keep the clip from req["from_ms"] to req["to_ms"]
    ("show", lines) ("say", text) ("idle_screen",)
    ("event", type, fields)     append to the lane's event log
    ("alarm", kind, message)    tell the guard (function 16)
    ("reply", result)           the answer to a control request (manual_plate / manual_lift)
"""
from edge.lane.vote import PlateVote

IDLE, READING, DECIDING, WAITING, REFUSED, OPEN, CLOSING = (
    "idle", "reading", "deciding", "waiting_manual", "refused", "open", "closing")
AT_GATE = (READING, DECIDING, WAITING, REFUSED)

DEFAULTS = {
    "trigger": "loop",            # "loop" (the loop input) or "camera" (vehicle_seen)
    "plate_timeout_ms": 8000,     # reading -> waiting_manual when no plate is voted by then
    "preroll_ms": 3000,           # plate reads this long before the arrival count for it
    "min_single_confidence": 0.85,  # at the timeout, one read this sure is enough
    "decide_timeout_ms": 5000,
    "close_delay_ms": 1500,       # loop and anti-smash clear this long before the barrier closes
    "pass_timeout_ms": 60000,     # barrier up and nobody came: close (once clear)
    "loop_stuck_ms": 300000,      # loop occupied this long: alarm
    "feedback_ms": 0,             # barrier feedback expected within (0: no feedback input)
    "clip_pre_ms": 5000,          # clip starts this long before the arrival / the lift
    "clip_post_ms": 5000,         # and ends this long after the vehicle left
    "clip_min_ms": 10000,         # Ningxia 4.5.3.3: at least 10 s
    "vote_min_reads": 3,
    "gone_ignore_ms": 5000,       # reads of the plate that just left are not the next vehicle's
}

WAIT_TEXT = ["车牌未识别", "请人工登记"]
WAIT_VOICE = "车牌未识别，请联系门卫人工登记"
CAMERA_TEXT = ["摄像机故障", "请人工登记"]
CAMERA_VOICE = "摄像机故障，请联系门卫人工登记"


class LaneMachine:
    def __init__(self, settings=None):
        s = dict(DEFAULTS)
        if settings:
            s.update(settings)
        self.s = s
        self.state = IDLE
        self.present = False        # the trigger's view: a vehicle at the gate
        self.loop_active = False
        self.anti_active = False
        self.camera_ok = True
        self.barrier = "closed"
        self.vehicle = None         # the vehicle being handled (dict), or None
        self.last_decision = None
        self.preroll = []           # (ms, plate, color, confidence) while idle
        self.timers = {}            # name -> due ms
        self.vote = PlateVote(min_reads=s["vote_min_reads"])
        self.seq = 0                # vehicle numbers (the runner keys photos by them)
        self.token = 0              # decision requests; a late answer is ignored
        self.loop_since = None
        self.stuck_alarmed = False
        self.gone = None            # (plate, ms) of the vehicle that last left the gate

    # ------------------------------------------------------------------ helpers
    def _new_vehicle(self, now):
        self.seq += 1
        self.vote.reset()
        self.vehicle = {"n": self.seq, "arrive_ms": now, "plate": "", "color": "", "confidence": None,
                        "manual_entry": False, "manual_lift": False, "who": None, "reason": None,
                        "decision": None, "left": False, "recorded": False, "since_ms": now}
        return self.vehicle

    def _to(self, state, now):
        self.state = state
        if self.vehicle is not None:
            self.vehicle["since_ms"] = now

    def _wait_manual(self, now, why):
        out = []
        self._to(WAITING, now)
        self.timers.pop("plate", None)
        v = self.vehicle
        v["reason"] = why
        lines, voice = (CAMERA_TEXT, CAMERA_VOICE) if not self.camera_ok else (WAIT_TEXT, WAIT_VOICE)
        out.append(("show", list(lines)))
        out.append(("say", voice))
        out.append(("event", "awaiting_manual", {"reason": why, "plate": v["plate"] or None}))
        return out

    def _decide(self, now, plate, color, confidence, manual, who):
        v = self.vehicle
        v["plate"], v["color"], v["confidence"] = plate, color, confidence
        self.token += 1
        self._to(DECIDING, now)
        self.timers.pop("plate", None)
        self.timers["decide"] = now + self.s["decide_timeout_ms"]
        return [("decide", {"token": self.token, "n": v["n"], "plate": plate, "color": color,
                            "confidence": confidence, "manual": manual, "who": who})]

    def _passage(self, v, manual):
        return {"n": v["n"], "plate": v["plate"], "color": v["color"], "confidence": v["confidence"],
                "manual": manual, "manual_entry": v["manual_entry"], "manual_lift": v["manual_lift"],
                "who": v["who"], "reason": v["reason"], "decision": v["decision"],
                "arrive_ms": v["arrive_ms"]}

    def _open(self, now, manual):
        self.barrier = "open"
        self._to(OPEN, now)
        self.timers.pop("close", None)
        self.timers["pass"] = now + self.s["pass_timeout_ms"]
        if self.s["feedback_ms"]:
            self.timers["feedback"] = now + self.s["feedback_ms"]
        return [("open", {"manual": manual})]

    def _record(self, manual):
        v = self.vehicle
        v["recorded"] = True
        return [("record", self._passage(v, manual))]

    def _clip(self, v, now, of):
        start = v["arrive_ms"] - self.s["clip_pre_ms"]
        end = max(now + self.s["clip_post_ms"], start + self.s["clip_min_ms"])
        return ("clip", {"n": v["n"], "from_ms": start, "to_ms": end, "of": of, "plate": v["plate"],
                         "manual": v["manual_entry"] or v["manual_lift"], "who": v["who"]})

    def _arm_close(self, now):
        if self.loop_active or self.anti_active or (self.present and self.vehicle is not None
                                                   and not self.vehicle["left"]):
            self.timers.pop("close", None)
        else:
            self.timers["close"] = now + self.s["close_delay_ms"]

    def _back_to_idle(self, now):
        if self.vehicle is not None and self.vehicle["plate"]:
            # the camera still sees the one leaving for a moment: that is not the next vehicle
            self.gone = (self.vehicle["plate"], now)
        self.preroll = []
        self.vehicle = None
        self.vote.reset()
        self.timers.pop("plate", None)
        self.timers.pop("decide", None)
        self.state = IDLE
        return [("idle_screen",)]

    # ------------------------------------------------------------------ inputs
    def start(self, now):
        """The lane came up: show the idle screen."""
        return [("idle_screen",)]

    def recheck(self, who, now):
        """Decide again for the vehicle at the gate (the guard just registered it)."""
        v = self.vehicle
        if self.state not in (REFUSED, WAITING) or v is None or not v["plate"]:
            return [("reply", {"ok": False, "error": "no refused vehicle with a plate at the gate"})]
        return self._decide(now, v["plate"], v["color"], v["confidence"], v["manual_entry"], who or v["who"]) + \
            [("reply", {"ok": True, "plate": v["plate"]})]

    def loop(self, active, now):
        """The loop detector (地感) in front of the barrier."""
        active = bool(active)
        if active == self.loop_active:
            return []
        self.loop_active = active
        self.loop_since = now if active else None
        self.stuck_alarmed = False
        if active:
            self.timers["stuck"] = now + self.s["loop_stuck_ms"]
        else:
            self.timers.pop("stuck", None)
        out = []
        if self.s["trigger"] == "loop":
            out += self._presence(active, now)
        if self.state == CLOSING:
            self._arm_close(now)
        return out

    def vehicle_seen(self, active, now):
        """The camera trigger: a vehicle in the picture (against the empty-lane reference)."""
        if self.s["trigger"] != "camera":
            return []
        return self._presence(bool(active), now)

    def anti_smash(self, active, now):
        """The anti-smash (防砸) input under the barrier: while active the barrier never closes."""
        active = bool(active)
        if active == self.anti_active:
            return []
        self.anti_active = active
        out = []
        if active and self.state == CLOSING and "close" in self.timers:
            out.append(("event", "anti_smash", {"reason": "防砸信号：暂停落杆"}))
        if self.state == CLOSING:
            self._arm_close(now)
        return out

    def _presence(self, active, now):
        if active == self.present:
            return []
        self.present = active
        out = []
        st = self.state
        if active:
            if st == IDLE:
                v = self._new_vehicle(now)
                out.append(("event", "vehicle_arrive", {"n": v["n"]}))
                if not self.camera_ok:
                    return out + self._wait_manual(now, "camera down")
                self._to(READING, now)
                self.timers["plate"] = now + self.s["plate_timeout_ms"]
                for t, plate, color, conf in self.preroll:
                    if now - t <= self.s["preroll_ms"]:
                        self.vote.add(plate, color, conf)
                self.preroll = []
                return out + self._try_vote(now)
            if st in (OPEN, CLOSING):
                v = self.vehicle
                if v is not None and v["left"]:
                    # the one let through has gone, the barrier is still up: a second vehicle
                    out.append(("event", "tailgate", {"plate": v["plate"] or None}))
                    out.append(("alarm", "tailgate", "跟车：道闸未落下时又有车辆驶入"))
                    v["left"] = False      # hold the barrier for it (safety first); it was not decided
                    v["tailgate"] = True
                    self.timers.pop("close", None)
                    if st == CLOSING:
                        self._to(OPEN, now)
                elif v is None:
                    # the barrier was lifted by hand with nobody there: this is who passes
                    v = self._new_vehicle(now)
                    v["manual_lift"] = True
                    v["who"], v["reason"] = self.manual_who, self.manual_reason
                    out.append(("event", "vehicle_arrive", {"n": v["n"], "manual": True}))
                self.timers.pop("close", None)
            return out
        # the vehicle left the trigger zone
        v = self.vehicle
        if st in AT_GATE:
            out.append(("event", "vehicle_leave", {"n": v["n"], "plate": v["plate"] or None, "passed": False}))
            return out + self._back_to_idle(now)
        if st in (OPEN, CLOSING) and v is not None:
            v["left"] = True
            if v.get("manual_lift") and not v["recorded"]:
                # lifted by hand for a vehicle that only then arrived: record it now
                self._settle_plate(v)
                out += self._record(True)
            out.append(("event", "vehicle_leave", {"n": v["n"], "plate": v["plate"] or None, "passed": True}))
            out.append(self._clip(v, now, "passage"))
            self._to(CLOSING, now)
            self._arm_close(now)
        return out

    def _settle_plate(self, v):
        if v["plate"]:
            return
        r = self.vote.result() or self._best_single(0.0)
        if r:
            v["plate"], v["color"], v["confidence"] = r

    def _best_single(self, min_conf):
        best = None
        for plate, color, conf in self.vote.reads:
            if conf >= min_conf and (best is None or conf > best[2]):
                best = (plate, color, conf)
        return best

    def _try_vote(self, now):
        r = self.vote.result()
        if r is None:
            return []
        return self._decide(now, r[0], r[1], r[2], False, None)

    def plate_read(self, plate, color, confidence, now):
        """One frame's plate read from the lane camera."""
        if not plate:
            return []
        if self.gone is not None and plate == self.gone[0] and now - self.gone[1] < self.s["gone_ignore_ms"]:
            return []
        st = self.state
        if st == IDLE:
            self.preroll.append((now, plate, color, confidence))
            cut = now - self.s["preroll_ms"]
            self.preroll = [r for r in self.preroll if r[0] >= cut][-50:]
            return []
        if st in (READING, WAITING):
            self.vote.add(plate, color, confidence)
            return self._try_vote(now)
        if st in (OPEN, CLOSING) and self.vehicle is not None and not self.vehicle["recorded"]:
            self.vote.add(plate, color, confidence)   # a hand-lifted passage: who is it?
        return []

    def decided(self, token, decision, now):
        """The answer to a ("decide", req): decision = edge.policy.decide(...)'s dict."""
        if self.state != DECIDING or token != self.token:
            return []
        self.timers.pop("decide", None)
        v = self.vehicle
        v["decision"] = decision
        self.last_decision = {"n": v["n"], "plate": v["plate"], "color": v["color"],
                              "manual": v["manual_entry"], "decision": decision}
        fields = {"n": v["n"], "plate": v["plate"], "color": v["color"], "reason": decision.get("reason"),
                  "code": decision.get("code"), "manual": v["manual_entry"] or None, "who": v["who"],
                  "confidence": v["confidence"]}
        out = []
        if decision.get("allowed"):
            out += self._open(now, v["manual_entry"])
            out += self._record(v["manual_entry"])
            out.append(("event", "allow", fields))
            out.append(("event", "barrier_open", {"plate": v["plate"], "manual": v["manual_entry"] or None}))
        else:
            self._to(REFUSED, now)
            v["reason"] = decision.get("reason")
            out.append(("refusal", self._passage(v, v["manual_entry"])))
            out.append(("event", "refuse", fields))
            out.append(("alarm", "refused", "%s %s" % (v["plate"], decision.get("reason") or "")))
        lines = decision.get("display")
        if lines:
            out.append(("show", list(lines)))
        if decision.get("voice"):
            out.append(("say", decision["voice"]))
        return out

    def manual_plate(self, plate, color, who, now):
        """A guard types the plate of the vehicle at the gate (人工补录)."""
        if self.state not in AT_GATE:
            return [("reply", {"ok": False, "error": "no vehicle is waiting at the gate (lane is %s)" % self.state})]
        v = self.vehicle
        v["manual_entry"], v["who"] = True, who
        out = [("event", "manual_entry", {"plate": plate, "color": color, "manual": True, "who": who,
                                          "read": v["plate"] or None})]
        out += self._decide(now, plate, color, 1.0, True, who)
        out.append(("reply", {"ok": True, "plate": plate, "state": self.state}))
        return out

    def manual_lift(self, reason, who, now):
        """A guard lifts the barrier by hand (button or command): opens at once, marked manual."""
        if self.barrier == "open":
            return [("reply", {"ok": False, "error": "the barrier is already open"})]
        v = self.vehicle
        out = self._open(now, True)
        out.append(("event", "manual_lift", {"reason": reason, "who": who, "manual": True,
                                             "plate": (v or {}).get("plate") or None}))
        out.append(("event", "barrier_open", {"manual": True, "who": who}))
        # HJ 1321: a manual lift records its own clip, kept apart from the passage's
        out.append(("clip", {"n": v["n"] if v else None, "from_ms": now - self.s["clip_pre_ms"],
                             "to_ms": now + max(self.s["clip_post_ms"], self.s["clip_min_ms"] - self.s["clip_pre_ms"]),
                             "of": "manual_lift", "plate": (v or {}).get("plate") or "", "manual": True,
                             "who": who, "reason": reason}))
        self.manual_who, self.manual_reason = who, reason
        if v is not None:
            v["manual_lift"], v["reason"] = True, reason
            if not v["who"]:
                v["who"] = who
            self.timers.pop("decide", None)
            self._settle_plate(v)
            out += self._record(True)
        out.append(("show", ["人工放行", (v or {}).get("plate") or ""]))
        out.append(("say", "人工放行，请通行"))
        out.append(("reply", {"ok": True, "plate": (v or {}).get("plate") or None}))
        return out

    def camera(self, ok, now):
        """Lane camera health (frames arriving or not)."""
        ok = bool(ok)
        if ok == self.camera_ok:
            return []
        self.camera_ok = ok
        if ok:
            return [("event", "camera_up", {})]
        out = [("event", "camera_down", {}), ("alarm", "camera", "车牌摄像机无画面：车道转人工登记")]
        if self.state == READING:
            out += self._wait_manual(now, "camera down")
        return out

    def barrier_feedback(self, is_open, now):
        """The barrier's open limit switch, where the board has one."""
        if is_open:
            self.timers.pop("feedback", None)
        return []

    def relay_fault(self, text, now):
        return [("event", "relay_fault", {"reason": text}), ("alarm", "relay", "道闸继电器故障: %s" % text)]

    # ------------------------------------------------------------------ time
    def next_due(self):
        """The earliest timer's due time in ms, or None."""
        due = None
        for t in self.timers.values():
            if due is None or t < due:
                due = t
        return due

    def tick(self, now):
        out = []
        for name in sorted(self.timers):
            due = self.timers.get(name)
            if due is not None and due <= now:
                del self.timers[name]
                out += self._expire(name, now)
        return out

    def _expire(self, name, now):
        st = self.state
        if name == "plate" and st == READING:
            r = self._best_single(self.s["min_single_confidence"])
            if r is not None:
                return self._decide(now, r[0], r[1], r[2], False, None)
            return self._wait_manual(now, "plate not read in time")
        if name == "decide" and st == DECIDING:
            self.token += 1   # a late answer is ignored
            return [("alarm", "decision", "判定超时：转人工")] + self._wait_manual(now, "decision timed out")
        if name == "close" and st == CLOSING:
            if self.loop_active or self.anti_active:
                return []     # re-armed when they clear
            self.barrier = "closed"
            v = self.vehicle
            out = [("close", {}), ("event", "barrier_close", {"plate": (v or {}).get("plate") or None})]
            self.manual_who = self.manual_reason = None
            return out + self._back_to_idle(now)
        if name == "pass" and st == OPEN:
            v = self.vehicle
            if v is None or not (self.present or self.loop_active or self.anti_active):
                # lifted (or allowed) and nobody passed: close once clear
                if v is not None and not v["left"]:
                    v["left"] = True
                    return [("event", "vehicle_leave", {"n": v["n"], "plate": v["plate"] or None,
                                                        "passed": False})] + self._closing(now)
                return self._closing(now)
            self.timers["pass"] = now + self.s["pass_timeout_ms"]
            return []
        if name == "stuck" and self.loop_active and not self.stuck_alarmed:
            self.stuck_alarmed = True
            return [("event", "loop_stuck", {"since_ms": self.loop_since}),
                    ("alarm", "loop", "地感长时间被占用：请检查车道或地感")]
        if name == "feedback" and self.barrier == "open":
            return self.relay_fault("道闸未抬起（无到位信号）", now)
        return []

    def _closing(self, now):
        self._to(CLOSING, now)
        self._arm_close(now)
        return []

    # ------------------------------------------------------------------ view
    manual_who = None
    manual_reason = None

    def snapshot(self, now):
        v = self.vehicle
        waiting = None
        if v is not None and self.state in AT_GATE:
            waiting = {"plate": v["plate"] or None, "color": v["color"] or None,
                       "since_ms": v["since_ms"], "for_s": (now - v["arrive_ms"]) // 1000,
                       "reason": v["reason"], "state": self.state}
        return {"state": self.state, "barrier": self.barrier, "waiting": waiting,
                "inputs": {"loop": self.loop_active, "anti_smash": self.anti_active, "present": self.present},
                "camera_ok": self.camera_ok, "trigger": self.s["trigger"],
                "last_decision": self.last_decision}
