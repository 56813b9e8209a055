"""ClipKeeper: a passage's clip, cut from the camera's ring and kept with its record.

The record must be durable at the passage; its clip cannot exist until clip_after_s later.
So the lane records first, then asks the keeper, which waits for the camera in a thread,
cuts the MP4 by stream copy (CameraSource.cut) and attaches it to the stored record
(Outbox.attach_media: field `passageClip`, kept clip_retention_months like every clip). A
manual lift gets its clip the same way, on its own record (HJ 1321: 手动起杆时自动录制视频并单独保存).

A clip the ring can only partly cover (the camera reconnected, the board just started) is
kept as far as it goes, with a warning naming the span; no clip at all is a warning too —
neither ever touches the record or its upload.
"""
from __future__ import annotations

import asyncio
import logging

from edge.store.outbox import OutboxError
from edge.vision.clip import ClipError

log = logging.getLogger(__name__)

CLIP_FIELD = "passageClip"


class ClipKeeper:
    def __init__(self, outbox, before_s: float = 5.0, after_s: float = 5.0, wait_s: float = 15.0):
        self.outbox = outbox
        self.before_s = before_s
        self.after_s = after_s
        self.wait_s = wait_s              # beyond the clip's end, for a slow or stalled camera
        self._tasks: set[asyncio.Task] = set()
        self.kept = self.partial = self.failed = 0
        self.last_error = ""

    @classmethod
    def from_config(cls, outbox, config) -> "ClipKeeper":
        v = config.vision
        return cls(outbox, v.clip_before_s, v.clip_after_s)

    def keep(self, camera, record_id: str, at_wall_s: float, field: str = CLIP_FIELD) -> asyncio.Task:
        """Start keeping the clip of [at - before_s, at + after_s] for the stored record."""
        task = asyncio.create_task(self._keep(camera, record_id, at_wall_s, field))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _keep(self, camera, record_id, at, field) -> str | None:
        import time
        start, end = at - self.before_s, at + self.after_s
        try:
            clip = await asyncio.to_thread(camera.cut, start, end, max(0.0, end - time.time()) + self.wait_s,
                                           partial=True)
            refs = await asyncio.to_thread(self.outbox.attach_media, record_id, {field: (clip.data, "mp4")})
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
        return refs[field]

    async def drain(self) -> None:
        """Wait for the clips being kept (at shutdown: a clip in progress is finished)."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def status(self) -> dict:
        return {"pending": len(self._tasks), "kept": self.kept, "partial": self.partial,
                "failed": self.failed, "last_error": self.last_error}
