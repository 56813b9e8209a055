"""A stand-in for systemd's side of sd_notify: a NOTIFY_SOCKET datagram listener.

There is no running systemd in the test machine (PID 1 is not systemd, so `systemd-run --user`
cannot work); this listener receives what the lane sends exactly as systemd would, with the
time each datagram arrived, so a test can check READY, the WATCHDOG rhythm and STOPPING.
"""
import socket
import threading
import time
from pathlib import Path


class NotifyListener:
    def __init__(self, folder: Path):
        self.path = Path(folder) / "notify.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        self.sock.settimeout(0.2)
        self.messages: list[tuple[float, dict]] = []   # (monotonic arrival, {KEY: value})
        self._lock = threading.Lock()
        self._running = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def env(self, watchdog_usec: int | None = None) -> dict:
        env = {"NOTIFY_SOCKET": str(self.path)}
        if watchdog_usec:
            env["WATCHDOG_USEC"] = str(watchdog_usec)
        return env

    def _run(self):
        while self._running:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            self._keep(data)

    def _keep(self, data: bytes):
        fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
        with self._lock:
            self.messages.append((time.monotonic(), fields))

    def having(self, key: str, since: float = 0.0) -> list[tuple[float, dict]]:
        with self._lock:
            return [(t, m) for t, m in self.messages if key in m and t >= since]

    def wait_for(self, key: str, count: int = 1, since: float = 0.0, timeout: float = 60.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.having(key, since)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError("no %d x %s within %.0f s; got %r" % (count, key, timeout, self.messages[-10:]))

    def close(self):
        self._running = False
        self._thread.join(2)
        # the reader may stop between a timeout and a datagram already queued (STOPPING sent just
        # before close): keep what the socket still holds, as systemd would have read it
        self.sock.setblocking(False)
        while True:
            try:
                self._keep(self.sock.recv(65536))
            except OSError:
                break
        self.sock.close()
