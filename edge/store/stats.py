"""Transmission statistics (HJ 1321: transmission rate ≥95%) and the missing-upload alarm.

Per Beijing day and destination: generated (records made that day), uploaded (acknowledged
by the platform), rejected (refused, kept for a fix), pending (not yet through), and
rate = uploaded ÷ generated. Counts come from the outbox itself (plus the archive of records
retention pruned), so the report cannot drift from what was actually stored and sent.
"""
from __future__ import annotations

import logging
from datetime import datetime

from edge import timeutil
from edge.store.outbox import Outbox

log = logging.getLogger(__name__)

REQUIRED_RATE = 0.95


def daily(outbox: Outbox, days: int = 7, today: str | None = None) -> list[dict]:
    return outbox.daily_stats(days, today)


def summary(rows: list[dict]) -> dict:
    """Totals over the report rows, per destination."""
    out: dict[str, dict] = {}
    for r in rows:
        t = out.setdefault(r["destination"], {"generated": 0, "uploaded": 0, "rejected": 0, "pending": 0})
        for k in t:
            t[k] += r[k]
    for t in out.values():
        t["rate"] = round(t["uploaded"] / t["generated"], 4) if t["generated"] else None
        t["meets_requirement"] = t["rate"] is None or t["rate"] >= REQUIRED_RATE
    return out


def _pct(rate) -> str:
    return "-" if rate is None else "%.2f%%" % (rate * 100)


def format_table(rows: list[dict], overdue: dict | None = None) -> str:
    head = ("day", "destination", "generated", "uploaded", "rejected", "pending", "rate")
    lines = [head]
    for r in rows:
        lines.append((r["day"], r["destination"], str(r["generated"]), str(r["uploaded"]),
                      str(r["rejected"]), str(r["pending"]), _pct(r["rate"])))
    for dest, t in sorted(summary(rows).items()):
        lines.append(("total", dest, str(t["generated"]), str(t["uploaded"]), str(t["rejected"]),
                      str(t["pending"]), _pct(t["rate"]) + ("" if t["meets_requirement"] else " < 95%")))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    text = "\n".join("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths)))
                     .rstrip() for line in lines)
    if overdue and overdue["count"]:
        text += "\nALARM: %d deliveries not uploaded after %g h (oldest from %s)" % (
            overdue["count"], overdue["hours"], _fmt_ms(overdue["oldest_ms"]))
    return text


def _fmt_ms(ms) -> str:
    if ms is None:
        return "-"
    return timeutil.fmt_datetime(datetime.fromtimestamp(ms / 1000, timeutil.BEIJING))


def check_missing_uploads(outbox: Outbox, hours: float, alarm=None) -> dict:
    """Raise the missing-upload alarm when deliveries stay undelivered longer than `hours`."""
    o = outbox.overdue(hours)
    if o["count"]:
        msg = "%d deliveries not uploaded after %g h (oldest record from %s)" % (
            o["count"], hours, _fmt_ms(o["oldest_ms"]))
        (alarm or (lambda kind, m: log.error("ALARM %s: %s", kind, m)))("missing-upload", msg)
    return o
