"""Time: synchronised (chrony or systemd-timesyncd) and within 2 s of Beijing time.

Records carry Beijing time, and platforms reject or misfile records whose time is off, so the
absolute clock matters (the zone does not: timeutil converts). Besides the NTP daemon's own
word, the clock is compared with the platform's HTTP `Date` header, an independent reference
the platform itself keeps: the header has 1 s resolution, so the offset is given with its
uncertainty (half a second plus half the round trip) and only a clear excess fails.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import time
from email.utils import parsedate_to_datetime

from edge.doctor import fail, ok, warn

MAX_OFFSET_S = 2.0


def parse_chrony_tracking(text: str) -> dict:
    """`chronyc -n tracking` → {leap, offset_s (positive: we are fast), stratum, reference}."""
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "Leap status":
            out["leap"] = value
        elif key == "Stratum":
            out["stratum"] = int(value) if value.isdigit() else None
        elif key == "Reference ID":
            out["reference"] = value
        elif key == "System time":
            m = re.match(r"([\d.]+) seconds (fast|slow)", value)
            if m:
                out["offset_s"] = float(m.group(1)) * (1 if m.group(2) == "fast" else -1)
    return out


def _run(cmd, timeout=5):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return r.stdout if r.returncode == 0 else None


def ntp_state() -> tuple[str, dict] | None:
    """("chrony", tracking) or ("timesyncd", {synced}) or None when neither answers."""
    if shutil.which("chronyc"):
        text = _run(["chronyc", "-n", "tracking"])
        if text:
            return "chrony", parse_chrony_tracking(text)
    if shutil.which("timedatectl"):
        text = _run(["timedatectl", "show", "-p", "NTPSynchronized", "-p", "NTP"])
        if text:
            d = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
            return "timesyncd", {"synced": d.get("NTPSynchronized") == "yes", "ntp": d.get("NTP") == "yes"}
    return None


def check_ntp(env):
    state = ntp_state()
    if state is None:
        return warn("ntp", "no chrony or systemd-timesyncd status (development or sim machine)",
                    "on a board, install chrony (tools/install.sh does) and let it reach an NTP server")
    kind, d = state
    if kind == "chrony":
        found = "chrony: leap %s, stratum %s, offset %+.3f s" % (d.get("leap"), d.get("stratum"), d.get("offset_s", 0))
        if d.get("leap") != "Normal":
            return fail("ntp", found, "chrony is not synchronised: check `chronyc sources` and that UDP 123 "
                                      "reaches a server (set one in /etc/chrony/conf.d/)")
        if abs(d.get("offset_s", 0)) > MAX_OFFSET_S:
            return fail("ntp", found, "chrony is still slewing a large error: `chronyc makestep` once")
        return ok("ntp", found)
    found = "systemd-timesyncd: %s" % ("synchronised" if d["synced"] else "NOT synchronised")
    if not d["synced"]:
        return fail("ntp", found, "enable NTP (timedatectl set-ntp true) and check that an NTP server is "
                                  "reachable (or install chrony)")
    return ok("ntp", found)


def platform_url(config) -> str | None:
    y = config.uplink.yunnan
    return y.base_url if y is not None and "yunnan" in config.uplink.destinations else None


def http_date(url: str, timeout: float) -> dict:
    """GET url: {date (epoch s of the Date header), sent, received, status} or {error}."""
    import urllib.error
    import urllib.request
    sent = time.time()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="GET"), timeout=timeout) as r:
            headers, status = r.headers, r.status
    except urllib.error.HTTPError as e:   # any HTTP answer carries a Date
        headers, status = e.headers, e.code
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        return {"error": str(getattr(reason, "strerror", None) or reason)}
    received = time.time()
    out = {"sent": sent, "received": received, "status": status}
    if headers.get("Date"):
        try:
            out["date"] = parsedate_to_datetime(headers["Date"]).timestamp()
        except (TypeError, ValueError):
            pass
    return out


def offset_from_date(d: dict) -> tuple[float, float]:
    """(our clock minus the platform's, uncertainty): Date truncates to the second."""
    mid = (d["sent"] + d["received"]) / 2
    return mid - (d["date"] + 0.5), 0.5 + (d["received"] - d["sent"]) / 2


def check_clock(env):
    url = platform_url(env.config)
    if url is None:
        return warn("clock", "no HTTP platform to compare the clock with (HJ 212 only)",
                    "rely on the ntp check above; keep chrony synchronised")
    d = env.extra.get("platform_probe") or http_date(url, env.timeout_s)
    env.extra["platform_probe"] = d
    if "error" in d:
        return warn("clock", "cannot compare with the platform's clock: %s" % d["error"],
                    "see the platform check below")
    if "date" not in d:
        return warn("clock", "the platform sent no Date header", "rely on the ntp check above")
    off, unc = offset_from_date(d)
    word = "ahead of" if off > 0 else "behind"
    found = "%.1f s %s the platform's clock (±%.1f s)" % (abs(off), word, unc)
    if abs(off) - unc > MAX_OFFSET_S:
        return fail("clock", found, "records would carry the wrong time: fix NTP (chronyc sources; "
                                    "`chronyc makestep` once it is synchronised)")
    if abs(off) > MAX_OFFSET_S:
        return warn("clock", found, "the round trip is too slow to be sure; check `chronyc tracking`")
    return ok("clock", found)
