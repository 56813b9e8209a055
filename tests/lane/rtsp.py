"""Test helpers: render frames, run the real GStreamer RTSP feed as a subprocess."""
import socket
import subprocess
from pathlib import Path

from tools import procs

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


BITS, CELL = 8, 32   # the frame counter: 8 cells of 32x32 px, white = 1, along the top


def write_counter_frames(folder: Path, n: int = 100, size=(640, 360)) -> Path:
    """frame_%05d.jpg that carry their own index in big binary cells (read_counter reads it
    back after H.264), over a moving bar so consecutive frames differ."""
    import numpy as np
    from PIL import Image
    folder.mkdir(parents=True, exist_ok=True)
    w, h = size
    for i in range(n):
        a = np.full((h, w, 3), (60, 70, 80), np.uint8)
        x = (i * 13) % (w - 60)
        a[120:300, x:x + 60] = (40, 180, 220)
        for b in range(BITS):
            if i >> b & 1:
                a[8:8 + CELL, 8 + b * (CELL + 8):8 + b * (CELL + 8) + CELL] = 255
        Image.fromarray(a).save(folder / ("frame_%05d.jpg" % i), quality=90)
    return folder


def read_counter(image_bgr) -> int:
    cells = [image_bgr[8 + CELL // 4:8 + 3 * CELL // 4, 8 + b * (CELL + 8) + CELL // 4:8 + b * (CELL + 8) + 3 * CELL // 4]
             for b in range(BITS)]
    return sum(1 << b for b, c in enumerate(cells) if c.mean() > 160)


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
        procs.stop(self.proc, grace_s=5)
