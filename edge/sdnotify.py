"""sd_notify(3) over $NOTIFY_SOCKET with the standard library: READY, WATCHDOG, STOPPING, STATUS.

systemd starts `edge run` as `Type=notify` with `WatchdogSec=`: it waits for READY=1 before it
calls the unit started, and kills and restarts the lane when no WATCHDOG=1 arrives within
WATCHDOG_USEC. Outside systemd (a terminal, the tests without a listener) every call is a
no-op that returns False, so the lane never depends on being supervised.
"""
from __future__ import annotations

import os
import socket


class Notifier:
    def __init__(self, environ=None):
        env = os.environ if environ is None else environ
        self.address = env.get("NOTIFY_SOCKET") or None
        self.watchdog_usec = 0
        usec, pid = env.get("WATCHDOG_USEC", ""), env.get("WATCHDOG_PID", "")
        # WATCHDOG_PID names the process systemd watches; a child (e.g. a helper) must not pet for it
        if usec.isdigit() and (not pid or (pid.isdigit() and int(pid) == os.getpid())):
            self.watchdog_usec = int(usec)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    @property
    def watchdog_armed(self) -> bool:
        return self.enabled and self.watchdog_usec > 0

    def pet_interval_s(self, default: float = 10.0) -> float:
        """How often to send WATCHDOG=1: half the timeout, as sd_watchdog_enabled(3) advises."""
        return self.watchdog_usec / 2e6 if self.watchdog_usec else default

    def send(self, *assignments: str) -> bool:
        """One datagram of `KEY=value` lines; False when there is no listener or it is gone."""
        if not self.address:
            return False
        addr = self.address
        if addr.startswith("@"):  # abstract namespace
            addr = "\0" + addr[1:]
        data = "\n".join(a.replace("\n", " ") for a in assignments).encode("utf-8")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
                s.connect(addr)
                s.sendall(data)
            return True
        except OSError:
            return False

    def ready(self, status: str = "") -> bool:
        return self.send("READY=1", *(["STATUS=" + status] if status else []))

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def status(self, text: str) -> bool:
        return self.send("STATUS=" + text)

    def stopping(self) -> bool:
        return self.send("STOPPING=1")
