"""ClipKeeper: a passage's clip, cut from the camera's ring and kept beside its record.

The access record must be durable at the passage; its clip cannot exist until clip_after_s
later. So the lane records first, then asks the keeper, which waits for the camera in a
thread, cuts the MP4 by stream copy (CameraSource.cut) and stores it as a local outbox record
of kind "clip" (never sent: no platform takes video; media field `clip`, .mp4, fsynced like
every media file and pruned after clip_retention_months). The clip record names the access
record it belongs to (`passageId`), the camera and the span it covers. A manual lift gets its
own clip the same way (HJ 1321: 手动起杆时自动录制视频并单独保存).

A clip the ring can only partly cover (the camera reconnected, the board just started) is
kept as far as it goes, with a warning naming the span; no clip at all is a warning too —
neither ever touches the record or its upload.
"""
from __future__ import annotations

import asyncio
import logging

from datetime import datetime

from edge import timeutil
from edge.store.outbox import OutboxError
from edge.vision.clip import ClipError

log = logging.getLogger(__name__)

KIND = "clip"
CLIP_FIELD = "clip"


def clip_record_id(stamp17: str, gate_id: str, seq: int) -> str:
    """"CLP" + 17-digit Beijing stamp + gate id + 5-digit sequence (like smoke's "SMK" ids:
    sorts by time, never mistaken for an access recordId)."""
    return "CLP%s%s%05d" % (stamp17, gate_id, seq % 100000)


def _bj(t: float) -> datetime:
    return datetime.fromtimestamp(t, timeutil.BEIJING)


def _ms(t: float) -> str:
    at = _bj(t)
    return "%s.%03d" % (timeutil.fmt_datetime(at), at.microsecond // 1000)


class ClipKeeper:
    def __init__(self, outbox, before_s: float = 5.0, after_s: float = 5.0, wait_s: float = 15.0,
                 gate_id: str = ""):
        self.outbox = outbox
        self.gate_id = gate_id
        self.before_s = before_s
        self.after_s = after_s
        self.wait_s = wait_s              # beyond the clip's end, for a slow or stalled camera
        self._tasks: set[asyncio.Task] = set()
        self.kept = self.partial = self.failed = 0
        self.last_error = ""

    @classmethod
    def from_config(cls, outbox, config) -> "ClipKeeper":
        v = config.vision
        return cls(outbox, v.clip_before_s, v.clip_after_s, gate_id=config.site.gate_id)

    def keep(self, camera, record_id: str, at_wall_s: float, reason: str = "passage") -> asyncio.Task:
        """Start keeping the clip of [at - before_s, at + after_s] (time.time() seconds) for the
        stored record `record_id`; the task's result is the clip record's id (None: no clip)."""
        task = asyncio.create_task(self._keep(camera, record_id, at_wall_s, reason))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _keep(self, camera, record_id, at, reason) -> str | None:
        import time
        start, end = at - self.before_s, at + self.after_s
        try:
            clip = await asyncio.to_thread(camera.cut, start, end, max(0.0, end - time.time()) + self.wait_s,
                                           partial=True)
            rec = await asyncio.to_thread(self._store, camera, record_id, at, reason, clip)
        except (ClipError, OutboxError, OSError) as e:
            self.failed += 1
            self.last_error = "record %s: %s" % (record_id, e)
            log.warning("clip of record %s not kept: %s", record_id, e)
            return None
        self.kept += 1
        if not clip.complete:
            self.partial += 1
            log.warning("clip of record %s covers %.1f s of the %.1f s asked for (camera %s: %s)", record_id,
                        clip.duration_s, end - start, getattr(camera, "name", "?"), camera.last_error or "ring short")
        return rec["recordId"]

    def _store(self, camera, record_id, at, reason, clip) -> dict:
        stamp = _bj(at).strftime("%Y%m%d%H%M%S") + "%03d" % (_bj(at).microsecond // 1000)

        def build(seq):
            return {"recordId": clip_record_id(stamp, self.gate_id, seq), "passageId": record_id,
                    "reason": reason, "gateId": self.gate_id, "cameraName": getattr(camera, "name", ""),
                    "eventTime": timeutil.fmt_datetime(_bj(at)), "startTime": _ms(clip.start_wall),
                    "endTime": _ms(clip.end_wall), "frames": clip.frames, "codec": clip.codec,
                    "complete": clip.complete}
        body, _ = self.outbox.put_new(build, {CLIP_FIELD: (clip.data, "mp4")}, kind=KIND)
        return body

    async def drain(self) -> None:
        """Wait for the clips being kept (at shutdown: a clip in progress is finished)."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def status(self) -> dict:
        return {"pending": len(self._tasks), "kept": self.kept, "partial": self.partial,
                "failed": self.failed, "last_error": self.last_error}
