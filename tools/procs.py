"""Stopping a child process the way systemd does: SIGTERM, a grace period, then SIGKILL.

    from tools.procs import stop
    stop(proc, grace_s=10)      # returns the exit status; a process already gone is fine
"""
from __future__ import annotations

import subprocess


def stop(proc: subprocess.Popen | None, grace_s: float = 10.0) -> int | None:
    if proc is None:
        return None
    if proc.poll() is None:
        proc.terminate()
        try:
            return proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()              # it did not honour SIGTERM: no test or tool may hang on it
    return proc.wait(5)
