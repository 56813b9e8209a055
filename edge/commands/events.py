"""edge events [--json] [--follow] [--since "YYYY-MM-DD HH:MM:SS"] [--type T,...] [--plate P]

Reads the lane's event log (<state_dir>/events.db) directly: works whether or not the lane
runs. --follow keeps printing new events as they are appended (Ctrl-C stops)."""
from __future__ import annotations

import json
import time

from edge.errors import EdgeError


def add_arguments(p):
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    p.add_argument("--since", metavar='"YYYY-MM-DD HH:MM:SS"', help="from this Beijing time on")
    p.add_argument("--type", metavar="T[,T...]", help="only these event types (allow, refuse, alarm, ...)")
    p.add_argument("--plate", help="only events of this plate")
    p.add_argument("--limit", type=int, default=200, help="at most this many past events (default 200)")


def _check_since(text):
    from edge.timeutil import parse_datetime
    try:
        parse_datetime(text)
    except ValueError:
        raise EdgeError('--since: %r is not "YYYY-MM-DD HH:MM:SS"' % text) from None


def format_event(e: dict) -> str:
    skip = ("id", "time", "type", "plate", "reason", "manual", "who")
    rest = " ".join("%s=%s" % (k, v) for k, v in e.items() if k not in skip and v not in (None, ""))
    parts = [e.get("time", ""), e.get("type", "")]
    if e.get("plate"):
        parts.append(e["plate"])
    if e.get("reason"):
        parts.append(str(e["reason"]))
    if e.get("manual"):
        parts.append("[manual]")
    if e.get("who"):
        parts.append("by " + str(e["who"]))
    if rest:
        parts.append(rest)
    return " ".join(parts)


def run(args, ctx):
    from edge.lane.eventlog import TYPES, open_readonly
    if args.since:
        _check_since(args.since)
    if not 1 <= args.limit <= 100000:
        raise EdgeError("--limit: between 1 and 100000")
    types = [t for t in (args.type or "").split(",") if t] or None
    for t in types or ():
        if t not in TYPES:
            raise EdgeError("--type: unknown event type %r (known: %s)" % (t, ", ".join(TYPES)))
    log = open_readonly(ctx.config.state_dir)
    if log is None and not args.follow:
        return 0  # the lane never ran here: no events
    emit = (lambda e: print(json.dumps(e, ensure_ascii=False), flush=True)) if args.json else \
        (lambda e: print(format_event(e), flush=True))
    last = 0
    try:
        if log is not None:
            past = log.query(since=args.since, types=types, plate=args.plate, limit=args.limit, newest=True)
            for e in reversed(past):
                emit(e)
            last = log.last_id()
        while args.follow:
            time.sleep(0.5)
            if log is None:
                log = open_readonly(ctx.config.state_dir)
                continue
            for e in log.query(after_id=last, types=types, plate=args.plate, limit=1000):
                emit(e)
                last = e["id"]
    except KeyboardInterrupt:
        return 0
    finally:
        if log is not None:
            log.close()
    return 0
