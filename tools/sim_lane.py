"""The whole gate on the simulated board — what `bash tools/dev sim` runs.

    .venv/bin/python tools/sim_lane.py [--seconds N] [--state DIR] [--fresh] [--json FILE]
    .venv/bin/python tools/sim_lane.py --lanes N ...     a site of N lanes on one broker (tools/sim_site.py)

1. renders the lane camera's pictures (tools/lpr/render.py): an empty lane and five trucks, and
   serves "what the camera sees now" over RTSP with the real GStreamer server
   (tools/rtsp_feed.py, a one-frame folder the scenario swaps atomically);
2. starts the Yunnan platform simulator (tools/yunnan_sim.py) with one of the trucks on its
   exceed list and a red-alert strategy in force;
3. provisions like an installer: `edge keys generate`, `edge register`, `edge ledger import`,
   `edge push enterprise|cameras|vehicles`, `edge sync`;
4. runs `edge run` (sim board: gpiozero mock pins, the RS-485 port a pty with
   tools/rs485_decode.py on its far end answering like the LED card and the SYN6288), then
   drives five vehicles through the gate, the loop and anti-smash inputs in step with the
   picture (`edge sim loop on|off`, `edge sim anti-smash on|off`):
      an allowed truck, one on the exceed list, a 国四 diesel truck under the red alert, a truck
      whose plate cannot be read (the guard types it: `edge plate`), and an unregistered truck
      the guard lifts the barrier for (`edge lift`);
5. prints per vehicle the decision, what the display and the voice were told, the barrier's
   moves and what the platform received; then the run's summary. The lane keeps running for you
   to try the verbs until Ctrl-C (or --seconds N after the start).
Everything binds 127.0.0.1; state lives in ./var/sim (--fresh starts over).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tools.procs import stop as stop_process  # noqa: E402
VENV_BIN = Path(sys.executable).parent
EDGE = str(VENV_BIN / "edge")
FPS = 10
SIZE = (1280, 720)

# (name, plate kind, emission standard code, fuel code, registered, what the scenario does)
VEHICLES = [
    ("allowed", "yellow", "6", "B", True, "pass"),
    ("exceed", "yellow", "6", "B", True, "refused"),
    ("alert", "yellow", "4", "B", True, "refused"),
    ("unreadable", "yellow", "5", "B", True, "manual_entry"),
    ("unregistered", "blue", "5", "A", False, "manual_lift"),
]
LABEL = {"allowed": "allowed truck", "exceed": "on the exceed list", "alert": "国四 diesel, red alert",
         "unreadable": "plate unreadable", "unregistered": "unregistered, lifted by hand"}


class SimError(SystemExit):
    pass


# ---------------------------------------------------------------------- pictures
def render_pictures(folder: Path, seed: int = 5) -> dict:
    """{name: (plate, colour word, BGR image)} and "empty": the lane with nobody in it."""
    import cv2
    import numpy as np

    from edge.vision.plates.formats import check
    from tools.lpr.render import random_text, render_plate, scene
    from edge.vision.interpreter import models_dir
    from edge.vision.plates.reader import PlateReader
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    reader = PlateReader(str(models_dir()), 2)
    out, used = {}, set()
    for name, kind, *_ in VEHICLES:
        for _attempt in range(20):
            text = random_text(kind, rng)
            if text in used or not check(text).ok:
                continue
            plate, color = render_plate(text, kind, rng)
            img, corners = scene(plate, rng, size=SIZE, width_frac=(0.2, 0.26))
            if name == "unreadable":  # a mud-covered plate: the camera sees a vehicle, no readable plate
                cv2.fillConvexPoly(img, corners.astype(np.int32), (40, 52, 60))
            reads = reader.read(img)
            # this is a demo of the gate, not of the reader (tools/bench_lpr.py measures that):
            # keep pictures the reader reads right (and the covered one it cannot read at all)
            if name == "unreadable" and not reads:
                break
            if name != "unreadable" and reads and reads[0]["plate"] == text and reads[0]["confidence"] >= 0.8:
                break
        used.add(text)
        out[name] = (text, color, img)
    base = next(iter(out.values()))[2]
    out["empty"] = (None, None, cv2.GaussianBlur(base, (0, 0), 30))
    return out


class Stage:
    """The one-frame folder the RTSP feed serves; show() swaps what the camera sees."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("frame_*.jpg"):
            old.unlink()

    def show(self, img) -> None:
        import cv2
        tmp = self.folder / ".next.jpg"
        cv2.imwrite(str(tmp), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
        os.replace(tmp, self.folder / "frame_00000.jpg")


# ---------------------------------------------------------------------- config, ledger, platform
SIM_WEB_PASSWORD = "edge-sim-demo"   # the simulated lane's status page login (user guard)


def write_config(state: Path, rtsp_url: str, platform_url: str, web_port: int = 8080,
                 cargo_hold_s: float = 0.0) -> Path:
    from edge.config import example
    text = example()
    text = text.replace('state_dir = "/var/lib/edge"', 'state_dir = "%s"' % (state / "lane"))
    text = text.replace('base_url = "http://127.0.0.1:8710/access/api/dataReceive"', 'base_url = "%s"' % platform_url)
    text = text.replace('rtsp_url = "rtsp://127.0.0.1:8554/lane"', 'rtsp_url = "%s"' % rtsp_url)
    text = text.replace('lane_name = ""', 'lane_name = "1号门 进厂"')
    text = text.replace("heartbeat_interval_s = 900.0", "heartbeat_interval_s = 60.0")
    text = text.replace("sync_interval_s = 300.0", "sync_interval_s = 60.0")
    text = text.replace('default_cargo_weight = "0"', 'default_cargo_weight = "32.5"')
    text = text.replace("plate_timeout_s = 8.0", "plate_timeout_s = 6.0")
    text = text.replace('listen = "127.0.0.1:8080"', 'listen = "127.0.0.1:%d"' % web_port)
    text = text.replace("cargo_hold_s = 0.0", "cargo_hold_s = %s" % float(cargo_hold_s))
    path = state / "edge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def write_ledger(state: Path, config: Path, pictures: dict) -> Path:
    """The site's vehicle ledger (6.11) for the registered trucks, as an installer imports it."""
    from PIL import Image, ImageDraw

    from edge.commands.record import demo_vehicle
    from edge.config import parse
    from edge.vision.annotate import font
    ent = parse(config.read_text(encoding="utf-8")).site.enterprise_id
    photos = state / "ledger-photos"
    photos.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, (name, _kind, std, fuel, registered, _) in enumerate(VEHICLES):
        if not registered:
            continue
        plate, color, _img = pictures[name]
        row = demo_vehicle(ent, i + 1, plate, color, "LSIM%013d" % (i + 1))
        row.update(emissionStandard=std, fuelType=fuel)
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


def seed_platform(base: str, pictures: dict) -> None:
    """The exceed-list truck and a red alert in force from yesterday to tomorrow."""
    from datetime import timedelta

    from edge import timeutil
    from edge.domain import codes
    now = timeutil.now()
    plate, color, _ = pictures["exceed"]
    exceed = {"recordId": "EVSIM00001", "licensePlate": plate, "plateColor": codes.plate_color_code(color),
              "vin": "LSIM%013d" % 2, "fuelType": "B", "emissionStandard": "6", "exceedlistReason": "1",
              "isRemove": "0", "sendTime": timeutil.fmt_date(now), "removeTime": ""}
    alert = {"strategyId": "STSIM0001", "strategyName": "重污染天气红色预警应急响应",
             "startdate": timeutil.fmt_datetime(now - timedelta(days=1)),
             "enddate": timeutil.fmt_datetime(now + timedelta(days=1)), "pollutionLevel": "3",
             "strategyLevel": "1", "controlMeasures": "红色预警期间，国四及以下排放标准柴油货车禁止进出厂区"}
    body = json.dumps({"exceed_records": [exceed], "strategy_records": [alert]}).encode()
    req = urllib.request.Request(base + "/_sim/seed", body, {"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()


def edge(config: Path, *args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
    r = subprocess.run([EDGE, "--config", str(config), *args], capture_output=True, text=True, input=input)
    if check and r.returncode != 0:
        raise SimError("sim: `edge %s` failed: %s" % (" ".join(args), r.stderr.strip()))
    return r


def check_port_free(port: int, what: str, option: str) -> None:
    """Before a minute of rendering: a port another program holds is named with the option to change."""
    import socket
    if not 1 <= port <= 65535:
        raise SimError("sim: %s %d is not a port (1..65535)" % (option, port))
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            raise SimError("sim: port %d for the %s is busy (%s): choose another with %s PORT"
                           % (port, what, e.strerror or e, option)) from None


def start(cmd: list[str], ready: str, what: str, option: str) -> subprocess.Popen:
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if ready not in line:
        p.kill()
        err = p.stderr.read()[-2000:]
        hint = " (port busy? choose another with %s)" % option if "bind" in err.lower() or "in use" in err.lower() else ""
        raise SimError("sim: %s did not start%s: %s" % (what, hint, (line + err).strip()))
    return p


# ---------------------------------------------------------------------- watching the lane
class Decoder:
    """tools/rs485_decode.py on the far end of the lane's RS-485 pty: what the LED and voice were told."""

    def __init__(self, port: Path):
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "tools" / "rs485_decode.py"), str(port),
                                      "--json", "--answer"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
        self.frames: list[dict] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                frame = json.loads(line)
            except ValueError:
                continue
            frame["t"] = time.time()
            with self._lock:
                self.frames.append(frame)

    def since(self, t: float) -> list[dict]:
        with self._lock:
            return [f for f in self.frames if f["t"] >= t]

    def stop(self):
        stop_process(self.proc, grace_s=5)


class Lane:
    def __init__(self, config: Path, state_dir: Path):
        self.config = config
        self.state_dir = state_dir
        self.seen = 0

    def events(self) -> list[dict]:
        from edge.lane.eventlog import open_readonly
        log = open_readonly(self.state_dir)
        if log is None:
            return []
        try:
            return log.query(after_id=self.seen, limit=1000)
        finally:
            log.close()

    def wait(self, types, timeout: float = 40.0, since_id: int = 0) -> dict:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for e in self.events():
                if e["id"] > since_id and e["type"] in types:
                    return e
            time.sleep(0.2)
        raise SimError("sim: the lane did not report %s within %.0f s" % ("/".join(types), timeout))

    def last_id(self) -> int:
        evs = self.events()
        return evs[-1]["id"] if evs else self.seen

    def sim(self, *args):
        edge(self.config, "sim", *args)


def drive(lane: Lane, stage: Stage, pictures: dict, decoder: Decoder) -> list[dict]:
    """The five vehicles through the gate; one report per vehicle."""
    reports = []
    for name, _kind, _std, _fuel, registered, plan in VEHICLES:
        plate, color, img = pictures[name]
        t0 = time.time()
        start_id = lane.last_id()
        stage.show(img)
        time.sleep(1.2)                              # the truck rolls up: the camera sees it first
        lane.sim("loop", "on")
        first = lane.wait(("allow", "refuse", "awaiting_manual"), since_id=start_id)
        if plan == "manual_entry":
            if first["type"] != "awaiting_manual":
                raise SimError("sim: the covered plate was read (%s): expected a manual entry" % first)
            edge(lane.config, "plate", plate, "--color", color)
            first = lane.wait(("allow", "refuse"), since_id=first["id"])
        if plan == "manual_lift":
            if first["type"] == "refuse":
                time.sleep(1.0)                       # the guard checks the papers
            edge(lane.config, "lift", "--reason", "核验随车清单后人工放行")
            lane.wait(("barrier_open",), since_id=first["id"])
        if first["type"] == "allow" or plan == "manual_lift":
            lane.wait(("barrier_open",), since_id=start_id)
            time.sleep(0.8)
            lane.sim("anti-smash", "on")              # the truck drives under the barrier
            time.sleep(0.5)
            lane.sim("loop", "off")
            stage.show(pictures["empty"][2])
            time.sleep(1.5)                           # the barrier must wait: anti-smash is held
            lane.sim("anti-smash", "off")
            lane.wait(("barrier_close",), since_id=start_id)
        else:
            time.sleep(1.0)
            lane.sim("loop", "off")                   # the refused truck backs off
            stage.show(pictures["empty"][2])
            lane.wait(("vehicle_leave",), since_id=start_id)
        time.sleep(1.5)                               # the display goes back to idle
        evs = [e for e in lane.events() if e["id"] > start_id]
        reports.append({"vehicle": name, "label": LABEL[name], "plate": plate, "color": color,
                        "registered": registered, "events": evs, "frames": decoder.since(t0)})
    return reports


def platform_received(base: str) -> dict:
    return json.load(urllib.request.urlopen(base + "/_sim/record-ids", timeout=5))


def print_report(reports: list[dict], received: dict, status: dict, cargo_hold_s: float = 0.0) -> None:
    for i, r in enumerate(reports, 1):
        print("sim: [%d] %s %s (%s) — %s" % (i, r["plate"], r["color"], "registered" if r["registered"] else
                                             "not in the ledger", r["label"]))
        for e in r["events"]:
            if e["type"] in ("allow", "refuse"):
                print("sim:     decision: %s %s%s" % ("ALLOW" if e["type"] == "allow" else "REFUSE", e.get("reason"),
                                                   " (manual entry by %s)" % e.get("who") if e.get("manual") else ""))
            elif e["type"] in ("manual_entry", "manual_lift", "awaiting_manual"):
                print("sim:     %s: %s%s" % (e["type"].replace("_", " "), e.get("plate") or e.get("reason") or "",
                                             " by %s" % e["who"] if e.get("who") else ""))
            elif e["type"] in ("barrier_open", "barrier_close"):
                print("sim:     barrier: %s at %s" % (e["type"].split("_")[1], e["time"][11:]))
            elif e["type"] == "anti_smash":
                print("sim:     barrier held: %s" % e.get("reason"))
        for f in r["frames"]:
            if f.get("device") == "led":
                print("sim:     display: %s" % " | ".join(f.get("rows") or f.get("lines") or []))
            elif f.get("device") == "voice" and f.get("text"):
                print("sim:     voice:   %s" % f["text"])
        rids = [e.get("recordId") for e in r["events"] if e.get("recordId") and e["type"] in ("allow", "vehicle_leave")]
        rids = [x for x in dict.fromkeys(rids) if not x.startswith(("REF", "CLP"))]
        if not rids:
            print("sim:     platform: nothing (a refused vehicle is kept locally: edge events --type refuse)")
        for rid in rids:
            if rid in received:
                print("sim:     platform: received %s" % rid)
            elif not r["registered"]:
                print("sim:     platform: not yet — %s kept locally until the vehicle is registered "
                      "(edge outbox list --rejected)" % rid)
            elif cargo_hold_s:
                print("sim:     platform: not yet — %s waits up to %.0f s for its cargo entry on the status page "
                      "([lane] cargo_hold_s)" % (rid, cargo_hold_s))
            else:
                print("sim:     platform: NOT received %s" % rid)
    ob = status.get("outbox") or {}
    print("sim: this run: %d vehicles, %d records on the platform, %s pending, %s kept locally as rejected"
          % (len(reports), sum(1 for r in reports for e in r["events"] if e.get("recordId") in received and
                               e["type"] == "allow"), ob.get("pending"), ob.get("rejected")))


def run_summary(config: Path, started: float) -> list[str]:
    """What THIS run did (records made since it started), from the lane's outbox: recorded,
    delivered, pending, rejected with each reason, kept locally. Plain lines, no reprs."""
    from edge.config import load_config
    from edge.store.outbox import Outbox
    with Outbox.from_config(load_config(config)) as box:
        rows = [r for r in box.records() if r["created_ms"] >= started * 1000]
        delivered = [r for r in rows if r["deliveries"] and not r["undelivered"]]
        local = [r for r in rows if not r["deliveries"]]
        rejected, pending = [], []
        for r in rows:
            if not r["undelivered"]:
                continue
            got = box.get(r["record_id"])
            bad = [d for d in got["deliveries"] if d["state"] == "rejected"]
            if bad:
                rejected.append((r, got["record"].get("licensePlate") or "(no plate)",
                                 "; ".join(sorted({d["reason"] or "" for d in bad}))))
            else:
                pending.append(r)
    kinds = {}
    for r in rows:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    lines = ["sim: this run: %d records (%s): %d delivered, %d pending, %d rejected, %d kept locally"
             % (len(rows), ", ".join("%d %s" % (n, k) for k, n in sorted(kinds.items())) or "none",
                len(delivered), len(pending), len(rejected), len(local))]
    for r, plate, reason in rejected:
        lines.append("sim:   rejected %s %s: %s" % (r["record_id"], plate, reason))
    return lines


# ---------------------------------------------------------------------- main
def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if any(x == "--lanes" or x.startswith("--lanes=") for x in argv):   # a whole site: tools/sim_site.py
        from tools.sim_site import main as site_main
        return site_main(argv)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=0,
                    help="stop this many seconds after the start (default: keep the lane running until Ctrl-C)")
    ap.add_argument("--state", default=str(ROOT / "var" / "sim"), help="state folder (default ./var/sim)")
    ap.add_argument("--rtsp-port", type=int, default=8554)
    ap.add_argument("--platform-port", type=int, default=8710)
    ap.add_argument("--web-port", type=int, default=8080, help="status page port (0: any free port)")
    ap.add_argument("--fresh", action="store_true", help="start from an empty state folder")
    ap.add_argument("--json", metavar="FILE", help="also write the per-vehicle report as JSON (tests)")
    ap.add_argument("--cargo-hold", type=float, default=0.0, metavar="S",
                    help="hold each access record S seconds for a cargo entry on the page ([lane] cargo_hold_s)")
    a = ap.parse_args(argv)
    started = time.time()
    state = Path(a.state).resolve()
    if a.fresh and state.exists():
        import shutil
        shutil.rmtree(state)
    state.mkdir(parents=True, exist_ok=True)
    procs, decoder, lane_proc, config = [], None, None, None
    try:
        check_port_free(a.rtsp_port, "RTSP feed", "--rtsp-port")
        check_port_free(a.platform_port, "platform simulator", "--platform-port")
        print("sim: rendering the camera's pictures", flush=True)
        pictures = render_pictures(state / "pictures")
        stage = Stage(state / "stage")
        stage.show(pictures["empty"][2])
        feed = start(["/usr/bin/python3", str(ROOT / "tools" / "rtsp_feed.py"), "--frames", str(stage.folder),
                      "--port", str(a.rtsp_port), "--fps", str(FPS)], "READY", "RTSP feed", "--rtsp-port")
        procs.append(feed)
        rtsp_url = "rtsp://127.0.0.1:%d/lane" % a.rtsp_port
        plat = start([sys.executable, str(ROOT / "tools" / "yunnan_sim.py"), "--port", str(a.platform_port)],
                     "http://", "platform simulator", "--platform-port")
        procs.append(plat)
        base = "http://127.0.0.1:%d" % a.platform_port
        seed_platform(base, pictures)
        print("sim: camera %s, platform %s" % (rtsp_url, base), flush=True)

        config = write_config(state, rtsp_url, base + "/access/api/dataReceive", a.web_port, a.cargo_hold)
        edge(config, "web", "passwd", input=SIM_WEB_PASSWORD + "\n")
        # The platform simulator starts empty each time: provision again (as an installer re-provisions).
        edge(config, "keys", "generate", "--force", check=False)
        edge(config, "register", "--force")
        print("sim: " + edge(config, "ledger", "import", "vehicles", str(write_ledger(state, config, pictures)))
              .stdout.strip(), flush=True)
        for what in ("enterprise", "cameras", "vehicles"):
            print("sim: " + edge(config, "push", what).stdout.strip().replace("\n", "\nsim: "), flush=True)
        print("sim: " + edge(config, "sync").stdout.strip().replace("\n", "\nsim: "), flush=True)

        lane_dir = state / "lane"
        cmd = [EDGE, "--config", str(config), "--log-level", "WARNING", "run"]
        print("sim: running the lane: %s" % " ".join(cmd[1:]), flush=True)
        lane_proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(state / "lane.log", "w"))
        if a.web_port:
            print("sim: status page http://127.0.0.1:%d/ (user guard, password %s)" % (a.web_port, SIM_WEB_PASSWORD),
                  flush=True)
        lane = Lane(config, lane_dir)
        for _ in range(120):                          # the models load, the camera connects
            if (lane_dir / "rs485").exists() and edge(config, "status", check=False).returncode == 0:
                break
            if lane_proc.poll() is not None:
                raise SimError("sim: the lane stopped: see %s" % (state / "lane.log"))
            time.sleep(0.5)
        decoder = Decoder(lane_dir / "rs485")
        lane.seen = lane.last_id()
        time.sleep(3)                                 # the reader has a first frame and a reference
        reports = drive(lane, stage, pictures, decoder)
        time.sleep(3)                                 # the uploader delivers
        received = platform_received(base)
        status = json.loads(edge(config, "status", "--json").stdout)
        print_report(reports, received, status, a.cargo_hold)
        if a.json:
            Path(a.json).write_text(json.dumps({"reports": reports, "received": received, "status": status},
                                               ensure_ascii=False, indent=1), encoding="utf-8")
        print("sim: the lane keeps running; try `%s --config %s status` (or events, sim loop on, plate, lift); "
              "Ctrl-C stops" % (EDGE, config), flush=True)
        while lane_proc.poll() is None and (not a.seconds or time.time() - started < a.seconds):
            time.sleep(0.5)
        return 0
    except KeyboardInterrupt:
        print("\nsim: stopping (Ctrl-C)", flush=True)
        return 0
    except SimError as e:
        print(str(e), file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)   # a second Ctrl-C must not turn the stop into a traceback
        if lane_proc is not None and lane_proc.poll() is None:
            lane_proc.send_signal(signal.SIGTERM)
            try:
                lane_proc.wait(30)
            except subprocess.TimeoutExpired:
                lane_proc.kill()
        if decoder is not None:
            decoder.stop()
        for p in procs:
            stop_process(p, grace_s=5)
        if config is not None:
            try:
                for line in run_summary(config, started):
                    print(line, flush=True)
            except Exception as e:   # the summary is a courtesy: never a traceback at the end
                print("sim: no summary (%s)" % " ".join(str(e).split()), flush=True)


if __name__ == "__main__":
    sys.exit(main())
