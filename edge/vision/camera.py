"""CameraSource: the lane camera over RTSP, as "the latest frame", with reconnect and a watchdog.

Decoding runs in a thread (OpenCV/FFmpeg releases the GIL) and keeps only the newest frame:
inference is slower than the camera, and a gate wants the truck that is there *now*, not a
queue of old frames. RTSP readers block silently on a frozen server unless timeouts are set,
and end like a normal EOF when the server dies (see shared/notes), so the reader sets open/read
timeouts, reconnects with backoff, and reports the age of the last frame for a watchdog.
"""
from __future__ import annotations

import logging
import os
import re
import threading
import time
from dataclasses import dataclass

import numpy as np

from edge import logsetup

log = logging.getLogger(__name__)

# TCP interleaved RTSP: UDP loses packets on busy site LANs and through NAT.
os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")


def mask_url(url: str) -> str:
    """rtsp://user:pass@host/... -> rtsp://user:***@host/... (for logs and the status page); every
    URL form (`:pw@`, a raw @ in the password, ?password=) — edge.logsetup.mask_urls."""
    from edge.logsetup import mask_urls
    return mask_urls(url)


@dataclass
class Frame:
    seq: int              # increases by one per decoded frame over the source's life
    t_mono: float         # time.monotonic() when decoded
    image: np.ndarray     # BGR, HxWx3


def _open_cv(url: str, open_timeout_s: float, read_timeout_s: float):
    import cv2
    cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG, [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(open_timeout_s * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(read_timeout_s * 1000)])
    if not cap.isOpened():
        cap.release()
        return None
    return cap


class CameraSource:
    def __init__(self, url: str, *, open_timeout_s: float = 5.0, read_timeout_s: float = 3.0,
                 stale_after_s: float = 3.0, reconnect_min_s: float = 0.5, reconnect_max_s: float = 30.0,
                 opener=_open_cv):
        m = re.search(r"//[^:/@]+:([^@]*)@", url)
        if m:
            logsetup.register_secret(m.group(1))
        self.url = url
        self.open_timeout_s = open_timeout_s
        self.read_timeout_s = read_timeout_s
        self.stale_after_s = stale_after_s
        self.reconnect_min_s = reconnect_min_s
        self.reconnect_max_s = reconnect_max_s
        self._opener = opener
        self._lock = threading.Lock()
        self._new = threading.Condition(self._lock)
        self._latest: Frame | None = None
        self._seq = 0
        self._running = False
        self._thread: threading.Thread | None = None
        self.connected = False
        self.reconnects = 0
        self.last_error = ""

    # -- lifecycle
    def start(self) -> "CameraSource":
        if not self._running:
            self._running = True
            self._thread = threading.Thread(target=self._run, name="camera", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._running = False
        with self._new:
            self._new.notify_all()
        if self._thread:
            self._thread.join(timeout=self.read_timeout_s + self.open_timeout_s + 1)

    # -- reading
    def latest(self) -> Frame | None:
        with self._lock:
            return self._latest

    def wait_next(self, after_seq: int, timeout_s: float) -> Frame | None:
        """The newest frame with seq > after_seq, waiting up to timeout_s; None if none came."""
        deadline = time.monotonic() + timeout_s
        with self._new:
            while self._running and (self._latest is None or self._latest.seq <= after_seq):
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._new.wait(left)
            f = self._latest
            return f if f is not None and f.seq > after_seq else None

    def age_s(self) -> float | None:
        f = self.latest()
        return None if f is None else time.monotonic() - f.t_mono

    def status(self) -> dict:
        age = self.age_s()
        return {"url": mask_url(self.url), "connected": self.connected,
                "stale": age is None or age > self.stale_after_s,
                "last_frame_age_s": None if age is None else round(age, 2),
                "frames": self._seq, "reconnects": self.reconnects, "last_error": self.last_error}

    # -- the reader thread
    def _run(self) -> None:
        delay = self.reconnect_min_s
        first = True
        while self._running:
            if not first:
                self.reconnects += 1
            first = False
            cap = self._opener(self.url, self.open_timeout_s, self.read_timeout_s)
            if cap is None:
                self.last_error = "cannot open stream"
                log.warning("camera %s: cannot open; retry in %.1f s", mask_url(self.url), delay)
            else:
                self.connected = True
                got_any = self._read_until_failure(cap)
                cap.release()
                self.connected = False
                if got_any:
                    delay = self.reconnect_min_s
                log.warning("camera %s: stream ended (%s); reconnecting", mask_url(self.url), self.last_error)
            end = time.monotonic() + delay
            while self._running and time.monotonic() < end:
                time.sleep(0.05)
            delay = min(delay * 2, self.reconnect_max_s)

    def _read_until_failure(self, cap) -> bool:
        got = False
        while self._running:
            ok, img = cap.read()
            if not ok or img is None:
                self.last_error = "read failed or timed out"
                return got
            got = True
            with self._new:
                self._seq += 1
                self._latest = Frame(self._seq, time.monotonic(), img)
                self._new.notify_all()
        return got
