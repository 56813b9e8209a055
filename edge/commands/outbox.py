"""edge outbox stats | list | retry | show | check | prune: inspect and fix the store-and-forward outbox.

Safe to run while the lane runs (SQLite serialises the writers; nothing here resets the
lane's in-flight deliveries)."""
from __future__ import annotations

import json
from datetime import datetime

from edge import timeutil
from edge.errors import EdgeError


def add_arguments(p):
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    s = sub.add_parser("stats", help="daily transmission report (generated/uploaded/rejected/pending, rate)")
    s.add_argument("--days", type=int, default=7, help="how many days back, today included (default 7)")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.add_argument("--today", default=None, metavar="YYYYMMDD", help=argparse_hidden())
    li = sub.add_parser("list", help="list records by delivery state (one record id per line)")
    g = li.add_mutually_exclusive_group()
    g.add_argument("--pending", action="store_true", help="not yet delivered (default)")
    g.add_argument("--rejected", action="store_true", help="refused by a platform")
    g.add_argument("--all", action="store_true",
                   help="every stored record, delivered or not (also smoke events kept locally)")
    li.add_argument("--destination", default=None, help="only this destination")
    li.add_argument("--kind", default=None, help="only records of this kind (access, smoke)")
    li.add_argument("--json", action="store_true", help="one JSON object per row with the details")
    r = sub.add_parser("retry", help="make rejected records due again (after fixing them)")
    r.add_argument("record_id", nargs="?", help="the record to retry")
    r.add_argument("--all-rejected", action="store_true", help="retry every rejected record")
    sh = sub.add_parser("show", help="print one stored record and its delivery rows")
    sh.add_argument("record_id")
    ck = sub.add_parser("check", help="PRAGMA integrity_check + checksum of every undelivered (or kept-locally) record's photos")
    ck.add_argument("--all", action="store_true", help="check the photos of delivered records too")
    pr = sub.add_parser("prune", help="apply retention now (expired records; disk high-water)")
    pr.add_argument("--json", action="store_true")


def argparse_hidden():
    import argparse
    return argparse.SUPPRESS


def _open(ctx):
    from edge.store.outbox import Outbox
    return Outbox.from_config(ctx.config)


def _fmt_ms(ms):
    if not ms:
        return ""
    return timeutil.fmt_datetime(datetime.fromtimestamp(ms / 1000, timeutil.BEIJING))


def run(args, ctx):
    box = _open(ctx)
    try:
        return ACTIONS[args.action](args, ctx, box)
    finally:
        box.close()


def _stats(args, ctx, box):
    from edge.store import stats
    if args.days < 1:
        raise EdgeError("--days must be at least 1")
    rows = stats.daily(box, args.days, args.today)
    overdue = box.overdue(ctx.config.outbox.missing_upload_alarm_h)
    if args.json:
        print(json.dumps({"days": rows, "totals": stats.summary(rows), "overdue": overdue},
                         ensure_ascii=False, indent=2))
    else:
        print(stats.format_table(rows, overdue))
    return 0


def _list(args, ctx, box):
    from edge.store.outbox import PENDING, REJECTED, SENDING
    if args.all:
        if args.destination:
            raise EdgeError("--all lists records, not deliveries: drop --destination")
        for r in box.records(kind=args.kind):
            if args.json:
                r["created"] = _fmt_ms(r.pop("created_ms"))
                print(json.dumps(r, ensure_ascii=False))
            else:
                print(r["record_id"])
        return 0
    states = (REJECTED,) if args.rejected else (PENDING, SENDING)
    rows = box.list(states, destination=args.destination, kind=args.kind)
    if args.json:
        for r in rows:
            r["created"] = _fmt_ms(r.pop("created_ms"))
            r["next_attempt"] = _fmt_ms(r.pop("next_at_ms"))
            print(json.dumps(r, ensure_ascii=False))
        return 0
    seen = set()
    for r in rows:  # one line per record, even when several destinations still wait for it
        if r["record_id"] not in seen:
            seen.add(r["record_id"])
            print(r["record_id"])
    return 0


def _retry(args, ctx, box):
    if args.all_rejected == bool(args.record_id):
        raise EdgeError("give a record id or --all-rejected (not both)")
    if args.all_rejected:
        n = box.retry_all_rejected()
        print("%d deliveries due again" % n)
        return 0
    if box.get(args.record_id) is None:
        raise EdgeError("no record %s in the outbox" % args.record_id)
    n = box.retry(args.record_id)
    print("%s: %d deliveries due again" % (args.record_id, n))
    return 0


def _show(args, ctx, box):
    r = box.get(args.record_id)
    if r is None:
        raise EdgeError("no record %s in the outbox" % args.record_id)
    problems = {f: box.media.verify(ref) for f, ref in box.media_of(args.record_id).items()}
    r["media"] = {f: p or "ok" for f, p in problems.items()}
    print(json.dumps(r, ensure_ascii=False, indent=2))
    return 0


def _check(args, ctx, box):
    from edge.store.outbox import DELIVERED, PENDING, REJECTED, SENDING
    problems = [r for r in box.integrity_check() if r != "ok"]
    for p in problems:
        print("database: %s" % p)
    states = (PENDING, SENDING, REJECTED) + ((DELIVERED,) if args.all else ())
    ids = {r["record_id"] for r in box.list(states)}
    # records kept locally only (smoke events by default): their media exist nowhere else
    ids |= {r["record_id"] for r in box.records() if r["deliveries"] == 0}
    ids = sorted(ids)
    bad = 0
    for rid in ids:
        for field, ref in sorted(box.media_of(rid).items()):
            err = box.media.verify(ref)
            if err:
                bad += 1
                print("%s %s: %s" % (rid, field, err))
    print("%s: database %s, %d records checked, %d bad photos"
          % (box.path, "ok" if not problems else "DAMAGED", len(ids), bad))
    return 1 if problems or bad else 0


def _prune(args, ctx, box):
    from edge.store.retention import Retention
    report = Retention.from_config(box, ctx.config).run()
    print(json.dumps(report, ensure_ascii=False) if args.json else
          "expired %(expired)d, pruned %(pruned)d, clips %(clips)d, freed %(freed_bytes)d bytes" % report)
    return 0 if not report["alarm"] else 1


ACTIONS = {"stats": _stats, "list": _list, "retry": _retry, "show": _show, "check": _check, "prune": _prune}
