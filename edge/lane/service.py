"""The lane service: what `edge run` runs on a board, as supervised jobs.

    uploader       drains the outbox to every configured platform (edge/uplink/uploader.py)
    housekeeping   retention, disk high-water, missing-upload alarm (edge/store/retention.py)
    platform       heartbeat + pulls/confirmations (Yunnan), when [lane] site_duties is on
    camera         RTSP → plate reader → PlateVote → Recorder, for each [[cameras]] with rtsp_url
    smoke          [smoke] camera: ROI → Ringelmann grader → smoke events (edge/lane/smoke.py)
    demo-traffic   simulated board only: a synthetic passage every demo_traffic_interval_s
    status         writes <state_dir>/status.json (the status page and `edge run` read it)

Until the lane state machine (loop detector, decision, barrier) lands, the camera job uses
the plate itself as the trigger: a passage is one run of frames in which a plate is seen,
ended by `gap_frames` frames without one, and recorded once PlateVote agrees. Every passage
goes through the one recording path (Recorder) that the lane will keep using. Each frame's
plate read also tells the smoke job a vehicle is in its zone. Passages and smoke events are
published on the in-process bus (edge/lane/events.py) as site/<gate>/<in|out>/passage|smoke.
"""
from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import time
from pathlib import Path

from edge import timeutil
from edge.lane.events import EventBus, topic
from edge.lane.supervisor import Supervisor, every
from edge.lane.vote import PlateVote

log = logging.getLogger(__name__)


class LaneService:
    def __init__(self, config, board):
        self.config = config
        self.board = board
        self.state_dir = Path(config.paths.state_dir)
        self.supervisor = Supervisor()
        self.started = time.time()
        self.passages: list[dict] = []        # the last few recorded passages, newest last
        self.cameras: dict[str, object] = {}  # name -> CameraSource
        self.platform: dict = {}
        self.outbox = self.uploader = self.recorder = self.smoke = self.clips = None
        self.bus = EventBus()

    # ------------------------------------------------------------------ life
    async def run(self, stop: asyncio.Event) -> None:
        from edge.lane.recorder import Recorder
        from edge.store.outbox import Outbox

        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.outbox = Outbox.from_config(self.config)
        # Recording never waits for the uploader: an unregistered or unreachable platform
        # only delays uploads (the uploader job retries opening its clients).
        self.recorder = Recorder.from_config(self.outbox, self.config, on_record=self._notify_uploader)
        from edge.lane.clips import ClipKeeper
        self.clips = ClipKeeper.from_config(self.outbox, self.config)
        sup = self.supervisor
        sup.add("uploader", self._uploader_job)
        sup.add("housekeeping", self._housekeeping_job)
        sup.add("status", self._status_job)
        lane = self.config.lane
        if lane.site_duties and "yunnan" in self.config.uplink.destinations:
            sup.add("platform", self._platform_job)
        if lane.site_duties and "hj212" in self.config.uplink.destinations:
            sup.add("hj212-status", self._hj212_status_job)
        if self.config.smoke.camera:
            from edge.lane.smoke import SmokeJob
            self.camera(next(c for c in self.config.cameras if c.cameraName == self.config.smoke.camera))
            self.smoke = SmokeJob.from_config(self.config, self.board, self.outbox, self.bus, self.cameras,
                                              on_record=self._notify_uploader)
            sup.add("smoke", self.smoke.run)
        for cam in self.config.cameras:
            if cam.rtsp_url and cam.cameraType == "1":
                sup.add("camera-%02d" % cam.cameraSeq, self._camera_job(cam))
        if self.board.simulated and lane.demo_traffic_interval_s > 0:
            sup.add("demo-traffic", self._demo_job)
        log.info("lane %s %s running jobs: %s", self.config.site.gate_id, self.config.site.lane_name,
                 ", ".join(sup.names))
        body = self.roles()["body"]
        if body is not None:  # the body camera gives carImg: opened here, read when a passage is recorded
            self.camera(body)
        try:
            await sup.run(stop)
        finally:
            await self.clips.drain()
            for cam in self.cameras.values():
                cam.stop()
            self._write_status()
            self.outbox.close()

    # ------------------------------------------------------------------ jobs
    def _notify_uploader(self) -> None:
        if self.uploader is not None:
            self.uploader.notify()

    async def _uploader_job(self, stop: asyncio.Event) -> None:
        from edge.uplink.uploader import Uploader
        self.uploader = await Uploader.open(self.outbox, self.config)  # raises until registered
        task = asyncio.create_task(self.uploader.run())
        try:
            await stop.wait()
        finally:
            await self.uploader.stop()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await self.uploader.close()

    async def _housekeeping_job(self, stop: asyncio.Event) -> None:
        from edge.store.retention import housekeeping

        async def tick():
            report = await asyncio.to_thread(housekeeping, self.outbox, self.config)
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

    def _camera_job(self, cam_cfg):
        async def job(stop: asyncio.Event) -> None:
            from edge.vision.interpreter import models_dir
            from edge.vision.plates.reader import PlateReader
            v = self.config.vision
            reader = await asyncio.to_thread(
                PlateReader, v.models_dir or str(models_dir()), v.threads or self.board.inference.threads,
                self.board.inference.delegate, variant=v.plate_variant, score_threshold=v.plate_detect_threshold,
                min_confidence=v.plate_min_confidence, zoom=v.plate_zoom)
            cam = self.camera(cam_cfg)
            await PlateTrigger(cam, reader, functools.partial(self._record_read, cam),
                               on_read=self.smoke.on_plate if self.smoke else None).run(stop)
        return job

    def camera(self, cam_cfg):
        """The one CameraSource of a [[cameras]] entry (started on first use; shared by the jobs)."""
        from edge.vision.camera import CameraSource
        cam = self.cameras.get(cam_cfg.cameraName)
        if cam is None:
            cam = self.cameras[cam_cfg.cameraName] = CameraSource.from_settings(
                cam_cfg.rtsp_url, self.config.vision, name=cam_cfg.cameraName).start()
        return cam

    def roles(self) -> dict:
        from edge.vision.photos import camera_roles
        return camera_roles(self.config.cameras)

    async def _record_read(self, cam, plate: str, color: str, confidence: float, image, t_wall=None) -> None:
        from edge.vision.photos import take_photos
        body_cfg = self.roles()["body"]
        body = self.cameras.get(body_cfg.cameraName) if body_cfg is not None else None
        photos = await asyncio.to_thread(take_photos, None, body, t_wall, head_image=image)
        rec = await self._record(self.passage(plate, color, photos), confidence)
        if t_wall is not None:
            self.clips.keep(cam, rec["recordId"], t_wall)

    def passage(self, plate: str, color: str, photos: dict) -> dict:
        """A passage from a plate read: the vehicle's ledger entry (vehicleId, VIN: the spec
        requires them) and the lane's cargo defaults fill what the camera cannot see."""
        from edge.domain.codes import plate_color_code
        from edge.store.ledger import Ledger
        lane = self.config.lane
        with Ledger.open(self.state_dir) as ledger:
            try:
                vehicle = ledger.vehicle_by_plate(plate, plate_color_code(color))
            except ValueError:
                vehicle = ledger.vehicle_by_plate(plate)
        passage = {"plate": plate, "plate_color": color, "access_type": "0" if lane.direction == "in" else "1",
                   "pass_mode": "auto", "photos": photos, "cargo_type": lane.default_cargo_type,
                   "cargo_weight": lane.default_cargo_weight, "cargo_unit": lane.default_cargo_unit}
        if vehicle:
            passage["vehicle"] = vehicle
        return passage

    async def _demo_job(self, stop: asyncio.Event) -> None:
        import random

        from edge.commands.record import demo_passage
        rng = random.Random()

        async def one():
            passage = await asyncio.to_thread(demo_passage, rng, self.config.site.enterprise_id,
                                              self.outbox.seq() + 1)
            await self._record(passage, None)
        await every(self.config.lane.demo_traffic_interval_s, stop, one)

    async def _record(self, passage: dict, confidence) -> None:
        rec = await self.recorder.record_async(passage)
        entry = {"recordId": rec["recordId"], "licensePlate": rec["licensePlate"],
                 "plateColor": rec["plateColor"], "accessTime": rec["accessTime"],
                 "passMode": rec["passMode"], "confidence": confidence}
        self.passages = (self.passages + [entry])[-20:]
        self.bus.publish(topic(self.config.site.gate_id, self.config.lane.direction, "passage"), entry)
        log.info("recorded %s %s (%s)", rec["recordId"], rec["licensePlate"] or "(unread)", rec["accessTime"])
        return rec

    async def _status_job(self, stop: asyncio.Event) -> None:
        async def tick():
            await asyncio.to_thread(self._write_status)
        await every(2.0, stop, tick)

    # ------------------------------------------------------------------ status
    def status(self) -> dict:
        ob = self.outbox
        pending = {d: ob.count(d, "pending") + ob.count(d, "sending") for d in ob.destinations} if ob else {}
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
            "clips": self.clips.status() if self.clips else None,
        }

    def _write_status(self) -> None:
        """Atomic replace: readers never see half a file. tmpfs-cheap; on eMMC one small file."""
        if self.outbox is None:
            return
        path = self.state_dir / "status.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.status(), ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)


class PlateTrigger:
    """Provisional passage trigger: consecutive frames with a plate = one vehicle passing."""

    def __init__(self, camera, reader, on_passage, *, gap_frames: int = 5, min_reads: int = 3, on_read=None):
        self.camera = camera
        self.reader = reader
        self.on_passage = on_passage
        self.on_read = on_read  # every frame's plate read (the smoke job's vehicle signal)
        self.gap_frames = gap_frames
        self.vote = PlateVote(min_reads=min_reads)
        self.best = None       # (confidence, read, image) of the best frame of this passage
        self.misses = 0

    async def run(self, stop: asyncio.Event) -> None:
        seq = 0
        while not stop.is_set():
            frame = await asyncio.to_thread(self.camera.wait_next, seq, 1.0)
            if frame is None:
                continue
            seq = frame.seq
            reads = await asyncio.to_thread(self.reader.read, frame.image)
            await self.feed(reads, frame.image, frame.t_wall)

    async def feed(self, reads: list[dict], image, t_wall: float | None = None) -> None:
        if reads:
            r = reads[0]
            self.misses = 0
            if self.on_read:
                self.on_read(r["plate"], r["color"])
            self.vote.add(r["plate"], r["color"], r["confidence"])
            if self.best is None or r["confidence"] > self.best[0]:
                self.best = (r["confidence"], r, image, t_wall)
            return
        if not self.vote.reads:
            return
        self.misses += 1
        if self.misses < self.gap_frames:
            return
        result = self.vote.result()
        best = self.best
        self.vote.reset()
        self.best, self.misses = None, 0
        if result is None:
            # the frames disagree: the vehicle still passed, so record the best single read
            # with its (low) confidence rather than lose the passage
            conf, r = best[0], best[1]
            log.warning("frames disagree on the plate; recording the best read %s (%.2f)", r["plate"], conf)
            result = (r["plate"], r["color"], round(conf * 0.5, 4))
        plate, color, conf = result
        await self.on_passage(plate, color, conf, best[2], best[3])
