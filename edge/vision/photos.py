"""A passage's photos: the head (plate) camera's best frame and the body camera's frame, as
JPEG bytes for the Recorder (which stamps them: edge/vision/annotate.py).

A lane has one or two cameras (`[[cameras]] role`): the head camera reads plates and gives
carHeadImg; the body camera, where there is one, gives carImg — else the head frame serves
for both (Yunnan 6.13 requires both fields). "Best" head frame: the frame the plate was read
from with the highest confidence when the lane has one (the caller passes it), else the
sharpest frame of the head camera while the vehicle stood at the barrier, decoded from its
ring — the case of a vehicle whose plate could not be read, which is when the photo matters most.
"""
from __future__ import annotations

import time

import cv2
import numpy as np

JPEG_QUALITY = 90


def camera_roles(cameras) -> dict:
    """{"head": settings | None, "body": settings | None} from `[[cameras]]`: the `role` keys;
    without a head role, the first cameraType 1 camera with an rtsp_url and no role is the head."""
    with_url = [c for c in cameras if c.rtsp_url]
    head = next((c for c in with_url if c.role == "head"), None)
    body = next((c for c in with_url if c.role == "body"), None)
    if head is None:
        head = next((c for c in with_url if not c.role and c.cameraType == "1"), None)
    return {"head": head, "body": body}


def jpeg(image_bgr: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    ok, buf = cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("cannot encode a %s image as JPEG" % (image_bgr.shape,))
    return buf.tobytes()


def sharpness(image_bgr: np.ndarray) -> float:
    """Variance of the Laplacian of the frame at 320 px wide: higher is sharper (motion blur
    and defocus lower it)."""
    h, w = image_bgr.shape[:2]
    small = cv2.resize(image_bgr, (320, max(1, h * 320 // w)), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), cv2.CV_32F).var())


def best_frame(camera, start_wall_s: float, end_wall_s: float, step_s: float = 0.2):
    """The sharpest frame of `camera` whose packet arrived in [start, end] (decoded from its
    ring), or the camera's newest frame when the ring does not hold that span; None if neither."""
    # never wait long for the span's end: a dead camera must not hold the record
    frames = camera.frames_between(start_wall_s, end_wall_s, step_s, timeout_s=max(0.0, end_wall_s - time.time()) + 0.5)
    if frames:
        return max(frames, key=lambda f: sharpness(f.image))
    return camera.latest()


def take_photos(head, body=None, *, head_image=None, head_span=None) -> dict:
    """{"carHeadImg": JPEG, "carImg": JPEG} for a passage. `head`/`body` are CameraSources
    (either may be None). The head photo: `head_image` (the frame the plate was read from) when
    there is one, else the sharpest head frame whose packet arrived in `head_span` (start, end
    wall seconds: the vehicle standing at the barrier), else the head camera's newest frame. The
    body photo: the body camera's newest frame (the record is made while the vehicle is there;
    decoding the past would delay the record), else the head photo. Fields whose camera gives
    no frame are left out (the record is then kept as rejected, and says why)."""
    out = {}
    if head_image is not None:
        out["carHeadImg"] = jpeg(head_image)
    elif head is not None:
        f = best_frame(head, *head_span) if head_span else head.latest()
        if f is not None:
            out["carHeadImg"] = jpeg(f.image)
    f = body.latest() if body is not None else None
    if f is not None:
        out["carImg"] = jpeg(f.image)
    elif "carHeadImg" in out:
        out["carImg"] = out["carHeadImg"]
    return out
