"""Cameras: reachable, frames per second, age of the last frame.

With the lane running, its own CameraSource status says it (the lane holds the stream);
without it, the doctor opens the stream itself with the same CameraSource for a moment.
"""
from __future__ import annotations

import time

from edge.doctor import fail, ok, warn

MAX_FRAME_AGE_S = 3.0
MIN_FPS = 2.0
FIX_DOWN = "check the camera's power and cable, and its rtsp_url (user, password, path) in [[cameras]]"


def grab(url: str, seconds: float = 1.5, open_timeout_s: float = 5.0) -> dict:
    """Frames of `url` for `seconds`: {frames, fps, size, error}. The lane's own reader does it."""
    from edge.vision.camera import CameraSource
    cam = CameraSource(url, open_timeout_s=open_timeout_s, read_timeout_s=3.0, reconnect_max_s=1.0).start()
    try:
        first = cam.wait_next(0, open_timeout_s + 1.0)
        if first is None:
            return {"frames": 0, "fps": 0.0, "size": None, "error": cam.last_error or "no frame"}
        t0, seq, n = time.monotonic(), first.seq, 0
        while time.monotonic() - t0 < seconds:
            f = cam.wait_next(seq, seconds)
            if f is None:
                break
            seq, n = f.seq, n + (f.seq - seq)
        dt = time.monotonic() - t0
        h, w = first.image.shape[:2]
        return {"frames": n + 1, "fps": round(n / dt, 1) if dt > 0 else 0.0, "size": "%dx%d" % (w, h), "error": None}
    finally:
        cam.stop()


def check_cameras(env):
    from edge.vision.camera import mask_url
    cams = [c for c in env.config.cameras if c.rtsp_url]
    if not cams:
        return warn("camera", "no [[cameras]] entry with an rtsp_url",
                    "add the lane camera to the config (edge provision asks for it)")
    out = []
    for c in cams:
        name = "camera-%02d" % c.cameraSeq
        url = mask_url(c.rtsp_url)
        if env.lane_running:
            st = (env.status.get("cameras") or {}).get(c.cameraName)
            if st is None:
                out.append(warn(name, "%s: the lane has not opened it (yet)" % url,
                                "wait a minute after the lane starts; if it stays, read `edge logs`"))
                continue
            age, fps = st.get("last_frame_age_s"), st.get("fps")
            found = "%s: %s, %s fps, last frame %s s ago" % (
                url, "connected" if st.get("connected") else "not connected",
                "?" if fps is None else fps, "never" if age is None else age)
            if not st.get("connected") or st.get("stale") or age is None or age > MAX_FRAME_AGE_S:
                out.append(fail(name, found + (" (%s)" % st["last_error"] if st.get("last_error") else ""), FIX_DOWN))
            elif fps is not None and fps < MIN_FPS:
                out.append(warn(name, found, "raise the camera's frame rate to at least 5 fps (its web page)"))
            else:
                out.append(ok(name, found))
            continue
        g = grab(c.rtsp_url, open_timeout_s=env.timeout_s)
        if g["error"]:
            out.append(fail(name, "%s: %s" % (url, g["error"]), FIX_DOWN))
        elif g["fps"] < MIN_FPS:
            out.append(warn(name, "%s: %s, %s fps" % (url, g["size"], g["fps"]),
                            "raise the camera's frame rate to at least 5 fps (its web page)"))
        else:
            out.append(ok(name, "%s: %s, %s fps (probed; the lane is not running)" % (url, g["size"], g["fps"])))
    return out
