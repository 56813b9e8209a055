"""edge camera snapshot FILE [--camera NAME]: the camera's latest frame as a JPEG.

From the running lane (the frame it is reading now); when the lane does not run, straight
from the camera's rtsp_url (say so on stderr). FILE `-` writes the JPEG to stdout.
"""
from __future__ import annotations

import base64
import sys

from edge.errors import EdgeError


def add_arguments(p):
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    s = sub.add_parser("snapshot", help="save the latest frame as JPEG")
    s.add_argument("file", metavar="FILE", help="where to write the JPEG (- for stdout)")
    s.add_argument("--camera", metavar="NAME", help="cameraName from [[cameras]] (default: the plate camera)")


def _direct(config, name):
    import cv2

    from edge.vision.camera import CameraSource, mask_url
    cams = [c for c in config.cameras if c.rtsp_url and (name is None or c.cameraName == name)]
    if not cams:
        raise EdgeError("no [[cameras]] entry %swith an rtsp_url" % ("named %r " % name if name else ""))
    cam = CameraSource(cams[0].rtsp_url).start()
    try:
        frame = cam.wait_next(0, 10.0)
        if frame is None:
            raise EdgeError("camera %s: no frame within 10 s (%s)" % (mask_url(cams[0].rtsp_url),
                                                                     cam.last_error or "no answer"))
    finally:
        cam.stop()
    ok, jpeg = cv2.imencode(".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    print("edge camera: the lane is not running; frame taken from %s" % mask_url(cams[0].rtsp_url), file=sys.stderr)
    return jpeg.tobytes()


def run(args, ctx):
    from edge.lane.control_client import call
    config = ctx.config
    try:
        answer = call(config.state_dir, "snapshot", {"camera": args.camera} if args.camera else {}, timeout=20)
        jpeg = base64.b64decode(answer["jpeg_b64"])
    except EdgeError as e:
        if "not running" not in str(e):
            raise
        jpeg = _direct(config, args.camera)
    if args.file == "-":
        sys.stdout.buffer.write(jpeg)
        sys.stdout.buffer.flush()
        return 0
    with open(args.file, "wb") as f:
        f.write(jpeg)
    print("%s: %d bytes JPEG" % (args.file, len(jpeg)), file=sys.stderr)
    return 0
