"""A whole site on 127.0.0.1 for the tests: a real mosquitto (tools/mosquitto/broker.py), the
Yunnan platform simulator, and N real `edge run` processes on the simulated board, each with
its own state dir; provisioned like an installer does it (keys and registration on the first
lane, `edge keys export` / `edge keys import` to the others).

A lane can reach the broker directly or through a TcpGate (a proxy the test can cut, to
partition that one lane). Waits poll with generous timeouts; nothing here asserts a duration."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from edge.lane import control_client
from edge.errors import EdgeError
from tests.site.election_sim import overlapping
from tools.mosquitto.broker import Broker, free_port

ROOT = Path(__file__).resolve().parents[2]
EDGE = str(Path(sys.executable).parent / "edge")


def edge(config: Path, *args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
    r = subprocess.run([EDGE, "--config", str(config), *args], capture_output=True, text=True, input=input,
                       timeout=120)
    if check and r.returncode != 0:
        raise AssertionError("edge %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr.strip()))
    return r


def wait_for(cond, timeout: float = 60.0, step: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = cond()
        except (EdgeError, OSError, ValueError, KeyError):
            last = None
        if last:
            return last
        time.sleep(step)
    raise AssertionError("timed out after %.0f s waiting for %s (last: %r)" % (timeout, what, last))


def _drop(s: socket.socket) -> None:
    # shutdown first: a plain close() while another thread is in recv() sends no FIN
    for fn in (lambda: s.shutdown(socket.SHUT_RDWR), s.close):
        try:
            fn()
        except OSError:
            pass


class TcpGate:
    """A TCP proxy in front of the broker for one lane; cut() drops its traffic silently
    (the lane and the broker notice only by keepalive), heal() lets new connections through."""

    def __init__(self, target_port: int):
        self.target = target_port
        self.port = free_port()
        self.open = True
        self.conns: list[tuple[socket.socket, socket.socket]] = []
        self.srv = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            if not self.open:
                c.close()
                continue
            try:
                u = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                c.close()
                continue
            self.conns.append((c, u))
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, a, b):
        while True:
            try:
                data = a.recv(65536)
            except OSError:          # a reset (the broker died with unread data)
                data = b""
            if not data:
                for x in (a, b):      # one end went away: so does the connection, as over a real LAN
                    _drop(x)
                return
            if self.open:
                try:
                    b.sendall(data)
                except OSError:
                    _drop(a)
                    return
            # cut: swallow (a silent partition)

    def cut(self):
        self.open = False

    def heal(self):
        self.open = True
        for c, u in self.conns:      # the half-dead connections of the partition go
            _drop(c)
            _drop(u)
        self.conns = []

    def close(self):
        self.heal()
        self.srv.close()


class Site:
    def __init__(self, tmp: Path, gates=("A01", "A02", "B01"), *, lease_s: float = 5.0, heartbeat_s: float = 10.0,
                 sync_s: float = 10.0, gated=(), directions=None, extra: dict | None = None, seed: dict | None = None,
                 broker: bool = True, broker_users: dict | None = None):
        self.tmp = Path(tmp)
        self.gates = list(gates)
        self.lease_s = lease_s
        self.heartbeat_s = heartbeat_s
        self.sync_s = sync_s
        self.gated = set(gated)
        self.directions = directions or {}
        self.extra = extra or {}
        self.seed = seed or {}
        self.with_broker = broker
        self.broker = Broker(self.tmp / "broker", users=broker_users, enterprise_id="91530100MA6K5XYZ1P001V")
        self.proxies: dict[str, TcpGate] = {}
        self.procs: dict[str, subprocess.Popen] = {}
        self.configs: dict[str, Path] = {}
        self.platform = None
        self.platform_url = None

    # ------------------------------------------------------------------ set-up
    def start(self) -> "Site":
        if self.with_broker:
            self.broker.start()             # else: the lanes' [mqtt] url points at a port nobody listens on
        self.platform = subprocess.Popen([sys.executable, str(ROOT / "tools" / "yunnan_sim.py"), "--port", "0",
                                          "--seed-exceed", str(self.seed.get("exceed", 30)),
                                          "--seed-strategies", str(self.seed.get("strategies", 2)),
                                          "--seed-alarms", str(self.seed.get("alarms", 3))],
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.platform_url = self.platform.stdout.readline().strip()
        assert self.platform_url.startswith("http://"), self.platform_url
        for g in self.gates:
            if g in self.gated:
                self.proxies[g] = TcpGate(self.broker.port)
            self.configs[g] = self.write_config(g)
        self.provision()
        for g in self.gates:
            self.run(g)
        return self

    def state_dir(self, g: str) -> Path:  # as tools/sim_site.lane_config lays it out
        return self.tmp / g / "state"

    def write_config(self, g: str) -> Path:
        from tools.sim_site import lane_config
        port = self.proxies[g].port if g in self.proxies else self.broker.port
        return lane_config(self.tmp / g, g, platform_url=self.platform_url, mqtt_url="mqtt://127.0.0.1:%d" % port,
                           lease_s=self.lease_s, direction=self.directions.get(g, "in"),
                           heartbeat_s=self.heartbeat_s, sync_s=self.sync_s,
                           extra={**self.extra.get("*", {}), **self.extra.get(g, {})})

    def provision(self) -> None:
        from tools.sim_site import provision
        provision([self.configs[g] for g in self.gates], self.tmp)

    def run(self, g: str) -> None:
        log = open(self.tmp / g / "lane.log", "a")
        self.procs[g] = subprocess.Popen([EDGE, "--config", str(self.configs[g]), "--log-level", "INFO", "run"],
                                         stdout=log, stderr=subprocess.STDOUT,
                                         env={**os.environ, "GPIOZERO_PIN_FACTORY": "mock"})

    # ------------------------------------------------------------------ observing
    def status(self, g: str) -> dict:
        return control_client.call(self.state_dir(g), "status", timeout=10)

    def cli_status(self, g: str) -> dict:
        return json.loads(edge(self.configs[g], "status", "--json").stdout)

    def roles(self) -> dict:
        out = {}
        for g in self.gates:
            if self.procs.get(g) is None or self.procs[g].poll() is not None:
                continue
            try:
                out[g] = self.status(g)["role"]
            except EdgeError:
                out[g] = None
        return out

    def leaders(self) -> list[str]:
        return [g for g, r in self.roles().items() if r == "leader"]

    def wait_leader(self, timeout: float = 90.0, exclude=()) -> str:
        def one():
            ls = [g for g in self.leaders() if g not in exclude]
            return ls[0] if len(ls) == 1 and len(self.leaders()) == 1 else None
        return wait_for(one, timeout, what="exactly one leader")

    def sim_state(self) -> dict:
        base = self.platform_url.split("/access/")[0]
        return json.load(urllib.request.urlopen(base + "/_sim/state", timeout=10))

    def sim_post(self, path: str, obj: dict) -> dict:
        base = self.platform_url.split("/access/")[0]
        req = urllib.request.Request(base + path, data=json.dumps(obj).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        return json.load(urllib.request.urlopen(req, timeout=10))

    def duties(self) -> list[tuple[str, str, float, float]]:
        """(gate, job, start, end) of every duty span the live lanes report (end: now if running)."""
        out = []
        for g in self.gates:
            if self.procs.get(g) is None or self.procs[g].poll() is not None:
                continue
            for d in self.status(g)["site"]["duties"]:
                out.append((g, d["job"], d["start_ts"], d["end_ts"] or time.time()))
        return out

    # ------------------------------------------------------------------ faults
    def kill(self, g: str) -> None:
        p = self.procs[g]
        p.send_signal(signal.SIGKILL)
        p.wait(10)

    def stop_lane(self, g: str) -> None:
        p = self.procs[g]
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)

    def close(self) -> None:
        for g in list(self.procs):
            self.stop_lane(g)
        for p in self.proxies.values():
            p.close()
        self.broker.stop()
        if self.platform is not None and self.platform.poll() is None:
            self.platform.terminate()
            self.platform.wait(10)

    def logs(self, g: str) -> str:
        try:
            return (self.tmp / g / "lane.log").read_text(errors="replace")[-4000:]
        except OSError:
            return ""


def overlaps(spans, jobs=("platform",)) -> list:
    """Pairs of duty spans of different lanes that overlap in time (for the given jobs)."""
    return overlapping((a, b, g) for g, job, a, b in spans if job in jobs)


def max_gap(times: list[float], until: float | None = None) -> float:
    t = sorted(times) + ([until] if until else [])
    return max((b - a for a, b in zip(t, t[1:])), default=0.0)
