#!/usr/bin/python3
"""RTSP test feed: serve a folder of JPEG frames as a looping H.264 RTSP stream on 127.0.0.1.

    /usr/bin/python3 tools/rtsp_feed.py --frames DIR --port 8554 [--path /lane] [--fps 10]

Runs under Debian's python3 (GStreamer's Python bindings, python3-gi, are not importable from
a venv), so tests and `tools/dev sim` start it as a subprocess. The frames are named
frame_00000.jpg, frame_00001.jpg, ... and loop forever (multifilesrc loop=true), which a
camera at a gate effectively does: the stream never ends by itself.
Prints "READY rtsp://127.0.0.1:PORT/PATH" on stdout once it is serving.
"""
import argparse
import signal
import sys
from pathlib import Path

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", required=True, help="folder with frame_%%05d.jpg")
    ap.add_argument("--port", type=int, default=8554)
    ap.add_argument("--path", default="/lane")
    ap.add_argument("--fps", type=int, default=10)
    a = ap.parse_args()
    frames = Path(a.frames).resolve()
    if not (frames / "frame_00000.jpg").is_file():
        print("rtsp_feed: %s has no frame_00000.jpg" % frames, file=sys.stderr)
        return 2
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(a.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        "( multifilesrc location=%s/frame_%%05d.jpg loop=true caps=image/jpeg,framerate=%d/1 "
        "! jpegdec ! videoconvert ! video/x-raw,format=I420 "
        "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=%d bitrate=2000 "
        "! rtph264pay name=pay0 pt=96 config-interval=1 )" % (frames, a.fps, a.fps))
    factory.set_shared(True)  # several readers (lane + status page) share one encoder
    server.get_mount_points().add_factory(a.path, factory)
    if server.attach(None) == 0:
        print("rtsp_feed: cannot bind 127.0.0.1:%d" % a.port, file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print("READY rtsp://127.0.0.1:%d%s" % (a.port, a.path), flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
