"""The smoke camera job: frames behind the exhaust -> Ringelmann grades -> smoke events, stored.

    camera (CameraSource, latest frame)  ->  ROI crop  ->  SmokeGrader.grade(crop, empty-lane crop)
        ->  SmokeEventDetector (vehicle presence + grades)  ->  event
        ->  annotated photo + clip (ring MP4)  ->  outbox (kind "smoke")  ->  bus "site/<gate>/<lane>/smoke"

Frames are graded at [smoke] fps (newer frames win; the camera is faster than we need).

Empty-lane reference: the grader reads the plume's opacity against the same ROI with nothing in
it (mode "reference"). The job keeps the last crop taken while the lane is quiet — no vehicle in
the zone, the detector idle, the crop-only CNN seeing no smoke, and the crop hardly changed since
the previous graded frame (a static scene, not a vehicle entering) — and renews it at most every
reference_refresh_s. A reference older than reference_max_age_s (a lane that never goes quiet,
light that changed) is not used: those frames are graded crop-only (mode "crop"). Each event
says which mode it was read in (record `smokeMode`, bus entry `mode`).

Vehicle presence (`VehiclePresence`): until the lane state machine lands, the plate reads are
the signal — the service forwards every frame's plate read to `on_plate()`, and the vehicle is
"in the zone" until vehicle_hold_s after the last one. A loop detector replaces that with one
call per change: `set_vehicle(True/False)` (once called, the loop alone decides).

The record kept (outbox kind "smoke"): the detector's event record (licensePlate, plateColor,
plateMatch, smokeLevel, smokeConfidence, first/last frame and time, frameIndices, frameLevels)
plus recordId, enterpriseId, gateId, cameraName and eventTime (Beijing, the first smoky
frame's time); its media: `smokeImg` (the blackest frame of the run, ROI outlined, stamped
with plate, level, time, gate) and `smokeClip`: the smoke camera's own stream from the frames
before the run to a second after it, cut from its ring (MP4, stream copy, edge/vision/clip.py);
only a camera without a ring gives the MJPEG .avi of the graded frames (clip_width wide). No spec defines smoke records: nothing
Yunnan-specific is validated on them, and they go only to [smoke] destinations.
"""
from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import time
from collections import Counter
from datetime import datetime

import cv2
import numpy as np

from edge import timeutil
from edge.errors import EdgeError
from edge.lane.events import topic
from edge.vision.smoke.events import SmokeEventDetector

log = logging.getLogger(__name__)

KIND = "smoke"
PHOTO_FIELD, CLIP_FIELD = "smokeImg", "smokeClip"
EVENTS_KEPT = 20           # in status.json
REF_STILL = 6.0            # mean |Δ| (0-255) between graded crops below which the scene is static


def smoke_record_id(stamp17: str, gate_id: str, seq: int) -> str:
    """"SMK" + 17-digit Beijing stamp (yyyyMMddHHmmsszzz) + gate id + 5-digit sequence: sorts
    by time like access recordIds and can never be mistaken for one (those start with digits)."""
    if len(stamp17) != 17 or not stamp17.isdigit():
        raise ValueError("stamp must be 17 digits, got %r" % (stamp17,))
    return "SMK%s%s%05d" % (stamp17, gate_id, seq % 100000)


def _wall(t_mono: float) -> datetime:
    """Beijing wall time of a monotonic timestamp taken a moment ago."""
    return datetime.fromtimestamp(time.time() - (time.monotonic() - t_mono), timeutil.BEIJING)


def _epoch(ts: str) -> float:
    """time.time() seconds of a Beijing 'YYYY-MM-DD HH:MM:SS.mmm' stamp (the detector's frame times)."""
    return datetime.strptime(ts, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timeutil.BEIJING).timestamp()


def _ts(at: datetime) -> str:
    return "%s.%03d" % (timeutil.fmt_datetime(at), at.microsecond // 1000)


class VehiclePresence:
    """Is a vehicle in the smoke camera's zone? Plate reads held `hold_s`, or a loop's state."""

    def __init__(self, hold_s: float, clock=time.monotonic):
        self.hold_s = hold_s
        self.clock = clock
        self.last_plate: float | None = None
        self.loop: bool | None = None   # set by a loop detector; then it alone decides

    def plate_seen(self) -> None:
        self.last_plate = self.clock()

    def set_loop(self, present: bool) -> None:
        self.loop = bool(present)

    def present(self, now: float | None = None) -> bool:
        if self.loop is not None:
            return self.loop
        now = self.clock() if now is None else now
        return self.last_plate is not None and now - self.last_plate <= self.hold_s


def encode_clip(frames_bgr: list, fps: float) -> bytes:
    """MJPEG in AVI of equally sized BGR frames (OpenCV's always-available writer)."""
    h, w = frames_bgr[0].shape[:2]
    with tempfile.TemporaryDirectory(prefix="edge-clip-") as d:
        path = os.path.join(d, "clip.avi")
        out = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), max(1.0, float(fps)), (w, h))
        if not out.isOpened():
            raise OSError("OpenCV cannot write an MJPEG clip")
        try:
            for f in frames_bgr:
                out.write(f if f.shape[:2] == (h, w) else cv2.resize(f, (w, h)))
        finally:
            out.release()
        with open(path, "rb") as fh:
            return fh.read()


class SmokeJob:
    def __init__(self, settings, *, camera_name: str, rtsp_url: str, outbox, bus=None,
                 enterprise_id: str = "", gate_id: str = "", lane: str = "in", cameras: dict | None = None,
                 make_grader=None, on_record=None):
        self.s = settings
        self.camera_name = camera_name
        self.rtsp_url = rtsp_url
        self.outbox = outbox
        self.bus = bus
        self.enterprise_id = enterprise_id
        self.gate_id = gate_id
        self.topic = topic(gate_id, lane, KIND) if gate_id else None
        self.cameras = cameras if cameras is not None else {}   # shared with the plate jobs
        self.make_grader = make_grader
        self.on_record = on_record
        self.roi = tuple(settings.roi) if settings.roi else None
        self.detector = SmokeEventDetector(
            threshold_level=settings.threshold_level, min_frames=settings.min_frames,
            min_confidence=settings.min_confidence, watch_frames=settings.watch_frames,
            pre_frames=settings.clip_frames, settle_frames=settings.settle_frames)
        self.presence = VehiclePresence(settings.vehicle_hold_s)
        self.grader = None
        self.reference = None          # empty-lane ROI crop (RGB)
        self.reference_at: float | None = None
        self._prev_crop = None
        self._plates: Counter = Counter()
        self.index = 0
        self.frame_w: int | None = None   # the camera's frame width (the ROI is in its pixels)
        self.last_grade: dict | None = None
        self.last_error = ""
        self.events: list[dict] = []

    @classmethod
    def from_config(cls, config, board, outbox, bus=None, cameras=None, **kw) -> "SmokeJob":
        s = config.smoke
        cam = next(c for c in config.cameras if c.cameraName == s.camera)  # config.validate checked it
        threads = config.vision.threads or board.inference.threads
        delegate = board.inference.delegate
        models = config.vision.models_dir or None

        def make_grader():
            from edge.vision.smoke.grader import SmokeGrader
            return SmokeGrader(models, threads, delegate, none_weight=s.grader_none_weight)
        return cls(s, camera_name=cam.cameraName, rtsp_url=cam.rtsp_url, outbox=outbox, bus=bus,
                   enterprise_id=config.site.enterprise_id, gate_id=config.site.gate_id,
                   lane=config.lane.direction, cameras=cameras, make_grader=make_grader, **kw)

    # ------------------------------------------------------------ vehicle signal
    def on_plate(self, plate: str, color: str = "", match: str = "front") -> None:
        """A frame of the plate camera showed this plate: the vehicle is in (or entering) the
        zone. The plate kept for the event is the one most often read for this vehicle."""
        now = time.monotonic()
        if not self.presence.present(now):
            self._plates.clear()   # a new vehicle
        self.presence.plate_seen()
        if not plate:
            return
        self._plates[(plate, color)] += 1
        best, bcolor = self._plates.most_common(1)[0][0]
        self.detector.set_plate(best, _color_code(bcolor), match)

    def set_vehicle(self, present: bool) -> None:
        """The loop detector's state (replaces the plate-read signal from the first call)."""
        self.presence.set_loop(present)

    # ------------------------------------------------------------ the job
    async def run(self, stop: asyncio.Event) -> None:
        if self.grader is None:
            self.grader = await asyncio.to_thread(self.make_grader)
        cam = self.cameras.get(self.camera_name)
        if cam is None:  # not (yet) opened by a plate job: this job opens it, the service stops it
            from edge.vision.camera import CameraSource
            cam = self.cameras[self.camera_name] = CameraSource(self.rtsp_url).start()
        period = 1.0 / self.s.fps
        seq, last_t = 0, None
        while not stop.is_set():
            frame = await asyncio.to_thread(cam.wait_next, seq, 1.0)
            if frame is None:
                continue
            seq = frame.seq
            if last_t is not None and frame.t_mono - last_t < 0.75 * period:
                continue  # grade at [smoke] fps, not at the camera's rate
            last_t = frame.t_mono
            await self.step(frame.image, frame.t_mono)

    async def step(self, image_bgr, t_mono: float):
        """Grade one frame and advance the detector; store and announce an event. Returns the
        stored record or None."""
        try:
            crop, grade, small, crop_level = await asyncio.to_thread(self._grade, image_bgr, t_mono)
        except EdgeError as e:
            self.last_error = str(e)
            raise
        self.last_error = ""
        at = _wall(t_mono)
        present = self.presence.present(t_mono)
        self.last_grade = dict(grade, at=_ts(at), vehicle=present)
        self._maybe_reference(crop, crop_level, present, t_mono)
        self.index += 1
        event = self.detector.feed({"index": self.index, "ts": _ts(at), "level": grade["level"],
                                    "opacity": grade["opacity"], "mode": grade["mode"],
                                    "confidence": grade["confidence"], "vehicle": present, "image": small})
        if event is None:
            return None
        return await self._on_event(event)

    def fresh_reference(self, t_mono: float):
        """The empty-lane reference if it is recent enough to read against, else None (crop mode)."""
        if self.reference is None or t_mono - self.reference_at > self.s.reference_max_age_s:
            return None
        return self.reference

    def _grade(self, image_bgr, t_mono):
        from edge.vision.smoke.classifier import crop_roi, to_rgb
        try:
            crop = crop_roi(image_bgr, self.roi)
        except EdgeError as e:
            raise EdgeError("[smoke] roi of camera %r: %s" % (self.camera_name, e)) from None
        rgb = to_rgb(crop)
        grade = self.grader.grade(rgb, self.fresh_reference(t_mono))
        crop_level = None  # the crop-only opinion, needed only when a new reference is due
        if self._reference_due(t_mono):
            crop_level = grade["level"] if grade["mode"] == "crop" else self.grader.grade(rgb)["level"]
        h, w = image_bgr.shape[:2]
        self.frame_w = w
        cw = min(self.s.clip_width, w) // 2 * 2
        small = cv2.resize(image_bgr, (cw, max(2, round(h * cw / w) // 2 * 2)), interpolation=cv2.INTER_AREA) \
            if cw != w else image_bgr.copy()
        return rgb, grade, small, crop_level

    def _reference_due(self, t):
        return self.reference is None or t - self.reference_at >= self.s.reference_refresh_s

    def _maybe_reference(self, crop, crop_level, present, t):
        prev, self._prev_crop = self._prev_crop, crop
        if present or self.detector.state != SmokeEventDetector.IDLE:
            return
        if crop_level is None or crop_level >= self.s.threshold_level:
            return  # not due, or smoke (or something the CNN takes for it) is in the ROI
        if prev is None or prev.shape != crop.shape:
            return
        if float(np.mean(cv2.absdiff(prev, crop))) > REF_STILL:
            return  # the scene is moving (a vehicle coming in): not an empty lane
        self.reference, self.reference_at = crop, t

    async def _on_event(self, event):
        rec = await asyncio.to_thread(self._store, event)
        entry = {"recordId": rec["recordId"], "licensePlate": rec["licensePlate"],
                 "plateColor": rec["plateColor"], "plateMatch": rec["plateMatch"],
                 "smokeLevel": rec["smokeLevel"], "smokeOpacity": rec.get("smokeOpacity"),
                 "smokeConfidence": rec["smokeConfidence"],
                 "eventTime": rec["eventTime"], "cameraName": self.camera_name,
                 "mode": rec.get("smokeMode")}  # "reference" or "crop": what the level was read against
        self.events = (self.events + [entry])[-EVENTS_KEPT:]
        log.warning("smoke: Ringelmann %d behind %s (%s, %s mode), record %s", rec["smokeLevel"],
                    rec["licensePlate"] or "(plate unread)", rec["eventTime"], rec.get("smokeMode"), rec["recordId"])
        if self.bus is not None and self.topic:
            self.bus.publish(self.topic, entry)
        if self.on_record is not None and self.outbox.destinations_of(KIND):
            self.on_record()
        return rec

    # ------------------------------------------------------------ the record
    def _store(self, event) -> dict:
        """Photo + clip + record into the outbox (durable when this returns)."""
        record = dict(event["record"])
        clip = event["media"]["clip"]
        n_run = len(record["frameLevels"])
        run_imgs = clip[-n_run:] if len(clip) >= n_run else clip
        best = int(np.argmax(record["frameLevels"])) if run_imgs else 0
        first = record.get("firstTime") or _ts(timeutil.now())
        event_time = first[:19]
        stamp = "".join(c for c in first if c.isdigit())[:17]  # 'YYYY-MM-DD HH:mm:ss.SSS' -> 17 digits
        media = {}
        if run_imgs:
            media[PHOTO_FIELD] = self._photo(run_imgs[min(best, len(run_imgs) - 1)], record, event_time)
            media[CLIP_FIELD] = self._clip(clip, record)

        def build(seq):
            body = {"recordId": smoke_record_id(stamp, self.gate_id, seq), "enterpriseId": self.enterprise_id,
                    "gateId": self.gate_id, "cameraName": self.camera_name, "eventTime": event_time}
            body.update(record)
            return body
        body, _ = self.outbox.put_new(build, media, kind=KIND)
        return body

    def _clip(self, frames, record) -> tuple[bytes, str]:
        """The event's clip: the camera's own stream from the ring (MP4, stream copy, from the
        frames before the run to a second after it) when the camera keeps one; else the graded
        frames as MJPEG."""
        from edge.vision.clip import ClipError
        cam = self.cameras.get(self.camera_name)
        if hasattr(cam, "cut") and record.get("firstTime") and record.get("lastTime"):
            start = _epoch(record["firstTime"]) - self.s.clip_frames / self.s.fps - 1.0
            end = _epoch(record["lastTime"]) + 1.0
            try:
                return cam.cut(start, end, max(0.0, end - time.time()) + 5.0, partial=True).data, "mp4"
            except ClipError as e:
                log.warning("smoke clip: %s; keeping the graded frames instead", e)
        return encode_clip(frames, self.s.fps), "avi"

    def _photo(self, image_bgr, record, event_time) -> bytes:
        from PIL import Image

        from edge.vision.annotate import annotate
        img = image_bgr.copy()
        if self.roi is not None:
            # the frame was scaled to clip_width: scale the ROI the same way
            x, y, w, h = self.roi
            f = img.shape[1] / float(self.frame_w or img.shape[1])
            cv2.rectangle(img, (int(x * f), int(y * f)), (int((x + w) * f), int((y + h) * f)), (0, 0, 255), 2)
        lines = ["%s  林格曼 %d 级" % (record.get("licensePlate") or "未识别", record["smokeLevel"]),
                 "%s  道闸 %s  %s" % (event_time, self.gate_id, self.camera_name)]
        return annotate(Image.fromarray(img[..., ::-1]), lines)

    # ------------------------------------------------------------ status
    def status(self) -> dict:
        cam = self.cameras.get(self.camera_name)
        ref_age = None if self.reference_at is None else round(time.monotonic() - self.reference_at, 1)
        return {"camera": self.camera_name, "camera_status": cam.status() if cam is not None else None,
                "roi": list(self.roi) if self.roi else None, "state": self.detector.state,
                "vehicle": self.presence.present(), "graded": self.index, "last_grade": self.last_grade,
                "reference_age_s": ref_age, "error": self.last_error, "events": list(self.events)}


def _color_code(color: str) -> str:
    """The Yunnan plate colour code (appendix 7.6) of a reader's colour word, as access records
    carry it; the word itself if it has no code."""
    from edge.domain.codes import plate_color_code
    try:
        return plate_color_code(color) if color else ""
    except ValueError:
        return color
