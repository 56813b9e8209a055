"""edge outbox stats | list | show | retry | fix | check | prune: inspect and fix the store-and-forward outbox.

Safe to run while the lane runs (SQLite serialises the writers; nothing here resets the
lane's in-flight deliveries). `retry` looks the vehicle up in the ledger again and re-validates
before a record goes back in the queue (edge/store/repair.py); `fix ID field=value ...` changes
what a technician must correct by hand. A record that still fails stays rejected, with its
reasons printed. On a read-only state dir the read actions keep working."""
from __future__ import annotations

import json
from datetime import datetime

from edge import timeutil
from edge.errors import EdgeError


def add_arguments(p):
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    s = sub.add_parser("stats", help="daily transmission report (generated/uploaded/rejected/pending, rate)")
    s.add_argument("--days", type=int_range(1, 3660), default=7,
                   help="how many days back, today included (default 7)")
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
    r = sub.add_parser("retry", help="look the vehicle up in the ledger again, re-validate, resend")
    r.add_argument("record_id", nargs="?", help="the record to retry")
    r.add_argument("--all-rejected", action="store_true", help="retry every rejected record")
    fx = sub.add_parser("fix", help="change fields of an unsent record (then it is re-validated)")
    fx.add_argument("record_id")
    fx.add_argument("changes", nargs="+", metavar="FIELD=VALUE",
                    help="e.g. cargoType=煤炭 cargoWeight=30.5 (FIELD= empties a field)")
    sh = sub.add_parser("show", help="print one stored record and its delivery rows")
    sh.add_argument("record_id")
    ck = sub.add_parser("check", help="PRAGMA integrity_check + checksum of every undelivered (or kept-locally) record's photos")
    ck.add_argument("--all", action="store_true", help="check the photos of delivered records too")
    pr = sub.add_parser("prune", help="apply retention now (expired records; disk high-water)")
    pr.add_argument("--json", action="store_true")


def int_range(lo, hi):
    from edge.cli import int_range as r
    return r(lo, hi)


def argparse_hidden():
    import argparse
    return argparse.SUPPRESS


def _open(ctx):
    from edge.store.outbox import Outbox
    from edge.store.statedir import ensure
    ensure(ctx.config.state_dir, create=False)   # reading an outbox must not create one
    return Outbox.from_config(ctx.config)


def _fmt_ms(ms):
    if not ms:
        return ""
    return timeutil.fmt_datetime(datetime.fromtimestamp(ms / 1000, timeutil.BEIJING))


def run(args, ctx):
    if args.action == "retry" and args.all_rejected == bool(args.record_id):
        raise EdgeError("give a record id or --all-rejected (not both)")
    if args.action == "check":
        return _check_file(args, ctx)
    box = _open(ctx)
    try:
        return ACTIONS[args.action](args, ctx, box)
    finally:
        box.close()


def _stats(args, ctx, box):
    from edge.store import stats
    rows = stats.daily(box, args.days, args.today)
    overdue = box.overdue(ctx.config.outbox.missing_upload_alarm_h)
    if args.json:
        print(json.dumps({"days": rows, "totals": stats.summary(rows), "overdue": overdue}, ensure_ascii=False))
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


def _ledger(ctx):
    from edge.store.ledger import Ledger
    path = ctx.config.state_dir / Ledger.FILENAME
    return Ledger(path) if path.is_file() else None


def _report(ctx, rid, ok, problems) -> None:
    ctx.emit({"recordId": rid, "ok": ok, "state": "pending" if ok else "rejected", "problems": problems},
             "%s: %s" % (rid, "due for delivery again" if ok else
                         "still rejected:\n" + "\n".join("  " + p for p in problems)))


def _retry(args, ctx, box):
    from edge.store import repair
    from edge.store.outbox import REJECTED
    ids = box.undelivered_ids(states=(REJECTED,)) if args.all_rejected else [args.record_id]
    ledger = _ledger(ctx)
    bad = 0
    try:
        for rid in ids:
            ok, problems = repair.retry(box, ledger, rid)
            bad += not ok
            _report(ctx, rid, ok, problems)
    finally:
        if ledger is not None:
            ledger.close()
    if args.all_rejected and not ctx.json:
        print("%d due again, %d still rejected" % (len(ids) - bad, bad))
    return 1 if bad else 0


def parse_changes(kind: str, pairs) -> dict:
    """FIELD=VALUE words -> {field: value}; whole-number fields (smokeLevel) become ints."""
    from edge.domain.records import KINDS, fields_by_name
    from edge.errors import ValidationError
    spec = fields_by_name(kind) if kind in KINDS else {}
    out, problems = {}, []
    for pair in pairs:
        field, eq, value = pair.partition("=")
        field = field.strip()
        if not eq or not field:
            problems.append((pair, "must be FIELD=VALUE"))
            continue
        if spec and field not in spec:
            problems.append((field, "not a field of a %s record (%s)" % (kind, ", ".join(spec))))
            continue
        if spec.get(field, {}).get("type") == "int" and value != "":
            try:
                value = int(value)
            except ValueError:
                problems.append((field, "must be a whole number"))
                continue
        out[field] = value
    if problems:
        raise ValidationError(problems, "fix")
    return out


def _fix(args, ctx, box):
    stored = box.get(args.record_id)
    if stored is None:
        raise EdgeError("no record %s in the outbox" % args.record_id)
    problems = box.fix(args.record_id, parse_changes(stored["kind"], args.changes))
    _report(ctx, args.record_id, not problems, problems)
    return 1 if problems else 0


def _show(args, ctx, box):
    r = box.get(args.record_id)
    if r is None:
        raise EdgeError("no record %s in the outbox" % args.record_id)
    problems = {f: box.media.verify(ref) for f, ref in box.media_of(args.record_id).items()}
    r["media"] = {f: p or "ok" for f, p in problems.items()}
    r["edits"] = [dict(e, at=_fmt_ms(e.pop("at_ms"))) for e in box.edits(args.record_id)]
    print(json.dumps(r, ensure_ascii=False, indent=2))
    return 0


def _check_file(args, ctx):
    """integrity + photos; a database that cannot even be opened or read is one DAMAGED line."""
    import sqlite3

    from edge.errors import StorageError
    from edge.store.outbox import DB_NAME
    path = ctx.config.state_dir / DB_NAME
    try:
        box = _open(ctx)
    except StorageError as e:
        if e.kind in ("damaged", "missing", "io"):
            print("%s: database DAMAGED: %s" % (path, e))
            return 1
        raise
    try:
        return _check(args, ctx, box)
    except (sqlite3.DatabaseError, StorageError) as e:
        print("%s: database DAMAGED: %s" % (path, e))
        return 1
    finally:
        box.close()


def _check(args, ctx, box):
    from edge.store.outbox import DELIVERED, PENDING, REJECTED, SENDING
    problems = [r for r in box.integrity_check() if r != "ok"]
    if problems:   # one line: the first problem and how many more (integrity_check lists pages)
        print("%s: database DAMAGED: %s%s (restore outbox.db from a backup)"
              % (box.path, problems[0], " (+%d more)" % (len(problems) - 1) if len(problems) > 1 else ""))
        return 1
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
    print("%s: database ok, %d records checked, %d bad photos" % (box.path, len(ids), bad))
    return 1 if bad else 0


def _prune(args, ctx, box):
    from edge.store.retention import Retention
    report = Retention.from_config(box, ctx.config).run()
    print(json.dumps(report, ensure_ascii=False) if args.json else
          "expired %(expired)d, pruned %(pruned)d, clips %(clips)d, freed %(freed_bytes)d bytes" % report)
    return 0 if not report["alarm"] else 1


ACTIONS = {"stats": _stats, "list": _list, "retry": _retry, "fix": _fix, "show": _show, "prune": _prune}
