"""Test helpers: render frames, run the real GStreamer RTSP feed as a subprocess."""
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = "/usr/bin/python3"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def has_gstreamer() -> bool:
    r = subprocess.run([SYSTEM_PYTHON, "-c", "import gi; gi.require_version('GstRtspServer', '1.0')"],
                       capture_output=True)
    return r.returncode == 0


def write_frames(folder: Path, n: int = 10, size=(320, 240)) -> Path:
    from PIL import Image, ImageDraw
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        im = Image.new("RGB", size, (30, 40, 50))
        ImageDraw.Draw(im).rectangle([10 + 8 * i, 60, 110 + 8 * i, 160], fill=(220, 200, 30))
        im.save(folder / ("frame_%05d.jpg" % i), quality=85)
    return folder


class RtspFeed:
    def __init__(self, frames: Path, port: int, fps: int = 10):
        self.frames, self.port, self.fps = frames, port, fps
        self.proc = None
        self.url = "rtsp://127.0.0.1:%d/lane" % port

    def start(self):
        self.proc = subprocess.Popen([SYSTEM_PYTHON, str(ROOT / "tools" / "rtsp_feed.py"), "--frames",
                                      str(self.frames), "--port", str(self.port), "--fps", str(self.fps)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("READY"):
            raise RuntimeError("rtsp feed did not start: %s %s" % (line, self.proc.stderr.read()))
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)
