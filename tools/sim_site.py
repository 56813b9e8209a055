"""A simulated site: N lanes on one mosquitto and one platform simulator — what
`bash tools/dev sim --lanes N` runs.

    .venv/bin/python tools/sim_site.py --lanes 3 [--seconds N] [--state DIR] [--fresh]
                                       [--lease S] [--platform-port P] [--kill-leader]

1. starts a real mosquitto on 127.0.0.1 (tools/mosquitto/broker.py, free port) and the Yunnan
   platform simulator (tools/yunnan_sim.py) with an exceed list, strategies and alarms;
2. writes one config per lane (gates A01, B01, A02, B02, ...: the A lanes face in, the B lanes
   out; sim board, no camera: the guard types plates), each with its own state dir;
3. provisions like an installer: keys and `edge register` on the first lane, then
   `edge keys export` there and `edge keys import` on every other lane; the vehicle ledger is
   imported on the first lane only — the site distributes it;
4. runs `edge run` for every lane; once a leader is elected, drives a registered truck in at
   A01 and out at B01 and an unregistered one to A01, prints `edge site`, and with
   --kill-leader SIGKILLs the leader and prints how long the takeover took;
5. keeps the site running (printing `edge site` every 30 s) until Ctrl-C or --seconds.
State lives in ./var/site (--fresh starts over). Everything binds 127.0.0.1.
"""
from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EDGE = str(Path(sys.executable).parent / "edge")
ENTERPRISE = "91530100MA6K5XYZ1P001V"
PASSPHRASE = "simulated site passphrase"


def gates(n: int) -> list[str]:
    """A01, B01, A02, B02, ...: entrances A (in) and B (out), one gate number per pair."""
    return ["%s%02d" % ("AB"[i % 2], i // 2 + 1) for i in range(n)]


def lane_config(folder: Path, gate: str, *, platform_url: str, mqtt_url: str, lease_s: float,
                direction: str | None = None, heartbeat_s: float = 60.0, sync_s: float = 60.0,
                extra: dict | None = None) -> Path:
    """A lane's config from `edge config example`: sim board, no camera, on the site broker."""
    from edge.config import example
    rep = {
        'state_dir = "/var/lib/edge"': 'state_dir = "%s"' % (folder / "state"),
        'entrance_id = "A"': 'entrance_id = "%s"' % gate[0],
        'gate_id = "A01"': 'gate_id = "%s"' % gate,
        'lane_name = ""': 'lane_name = "%s %s"' % (gate, "进厂" if (direction or "in") == "in" else "出厂"),
        'direction = "in"': 'direction = "%s"' % (direction or ("in" if gate[0] == "A" else "out")),
        'base_url = "http://127.0.0.1:8710/access/api/dataReceive"': 'base_url = "%s"' % platform_url,
        'rtsp_url = "rtsp://127.0.0.1:8554/lane"': 'rtsp_url = ""',
        "heartbeat_interval_s = 900.0": "heartbeat_interval_s = %s" % float(heartbeat_s),
        "sync_interval_s = 300.0": "sync_interval_s = %s" % float(sync_s),
        'url = ""': 'url = "%s"' % mqtt_url,
        "leader_lease_s = 60.0": "leader_lease_s = %s" % float(lease_s),
        "keepalive_s = 10": "keepalive_s = %d" % max(2, min(10, int(lease_s / 3))),
    }
    text = example()
    for a, b in {**rep, **(extra or {})}.items():
        if a not in text:
            raise SystemExit("sim: the example config has no %r any more" % a)
        text = text.replace(a, b, 1)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "edge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def edge(config: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([EDGE, "--config", str(config), *args], capture_output=True, text=True, timeout=120)
    if check and r.returncode != 0:
        raise SystemExit("sim: `edge %s` failed: %s" % (" ".join(args), r.stderr.strip()))
    return r


def provision(configs: list[Path], folder: Path, *, force: bool = False) -> None:
    """Keys and registration on the first lane; the others import them (edge keys export/import)."""
    first = configs[0]
    edge(first, "keys", "generate", *(["--force"] if force else []), check=not force)
    edge(first, "register", *(["--force"] if force else []))
    pf = folder / "passphrase"
    pf.write_text(PASSPHRASE + "\n")
    pf.chmod(0o600)
    bundle = folder / "site-keys.bundle"
    edge(first, "keys", "export", "--to", str(bundle), "--passphrase-file", str(pf), "--force")
    for cfg in configs[1:]:
        edge(cfg, "keys", "import", str(bundle), "--passphrase-file", str(pf), "--force")


def start_platform(port: int, seed=(120, 3, 5)) -> tuple[subprocess.Popen, str]:
    p = subprocess.Popen([sys.executable, str(ROOT / "tools" / "yunnan_sim.py"), "--port", str(port),
                          "--seed-exceed", str(seed[0]), "--seed-strategies", str(seed[1]),
                          "--seed-alarms", str(seed[2])], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True)
    url = p.stdout.readline().strip()
    if not url.startswith("http://"):
        p.kill()
        raise SystemExit("sim: the platform simulator did not start (port %d taken? --platform-port)" % port)
    return p, url


def status(config: Path) -> dict | None:
    r = edge(config, "status", "--json", check=False)
    return json.loads(r.stdout) if r.returncode == 0 else None


def wait_leader(configs: dict, timeout: float = 120.0, exclude=()) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        roles = {g: (status(c) or {}).get("role") for g, c in configs.items() if g not in exclude}
        leaders = [g for g, r in roles.items() if r == "leader"]
        if len(leaders) == 1:
            return leaders[0]
        time.sleep(1.0)
    return None


def drive(config: Path, plate: str) -> str:
    """A vehicle on the loop; the guard types its plate; it goes through or is turned away."""
    edge(config, "sim", "loop", "on")
    # waits on the lane's state, not on the clock: a loaded board is slow, never wrong
    until(lambda: (status(config) or {}).get("state") in ("waiting_manual", "reading"), 30)
    edge(config, "plate", plate, check=False)
    decision = None

    def decided():
        nonlocal decision
        d = (status(config) or {}).get("last_decision") or {}
        if d.get("plate") == plate:
            decision = "%s — %s" % ("ALLOW" if d.get("allowed") else "REFUSE", d.get("reason"))
        return decision
    until(decided, 30)
    edge(config, "sim", "loop", "off")
    until(lambda: (status(config) or {}).get("state") == "idle", 30)
    return decision or "(no decision)"


def until(cond, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.3)
    return False


def ledger_file(folder: Path, plates: list[str]) -> Path:
    """A 6.11 ledger for the demo trucks, with photos, as an installer imports it."""
    import io

    from PIL import Image

    from edge.commands.record import demo_vehicle
    rows = []
    for i, plate in enumerate(plates):
        row = demo_vehicle(ENTERPRISE, i + 1, plate, "yellow", "LSITE%012d" % (i + 1))
        row["emissionStandard"] = "6"
        for f in ("carImg1", "carImg2"):
            p = folder / ("%s-%s.jpg" % (row["vehicleId"], f))
            buf = io.BytesIO()
            Image.new("RGB", (320, 200), (230, 230, 220)).save(buf, "JPEG")
            p.write_bytes(buf.getvalue())
            row[f] = str(p)
        rows.append(row)
    path = folder / "vehicles.json"
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def print_site(config: Path) -> None:
    r = edge(config, "site", check=False)
    print("\n".join("sim: | " + line for line in (r.stdout or r.stderr).rstrip().splitlines()), flush=True)


def main(argv=None) -> int:
    from tools.mosquitto.broker import Broker
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lanes", type=int, default=3, help="how many lanes (default 3)")
    ap.add_argument("--seconds", type=float, default=0, help="stop after N seconds (default: until Ctrl-C)")
    ap.add_argument("--state", default=str(ROOT / "var" / "site"), help="state folder (default ./var/site)")
    ap.add_argument("--lease", type=float, default=15.0, help="[mqtt] leader_lease_s (default 15)")
    ap.add_argument("--platform-port", type=int, default=0, help="platform simulator port (default: a free one)")
    ap.add_argument("--kill-leader", action="store_true", help="SIGKILL the leader once and time the takeover")
    ap.add_argument("--fresh", action="store_true", help="start from an empty state folder")
    # sim_lane's options that mean nothing here are accepted and ignored (tools/dev sim passes them through)
    ap.add_argument("--rtsp-port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--json", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.lanes < 1 or a.lanes > 26:
        raise SystemExit("sim: --lanes must be 1..26")
    started = time.time()
    state = Path(a.state).resolve()
    if a.fresh and state.exists():
        import shutil
        shutil.rmtree(state)
    state.mkdir(parents=True, exist_ok=True)
    broker = Broker(state / "broker")
    procs: dict[str, subprocess.Popen] = {}
    platform = None
    try:
        broker.start()
        platform, platform_url = start_platform(a.platform_port)
        print("sim: broker %s, platform %s" % (broker.url, platform_url), flush=True)
        configs = {g: lane_config(state / g, g, platform_url=platform_url, mqtt_url=broker.url, lease_s=a.lease)
                   for g in gates(a.lanes)}
        provision(list(configs.values()), state, force=True)
        first = next(iter(configs.values()))
        trucks = ["云A6S%03d" % n for n in (101, 102, 103)]
        print("sim: " + edge(first, "ledger", "import", "vehicles", str(ledger_file(state, trucks))).stdout.strip(),
              flush=True)
        for g, cfg in configs.items():
            procs[g] = subprocess.Popen([EDGE, "--config", str(cfg), "--log-level", "INFO", "run"],
                                        stdout=subprocess.DEVNULL, stderr=open(state / g / "lane.log", "a"))
        print("sim: lanes %s running (logs in %s/<gate>/lane.log)" % (", ".join(configs), state), flush=True)
        leader = wait_leader(configs)
        print("sim: leader elected: %s" % leader, flush=True)
        time.sleep(3)                      # the ledger reaches every lane
        gin, gout = gates(a.lanes)[0], (gates(a.lanes)[1] if a.lanes > 1 else None)
        print("sim: %s enters at %s: %s" % (trucks[0], gin, drive(configs[gin], trucks[0])), flush=True)
        print("sim: 云A9Z999 (not in the ledger) at %s: %s" % (gin, drive(configs[gin], "云A9Z999")), flush=True)
        if gout:
            print("sim: %s leaves at %s: %s" % (trucks[0], gout, drive(configs[gout], trucks[0])), flush=True)
            print("sim: %s leaves at %s without having entered: %s"
                  % (trucks[1], gout, drive(configs[gout], trucks[1])), flush=True)
        print_site(first)
        if a.kill_leader and leader and a.lanes > 1:
            t = time.time()
            procs[leader].send_signal(signal.SIGKILL)
            procs[leader].wait()
            rest = {g: c for g, c in configs.items() if g != leader}
            new = wait_leader(rest)
            took = None

            def duty_started():      # its role shows a moment before its duty job has started
                nonlocal took
                duties = [d for d in (status(rest[new]) or {}).get("site", {}).get("duties", [])
                          if d["job"] == "platform" and d["start_ts"] >= t]
                took = duties[-1]["start_ts"] - t if duties else None
                return took is not None
            if new:
                until(duty_started, 30)
            print("sim: leader %s SIGKILLed; %s took over after %s s (lease %.0f s)"
                  % (leader, new, "%.1f" % took if took is not None else "?", a.lease), flush=True)
            procs[leader] = subprocess.Popen([EDGE, "--config", str(configs[leader]), "--log-level", "INFO", "run"],
                                             stdout=subprocess.DEVNULL, stderr=open(state / leader / "lane.log", "a"))
        print("sim: the site keeps running; try `%s --config %s site` (or status, sim loop on, plate ...); Ctrl-C "
              "stops" % (EDGE, first), flush=True)
        last = time.time()
        while not a.seconds or time.time() - started < a.seconds:
            time.sleep(0.5)
            if time.time() - last > 30:
                print_site(first)
                last = time.time()
        return 0
    except KeyboardInterrupt:
        print("\nsim: stopped", flush=True)
        return 0
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs.values():
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        if platform is not None and platform.poll() is None:
            platform.terminate()
            platform.wait(10)
        broker.stop()


if __name__ == "__main__":
    sys.exit(main())
