"""A real mosquitto for tests, the simulated site and development, on 127.0.0.1.

    python tools/mosquitto/broker.py [--port N] [--dir DIR]      (bash tools/dev broker)

prints `mqtt://127.0.0.1:PORT` once the broker accepts connections and runs until Ctrl-C.
From Python (tests, tools/sim_site.py, tools/bench_site.py):

    b = Broker(tmp_path / "broker").start()      # a free port, its own config and data dir
    b.url                                         # mqtt://127.0.0.1:PORT
    b.restart(); b.kill(); b.stop()               # kill = SIGKILL; retained messages survive

Persistence is on and saved at every change (autosave_interval 1 with autosave_on_changes:
the retained lease and snapshots survive even a SIGKILL of the broker). With `users` the
broker refuses anonymous clients and applies the site ACL of tools/mosquitto/acl.example
(each lane writes only under its own gate id; only "operator" sends commands).
"""
from __future__ import annotations

import argparse
import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))   # run as a script too (bash tools/dev broker)

from tools import procs  # noqa: E402

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def site_acl(enterprise_id: str) -> str:
    """tools/mosquitto/acl.example for one site."""
    return (HERE / "acl.example").read_text(encoding="utf-8").replace("ENTERPRISE", enterprise_id)


class Broker:
    def __init__(self, folder, port: int | None = None, *, users: dict[str, str] | None = None,
                 enterprise_id: str | None = None, tls: bool = False):
        self.dir = Path(folder)
        self.port = port or free_port()
        self.users = users
        self.enterprise_id = enterprise_id
        self.tls = tls
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return "%s://127.0.0.1:%d" % ("mqtts" if self.tls else "mqtt", self.port)

    @property
    def ca_file(self) -> Path:
        return self.dir / "ca.crt"

    def make_certs(self) -> None:
        """A site CA and a server certificate for 127.0.0.1, as mosquitto.conf.example describes."""
        d = self.dir
        if (d / "server.crt").exists():
            return
        run = lambda *a: subprocess.run(a, check=True, capture_output=True, cwd=d)  # noqa: E731
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=edge test CA",
            "-keyout", "ca.key", "-out", "ca.crt")
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key",
            "-out", "server.csr")
        (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "30", "-extfile", "san.ext", "-out", "server.crt")

    def write_config(self) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        lines = ["listener %d 127.0.0.1" % self.port, "set_tcp_nodelay true",
                 *(["certfile %s" % (self.dir / "server.crt"), "keyfile %s" % (self.dir / "server.key"),
                    "cafile %s" % self.ca_file, "tls_version tlsv1.2"] if self.tls else []),
                 "persistence true", "persistence_location %s/" % self.dir,
                 "autosave_interval 1", "autosave_on_changes true",
                 "log_dest file %s" % (self.dir / "mosquitto.log"), "log_type error", "log_type warning",
                 "log_type notice", "max_queued_messages 10000", "message_size_limit 0"]
        if os.geteuid() == 0:
            lines.append("user %s" % getpass.getuser())   # stay who we are: the data dir is ours
        if self.users:
            pw = self.dir / "passwd"
            pw.write_text("")
            for user, password in self.users.items():
                subprocess.run([PASSWD, "-b", str(pw), user, password], check=True, capture_output=True)
            os.chmod(pw, 0o600)
            acl = self.dir / "acl"
            acl.write_text(site_acl(self.enterprise_id or "ENTERPRISE"), encoding="utf-8")
            os.chmod(acl, 0o600)
            lines += ["allow_anonymous false", "password_file %s" % pw, "acl_file %s" % acl]
        else:
            lines.append("allow_anonymous true")
        conf = self.dir / "mosquitto.conf"
        conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return conf

    def start(self, timeout: float = 20.0) -> "Broker":
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.tls:
            self.make_certs()
        conf = self.write_config()
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=open(self.dir / "stderr.log", "ab"))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("mosquitto exited with %s: %s" % (
                    self.proc.returncode, (self.dir / "stderr.log").read_text(errors="replace")[-800:]))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError("mosquitto did not listen on %d within %.0f s" % (self.port, timeout))

    def stop(self) -> None:
        procs.stop(self.proc, grace_s=10)
        self.proc = None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None

    def restart(self, *, hard: bool = False, down_s: float = 0.0) -> None:
        (self.kill if hard else self.stop)()
        time.sleep(down_s)
        self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="run a mosquitto for tests / the simulated site (127.0.0.1)")
    ap.add_argument("--port", type=int, default=0, help="default: a free port")
    ap.add_argument("--dir", default=None, help="config and data folder (default: ./var/broker)")
    a = ap.parse_args(argv)
    folder = Path(a.dir or Path(__file__).resolve().parents[2] / "var" / "broker")
    b = Broker(folder, a.port or None).start()
    print(b.url, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))   # stop the broker too
    try:
        b.proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        b.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
