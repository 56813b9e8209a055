"""Board health for the status page: what a technician checks first when a lane misbehaves.

Each reading is taken where Linux offers it and says "unknown" (with why) where it does not
(a VM has no thermal zone, an SD card has no wear counter): never a guess.

  cpu_temp_c   hottest /sys/class/thermal zone (°C)
  disk         use of the file system holding the state dir
  wear         eMMC life time estimate (JEDEC EXT_CSD: life_time A/B in 10 % steps, and the
               pre-EOL state) of the block device holding the state dir, when it is an eMMC
  uptime_s     /proc/uptime; load average; memory available
  time_sync    systemd-timesyncd / chrony: is the clock synchronised? (record times depend on it)
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SYS = Path("/sys")
PROC = Path("/proc")

PRE_EOL = {1: "normal", 2: "warning (80% of reserved blocks used)", 3: "urgent (90% of reserved blocks used)"}


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def cpu_temp(sys_root: Path = SYS) -> dict:
    best = None
    for zone in sorted((sys_root / "class" / "thermal").glob("thermal_zone*")):
        raw = _read(zone / "temp")
        try:
            t = int(raw) / 1000.0
        except (TypeError, ValueError):
            continue
        if best is None or t > best[0]:
            best = (t, _read(zone / "type") or zone.name)
    if best is None:
        return {"celsius": None, "note": "unknown: no thermal zone (a VM or container)"}
    return {"celsius": round(best[0], 1), "zone": best[1]}


def disk(path) -> dict:
    u = shutil.disk_usage(path)
    return {"path": str(path), "total_bytes": u.total, "used_bytes": u.used, "free_bytes": u.free,
            "used_pct": round(100.0 * u.used / u.total, 1) if u.total else None}


def _block_device_dir(path, sys_root: Path = SYS) -> Path | None:
    """/sys/block/<disk> of the disk holding `path` (a partition resolves to its disk)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    dev = sys_root / "dev" / "block" / ("%d:%d" % (os.major(st.st_dev), os.minor(st.st_dev)))
    try:
        real = dev.resolve(strict=True)
    except OSError:
        return None
    if (real / "partition").exists():
        real = real.parent
    return real


def wear(path, sys_root: Path = SYS) -> dict:
    dev = _block_device_dir(path, sys_root)
    if dev is None:
        return {"state": "unknown", "note": "no block device (tmpfs, overlay or a container)"}
    life = _read(dev / "device" / "life_time")
    eol = _read(dev / "device" / "pre_eol_info")
    if life is None and eol is None:
        return {"state": "unknown", "device": dev.name, "note": "not an eMMC: no wear counter readable"}
    out: dict = {"device": dev.name}
    try:
        a, b = (int(x, 16) for x in life.split())
        # JEDEC: 0x01 = 0-10 % of the rated life used ... 0x0A = 90-100 %, 0x0B = exceeded
        out["life_used_pct"] = {"type_a": _step(a), "type_b": _step(b)}
        out["state"] = "ok" if max(a, b) < 9 else "worn"
    except (AttributeError, ValueError):
        out["state"] = "unknown"
    try:
        e = int(eol, 16)
        out["pre_eol"] = PRE_EOL.get(e, "not defined (%d)" % e)
        if e >= 2:
            out["state"] = "worn"
    except (TypeError, ValueError):
        pass
    return out


def _step(v: int) -> str:
    if v == 0:
        return "not defined"
    if v >= 0x0B:
        return "exceeded its rated life"
    return "%d-%d%%" % ((v - 1) * 10, v * 10)


def uptime(proc_root: Path = PROC) -> float | None:
    raw = _read(proc_root / "uptime")
    try:
        return float(raw.split()[0])
    except (AttributeError, ValueError, IndexError):
        return None


def memory(proc_root: Path = PROC) -> dict:
    info = {}
    for line in (_read(proc_root / "meminfo") or "").splitlines():
        k, _, v = line.partition(":")
        if k in ("MemTotal", "MemAvailable"):
            info[k] = int(v.split()[0]) * 1024
    return {"total_bytes": info.get("MemTotal"), "available_bytes": info.get("MemAvailable")}


def _run(cmd, timeout=2.0) -> str | None:
    if shutil.which(cmd[0]) is None:
        return None
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return r.stdout if r.returncode == 0 else None


def time_sync() -> dict:
    out = _run(["timedatectl", "show", "-p", "NTPSynchronized", "-p", "NTP", "--value"])
    if out is not None:
        vals = out.split()
        if vals:
            synced = vals[-1] == "yes"
            return {"synchronised": synced, "source": "timedatectl",
                    "note": "" if synced else "the clock is not synchronised: record times may drift"}
    out = _run(["chronyc", "-n", "tracking"])
    if out is not None:
        for line in out.splitlines():
            if line.startswith("Leap status"):
                synced = "Not synchronised" not in line
                return {"synchronised": synced, "source": "chrony", "note": line.split(":", 1)[1].strip()}
    return {"synchronised": None, "source": None, "note": "unknown: neither timedatectl nor chronyc answered"}


def board_health(state_dir) -> dict:
    load = None
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    return {"cpu_temp": cpu_temp(), "disk": disk(state_dir), "wear": wear(state_dir),
            "uptime_s": uptime(), "load": load, "cpus": os.cpu_count(), "memory": memory(),
            "time_sync": time_sync()}
