"""The lane service: what `edge run` runs on a board, as supervised jobs.

    gate           the lane state machine (edge/lane/machine.py) driven by loop / anti-smash /
                   button inputs, plate reads and control requests; barrier relay, LED + voice,
                   records, refusals, clips (edge/lane/gate.py)
    plate-camera   head camera -> plate reader -> the gate's plate reads (and camera trigger)
    uploader       drains the outbox to every configured platform (edge/uplink/uploader.py)
    housekeeping   retention, disk high-water, missing-upload alarm (edge/store/retention.py)
    platform       heartbeat + pulls/confirmations (Yunnan), when [lane] site_duties is on
    hj212-status   Ningxia 60002/60003, when [lane] site_duties is on
    smoke          [smoke] camera: ROI -> Ringelmann grader -> smoke events (edge/lane/smoke.py)
    demo-traffic   simulated board only: a synthetic passage every demo_traffic_interval_s
    status         writes <state_dir>/status.json
    web            the status page's process (edge/web/job.py), when [web] enabled

Around the jobs: the event log (events.db; every event also on the in-process bus as
site/<gate>/<in|out>/event), the control socket (edge status|lift|plate|..., the page and
MQTT all go through LaneControl), and the lane's alarms. Passages and smoke events are also
published as site/<gate>/<in|out>/passage|smoke.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path

from edge import timeutil
from edge.lane.events import EventBus, topic
from edge.lane.supervisor import Supervisor, every
from edge.store.atomic import write_atomic

log = logging.getLogger(__name__)


class LaneService:
    def __init__(self, config, board, config_path=None):
        self.config = config
        self.board = board
        self.config_path = config_path         # the page's process reads the same file
        self.state_dir = Path(config.paths.state_dir)
        self.supervisor = Supervisor()
        self.started = time.time()
        self.passages: list[dict] = []        # the last few recorded passages, newest last
        self.cameras: dict[str, object] = {}  # name -> CameraSource
        self.platform: dict = {}
        self.outbox = self.uploader = self.recorder = self.smoke = None
        self.eventlog = None
        self.gate = None                       # the gate (state machine + I/O), when it runs
        self._rules = None                     # [policy], compiled once
        self.alarms: list[dict] = []           # the newest alarms, for the status
        self.bus = EventBus()
        self.watchdog = None
        self.site = None                       # edge/site/node.py SiteNode when [mqtt] url is set

    # ------------------------------------------------------------------ life
    async def run(self, stop: asyncio.Event) -> None:
        from edge.lane.recorder import Recorder
        from edge.store.outbox import Outbox

        from edge.lane.control import LaneControl
        from edge.lane.control_socket import ControlServer
        from edge.lane.eventlog import EventLog

        from edge.store.ledger import Ledger
        from edge.store.platform_cache import PlatformCache
        self._stop = stop
        self._fault_alarmed = {}
        self.outbox = self._open_storage(Outbox)
        self.ledger = Ledger.open(self.state_dir)
        self.cache = PlatformCache.from_config(self.config)
        self.eventlog = EventLog.open(self.state_dir)
        self.eventlog.on_append = self._publish_event
        self.control = LaneControl(self)
        control_server = await ControlServer(self.control, self.state_dir).start()
        # Recording never waits for the uploader: an unregistered or unreachable platform
        # only delays uploads (the uploader job retries opening its clients).
        self.recorder = Recorder.from_config(self.outbox, self.config, on_record=self._notify_uploader)
        sup = self.supervisor
        sup.add("uploader", self._uploader_job)
        sup.add("housekeeping", self._housekeeping_job)
        sup.add("status", self._status_job)
        from edge.lane.watchdog import Watchdog  # systemd READY/WATCHDOG (edge/lane/watchdog.py)
        self.watchdog = Watchdog(self)
        sup.add("watchdog", self.watchdog.run)
        lane = self.config.lane
        duties = {}
        if lane.site_duties and "yunnan" in self.config.uplink.destinations:
            duties["platform"] = self._platform_job
        if lane.site_duties and "hj212" in self.config.uplink.destinations:
            duties["hj212-status"] = self._hj212_status_job
        # [mqtt] url set: the site elects one leader; the duty jobs run only while this lane
        # leads (edge/site/node.py) and stop the moment its lease runs out
        from edge.site.node import SiteNode
        self.site = SiteNode.from_service(self)
        if self.site is not None:
            sup.add("site", self.site.run)
            if "yunnan" in self.config.uplink.destinations and lane.site_duties:
                duties["site-uploads"] = self.site.uploads_job
            duties = {name: self.site.while_leader(name, job) for name, job in duties.items()}
        for name, job in duties.items():
            sup.add(name, job)
        if self.config.smoke.camera:
            from edge.lane.smoke import SmokeJob
            self.camera(next(c for c in self.config.cameras if c.cameraName == self.config.smoke.camera))
            self.smoke = SmokeJob.from_config(self.config, self.board, self.outbox, self.bus, self.cameras,
                                              on_record=self._notify_uploader)
            sup.add("smoke", self.smoke.run)
            # a smoke event is one of the lane's events too (guards see it beside the decisions)
            self.bus.subscribe(topic(self.config.site.gate_id, lane.direction, "smoke"),
                               lambda _t, e: self._spawn_event("smoke", plate=e.get("licensePlate") or None,
                                                               level=e.get("smokeLevel"), opacity=e.get("smokeOpacity"),
                                                               mode=e.get("mode"), recordId=e.get("recordId")))
        await self._gate_jobs(sup)
        if self.board.simulated and lane.demo_traffic_interval_s > 0:
            sup.add("demo-traffic", self._demo_job)
        # the status page: its own process, reaching the lane through the control socket
        if self.config.web.enabled and self.config_path:
            from edge.web.job import WebJob
            sup.add("web", WebJob(self.config_path).run)
        log.info("lane %s %s running jobs: %s", self.config.site.gate_id, self.config.site.lane_name,
                 ", ".join(sup.names))
        self.event("lane_start", jobs=sup.names)
        try:
            await sup.run(stop)
        finally:
            await control_server.close()
            for cam in self.cameras.values():
                cam.stop()
            if self.gate is not None and self.gate.io is not None:
                self.gate.io.close()
            self._write_status()
            self.event("lane_stop")
            self.eventlog.close()
            self.ledger.close()
            self.cache.close()
            self.outbox.close()
        if self.fatal is not None:   # stopped for a storage fault: `edge run` exits with its line
            raise self.fatal

    # ------------------------------------------------------------------ storage faults
    fatal = None      # the StorageError that stopped the lane
    _stop = None
    _fault_alarmed: dict = {}

    def _open_storage(self, outbox_cls):
        """Before any job starts: the state dir is storage, writable, and its outbox opens (not
        damaged, not missing beside its photos). Otherwise an alarm and a refusal to run."""
        from edge.errors import StorageError
        from edge.store import statedir
        try:
            statedir.ensure(self.state_dir)
            statedir.writable(self.state_dir)
            return outbox_cls.from_config(self.config)
        except StorageError as e:
            self.alarm("storage", str(e))
            raise

    def storage_fault(self, exc: BaseException) -> bool:
        """A write failed. Full or read-only storage: alarm and stop cleanly (nothing more can be
        recorded; systemd's restart then refuses with the reason until it is fixed). A damaged
        file: alarm, keep running. True when `exc` was a storage fault."""
        from edge.errors import StorageError
        from edge.store import faults
        kind = faults.classify(exc)
        if kind is None:
            return False
        if kind in (faults.FULL, faults.READONLY):
            if self.fatal is None:
                self.fatal = exc if isinstance(exc, StorageError) else faults.storage_error(exc)
                self.alarm("disk-full" if kind == faults.FULL else "storage",
                           "%s; the lane stops (records cannot be stored)" % self.fatal)
                if self._stop is not None:
                    self._stop.set()
        else:   # damaged, locked, I/O: alarm (at most every 10 minutes per kind), keep the gate going
            last = self._fault_alarmed.get(kind, 0.0)
            if time.monotonic() - last > 600 or not last:
                self._fault_alarmed[kind] = time.monotonic()
                self.alarm("storage", faults.describe(exc))
        return True

    async def _storing(self, aw):
        try:
            return await aw
        except Exception as e:
            self.storage_fault(e)
            raise

    # ------------------------------------------------------------------ events and alarms
    def _publish_event(self, event: dict) -> None:
        self.bus.publish(topic(self.config.site.gate_id, self.config.lane.direction, "event"), event)

    def event(self, type_: str, **fields) -> dict | None:
        """Append to the event log (durable); never raises: a full disk must not stop the gate."""
        if self.eventlog is None:
            return None
        try:
            return self.eventlog.append(type_, **fields)
        except Exception as e:  # sqlite3.Error, OSError: the alarm is in the log line
            log.error("ALARM event-log: cannot record %s event: %s", type_, e)
            return None

    def _spawn_event(self, type_: str, **fields) -> None:
        """Append an event from a bus callback without holding the loop on the fsync."""
        asyncio.get_running_loop().run_in_executor(None, lambda: self.event(type_, **fields))

    def alarm(self, kind: str, message: str) -> None:
        """Tell the guard: an `alarm` event, an ERROR line, the status's alarm list."""
        log.error("ALARM %s: %s", kind, message)
        entry = {"time": timeutil.fmt_datetime(timeutil.now()), "kind": kind, "message": message}
        self.alarms = (self.alarms + [entry])[-20:]
        self.event("alarm", kind=kind, message=message)

    async def reload(self) -> None:
        """Re-read what the decision uses (ledger, cache) on the next vehicle; config needs a restart."""
        if self.gate is not None:
            await self.gate.reload()

    # ------------------------------------------------------------------ jobs
    def _notify_uploader(self) -> None:
        if self.uploader is not None:
            self.uploader.notify()

    async def _uploader_job(self, stop: asyncio.Event) -> None:
        from edge.uplink.uploader import Uploader
        self.uploader = await Uploader.open(self.outbox, self.config, alarm=self.alarm,
                                            on_fault=self.storage_fault)  # raises until registered
        task = asyncio.create_task(self.uploader.run())
        try:
            await stop.wait()
        finally:
            await self.uploader.stop()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await self.uploader.close()

    async def _housekeeping_job(self, stop: asyncio.Event) -> None:
        from edge.store.retention import check_integrity, housekeeping
        # the outbox's quick_check at once (read-only, off the loop): a lane started on a damaged
        # outbox alarms now, not at the first pruning; housekeeping repeats it daily
        await asyncio.to_thread(check_integrity, self.outbox, self.alarm)

        async def tick():
            report = await asyncio.to_thread(housekeeping, self.outbox, self.config, alarm=self.alarm)
            log.debug("housekeeping: %s", report)
        # first pass after a minute: start-up belongs to the gate, not to pruning
        await every(self.config.lane.housekeeping_interval_s, stop, tick, first_delay_s=60)

    async def _platform_job(self, stop: asyncio.Event) -> None:
        from edge.uplink.yunnan.credentials import platform_path
        from edge.uplink.yunnan.duties import YunnanDuties
        if not platform_path(self.state_dir).is_file():
            log.warning("platform duties off: not registered (run `edge keys generate` and `edge register`)")
            self.platform["registered"] = False
            await stop.wait()
            return
        self.platform["registered"] = True
        duties = YunnanDuties(self.config)

        async def heartbeat():
            t = time.monotonic()
            answer = await duties.heartbeat()
            self.platform.update(heartbeat_at=timeutil.fmt_datetime(timeutil.now()), heartbeat=answer,
                                 heartbeat_ms=round((time.monotonic() - t) * 1000, 1))

        async def sync():
            counts = await duties.sync()
            self.platform.update(sync_at=timeutil.fmt_datetime(timeutil.now()), sync=counts)

        lane = self.config.lane
        try:
            await asyncio.gather(every(lane.heartbeat_interval_s, stop, heartbeat),
                                 every(lane.sync_interval_s, stop, sync))
        finally:
            await duties.close()

    async def _hj212_status_job(self, stop: asyncio.Event) -> None:
        """Ningxia 60002 (each camera's video access, at start and daily) and 60003 (gate system
        and production state, every heartbeat period). Status, not records: sent directly,
        not through the outbox — a missed one is simply sent again next period."""
        from edge.uplink.base import Delivery
        from edge.uplink.hj212.destination import open_destination
        dest = await open_destination(self.config)
        lane = self.config.lane

        async def cameras():
            for cam in self.config.cameras:
                ack = await dest.deliver(Delivery("camera-%02d" % cam.cameraSeq, "camera", vars(cam)))
                self.platform["hj212_camera"] = ack

        async def status():
            broken = [n for n, c in self.cameras.items() if c.status()["stale"]]
            state = "故障" if broken else "正常"
            ack = await dest.deliver(Delivery("status", "status", {"F_QYMJJKZT": state,
                                                                   "F_SCQK": lane.production_state}))
            self.platform.update(hj212_status=state, hj212_status_ack=ack,
                                 hj212_status_at=timeutil.fmt_datetime(timeutil.now()))
        try:
            await asyncio.gather(every(24 * 3600, stop, cameras), every(lane.heartbeat_interval_s, stop, status))
        finally:
            await dest.close()

    # ------------------------------------------------------------------ the gate
    async def _gate_jobs(self, sup) -> None:
        """The gate: the state machine always runs (a lane is a gate); the plate camera job when
        the lane has a plate camera; I/O and signage from the board profile and [display]."""
        from edge.lane.gate import Gate
        io = self._open_io()
        from edge.io.signage import Signage
        signage = await Signage.open(self.config.display, self.board, self.state_dir)
        head, body = self._lane_cameras()
        presence = None
        if self.config.lane.trigger == "camera":
            from edge.vision.presence import VehiclePresence
            presence = VehiclePresence.from_config(self.config)
        self.gate = Gate(self, io=io, signage=signage, head_camera=head, body_camera=body, presence=presence,
                         decide=self._decide)
        sup.add("gate", self.gate.machine_job)
        if head is not None:
            sup.add("plate-camera", self._plate_camera_job)

    def _open_io(self):
        from edge.errors import EdgeError
        from edge.io.gpio import GateIO
        try:
            return GateIO.from_board(self.board)
        except EdgeError as e:
            # the lane keeps reading and recording; every barrier move becomes a relay-fault alarm
            self.alarm("gpio", str(e))
            return None

    def _lane_cameras(self):
        """(head, body) CameraSources of `[[cameras]] role` (edge.vision.photos.camera_roles)."""
        from edge.vision.photos import camera_roles
        roles = camera_roles(self.config.cameras)
        return tuple(self.camera(roles[r]) if roles[r] is not None else None for r in ("head", "body"))

    def camera(self, cam_cfg):
        """The one CameraSource of a [[cameras]] entry, started on first use and shared by the jobs
        (ring and decoder settings from [vision])."""
        from edge.vision.camera import CameraSource
        src = self.cameras.get(cam_cfg.cameraName)
        if src is None:
            src = self.cameras[cam_cfg.cameraName] = CameraSource.from_settings(
                cam_cfg.rtsp_url, self.config.vision, name=cam_cfg.cameraName).start()
        return src

    async def _plate_camera_job(self, stop: asyncio.Event) -> None:
        from edge.vision.interpreter import models_dir
        from edge.vision.plates.reader import PlateReader
        if self.gate.reader is None:
            v = self.config.vision
            self.gate.reader = await asyncio.to_thread(
                PlateReader, v.models_dir or str(models_dir()), v.threads or self.board.inference.threads,
                self.board.inference.delegate, variant=v.plate_variant, score_threshold=v.plate_detect_threshold,
                min_confidence=v.plate_min_confidence, zoom=v.plate_zoom,
                color_prior=v.plate_color_prior, color_polarity=v.plate_color_polarity)
        await self.gate.camera_job(stop)

    async def _decide(self, req: dict):
        """(decision, facts) for the plate at the gate: ledger + platform cache + [policy]."""
        from edge import policy
        from edge.lane.facts import gather

        def facts():
            return gather(req["plate"], req["color"], ledger=self.ledger, cache=self.cache, config=self.config,
                          now=timeutil.now(), manual=bool(req.get("manual")))
        f = await asyncio.to_thread(facts)
        if self._rules is None:
            self._rules = policy.compile_rules(self.config.policy)
        return policy.decide(f, self._rules), f

    def idle_lines(self) -> list[str]:
        """What the display shows with nobody at the gate: the lane and the control in force."""
        from edge import policy
        try:
            strategies = self.cache.active_strategies(timeutil.now())
        except Exception:  # a damaged cache must not blank the display
            strategies = []
        if self._rules is None:
            self._rules = policy.compile_rules(self.config.policy)
        now = timeutil.fmt_datetime(timeutil.now())
        stale = self.site.stale_line() if self.site else None   # deciding from a cache the site may have moved on from
        return [self.config.site.lane_name or "欢迎光临", "管控状态: " + policy.control_text(strategies, self._rules, now)] + (
            [stale] if stale else [])

    # ------------------------------------------------------------------ records
    def passage(self, plate: str, color: str, photos: dict, *, vehicle=None, manual: bool = False,
                check: str | None = None) -> dict:
        """A passage for the Recorder: the vehicle's ledger entry (vehicleId, VIN: the spec
        requires them; the decision's facts found it, plate first) and the lane's cargo defaults
        fill what the camera cannot see."""
        lane = self.config.lane
        passage = {"plate": plate, "plate_color": color, "access_type": "0" if lane.direction == "in" else "1",
                   "pass_mode": "manual" if manual else "auto", "photos": photos,
                   "cargo_type": lane.default_cargo_type, "cargo_weight": lane.default_cargo_weight,
                   "cargo_unit": lane.default_cargo_unit}
        if vehicle:
            passage["vehicle"] = vehicle
        if check:
            passage["plate_check"] = check
        return passage

    async def record_passage(self, passage: dict, confidence) -> dict:
        rec = await self._storing(self.recorder.record_async(passage))
        entry = {"recordId": rec["recordId"], "licensePlate": rec["licensePlate"],
                 "plateColor": rec["plateColor"], "accessTime": rec["accessTime"],
                 "passMode": rec["passMode"], "confidence": confidence}
        self.passages = (self.passages + [entry])[-20:]
        self.bus.publish(topic(self.config.site.gate_id, self.config.lane.direction, "passage"), entry)
        log.info("recorded %s %s (%s)", rec["recordId"], rec["licensePlate"] or "(unread)", rec["accessTime"])
        return rec

    def release_awaiting(self, plate: str) -> int:
        """Records of `plate` kept as rejected (awaiting registration): looked up in the ledger again,
        re-validated and sent when valid now (edge.store.repair, the same path as `edge outbox retry`)."""
        from edge.store import repair
        from edge.store.outbox import REJECTED
        n = 0
        for row in self.outbox.list(states=(REJECTED,), kind="access"):
            rec = self.outbox.get(row["record_id"])
            if rec and rec["record"].get("licensePlate") == plate:
                ok, _problems = repair.retry(self.outbox, self.ledger, row["record_id"])
                n += bool(ok)
        if n:
            self._notify_uploader()
        return n

    def set_cargo(self, record_id: str, fields: dict) -> list[str]:
        """Cargo name and amount for a record not yet sent (HJ 1321 function 10), within 24 h."""
        from edge.domain import validate
        rec = self.outbox.get(record_id)
        if rec is None or rec["kind"] != "access":
            return ["recordId: no access record %s" % record_id]
        if time.time() * 1000 - rec["created_ms"] > 24 * 3600 * 1000:
            return ["recordId: %s is older than 24 h" % record_id]
        problems = self.outbox.fix(record_id, fields, lambda body: validate.validate("access", body))
        self._notify_uploader()
        return ["%s: %s" % p if isinstance(p, tuple) else str(p) for p in problems]

    def _local_id(self, prefix: str, n) -> str:
        return "%s%s%s%05d" % (prefix, timeutil.stamp_ms(timeutil.now()), self.config.site.gate_id,
                               (n or 0) % 100000)

    async def record_refusal(self, p: dict, jpeg: bytes | None) -> str:
        """A refused vehicle did not pass: not an access record, but its photo, plate and reason
        are kept locally (kind "refusal") for the guard and the officer."""
        from edge.vision.annotate import annotate, stamp_lines
        at = timeutil.fmt_datetime(timeutil.now())
        d = p.get("decision") or {}
        rec = {"recordId": self._local_id("REF", p["n"]), "gateId": self.config.site.gate_id,
               "entranceId": self.config.site.entrance_id, "licensePlate": p["plate"], "plateColor": p["color"],
               "time": at, "reason": d.get("reason"), "code": d.get("code"), "manual": bool(p.get("manual")),
               "who": p.get("who")}
        media = {}
        if jpeg:
            lines = stamp_lines({"licensePlate": p["plate"], "accessTime": at, "gateId": rec["gateId"],
                                 "accessType": "0" if self.config.lane.direction == "in" else "1"}, p["color"])
            media["carHeadImg"] = await asyncio.to_thread(annotate, jpeg, lines + ["禁止通行: %s" % (d.get("reason") or "")])
        await self._storing(asyncio.to_thread(self.outbox.put, rec, media, kind="refusal"))
        return rec["recordId"]

    async def record_smoke_review(self, record_id: str, verdict: str, level, plate, note: str, who: str) -> dict:
        """A guard's 复核确认 of a smoke event, kept as a local record of kind "smoke_review"
        (`of` the event): the event stays as the camera made it (it may already be sent)."""
        from edge.lane.control import ControlError
        got = await asyncio.to_thread(self.outbox.get, record_id)
        if got is None or got["kind"] != "smoke":
            raise ControlError("recordId: no smoke event %s" % record_id)
        event = got["record"]
        self._reviews_made = getattr(self, "_reviews_made", 0) + 1
        rec = {"recordId": self._local_id("RVW", self._reviews_made), "of": record_id, "verdict": verdict,
               "smokeLevel": event.get("smokeLevel") if level is None else level,
               "cameraLevel": event.get("smokeLevel"), "licensePlate": plate or event.get("licensePlate") or "",
               "plateColor": event.get("plateColor") or "", "eventTime": event.get("eventTime"),
               "note": note, "who": who, "time": timeutil.fmt_datetime(timeutil.now())}
        if not await asyncio.to_thread(self.outbox.put, rec, {}, kind="smoke_review"):
            raise ControlError("review %s already stored: send it again" % rec["recordId"])
        return rec

    async def record_clip(self, req: dict, record_id: str | None, data: bytes, start: float, end: float) -> str:
        """A clip (stream copy from the camera's ring) kept with its passage, or on its own for a
        manual lift (HJ 1321: 手动起杆时自动录制视频并单独保存)."""
        from datetime import datetime
        fmt = lambda t: timeutil.fmt_datetime(datetime.fromtimestamp(t, timeutil.BEIJING))  # noqa: E731
        rec = {"recordId": self._local_id("CLP", req.get("n")), "of": record_id, "clipOf": req["of"],
               "gateId": self.config.site.gate_id, "licensePlate": req.get("plate") or "",
               "manual": bool(req.get("manual")), "who": req.get("who"), "reason": req.get("reason"),
               "from": fmt(start), "to": fmt(end)}
        await self._storing(asyncio.to_thread(self.outbox.put, rec, {"clip": (data, "mp4")}, kind="clip"))
        return rec["recordId"]

    async def _demo_job(self, stop: asyncio.Event) -> None:
        import random

        from edge.commands.record import demo_passage
        rng = random.Random()

        async def one():
            passage = await asyncio.to_thread(demo_passage, rng, self.config.site.enterprise_id,
                                              self.outbox.seq() + 1)
            await self.record_passage(passage, None)
        await every(self.config.lane.demo_traffic_interval_s, stop, one)

    async def _status_job(self, stop: asyncio.Event) -> None:
        async def tick():
            await asyncio.to_thread(self._write_status)
        await every(2.0, stop, tick)

    # ------------------------------------------------------------------ status
    def status(self) -> dict:
        ob = self.outbox
        # per destination: each count is an index lookup; a count over all destinations scans
        # every delivery row (7 ms at 100,000 records, on the loop, per status asked)
        pending = {d: ob.count(d, "pending") + ob.count(d, "sending") for d in ob.destinations} if ob else {}
        rejected = sum(ob.count(d, "rejected") for d in ob.destinations) if ob else 0
        return {
            "gate": self.config.site.gate_id, "lane": self.config.site.lane_name,
            "board": self.board.name, "at": timeutil.fmt_datetime(timeutil.now()),
            "uptime_s": round(time.time() - self.started),
            "jobs": self.supervisor.names, "restarts": dict(self.supervisor.restarts),
            "records": ob.record_count() if ob else 0, "pending": pending,
            "uploaded": self.uploader.counts() if self.uploader else {},
            "cameras": {name: c.status() for name, c in self.cameras.items()},
            "platform": self.platform, "passages": self.passages,
            "smoke": self.smoke.status() if self.smoke else None,
            "direction": self.config.lane.direction, "alarms": self.alarms,
            "role": self.site.role if self.site else "solo",
            "cache_version": self.site.cache_version if self.site else None,
            "site": self.site.status() if self.site else None,
            "watchdog": self.watchdog.state if self.watchdog else None,
            "outbox": {"pending": sum(pending.values()), "rejected": rejected},
            **(self.gate.status() if self.gate is not None else {"state": "no gate"}),
        }

    def _write_status(self) -> None:
        """Atomic replace: readers never see half a file. tmpfs-cheap; on eMMC one small file."""
        if self.outbox is None:
            return
        path = self.state_dir / "status.json"
        try:
            write_atomic(path, json.dumps(self.status(), ensure_ascii=False, indent=1), fsync=False)
        except OSError as e:   # a full or read-only disk (no temp file is left): say so once
            if not self.storage_fault(e):
                raise
