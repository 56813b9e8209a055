"""The state dir's disk (free space; eMMC wear where the card reports it) and the key files."""
from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

from edge.doctor import fail, ok, warn

FAIL_USED_PCT = 95.0
FAIL_FREE_BYTES = 100 * 2**20


def existing(path: Path) -> Path:
    p = Path(path).resolve()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def disk_verdict(total: int, free: int, high_water_pct: float) -> tuple[str, float]:
    used = 100.0 * (total - free) / total if total else 100.0
    if used >= FAIL_USED_PCT or free < FAIL_FREE_BYTES:
        return "FAIL", used
    if used >= high_water_pct:
        return "WARN", used
    return "PASS", used


def _mb(n):
    return "%.0f MB" % (n / 2**20) if n < 10 * 2**30 else "%.1f GB" % (n / 2**30)


def check_disk(env, statvfs=os.statvfs):
    where = existing(env.config.state_dir)
    s = statvfs(where)
    total, free = s.f_blocks * s.f_frsize, s.f_bavail * s.f_frsize
    hw = env.config.outbox.disk_high_water_pct
    verdict, used = disk_verdict(total, free, hw)
    found = "%s: %.0f%% used, %s free of %s" % (where, used, _mb(free), _mb(total))
    if verdict == "FAIL":
        return fail("disk", found, "free space now: undelivered records are never pruned — restore the uplink "
                                   "(edge outbox stats), remove files that are not the lane's, or move the "
                                   "state dir to a larger disk")
    if verdict == "WARN":
        return warn("disk", found, "retention prunes delivered records above %.0f%%; check `edge outbox stats` "
                                   "for a backlog" % hw)
    return ok("disk", found)


LIFE = {i: "%d-%d%%" % ((i - 1) * 10, i * 10) for i in range(1, 11)}
LIFE[11] = "beyond its rated life"
PRE_EOL = {1: "normal", 2: "warning (80% of reserved blocks used)", 3: "urgent (90%)"}


def _hex(text: str) -> int | None:
    try:
        return int(text, 16)
    except ValueError:
        return None


def emmc_wear(sysroot: str = "/") -> list[dict]:
    """[{device, life_a, life_b, pre_eol}] from sysfs (mmc driver) or debugfs ext_csd."""
    out = []
    for dev in sorted((Path(sysroot) / "sys/block").glob("mmcblk*")):
        if "boot" in dev.name or "rpmb" in dev.name:
            continue
        d = dev / "device"
        try:
            life = (d / "life_time").read_text().split()
        except OSError:
            life = []
        try:
            pre = _hex((d / "pre_eol_info").read_text().strip())
        except OSError:
            pre = None
        if len(life) == 2:
            out.append({"device": dev.name, "life_a": _hex(life[0]), "life_b": _hex(life[1]), "pre_eol": pre})
    if not out:  # older kernels: the raw EXT_CSD register in debugfs (bytes 267..269)
        for f in sorted((Path(sysroot) / "sys/kernel/debug").glob("mmc*/mmc*:*/ext_csd")):
            try:
                raw = bytes.fromhex(f.read_text().strip())
            except (OSError, ValueError):
                continue
            if len(raw) >= 270:
                out.append({"device": f.parent.name, "pre_eol": raw[267], "life_a": raw[268], "life_b": raw[269]})
    return out


def check_emmc(env):
    wear = emmc_wear(env.sysroot)
    medium = env.board.storage.medium if env.board is not None else "?"
    if not wear:
        return warn("emmc", "no eMMC wear counters (medium %s%s)" % (
            medium, "; a simulated board has none" if env.board is not None and env.board.simulated else ""),
            "nothing to do on a development machine; on an SD-card board use a high-endurance card")
    out = []
    for w in wear:
        worst = max(x for x in (w["life_a"], w["life_b"]) if x is not None) if (w["life_a"] or w["life_b"]) else 0
        found = "%s: life used A %s, B %s, pre-EOL %s" % (w["device"], LIFE.get(w["life_a"], "?"),
                                                          LIFE.get(w["life_b"], "?"), PRE_EOL.get(w["pre_eol"], "?"))
        if worst >= 10 or w["pre_eol"] == 3:
            out.append(fail("emmc", found, "replace the eMMC module soon and move the state dir off it"))
        elif worst >= 8 or w["pre_eol"] == 2:
            out.append(warn("emmc", found, "plan to replace the eMMC module; keep retention at the minimum"))
        else:
            out.append(ok("emmc", found))
    return out


def _owner(st) -> str:
    try:
        return pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        return str(st.st_uid)


def lane_user() -> str:
    """Who the lane runs as: the installed service's user `edge` when it exists, else whoever we are."""
    try:
        pwd.getpwnam("edge")
        return "edge"
    except KeyError:
        return pwd.getpwuid(os.getuid()).pw_name


def check_keys(env):
    from edge.uplink.yunnan import credentials
    if "yunnan" not in env.config.uplink.destinations:
        return ok("keys", "no Yunnan destination: no enterprise key pair needed")
    d = credentials.keys_dir(env.config.state_dir)
    files = [(d, 0o700, True), (d / credentials.PRIVATE, 0o600, True), (d / credentials.PLATFORM, 0o600, False)]
    user = lane_user()
    problems, seen = [], []
    for path, mode, required in files:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            if required:
                return fail("keys", "%s missing" % path, "generate the key pair: edge keys generate (edge provision does)")
            continue
        got = stat.S_IMODE(st.st_mode)
        seen.append(path.name)
        if got & 0o077:
            problems.append(("%s is mode %04o (others can read it)" % (path, got), "chmod %o %s" % (mode, path)))
        owner = _owner(st)
        if owner != user and os.getuid() == 0:
            problems.append(("%s is owned by %s, the lane runs as %s" % (path, owner, user),
                             "chown %s:%s %s" % (user, user, path)))
    if problems:
        return fail("keys", "; ".join(p for p, _ in problems), "; ".join(f for _, f in problems))
    try:
        credentials.load_client_private(env.config.state_dir)
    except Exception as e:
        return fail("keys", str(e), "restore the key from the site bundle or generate a new one and register again")
    return ok("keys", "%s: %s, modes 0700/0600, owner %s" % (d, ", ".join(seen[1:]) or "dir only", user))
