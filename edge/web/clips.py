"""Record clips in the browser.

Clips are stored as the lane made them: the camera's passage clips as MP4 (H.264 stream copy)
and the smoke job's as MJPEG .avi, which no browser plays. So a clip is served as stored when
the browser can play it, and otherwise as WebM (VP8, which every Chromium, Firefox and phone
browser plays without licensed codecs), transcoded once with OpenCV and kept as a cache file
beside the thumbnails:

    <state_dir>/web/clips/20261122/<sha256>-w640.webm

The transcode runs in the page's own (niced) process, scaled to at most `width` pixels wide.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from edge.store.media import MediaError, MediaStore
from edge.web.thumbs import prune_day_dirs

NATIVE = {"mp4": "video/mp4", "webm": "video/webm"}


class Clips:
    def __init__(self, media: MediaStore, cache_dir, width: int = 640):
        self.media = media
        self.dir = Path(cache_dir)
        self.width = width
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def native_type(self, ref: str) -> str | None:
        return NATIVE.get(ref.rsplit(".", 1)[-1].lower())

    def source(self, ref: str) -> Path:
        p = self.media.path(ref)
        if not p.is_file():
            raise MediaError("%s: file missing" % ref)
        return p

    def webm(self, ref: str) -> Path:
        """The clip as WebM, transcoded on first use (MediaError when it cannot be read)."""
        src = self.source(ref)
        if src.suffix.lower() == ".webm":
            return src
        out = self.dir / src.parent.name / ("%s-w%d.webm" % (src.stem, self.width))
        if out.is_file():
            return out
        with self._guard:
            lock = self._locks.setdefault(str(out), threading.Lock())
        with lock:
            if not out.is_file():
                self._transcode(src, out)
        with self._guard:
            self._locks.pop(str(out), None)
        return out

    def _transcode(self, src: Path, out: Path) -> None:
        import cv2
        cap = cv2.VideoCapture(str(src))
        if not cap.isOpened():
            raise MediaError("%s: not a readable video" % src.name)
        fps = cap.get(cv2.CAP_PROP_FPS) or 5.0
        if not 0.5 <= fps <= 120:
            fps = 5.0
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(".%s.%d.tmp.webm" % (out.stem, os.getpid()))
        writer = None
        frames = 0
        try:
            while True:
                ok, frame = cap.read()
                if not ok:
                    break
                h, w = frame.shape[:2]
                if w > self.width:
                    frame = cv2.resize(frame, (self.width, max(2, round(h * self.width / w / 2) * 2)),
                                       interpolation=cv2.INTER_AREA)
                if writer is None:
                    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"VP80"), fps,
                                             (frame.shape[1], frame.shape[0]))
                    if not writer.isOpened():
                        raise MediaError("this board's OpenCV cannot write WebM (VP8)")
                writer.write(frame)
                frames += 1
        finally:
            cap.release()
            if writer is not None:
                writer.release()
        if not frames:
            tmp.unlink(missing_ok=True)
            raise MediaError("%s: no frames" % src.name)
        os.replace(tmp, out)

    def prune_before(self, day: str) -> int:
        return prune_day_dirs(self.dir, day)
