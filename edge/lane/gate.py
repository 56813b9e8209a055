"""The gate of one lane: the pure LaneMachine wired to the world.

    loop / anti-smash / button (GateIO, edge/io/gpio.py) ─┐
    head camera ─► PlateReader ─► plate reads ─────────────┼─► LaneRunner ─► LaneMachine
    camera trigger (VehiclePresence) ──────────────────────┤
    control requests (LaneControl: lift, plate, ...) ──────┘
                        actions ─► this object's hooks:
        open/close ─► GateIO relay          show/say ─► Signage (LED + voice, RS-485)
        decide ─► facts (ledger, platform cache) + edge.policy.decide
        record ─► Recorder (access record, stamped head + body photos) ─► outbox ─► platform
        refusal ─► a local "refusal" record (photo, plate, reason)   clip ─► a local "clip" record
        event/alarm ─► the event log (and the bus)

The gate never waits on the display, the voice or a clip: those run as their own tasks, so
a dead RS-485 line or a slow clip cut cannot hold the barrier or the record. The relay comes
first in every allow, then the durable record, then the events that report it.
"""
from __future__ import annotations

import asyncio
import logging
import time

from edge import timeutil
from edge.lane.machine import LaneMachine
from edge.lane.runner import LaneRunner

log = logging.getLogger(__name__)

FRAME_KEEP_S = 15.0      # how far back the best plate frame of a vehicle may be
HEAD_SPAN_S = 3.0        # plate unread: the head photo is the sharpest frame of this long after arrival
KEEP_FRAMES = 4          # head-photo candidates kept (see keep_frame)
CAMERA_GRACE_S = 20.0    # a camera still connecting this long after start is not "down" yet
INDEX_CHECK_S = 30.0     # how often the camera job looks for a changed ledger
REMEMBER = 200           # vehicles whose record ids / facts are kept for late events and clips


def _remember(d: dict, key, value) -> None:
    d[key] = value
    while len(d) > REMEMBER:
        del d[next(iter(d))]


def machine_settings(config, feedback_s: float) -> dict:
    lane = config.lane
    ms = lambda s: int(s * 1000)  # noqa: E731
    return {
        "trigger": lane.trigger, "plate_timeout_ms": ms(lane.plate_timeout_s),
        "close_delay_ms": ms(lane.close_delay_s), "pass_timeout_ms": ms(lane.pass_timeout_s),
        "loop_stuck_ms": ms(lane.loop_stuck_s), "clip_pre_ms": ms(lane.clip_pre_s),
        "clip_post_ms": ms(lane.clip_post_s),
        "feedback_ms": ms(feedback_s),
    }


class Gate:
    def __init__(self, service, *, io, signage, head_camera=None, body_camera=None, reader=None,
                 presence=None, decide=None):
        self.svc = service
        self.config = service.config
        self.io = io
        self.signage = signage
        self.head = head_camera          # CameraSource of the plate camera (or None)
        self.body = body_camera          # CameraSource of the body camera (or None)
        self.reader = reader
        self.presence = presence
        self._decide_fn = decide
        gpio = service.board.gpio
        feedback_s = gpio.feedback_timeout_s if (io is not None and gpio.feedback_pin) else 0
        self.machine = LaneMachine(machine_settings(self.config, feedback_s))
        self.runner = LaneRunner(self.machine, self)
        self.frames: list = []                   # (t_mono, confidence, BGR image): the surest recent reads
        self.records: dict[int, str] = {}        # vehicle n -> recordId of its access record
        self.refusals: dict[int, str] = {}       # vehicle n -> recordId of its local refusal record
        self.facts: dict[int, dict] = {}         # vehicle n -> the facts its decision used
        self.last_decision: dict | None = None
        self.last_read_t: float | None = None    # monotonic time of the last frame with a plate read
        self.reads: dict = {}                    # plate -> its latest read (ledger check, colour evidence)
        self.index = None                        # PlateIndex of the ledger's plates
        self._index_version = None
        self.tasks: set = set()
        self.timing: dict = {}                   # the bench reads these (monotonic seconds)
        self._mono0 = time.monotonic()

    # ------------------------------------------------------------------ jobs
    async def machine_job(self, stop: asyncio.Event) -> None:
        if self.runner._closed:  # the supervisor restarted this job: a fresh runner, same machine
            self.runner = LaneRunner(self.machine, self)
        if self.io is not None:
            self.io.on_input(self._on_input)
            for name, active in self.io.state()["inputs"].items():
                if name in ("loop", "anti_smash") and active:
                    self.runner.submit(name, True)
        if self.head is None:
            self.runner.submit("camera", False)
        self.runner.submit("start")
        task = asyncio.create_task(self.runner.run())
        try:
            await stop.wait()
        finally:
            self.runner.close()
            await asyncio.gather(task, return_exceptions=True)
            for t in list(self.tasks):
                t.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            if self.signage is not None:
                await self.signage.close()

    def _refresh_index(self) -> None:
        """The ledger's plates for the reader's check (a read within its own doubt of exactly one
        registered plate snaps to it); rebuilt when the ledger changed (an import, a registration)."""
        from edge.vision.plates import PlateIndex
        version, plates = self.svc.ledger.vehicle_plates()
        if version != self._index_version:
            self.index = PlateIndex(plates) if plates else None
            self._index_version = version

    async def camera_job(self, stop: asyncio.Event) -> None:
        """Frames of the head camera -> plate reads (and the camera trigger) -> the machine."""
        cam, seq, ok = self.head, 0, None
        checked, started = 0.0, time.monotonic()
        while not stop.is_set():
            if time.monotonic() - checked > INDEX_CHECK_S:
                checked = time.monotonic()
                await asyncio.to_thread(self._refresh_index)
            frame = await asyncio.to_thread(cam.wait_next, seq, 1.0)
            healthy = not cam.status()["stale"]
            if not healthy and ok is None and time.monotonic() - started < CAMERA_GRACE_S:
                pass   # still connecting at start: not a fault yet
            elif healthy != ok:
                ok = healthy
                self.runner.submit("camera", ok)
            if frame is None:
                continue
            seq = frame.seq
            t0 = time.monotonic()
            reads = await asyncio.to_thread(self.reader.read, frame.image, self.index)
            self.timing["read_s"] = time.monotonic() - t0
            self.timing["frame_t"] = frame.t_mono
            if self.presence is not None:
                change = self.presence.feed(frame.image, frame.t_mono)
                if change is not None:
                    self.runner.submit("vehicle_seen", change)
            if reads:
                r = reads[0]
                self.last_read_t = frame.t_mono
                _remember(self.reads, r["plate"], r)
                self.keep_frame(frame.t_mono, r["confidence"], frame.image)
                self.runner.submit("plate_read", r["plate"], r["color"], r["confidence"])
                if self.svc.smoke is not None:
                    self.svc.smoke.on_plate(r["plate"], r["color"])

    def keep_frame(self, t: float, confidence: float, image) -> None:
        """Candidates for the head photo: the KEEP_FRAMES surest reads of the last FRAME_KEEP_S
        (a 1080p frame is 6 MB: a history of every read would cost the board hundreds of MB)."""
        frames = [f for f in self.frames if f[0] >= t - FRAME_KEEP_S]
        if len(frames) >= KEEP_FRAMES:
            worst = min(range(len(frames)), key=lambda i: frames[i][1])
            if frames[worst][1] > confidence:
                self.frames = frames
                return
            frames.pop(worst)
        frames.append((t, confidence, image))
        self.frames = frames

    def _on_input(self, name: str, active: bool) -> None:
        if name in ("loop", "anti_smash"):
            self.runner.submit(name, active)
        elif name == "barrier_feedback":
            self.runner.submit("barrier_feedback", active)
        elif name == "button" and active:
            self._spawn(self.runner.request("manual_lift", "人工按钮抬杆", "button"))
        if name == "loop" and self.svc.smoke is not None:
            self.svc.smoke.set_vehicle(active)

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # ------------------------------------------------------------------ hooks (LaneRunner calls these)
    async def open(self, opts: dict) -> None:
        t = time.monotonic()
        if self.io is None:
            raise OSError("no barrier relay (GPIO could not be claimed at start)")
        await self.io.open_barrier()
        self.timing["relay_s"] = time.monotonic()
        self.timing["actuate_s"] = self.timing["relay_s"] - t
        d = self.last_decision
        if d is not None and d["allowed"] and "relay_ms" not in d and self.timing.get("decide_start"):
            # the lane's own share, asked for the decision -> relay energised (status, tools/bench_web.py)
            d["relay_ms"] = round(1000 * (self.timing["relay_s"] - self.timing["decide_start"]), 1)

    async def close(self, opts: dict) -> None:
        if self.io is None:
            raise OSError("no barrier relay (GPIO could not be claimed at start)")
        await self.io.close_barrier()

    async def decide(self, req: dict) -> dict:
        t = self.timing["decide_start"] = time.monotonic()
        decision, facts = await self._decide_fn(req)
        _remember(self.facts, req["n"], facts)
        self.timing["decide_s"] = time.monotonic() - t
        self.last_decision = {"time": timeutil.fmt_datetime(timeutil.now()), "plate": req["plate"],
                              "color": req["color"], "allowed": bool(decision.get("allowed")),
                              "code": decision.get("code"), "reason": decision.get("reason"),
                              "display": decision.get("display"), "voice": decision.get("voice"),
                              "manual": bool(req.get("manual")), "confidence": req.get("confidence"),
                              "decide_ms": round(1000 * self.timing["decide_s"], 1)}
        return decision

    async def record(self, p: dict) -> None:
        t = time.monotonic()
        facts = self.facts.get(p["n"]) or {}
        photos = await asyncio.to_thread(self._photos, p)
        passage = self.svc.passage(p["plate"], p["color"], photos, vehicle=facts.get("vehicle"),
                                   manual=p["manual"], check=self.plate_check(p, facts))
        rec = await self.svc.record_passage(passage, p["confidence"])
        _remember(self.records, p["n"], rec["recordId"])
        self.timing["record_s"] = time.monotonic() - t

    def plate_check(self, p: dict, facts: dict) -> str:
        """How the plate was read, kept with the record: manual entry, the ledger check (a snap
        keeps what was read and why), the colour and its confidence, a ledger colour mismatch."""
        parts = []
        if p.get("manual_entry"):
            parts.append("人工录入 by %s" % p.get("who"))
        r = self.reads.get(p["plate"]) if not p.get("manual_entry") else None
        if r is not None:
            if r.get("ledger") == "snapped":
                snap = r.get("snap") or {}
                parts.append("ledger check: read %s, snapped to the registered %s (likelihood ratio %.2f)"
                             % (r.get("snapped_from"), p["plate"], snap.get("ratio", 0.0)))
            elif r.get("ledger"):
                parts.append("ledger check: %s" % r["ledger"])
            if r.get("color_confidence") is not None:
                parts.append("colour %s %.2f%s" % (r.get("color"), r["color_confidence"],
                                                   " (uncertain)" if r.get("color_uncertain") else ""))
        if facts.get("ledger_note"):
            parts.append(facts["ledger_note"])
        return "，".join(parts)   # no ';' (Ningxia refuses SQL-like text, 6.2.5)

    async def refusal(self, p: dict) -> None:
        photos = await asyncio.to_thread(self._photos, p)
        _remember(self.refusals, p["n"], await self.svc.record_refusal(p, photos.get("carHeadImg")))

    async def clip(self, req: dict) -> None:
        self._spawn(self._clip(req))

    async def show(self, lines) -> None:
        # the colour follows the lane's state: the machine changes state before it asks to show
        tone = {"open": "allow", "refused": "refuse", "waiting_manual": "wait"}.get(self.machine.state, "info")
        self._spawn(self.signage.show(list(lines), tone))

    async def say(self, text: str) -> None:
        self._spawn(self.signage.say(text))

    async def idle_screen(self) -> None:
        self._spawn(self.signage.show(await asyncio.to_thread(self.svc.idle_lines), "info"))

    async def event(self, type_: str, fields: dict) -> None:
        fields = dict(fields)
        n = fields.pop("n", None)
        rid = self.records.get(n) or self.refusals.get(n) if n is not None else None
        if rid and type_ in ("allow", "refuse", "vehicle_leave"):
            fields["recordId"] = rid
        await asyncio.to_thread(self.svc.event, type_, **fields)

    async def alarm(self, kind: str, message: str) -> None:
        await asyncio.to_thread(self.svc.alarm, kind, message)

    # ------------------------------------------------------------------ helpers
    def wall_s(self, ms: int) -> float:
        """Wall-clock seconds of a machine time (aio.ticks_ms: monotonic ms)."""
        return time.time() - (time.monotonic() - ms / 1000.0)

    def _photos(self, p: dict) -> dict:
        """Head photo: the surest plate frame of this vehicle, else (plate unread) the sharpest head
        frame of its first seconds at the gate from the camera's ring; body photo: the body camera now."""
        from edge.vision.photos import take_photos
        since = p["arrive_ms"] / 1000.0 - FRAME_KEEP_S
        best = None
        for t, conf, img in list(self.frames):
            if t >= since and (best is None or conf > best[0]):
                best = (conf, img)
        arrived = self.wall_s(p["arrive_ms"])
        return take_photos(self.head, self.body, head_image=best[1] if best else None,
                           head_span=(arrived, min(time.time(), arrived + HEAD_SPAN_S)))

    async def _clip(self, req: dict) -> None:
        cam = self.head
        if cam is None or not hasattr(cam, "cut"):
            return
        start, end = self.wall_s(req["from_ms"]), self.wall_s(req["to_ms"])
        try:
            # partial: a vehicle that waited longer than the ring holds (a manual entry) still gets
            # the clip of its last ring_s seconds at the gate and of its leaving
            clip = await asyncio.to_thread(cam.cut, start, end, max(30.0, end - time.time() + 30.0), partial=True)
        except Exception as e:  # ClipError, a camera that died: the record stays, the guard is told
            await self.alarm("clip", "clip of %s not kept: %s" % (req.get("plate") or req["of"], e))
            return
        if not clip.complete:
            log.warning("clip of %s covers %.0f of the %.0f s asked for (the camera's ring is shorter)",
                        req.get("plate") or req["of"], clip.duration_s, end - start)
        await self.svc.record_clip(req, self.records.get(req.get("n")), clip.data, clip.start_wall, clip.end_wall)

    # ------------------------------------------------------------------ control (LaneControl calls these)
    async def ledger_color(self, plate: str) -> str:
        from edge.store.ledger import Ledger
        def look():
            with Ledger.open(self.svc.state_dir) as ledger:
                v = ledger.vehicle_by_plate(plate)
            return (v or {}).get("plateColor", "")
        return await asyncio.to_thread(look)

    async def relay_test(self) -> dict:
        from edge.lane.control import ControlError
        if self.machine.state != "idle":
            raise ControlError("relay test refused: the lane is %s (a vehicle is at the gate)" % self.machine.state)
        if self.io is None:
            raise ControlError("no barrier relay: GPIO could not be claimed at start (see `edge events --type alarm`)")
        result = await self.io.relay_test()
        if result.get("relay") == "fault":
            self.svc.alarm("relay", result.get("fault") or "relay test failed")
        return result

    async def snapshot(self, name: str | None) -> bytes:
        import cv2

        from edge.lane.control import ControlError
        cams = self.svc.cameras
        cam = cams.get(name) if name else self.head
        if cam is None:
            raise ControlError("no camera %s (cameras: %s)" % (name or "(head)", ", ".join(cams) or "none"))
        f = cam.latest()
        if f is None:
            raise ControlError("camera %s has no frame yet" % (name or "head"))
        ok, jpeg = cv2.imencode(".jpg", f.image, [cv2.IMWRITE_JPEG_QUALITY, 90])
        return jpeg.tobytes()

    def sim_drive(self, name: str, active: bool) -> None:
        from edge.lane.control import ControlError
        if self.io is None:
            raise ControlError("no GPIO on this lane (it could not be claimed at start)")
        self.io.sim_drive(name, active)   # `edge sim button` presses, holds past the debounce, releases

    async def register_vehicle(self, entry: dict, who: str) -> dict:
        """A ledger entry made at the gate (the guard registers an unknown vehicle with its
        随车清单 facts): stored like an import, then the vehicle waiting at the gate is decided
        again and its records kept "awaiting registration" are checked and released."""
        from edge.errors import ValidationError
        from edge.lane.control import ControlError
        from edge.store.ledger import prepare
        svc = self.svc

        def store():
            entries = prepare("vehicles", [entry], svc.state_dir, svc.config.site.enterprise_id, svc.ledger)
            svc.ledger.put_many("vehicles", entries)
            return entries[0][0]
        try:
            fields = await asyncio.to_thread(store)
        except ValidationError as e:
            raise ControlError("vehicle entry: " + "; ".join(e.lines()).replace("row 1 ", "")) from None
        plate = fields.get("licensePlate", "")
        await asyncio.to_thread(svc.event, "register", plate=plate, who=who, vehicleId=fields.get("vehicleId"))
        released = await asyncio.to_thread(svc.release_awaiting, plate)
        answer = {"ok": True, "vehicleId": fields.get("vehicleId"), "plate": plate, "released": released}
        v = self.machine.vehicle
        if v is not None and v.get("plate") == plate and self.machine.state in ("refused", "waiting_manual"):
            answer["recheck"] = await self.runner.request("recheck", who)
        return answer

    async def verify_exceed(self, row: dict, who: str) -> dict:
        """6.14: the enterprise's verification of an exceed vehicle, pushed to the platform; once
        accepted the gate stops refusing a vehicle verified 不超标."""
        from edge.domain.validate import validate
        from edge.lane.control import ControlError
        from edge.uplink.yunnan.client import YunnanClient, YunnanError
        problems = validate("exceed-verification", row)
        if problems:
            raise ControlError("exceed verification: " + "; ".join("%s: %s" % p for p in problems))
        client = YunnanClient.from_config(self.config)
        try:
            await client.upload_exceed_verification(row)
        except YunnanError as e:
            raise ControlError("platform did not take the verification: %s" % e) from None
        finally:
            await client.close()
        await asyncio.to_thread(self.svc.cache.put_verification, row)
        await asyncio.to_thread(self.svc.event, "action", op="verify_exceed", who=who,
                                plate=row.get("licensePlate"), recordId=row.get("recordId"))
        return {"ok": True}

    async def cargo(self, record_id: str, fields: dict, who: str) -> dict:
        from edge.lane.control import ControlError
        problems = await asyncio.to_thread(self.svc.set_cargo, record_id, fields)
        if problems:
            raise ControlError("; ".join(problems))
        await asyncio.to_thread(self.svc.event, "cargo", who=who, recordId=record_id, **fields)
        return {"ok": True, "recordId": record_id}

    async def reload(self) -> None:
        if self.reader is not None and hasattr(self.reader, "reload_ledger"):
            await asyncio.to_thread(self.reader.reload_ledger)

    def status(self) -> dict:
        snap = self.machine.snapshot(self.runner.clock_ms())
        barrier = {"state": snap["barrier"], "relay": None, "fault": None}
        inputs = dict(snap["inputs"])
        if self.io is not None:
            st = self.io.state()
            barrier.update(relay=st.get("relay"), fault=st.get("fault"), mode=st.get("mode"), moves=st.get("moves"))
            inputs.update({k: v for k, v in st["inputs"].items() if v is not None})
        w = snap["waiting"]
        return {"state": snap["state"], "barrier": barrier, "inputs": inputs, "trigger": snap["trigger"],
                "waiting": None if w is None else {"plate": w["plate"], "color": w["color"], "for_s": w["for_s"],
                                                   "reason": w["reason"], "state": w["state"]},
                "camera_ok": snap["camera_ok"], "last_decision": self.last_decision,
                "signage": self._signage_status(),
                "presence": self.presence.status() if self.presence is not None else None}

    def _signage_status(self) -> dict | None:
        if self.signage is None:
            return None
        return {**self.signage.last(), "health": self.signage.health()}
