"""The durable outbox: every record the lane makes, kept until each platform acknowledged it.

One SQLite file (`outbox.db`, WAL) beside the media folder. Tables:
  records     one row per record (JSON body; photo fields hold media refs), idempotent by id
  media       which record uses which media file (ref) — so retention never deletes a file
              another record still points at
  deliveries  one row per record per destination: pending → sending → delivered | rejected
              (platform's reason kept), attempt count, next attempt time. A kind with a
              route (`routes={"smoke": [...]}`) gets rows only for its routed destinations;
              with none it is kept locally: no rows, nothing pending, retention as delivered
  counters    the record sequence number (survives restarts), ...
  stats_archive  daily counts of records retention has pruned, so the report stays whole

Durability: `put` returns only after the photos are fsynced + renamed (media.py) and the DB
transaction is committed with synchronous=FULL. Several records arriving together may share
one transaction (`put_many`) — fewer fsyncs, never a weaker promise for a returned put.

The connection is shared by threads (the uploader calls in via asyncio.to_thread) under a
lock; other processes (`edge record demo`, `edge outbox ...` while the lane runs) open their
own connection and SQLite's file locking serialises the writers (busy_timeout).
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from edge import timeutil
from edge.errors import EdgeError, StorageError
from edge.store import faults, statedir
from edge.store.media import MediaError, MediaStore, kind_of
from edge.store.sqlite_store import connect

log = logging.getLogger(__name__)

DB_NAME = "outbox.db"
MEDIA_DIR = "media"
SEQ = "record_seq"

PENDING, SENDING, DELIVERED, REJECTED = "pending", "sending", "delivered", "rejected"

# Kinds the lane keeps for itself and never sends: a refused vehicle's photo and reason (not
# an access record: it did not pass), passage / manual-lift clips (no platform field), and a
# guard's review of a smoke event (复核确认, Ningxia 4.5.2-8: kept beside the event, which stays as made).
LOCAL_KINDS = ("refusal", "clip", "smoke_review")
# Kinds left out of the daily transmission statistics (HJ 1321 rate of the records the
# platforms require): smoke events are defined by no spec and mostly kept locally.
UNCOUNTED_KINDS = ("smoke",) + LOCAL_KINDS
_COUNTED = "r.kind NOT IN (%s)" % ",".join("'%s'" % k for k in UNCOUNTED_KINDS)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records(
    record_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    day TEXT NOT NULL,              -- Beijing date YYYYMMDD the record belongs to (daily stats)
    created_ms INTEGER NOT NULL,
    body TEXT NOT NULL              -- JSON; photo/clip fields hold media refs
);
CREATE INDEX IF NOT EXISTS records_day ON records(day);
CREATE TABLE IF NOT EXISTS media(
    ref TEXT NOT NULL,
    record_id TEXT NOT NULL,
    field TEXT NOT NULL,
    kind TEXT NOT NULL,             -- photo | clip (different retention)
    PRIMARY KEY(ref, record_id, field)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS media_record ON media(record_id);
-- partial: only clip rows are indexed, so photos pay nothing for it
CREATE INDEX IF NOT EXISTS media_clips ON media(record_id) WHERE kind='clip';
CREATE TABLE IF NOT EXISTS deliveries(
    id INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL,
    destination TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at_ms INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL,
    done_ms INTEGER,
    reason TEXT,                    -- platform's rejection reason / last transient error
    ack TEXT,
    not_before_ms INTEGER NOT NULL DEFAULT 0,   -- held back until then (cargo entry window)
    UNIQUE(record_id, destination)
);
CREATE INDEX IF NOT EXISTS deliveries_queue ON deliveries(destination, state, created_ms);
CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stats_archive(
    day TEXT NOT NULL, destination TEXT NOT NULL,
    generated INTEGER NOT NULL DEFAULT 0, uploaded INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY(day, destination)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS record_edits(   -- what a fix changed, for `edge outbox show`
    record_id TEXT NOT NULL, at_ms INTEGER NOT NULL, changes TEXT NOT NULL, problems TEXT
);
CREATE INDEX IF NOT EXISTS record_edits_record ON record_edits(record_id);
"""
# Columns added after the first release: (table, column, declaration) — added on open.
_MIGRATIONS = (("deliveries", "not_before_ms", "INTEGER NOT NULL DEFAULT 0"),)
# A fix may not touch these: the id is the record's identity at the platform, media refs are
# checksums of stored files.
FIXED_FIELDS = ("recordId", "carHeadImg", "carImg")


class OutboxError(EdgeError):
    pass


def _spec_validator(kind: str, record: dict) -> list[str]:
    """The default check of a fix: the spec's rules for the kinds that have them."""
    from edge.domain import validate
    from edge.domain.records import KINDS
    if kind not in KINDS:
        return []
    return ["%s: %s" % p for p in validate.validate(kind, record)]


def _day_of(record: dict, now_s: float) -> str:
    """The Beijing date a record counts for: its accessTime's date, else the put time's."""
    t = record.get("accessTime")
    if isinstance(t, str):
        try:
            return timeutil.fmt_date(timeutil.parse_datetime(t))
        except ValueError:
            pass
    return timeutil.fmt_date(datetime.fromtimestamp(now_s, timeutil.BEIJING))


class Claim:
    """One delivery row handed to the uploader."""
    __slots__ = ("id", "record_id", "destination", "attempts", "created_ms", "kind", "body")

    def __init__(self, id, record_id, destination, attempts, created_ms, kind=None, body=None):
        self.id, self.record_id, self.destination = id, record_id, destination
        self.attempts, self.created_ms, self.kind, self.body = attempts, created_ms, kind, body

    def __repr__(self):
        return "Claim(%s→%s #%d)" % (self.record_id, self.destination, self.attempts)


class Outbox:
    def __init__(self, state_dir: str | os.PathLike, destinations, *, clock=time.time,
                 busy_timeout_s: float = 30.0, routes: dict | None = None):
        self.dir = statedir.ensure(state_dir)
        self.destinations = list(destinations)
        if not self.destinations:
            raise OutboxError("no destinations: [uplink] destinations is empty")
        # kind -> the destinations its records go to (kinds not listed go to every destination)
        self.routes = {k: list(v) for k, v in (routes or {}).items()}
        for kind, dests in self.routes.items():
            unknown = [d for d in dests if d not in self.destinations]
            if unknown:
                raise OutboxError("route for %r names %s, not in the destinations %s"
                                  % (kind, ", ".join(unknown), ", ".join(self.destinations)))
        self.clock = clock
        self.path = self.dir / DB_NAME
        self._lock = threading.RLock()
        # a read-only state dir (ext4 remounts a failing eMMC read-only): reads keep working,
        # every write names the problem (_writable)
        self.readonly_reason = faults.readonly_problem(self.dir)
        created = not self.path.is_file() or self.path.stat().st_size == 0
        if created:
            self._refuse_new_db_beside_media()
        if self.readonly_reason and created:
            raise StorageError("%s cannot be created: %s" % (self.path, self.readonly_reason),
                               faults.READONLY, str(self.path))
        self.media = MediaStore(self.dir / MEDIA_DIR, create=not self.readonly_reason)
        try:
            self._open(busy_timeout_s)
        except sqlite3.DatabaseError as e:
            raise faults.storage_error(e, self.path) from None
        if created:  # the new DB file's directory entry must survive a power cut too
            from edge.store.media import fsync_dir
            fsync_dir(self.dir)

    def _open(self, busy_timeout_s):
        self._db = connect(self.path, readonly=bool(self.readonly_reason), timeout=busy_timeout_s)
        self._db.row_factory = sqlite3.Row
        if self.readonly_reason:
            self._db.execute("SELECT count(*) FROM records").fetchone()  # fails now if not our DB
            self._has_hold = "not_before_ms" in self._columns("deliveries")
            return
        self._db.execute("PRAGMA journal_mode=WAL")
        # synchronous=FULL: in WAL mode every COMMIT fsyncs the WAL before returning, so a
        # record whose put() returned survives a power cut. NORMAL (the usual WAL choice) only
        # fsyncs at checkpoints and can lose the last commits on power loss — the lane would
        # already have lifted the barrier for a record that then vanishes. The cost is one
        # fsync per transaction, which put_many/batched uploader updates amortise.
        self._db.execute("PRAGMA synchronous=FULL")
        # cap the WAL file left after a checkpoint (eMMC: don't keep rewriting a huge file)
        self._db.execute("PRAGMA journal_size_limit=%d" % (4 << 20))
        with self._lock:
            self._db.executescript(_SCHEMA)
            for table, column, decl in _MIGRATIONS:
                if column not in self._columns(table):
                    self._db.execute("ALTER TABLE %s ADD COLUMN %s %s" % (table, column, decl))
        self._has_hold = True

    def _columns(self, table) -> set:
        return {r[1] for r in self._db.execute("PRAGMA table_info(%s)" % table)}

    def _refuse_new_db_beside_media(self):
        """A missing or empty outbox.db beside stored photos is lost data, not a fresh board:
        recreating it empty would make every undelivered photo an "orphan" for housekeeping to
        delete. Refuse; a technician restores the database (or moves media/ aside on purpose)."""
        media = self.dir / MEDIA_DIR
        n = MediaStore.count_files(media, stop_at=1000)
        if n:
            what = "missing" if not self.path.exists() else "empty"
            raise StorageError(
                "%s is %s but %s holds %s stored photo%s: refusing to start with an empty outbox "
                "(it would treat them as orphans); restore outbox.db from a backup, or move %s aside "
                "to start afresh" % (self.path, what, media, "%d" % n if n < 1000 else "1000+",
                                     "" if n == 1 else "s", media), faults.MISSING, str(self.path))

    def _writable(self):
        if self.readonly_reason:
            raise StorageError("cannot change the outbox: %s" % self.readonly_reason, faults.READONLY,
                               str(self.path))

    @classmethod
    def from_config(cls, config, **kw) -> "Outbox":
        routes = {k: [] for k in LOCAL_KINDS}
        smoke = getattr(config, "smoke", None)
        if smoke is not None:
            routes["smoke"] = list(smoke.destinations)
        kw.setdefault("routes", routes)
        return cls(Path(config.paths.state_dir), config.uplink.destinations, **kw)

    def close(self):
        with self._lock:
            self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------ helpers
    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def _tx(self):
        return _Tx(self)

    # ------------------------------------------------------------ putting
    def put(self, record: dict, media: dict | None = None, *, kind: str = "access",
            reject_reason: str | None = None) -> bool:
        """Store a record (and its photos) durably; True if new, False if the id was already
        stored (idempotent: nothing is written twice). `media` maps a record field
        ("carHeadImg", "carImg") to JPEG bytes (or (bytes, ext) for clips); the field then holds
        the media ref. `reject_reason` stores a record that failed local validation as
        rejected (kept, alarmed, fixable) instead of losing it."""
        return self.put_many([(record, media or {})], kind=kind, reject_reason=reject_reason)[0]

    def put_many(self, items, *, kind: str = "access", reject_reason: str | None = None) -> list[bool]:
        """Store several (record, media) pairs with one directory fsync per day folder and one
        commit; durable when it returns. A full or read-only disk raises StorageError."""
        self._writable()
        try:
            return self._put_many(items, kind, reject_reason)
        except (OSError, sqlite3.DatabaseError) as e:
            if faults.classify(e) is None:
                raise
            raise faults.storage_error(e, getattr(e, "filename", None) or self.path) from None

    def _put_many(self, items, kind, reject_reason):
        now_s = self.clock()
        prepared, seen = [], set()
        for record, media in items:
            rid = record.get("recordId")
            if not isinstance(rid, str) or not rid:
                raise OutboxError("record has no recordId")
            prepared.append((rid, record, media or {}))
        existing = self._existing([p[0] for p in prepared])
        todo = []
        for rid, record, media in prepared:
            if rid in existing or rid in seen:
                continue
            seen.add(rid)
            todo.append((rid, record, media))
        rows = self._write_media(todo, now_s)
        new = set()
        if rows:
            with self._lock, self._tx() as db:
                for rid, body, day, refs in rows:
                    if self._insert(db, rid, kind, day, body, refs, now_s, reject_reason):
                        new.add(rid)
        out = []
        for rid, _, _ in prepared:
            out.append(rid in new)
            new.discard(rid)  # a second copy in the same batch is not new
        return out

    def put_new(self, build, media: dict | None = None, *, kind: str = "access",
                validate=None, not_before_ms: int | None = None) -> tuple[dict, bool]:
        """Allocate the next sequence number and store `build(seq)` in the same transaction
        (so a number is consumed only by a record that exists). `validate(record)` returns a
        rejection reason or None; an invalid record is still stored, as rejected.
        `not_before_ms` holds the record back from delivery until then (the cargo entry window:
        a fix before then releases it at once). A full or read-only disk raises StorageError."""
        self._writable()
        try:
            return self._put_new(build, media, kind, validate, not_before_ms)
        except (OSError, sqlite3.DatabaseError) as e:
            if faults.classify(e) is None:
                raise
            raise faults.storage_error(e, getattr(e, "filename", None) or self.path) from None

    def _put_new(self, build, media, kind, validate, not_before_ms):
        now_s = self.clock()
        day = timeutil.fmt_date(datetime.fromtimestamp(now_s, timeutil.BEIJING))
        blobs, fields = [], []
        for field, value in (media or {}).items():
            data, ext = value if isinstance(value, tuple) else (value, "jpg")
            blobs.append((data, ext))
            fields.append(field)
        refs = dict(zip(fields, self.media.put_many(blobs, day))) if blobs else {}
        with self._lock, self._tx() as db:
            row = db.execute("SELECT value FROM counters WHERE name=?", (SEQ,)).fetchone()
            seq = (row[0] if row else 0) + 1
            body = dict(build(seq))
            body.update(refs)
            reason = validate(body) if validate else None
            db.execute("INSERT INTO counters(name, value) VALUES(?, ?) "
                       "ON CONFLICT(name) DO UPDATE SET value=excluded.value", (SEQ, seq))
            if not self._insert(db, body["recordId"], kind, _day_of(body, now_s), body, refs, now_s, reason,
                                not_before_ms):
                # same ms stamp and same sequence number: cannot happen unless the clock and the
                # counter both went back; refuse loudly rather than drop this passage silently
                raise OutboxError("recordId %s already stored" % body["recordId"])
        return body, reason is None

    def _existing(self, ids) -> set:
        with self._lock:
            out = set()
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                q = "SELECT record_id FROM records WHERE record_id IN (%s)" % ",".join("?" * len(chunk))
                out.update(r[0] for r in self._db.execute(q, chunk))
            return out

    def _write_media(self, todo, now_s):
        by_day: dict[str, list] = {}
        rows = []
        for rid, record, media in todo:
            day = _day_of(record, now_s)
            fields = []
            for field, value in media.items():
                data, ext = value if isinstance(value, tuple) else (value, "jpg")
                by_day.setdefault(day, []).append((data, ext))
                fields.append(field)
            rows.append((rid, dict(record), day, fields))
        refs_by_day = {day: iter(self.media.put_many(blobs, day)) for day, blobs in by_day.items()}
        out = []
        for rid, body, day, fields in rows:
            refs = {f: next(refs_by_day[day]) for f in fields}
            body.update(refs)
            out.append((rid, body, day, refs))
        return out

    def _insert(self, db, rid, kind, day, body, refs, now_s, reject_reason, not_before_ms=None) -> bool:
        now_ms = int(now_s * 1000)
        cur = db.execute("INSERT OR IGNORE INTO records(record_id, kind, day, created_ms, body) "
                         "VALUES(?,?,?,?,?)",
                         (rid, kind, day, now_ms,
                          json.dumps(body, ensure_ascii=False, separators=(",", ":"))))
        if cur.rowcount == 0:
            return False  # another process stored it between our check and this transaction
        db.executemany("INSERT OR IGNORE INTO media(ref, record_id, field, kind) VALUES(?,?,?,?)",
                       [(ref, rid, f, kind_of(ref)) for f, ref in refs.items()])
        state = REJECTED if reject_reason else PENDING
        db.executemany("INSERT OR IGNORE INTO deliveries(record_id, destination, state, created_ms, "
                       "reason, done_ms, not_before_ms) VALUES(?,?,?,?,?,?,?)",
                       [(rid, d, state, now_ms, reject_reason, now_ms if reject_reason else None,
                         int(not_before_ms or 0)) for d in self.destinations_of(kind)])
        if reject_reason:
            log.error("record %s stored as REJECTED (not sent): %s", rid, reject_reason)
        return True

    def destinations_of(self, kind: str) -> list[str]:
        """Where records of `kind` are delivered ([] = kept locally only)."""
        return self.routes.get(kind, self.destinations)

    # ------------------------------------------------------------ reading
    def get(self, record_id: str) -> dict | None:
        """The stored record (media fields hold refs) with its delivery rows, or None."""
        with self._lock:
            r = self._db.execute("SELECT * FROM records WHERE record_id=?", (record_id,)).fetchone()
            if r is None:
                return None
            ds = self._db.execute("SELECT destination, state, attempts, next_at_ms, reason, ack, done_ms%s "
                                  "FROM deliveries WHERE record_id=? ORDER BY destination"
                                  % (", not_before_ms" if self._has_hold else ""), (record_id,)).fetchall()
        return {"recordId": r["record_id"], "kind": r["kind"], "day": r["day"],
                "created_ms": r["created_ms"], "record": json.loads(r["body"]),
                "deliveries": [dict(d) for d in ds]}

    def media_of(self, record_id: str) -> dict[str, str]:
        with self._lock:
            return {f: ref for ref, f in self._db.execute(
                "SELECT ref, field FROM media WHERE record_id=?", (record_id,))}

    def load_media(self, record_id: str, kind: str | None = None) -> dict[str, bytes]:
        """Media bytes by field, checksum-verified (MediaError names the bad one); `kind`
        "photo" or "clip" loads only those (the uploader sends photos, never clips)."""
        return {f: self.media.get(ref) for f, ref in self.media_of(record_id).items()
                if kind is None or kind_of(ref) == kind}

    def count(self, destination: str | None = None, state: str | None = None) -> int:
        q, args = "SELECT COUNT(*) FROM deliveries WHERE 1", []
        if destination:
            q += " AND destination=?"
            args.append(destination)
        if state:
            q += " AND state=?"
            args.append(state)
        with self._lock:
            return self._db.execute(q, args).fetchone()[0]

    def record_count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM records").fetchone()[0]

    def list(self, states=(PENDING, SENDING), destination: str | None = None, limit: int | None = None,
             kind: str | None = None):
        """Delivery rows in the given states, oldest first."""
        q = ("SELECT record_id, destination, state, attempts, next_at_ms, created_ms, reason, ack "
             "FROM deliveries WHERE state IN (%s)" % ",".join("?" * len(states)))
        args = list(states)
        if destination:
            q += " AND destination=?"
            args.append(destination)
        if kind:
            q += " AND record_id IN (SELECT record_id FROM records WHERE kind=?)"
            args.append(kind)
        q += " ORDER BY created_ms, id"
        if limit:
            q += " LIMIT %d" % int(limit)
        with self._lock:
            return [dict(r) for r in self._db.execute(q, args)]

    def records(self, kind: str | None = None, limit: int | None = None) -> list[dict]:
        """Stored records (any delivery state, also those kept locally), oldest first:
        record_id, kind, day, created_ms, its delivery rows (0: kept locally only) and how many
        of them are not yet delivered."""
        q = ("SELECT r.record_id, r.kind, r.day, r.created_ms, "
             "(SELECT COUNT(*) FROM deliveries d WHERE d.record_id=r.record_id) AS deliveries, "
             "(SELECT COUNT(*) FROM deliveries d WHERE d.record_id=r.record_id AND d.state!='delivered') "
             "AS undelivered FROM records r")
        args: list = []
        if kind:
            q += " WHERE r.kind=?"
            args.append(kind)
        q += " ORDER BY r.created_ms, r.rowid"
        if limit:
            q += " LIMIT %d" % int(limit)
        with self._lock:
            return [dict(r) for r in self._db.execute(q, args)]

    def integrity_check(self, quick: bool = False) -> list[str]:
        """SQLite's own check: ["ok"], or one line per problem found."""
        with self._lock:
            return [r[0] for r in self._db.execute("PRAGMA %s" % ("quick_check" if quick else "integrity_check"))]

    def seq(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT value FROM counters WHERE name=?", (SEQ,)).fetchone()
            return row[0] if row else 0

    # ------------------------------------------------------------ uploader side
    def recover_sending(self) -> int:
        """Rows left 'sending' by a crash go back to pending (call once, by the uploader that
        owns the outbox, before it starts: never from a CLI running beside the lane)."""
        with self._lock, self._tx() as db:
            n = db.execute("UPDATE deliveries SET state=? WHERE state=?", (PENDING, SENDING)).rowcount
        if n:
            log.warning("outbox: %d deliveries were in flight at the last stop; will resend them", n)
        return n

    def claim(self, destination: str, limit: int, *, newest: bool = False,
              acks=(), now_ms: int | None = None) -> list[Claim]:
        """Mark up to `limit` due pending rows of `destination` as sending and return them with
        their record bodies — oldest first, or newest first (so fresh records are not stuck
        behind a backlog). `acks` ([(row id, ack text)]) are marked delivered in the same
        transaction: one commit per uploader cycle instead of one per record (eMMC wear)."""
        now_ms = self._now_ms() if now_ms is None else now_ms
        order = "DESC" if newest else "ASC"
        with self._lock, self._tx() as db:
            if acks:
                self._mark_delivered(db, acks, now_ms)
            if limit <= 0:
                return []
            rows = db.execute(
                "SELECT id, record_id, destination, attempts, created_ms FROM deliveries "
                "WHERE destination=? AND state=? AND next_at_ms<=? AND not_before_ms<=? "
                "ORDER BY created_ms %s, id %s LIMIT ?" % (order, order),
                (destination, PENDING, now_ms, now_ms, limit)).fetchall()
            if not rows:
                return []
            ids = [r["id"] for r in rows]
            db.execute("UPDATE deliveries SET state=? WHERE id IN (%s)" % ",".join("?" * len(ids)),
                       [SENDING] + ids)
            rids = [r["record_id"] for r in rows]
            bodies = {b["record_id"]: (b["kind"], b["body"]) for b in db.execute(
                "SELECT record_id, kind, body FROM records WHERE record_id IN (%s)" % ",".join("?" * len(rids)),
                rids)}
        out = []
        for r in rows:
            kind, body = bodies[r["record_id"]]
            out.append(Claim(r["id"], r["record_id"], r["destination"], r["attempts"], r["created_ms"],
                             kind, json.loads(body)))
        return out

    def _mark_delivered(self, db, acks, now_ms):
        db.executemany("UPDATE deliveries SET state=?, attempts=attempts+1, done_ms=?, ack=?, reason=NULL "
                       "WHERE id=? AND state=?",
                       [(DELIVERED, now_ms, (ack or "")[:200], rid, SENDING) for rid, ack in acks])

    def mark_delivered(self, acks, now_ms: int | None = None):
        if not acks:
            return
        now_ms = self._now_ms() if now_ms is None else now_ms
        with self._lock, self._tx() as db:
            self._mark_delivered(db, acks, now_ms)

    def mark_retry(self, row_id: int, reason: str, next_at_ms: int):
        """A transient failure: back to pending, one more attempt counted, due at next_at_ms."""
        with self._lock, self._tx() as db:
            db.execute("UPDATE deliveries SET state=?, attempts=attempts+1, next_at_ms=?, reason=? "
                       "WHERE id=? AND state=?", (PENDING, next_at_ms, reason[:500], row_id, SENDING))

    def mark_rejected(self, row_id: int, reason: str):
        with self._lock, self._tx() as db:
            db.execute("UPDATE deliveries SET state=?, attempts=attempts+1, done_ms=?, reason=? "
                       "WHERE id=? AND state=?", (REJECTED, self._now_ms(), reason[:1000], row_id, SENDING))

    def release(self, row_ids):
        """Claimed rows not attempted (destination went down meanwhile): pending again, no
        attempt counted."""
        if not row_ids:
            return
        ids = list(row_ids)
        with self._lock, self._tx() as db:
            db.execute("UPDATE deliveries SET state=? WHERE state=? AND id IN (%s)" % ",".join("?" * len(ids)),
                       [PENDING, SENDING] + ids)

    def undefer(self, destination: str) -> int:
        """The destination is back: rows waiting out a per-row backoff are due now."""
        now = self._now_ms()
        with self._lock, self._tx() as db:
            return db.execute("UPDATE deliveries SET next_at_ms=0 WHERE destination=? AND state=? "
                              "AND next_at_ms>?", (destination, PENDING, now)).rowcount

    def next_due_ms(self, destination: str) -> int | None:
        """Earliest next-attempt time among pending rows of the destination, or None."""
        with self._lock:
            return self._db.execute("SELECT MIN(MAX(next_at_ms, not_before_ms)) FROM deliveries "
                                    "WHERE destination=? AND state=?", (destination, PENDING)).fetchone()[0]

    def retry(self, record_id: str) -> int:
        """Make a rejected (or backing-off) record due again on every destination that has not
        taken it. Returns the rows changed."""
        with self._lock, self._tx() as db:
            return db.execute("UPDATE deliveries SET state=?, next_at_ms=0, done_ms=NULL "
                              "WHERE record_id=? AND state IN (?, ?)",
                              (PENDING, record_id, REJECTED, PENDING)).rowcount

    def retry_all_rejected(self) -> int:
        with self._lock, self._tx() as db:
            return db.execute("UPDATE deliveries SET state=?, next_at_ms=0, done_ms=NULL WHERE state=?",
                              (PENDING, REJECTED)).rowcount

    def fix(self, record_id: str, changes: dict, validate=None) -> list[str]:
        """Change fields of a stored record that has not gone out yet, re-validate it, and
        return its problems ([] = valid). A valid record becomes pending (due now, any hold
        released) on every destination that has not taken it; one that still fails stays (or
        becomes) rejected with the problems as its reason. The changes are kept either way,
        so a technician can fix one field at a time; each fix is logged in record_edits.

        `validate(record) -> [problems]`, each a "field: rule" text or a (field, rule) pair
        (default: the spec validation of the record's kind).
        `changes` maps a field to its new value; None removes the field. Refused (OutboxError):
        an unknown record, recordId or a photo field, a record being sent right now, or one
        every destination has already taken (the platform holds it: change it there)."""
        bad = [f for f in changes if f in FIXED_FIELDS]
        if bad:
            raise OutboxError("%s cannot be changed by a fix" % ", ".join(bad))
        now_ms = self._now_ms()
        with self._lock, self._tx() as db:
            row = db.execute("SELECT kind, body FROM records WHERE record_id=?", (record_id,)).fetchone()
            if row is None:
                raise OutboxError("no record %s in the outbox" % record_id)
            states = [r[0] for r in db.execute("SELECT state FROM deliveries WHERE record_id=?", (record_id,))]
            if SENDING in states:
                raise OutboxError("record %s is being sent right now; try again in a moment" % record_id)
            if states and all(st == DELIVERED for st in states):
                raise OutboxError("record %s was delivered already; the platform holds it as sent" % record_id)
            body = json.loads(row["body"])
            for k, v in changes.items():
                if v is None:
                    body.pop(k, None)
                else:
                    body[k] = v
            found = validate(body) if validate is not None else _spec_validator(row["kind"], body)
            problems = [p if isinstance(p, str) else "%s: %s" % tuple(p) for p in (found or ())]
            db.execute("UPDATE records SET body=? WHERE record_id=?",
                       (json.dumps(body, ensure_ascii=False, separators=(",", ":")), record_id))
            if problems:
                reason = "local: " + "; ".join(problems)
                db.execute("UPDATE deliveries SET state=?, reason=?, done_ms=COALESCE(done_ms, ?) "
                           "WHERE record_id=? AND state IN (?, ?)",
                           (REJECTED, reason[:1000], now_ms, record_id, PENDING, REJECTED))
            else:
                db.execute("UPDATE deliveries SET state=?, next_at_ms=0, not_before_ms=0, done_ms=NULL, "
                           "reason=NULL WHERE record_id=? AND state IN (?, ?)",
                           (PENDING, record_id, PENDING, REJECTED))
            if changes:
                db.execute("INSERT INTO record_edits(record_id, at_ms, changes, problems) VALUES(?,?,?,?)",
                           (record_id, now_ms, json.dumps(changes, ensure_ascii=False, default=str),
                            "; ".join(problems) or None))
        log.log(logging.WARNING if problems else logging.INFO, "record %s %s: %s", record_id,
                    "fixed (%s)" % ", ".join(sorted(changes)) if changes else "re-validated",
                    "valid, due for delivery" if not problems else "still invalid: " + "; ".join(problems))
        return problems

    def edits(self, record_id: str) -> list[dict]:
        """The fixes made to a record, oldest first."""
        with self._lock:
            return [{"at_ms": r[0], "changes": json.loads(r[1]), "problems": r[2]} for r in self._db.execute(
                "SELECT at_ms, changes, problems FROM record_edits WHERE record_id=? ORDER BY rowid",
                (record_id,))]

    def held_count(self) -> int:
        """Records held back from delivery (put_new(not_before_ms=...)) whose hold has not ended."""
        if not self._has_hold:
            return 0
        with self._lock:
            return self._db.execute("SELECT COUNT(DISTINCT record_id) FROM deliveries WHERE state=? "
                                    "AND not_before_ms>?", (PENDING, self._now_ms())).fetchone()[0]

    # ------------------------------------------------------------ statistics
    def daily_stats(self, days: int = 7, today: str | None = None) -> list[dict]:
        """Per Beijing day and destination: generated, uploaded (delivered), rejected, pending,
        rate = uploaded / generated (None when nothing was generated). Newest day first.
        UNCOUNTED_KINDS (smoke events) are left out: the rate is of the records the specs require."""
        if today is None:
            today = timeutil.fmt_date(datetime.fromtimestamp(self.clock(), timeutil.BEIJING))
        t = timeutil.parse_date(today)
        day_list = [timeutil.fmt_date(t - timedelta(days=i)) for i in range(days)]
        first = day_list[-1]
        acc = {(d, dest): [0, 0, 0, 0] for d in day_list for dest in self.destinations}
        with self._lock:
            live = self._db.execute(
                "SELECT r.day, d.destination, COUNT(*), SUM(d.state='delivered'), SUM(d.state='rejected'), "
                "SUM(d.state IN ('pending','sending')) FROM deliveries d JOIN records r "
                "ON r.record_id=d.record_id WHERE r.day>=? AND r.day<=? AND %s GROUP BY r.day, d.destination" % _COUNTED,
                (first, today)).fetchall()
            archived = self._db.execute(
                "SELECT day, destination, generated, uploaded, rejected, 0 FROM stats_archive "
                "WHERE day>=? AND day<=?", (first, today)).fetchall()
        for row in list(live) + list(archived):
            a = acc.setdefault((row[0], row[1]), [0, 0, 0, 0])
            for i in range(4):
                a[i] += row[2 + i] or 0
        out = []
        for (day, dest), (gen, up, rej, pend) in sorted(acc.items(), key=lambda kv: (kv[0][0], kv[0][1]),
                                                        reverse=True):
            out.append({"day": day, "destination": dest, "generated": gen, "uploaded": up,
                        "rejected": rej, "pending": pend,
                        "rate": round(up / gen, 4) if gen else None})
        return out

    def overdue(self, hours: float) -> dict:
        """Deliveries still not delivered `hours` after the record was made (missing-upload alarm)."""
        cutoff = self._now_ms() - int(hours * 3600_000)
        with self._lock:
            n, oldest = self._db.execute(
                "SELECT COUNT(*), MIN(created_ms) FROM deliveries WHERE %s AND created_ms<?" % self._undelivered(),
                self.destinations + [cutoff]).fetchone()
        return {"count": n, "oldest_ms": oldest, "hours": hours}

    # ------------------------------------------------------------ retention support
    def delivered_oldest(self, limit: int, before_day: str | None = None) -> list[dict]:
        """Oldest records (by their Beijing day, then insertion) delivered to every destination —
        never one with an undelivered row. Walks the records_day index: no sort, no full scan."""
        q = "SELECT r.record_id, r.day, r.created_ms FROM records r INDEXED BY records_day WHERE "
        args: list = []
        if before_day is not None:
            q += "r.day<? AND "
            args.append(before_day)
        q += ("NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.record_id=r.record_id AND d.state!=?) "
              "ORDER BY r.day, r.rowid LIMIT ?")
        args += [DELIVERED, limit]
        with self._lock:
            return [dict(r) for r in self._db.execute(q, args)]

    def delete_records(self, record_ids) -> list[str]:
        """Delete delivered records (refuses undelivered ones), fold them into stats_archive,
        and return the media refs no remaining record uses (the caller deletes the files)."""
        ids = list(record_ids)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        with self._lock, self._tx() as db:
            bad = db.execute("SELECT COUNT(*) FROM deliveries WHERE state!=? AND record_id IN (%s)" % marks,
                             [DELIVERED] + ids).fetchone()[0]
            if bad:
                raise OutboxError("refusing to delete records with undelivered rows")
            for day, dest, n in db.execute(
                    "SELECT r.day, d.destination, COUNT(*) FROM deliveries d JOIN records r "
                    "ON r.record_id=d.record_id WHERE r.record_id IN (%s) AND %s GROUP BY r.day, d.destination"
                    % (marks, _COUNTED),
                    ids).fetchall():
                db.execute("INSERT INTO stats_archive(day, destination, generated, uploaded) VALUES(?,?,?,?) "
                           "ON CONFLICT(day, destination) DO UPDATE SET generated=generated+excluded.generated, "
                           "uploaded=uploaded+excluded.uploaded", (day, dest, n, n))
            refs = [r[0] for r in db.execute("SELECT DISTINCT ref FROM media WHERE record_id IN (%s)" % marks, ids)]
            db.execute("DELETE FROM deliveries WHERE record_id IN (%s)" % marks, ids)
            db.execute("DELETE FROM media WHERE record_id IN (%s)" % marks, ids)
            db.execute("DELETE FROM records WHERE record_id IN (%s)" % marks, ids)
            still = set()
            for i in range(0, len(refs), 500):
                chunk = refs[i:i + 500]
                still.update(r[0] for r in db.execute(
                    "SELECT DISTINCT ref FROM media WHERE ref IN (%s)" % ",".join("?" * len(chunk)), chunk))
        return [r for r in refs if r not in still]

    def delivered_clips(self, before_day: str | None = None) -> list[tuple[str, str]]:
        """(record_id, ref) of clips of fully delivered records of days before `before_day`
        (all days if None)."""
        q = ("SELECT m.record_id, m.ref FROM media m INDEXED BY media_clips JOIN records r "
             "ON r.record_id=m.record_id WHERE m.kind='clip' ")
        args: list = []
        if before_day is not None:
            q += "AND r.day<? "
            args.append(before_day)
        q += "AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.record_id=r.record_id AND d.state!=?)"
        args.append(DELIVERED)
        with self._lock:
            return [(r[0], r[1]) for r in self._db.execute(q, args)]

    def forget_media(self, pairs) -> list[str]:
        """Drop media rows (record_id, ref); return refs no record uses any more."""
        pairs = list(pairs)
        if not pairs:
            return []
        with self._lock, self._tx() as db:
            db.executemany("DELETE FROM media WHERE record_id=? AND ref=?", pairs)
            return [ref for _, ref in pairs
                    if db.execute("SELECT 1 FROM media WHERE ref=? LIMIT 1", (ref,)).fetchone() is None]

    def is_referenced(self, ref: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM media WHERE ref=? LIMIT 1", (ref,)).fetchone() is not None

    def _undelivered(self) -> str:
        """WHERE clause for rows not delivered, shaped to seek the deliveries_queue index
        (destination, state, …) instead of scanning every delivered row ever made."""
        return ("destination IN (%s) AND state IN ('%s', '%s', '%s')"
                % (",".join("?" * len(self.destinations)), PENDING, SENDING, REJECTED))

    def undelivered_ids(self, kind: str | None = None, states=(PENDING, REJECTED)) -> list[str]:
        """Record ids with a delivery row in `states`, oldest first."""
        q = ("SELECT DISTINCT d.record_id FROM deliveries d JOIN records r ON r.record_id=d.record_id "
             "WHERE d.state IN (%s)" % ",".join("?" * len(states)))
        args = list(states)
        if kind:
            q += " AND r.kind=?"
            args.append(kind)
        with self._lock:
            return [r[0] for r in self._db.execute(q + " ORDER BY r.created_ms, r.rowid", args)]

    def undelivered_count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(DISTINCT record_id) FROM deliveries WHERE %s"
                                    % self._undelivered(), self.destinations).fetchone()[0]


class _Tx:
    """BEGIN IMMEDIATE … COMMIT (rollback on error). IMMEDIATE takes the write lock up front so
    two processes never deadlock upgrading read locks."""

    def __init__(self, outbox: Outbox):
        outbox._writable()
        self.db = outbox._db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.db.execute("COMMIT")
        else:
            self.db.execute("ROLLBACK")
        return False


__all__ = ["Outbox", "OutboxError", "Claim", "MediaError", "PENDING", "SENDING", "DELIVERED", "REJECTED"]
