"""The running lane (its control socket) and the installed systemd service with its watchdog."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from edge.doctor import fail, no_config, ok, warn

UNIT = "edge.service"


def under_systemd(sysroot: str = "/") -> bool:
    """sd_booted(3): PID 1 is systemd."""
    return (Path(sysroot) / "run/systemd/system").is_dir()


def systemctl_show(props: list[str]) -> dict | None:
    exe = shutil.which("systemctl")
    if not exe:
        return None
    try:
        r = subprocess.run([exe, "show", UNIT, "--no-pager", "-p", ",".join(props)], capture_output=True,
                           text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if r.returncode != 0:
        return None
    return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)


def check_lane(env):
    if env.lane_running:
        st = env.status
        restarts = {k: v for k, v in (st.get("restarts") or {}).items() if v}
        found = "running (pid %s), up %ss, state %s, %d jobs" % (env.lane_pid or "?", st.get("uptime_s"),
                                                                 st.get("state"), len(st.get("jobs") or []))
        if restarts:
            return warn("lane", found + "; restarted jobs: %s" % ", ".join("%s x%d" % kv for kv in restarts.items()),
                        "read why with `edge logs` (a job that keeps restarting says so each time)")
        return ok("lane", found)
    fix = "start it: systemctl start edge (its log: edge logs)"
    if under_systemd(env.sysroot):
        return fail("lane", env.lane_error or "not running", fix)
    return warn("lane", (env.lane_error or "not running") + " (checks below probe the hardware directly)",
                "start it with `edge run` (on a board: systemctl start edge)")


@no_config
def check_service(env):
    if not under_systemd(env.sysroot):
        return warn("service", "not running under systemd (development or sim machine)",
                    "on a board, install the service with tools/install.sh")
    p = systemctl_show(["LoadState", "UnitFileState", "ActiveState", "SubState", "WatchdogUSec", "NRestarts", "Type"])
    if p is None or p.get("LoadState") != "loaded":
        return fail("service", "%s is not installed" % UNIT, "install it: sudo bash tools/install.sh")
    found = "%s %s, %s/%s, type %s, watchdog %s, %s restarts" % (
        UNIT, p.get("UnitFileState"), p.get("ActiveState"), p.get("SubState"), p.get("Type"),
        p.get("WatchdogUSec") or "off", p.get("NRestarts", "?"))
    if p.get("UnitFileState") != "enabled":
        return fail("service", found, "enable it so the lane starts after a power cut: systemctl enable edge")
    if p.get("WatchdogUSec") in (None, "", "0", "infinity"):
        return fail("service", found, "the unit has no WatchdogSec=: reinstall it with tools/install.sh")
    wd = (env.status or {}).get("watchdog") or {}
    if env.lane_running and not wd.get("armed"):
        return fail("service", found + "; the lane did not get WATCHDOG_USEC",
                    "run the lane only through the unit (systemctl restart edge), not by hand")
    if env.lane_running and wd.get("problem"):
        return fail("service", found + "; watchdog not petted: %s" % wd["problem"],
                    "the lane is hung and systemd will restart it; read `edge logs` for the cause")
    return ok("service", found)


def lane_pid(state_dir) -> int | None:
    """The pid behind the lane's control socket (SO_PEERCRED of the listener)."""
    import socket
    import struct

    from edge.lane.control_socket import socket_path
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(str(socket_path(state_dir)))
        pid, _uid, _gid = struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                           struct.calcsize("3i")))
        return pid
    except OSError:
        return None
    finally:
        s.close()


def process_name(pid: int, sysroot: str = "/") -> str:
    try:
        return (Path(sysroot) / "proc" / str(pid) / "comm").read_text().strip()
    except OSError:
        return "?"

