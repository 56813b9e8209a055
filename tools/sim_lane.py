"""The lane on the simulated board, end to end — what `bash tools/dev sim` runs.

    .venv/bin/python tools/sim_lane.py [--seconds N] [--state DIR] [--fresh]

1. renders a camera clip of trucks with plates of several kinds (tools/lpr/render.py) and
   serves it over RTSP with the real GStreamer server (tools/rtsp_feed.py, 127.0.0.1:8554);
2. starts the Yunnan platform simulator (tools/yunnan_sim.py, 127.0.0.1:8710);
3. writes a lane config (sim board) and provisions like an installer would:
   `edge keys generate`, `edge register`, `edge push enterprise`, `edge push cameras`;
4. runs `edge run`: camera → plate reader → vote → recorder → outbox → uploader → platform,
   with heartbeat and pulls; prints what the platform received when it stops (Ctrl-C or N s).
Everything binds 127.0.0.1; state lives in ./var/sim (delete it, or --fresh, to start over).
"""
from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
EDGE = str(VENV_BIN / "edge")
FPS = 10


def render_clip(folder: Path, seed: int = 7) -> list[tuple[str, str]]:
    """JPEG frames frame_00000.jpg...: each vehicle visible 2 s, then 1.5 s of empty road."""
    import cv2
    import numpy as np
    from tools.lpr.render import random_text, render_plate, scene
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("frame_*.jpg"):
        old.unlink()
    rng = np.random.default_rng(seed)
    vehicles, n = [], 0
    for kind in ("yellow", "blue", "green", "yellow", "yellow_green"):
        text = random_text(kind, rng)
        plate, color = render_plate(text, kind, rng)
        frame, _ = scene(plate, rng, size=(1280, 720))
        empty = cv2.GaussianBlur(frame, (0, 0), 25)  # the same place without a readable plate
        for img in [frame] * (2 * FPS) + [empty] * int(1.5 * FPS):
            cv2.imwrite(str(folder / ("frame_%05d.jpg" % n)), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
            n += 1
        vehicles.append((text, color))
    return vehicles


SIM_WEB_PASSWORD = "edge-sim-demo"   # the simulated lane's status page login (user guard)


def write_config(state: Path, rtsp_url: str, platform_url: str, web_port: int = 8080) -> Path:
    from edge.config import example
    text = example()
    text = text.replace('state_dir = "/var/lib/edge"', 'state_dir = "%s"' % (state / "lane"))
    text = text.replace('base_url = "http://127.0.0.1:8710/access/api/dataReceive"', 'base_url = "%s"' % platform_url)
    text = text.replace('rtsp_url = "rtsp://127.0.0.1:8554/lane"', 'rtsp_url = "%s"' % rtsp_url)
    text = text.replace('lane_name = ""', 'lane_name = "1号门 进厂 (simulated)"')
    text = text.replace("heartbeat_interval_s = 900.0", "heartbeat_interval_s = 60.0")
    text = text.replace("sync_interval_s = 300.0", "sync_interval_s = 60.0")
    text = text.replace('default_cargo_weight = "0"', 'default_cargo_weight = "32.5"')
    text = text.replace('listen = "127.0.0.1:8080"', 'listen = "127.0.0.1:%d"' % web_port)
    path = state / "edge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def write_ledger(state: Path, vehicles) -> Path:
    """The site's vehicle ledger (6.11) for the trucks in the clip, as an installer imports it."""
    from edge.commands.record import demo_vehicle
    from edge.config import parse
    ent = parse((state / "edge.toml").read_text(encoding="utf-8")).site.enterprise_id
    from PIL import Image, ImageDraw

    from edge.vision.annotate import font
    photos = state / "ledger-photos"
    photos.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, (plate, color) in enumerate(vehicles):
        row = demo_vehicle(ent, i + 1, plate, color, "LSIM%013d" % (i + 1))
        for field, title in (("carImg1", "随车清单"), ("carImg2", "机动车行驶证")):
            img = Image.new("RGB", (480, 320), (245, 245, 235))
            ImageDraw.Draw(img).text((20, 20), "%s\n%s\n%s" % (title, plate, row["vin"]), font=font(28), fill=(0, 0, 0))
            path = photos / ("%s-%s.jpg" % (row["vehicleId"], field))
            img.save(path, quality=80)
            row[field] = str(path)
        rows.append(row)
    path = state / "vehicles.json"
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def edge(config: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([EDGE, "--config", str(config), *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise SystemExit("sim: `edge %s` failed: %s" % (" ".join(args), r.stderr.strip()))
    return r


def start(cmd: list[str], ready: str, what: str) -> subprocess.Popen:
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if ready not in line:
        p.kill()
        raise SystemExit("sim: %s did not start: %s %s" % (what, line, p.stderr.read()[-2000:]))
    return p


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=0, help="stop after N seconds (default: until Ctrl-C)")
    ap.add_argument("--state", default=str(ROOT / "var" / "sim"), help="state folder (default ./var/sim)")
    ap.add_argument("--rtsp-port", type=int, default=8554)
    ap.add_argument("--platform-port", type=int, default=8710)
    ap.add_argument("--web-port", type=int, default=8080, help="status page port (0: any free port)")
    ap.add_argument("--fresh", action="store_true", help="start from an empty state folder")
    a = ap.parse_args(argv)
    state = Path(a.state).resolve()
    if a.fresh and state.exists():
        import shutil
        shutil.rmtree(state)
    state.mkdir(parents=True, exist_ok=True)

    print("sim: rendering the camera clip", flush=True)
    vehicles = render_clip(state / "frames")
    print("sim: vehicles in the clip: %s" % ", ".join("%s (%s)" % v for v in vehicles), flush=True)
    procs = []
    try:
        feed = start(["/usr/bin/python3", str(ROOT / "tools" / "rtsp_feed.py"), "--frames", str(state / "frames"),
                      "--port", str(a.rtsp_port), "--fps", str(FPS)], "READY", "RTSP feed")
        procs.append(feed)
        rtsp_url = "rtsp://127.0.0.1:%d/lane" % a.rtsp_port
        plat = start([sys.executable, str(ROOT / "tools" / "yunnan_sim.py"), "--port", str(a.platform_port),
                      "--seed-exceed", "120", "--seed-strategies", "3", "--seed-alarms", "5"],
                     "http://", "platform simulator")
        procs.append(plat)
        base = "http://127.0.0.1:%d" % a.platform_port
        platform_url = base + "/access/api/dataReceive"
        print("sim: camera %s, platform %s" % (rtsp_url, platform_url), flush=True)

        config = write_config(state, rtsp_url, platform_url, a.web_port)
        print("sim: config %s" % config, flush=True)
        subprocess.run([EDGE, "--config", str(config), "web", "passwd"], input=SIM_WEB_PASSWORD + "\n",
                       capture_output=True, text=True, check=True)
        # The platform simulator starts empty each time: provision again (as an installer re-provisions).
        edge(config, "keys", "generate", "--force", check=False)
        edge(config, "register", "--force")
        ledger = write_ledger(state, vehicles)
        print("sim: " + edge(config, "ledger", "import", "vehicles", str(ledger)).stdout.strip(), flush=True)
        for what in ("enterprise", "cameras", "vehicles"):
            print("sim: " + edge(config, "push", what).stdout.strip().replace("\n", "\nsim: "), flush=True)

        cmd = [EDGE, "--config", str(config), "--log-level", "INFO", "run"]
        if a.seconds:
            cmd += ["--seconds", str(a.seconds)]
        print("sim: running the lane (Ctrl-C to stop): %s" % " ".join(cmd[1:]), flush=True)
        lane = subprocess.Popen(cmd)
        if a.web_port:
            print("sim: status page http://127.0.0.1:%d/ (user guard, password %s)" % (a.web_port, SIM_WEB_PASSWORD),
                  flush=True)
        try:
            lane.wait()
        except KeyboardInterrupt:
            lane.send_signal(signal.SIGINT)
            lane.wait(30)
        time.sleep(0.2)
        got = json.load(urllib.request.urlopen(base + "/_sim/state", timeout=5))
        status = json.loads((state / "lane" / "status.json").read_text(encoding="utf-8"))
        print("sim: lane recorded %d records; pending %s" % (status["records"], status["pending"]))
        print("sim: platform received %d access records (%d duplicates)" % (
            got.get("accessRecords", 0), got.get("accessDuplicates", 0)))
        for p in status["passages"][-8:]:
            print("sim:   %s %s conf=%s" % (p["accessTime"], p["licensePlate"], p["confidence"]))
        return lane.returncode if lane.returncode and lane.returncode > 0 else 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()


if __name__ == "__main__":
    sys.exit(main())
