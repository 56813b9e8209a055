"""The records query behind the status page (HJ 1321 functions 14/15): a rebuildable index.

The outbox keeps each record as one JSON body, which is right for delivery and wrong for
"yellow-plate 国五 diesel trucks refused last week, page 3". So the page keeps its own index,
`<state_dir>/web/records.db`, one row per stored record with the facts the query filters on
(time, plate, colour, direction, result, emission standard, fuel, smoke level, the photo and
clip refs), indexed for the page's orderings. Nothing is lost by deleting it: it is rebuilt
from the outbox, which stays the only place a record lives.

It follows the outbox by the records table's rowid (new rows only, a batch at a time — a
board with two years of records indexes them in the background while the page already
answers), and a reconcile pass (every few minutes) adds what was missed and drops what
retention deleted. A record changed after it was made (cargo entered, a fix) is re-indexed
by id when the page sees the event or does the act. Delivery state is never copied: it changes
all the time, so the query reads it from the outbox's deliveries table (attached read-only in
spirit: this module never writes there), seeking its (destination, state) index.

The outbox's tables are read directly here (records: rowid, record_id, kind, created_ms, body;
deliveries: record_id, destination, state); tests/web/test_records_index.py runs against the
real Outbox, so a schema change there fails here first.
"""
from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

INDEX_VERSION = 2
RESULTS = ("allowed", "refused", "manual")
DELIVERY = ("delivered", "pending", "rejected", "local")
# which part of the page a kind belongs to
SECTION = {"access": "records", "refusal": "records", "smoke": "smoke", "clip": "clip", "smoke_review": "review"}
LINKED_KINDS = ("clip", "smoke_review")   # records kept for another one (`of`)
PHOTO_FIELDS = ("carHeadImg", "carImg", "smokeImg", "photo", "image")
CLIP_FIELDS = ("clip", "smokeClip", "videoClip", "clipRef")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rec(
    record_id TEXT PRIMARY KEY,
    src INTEGER NOT NULL,           -- the outbox records row's rowid
    kind TEXT NOT NULL,
    section TEXT NOT NULL,          -- records | smoke | clip | other
    at TEXT NOT NULL,               -- Beijing 'YYYY-MM-DD HH:MM:SS' of the passage / event
    plate TEXT NOT NULL,            -- upper case, no separators; '' when unread
    color TEXT NOT NULL,
    direction TEXT NOT NULL,        -- '0' in, '1' out, '' unknown
    result TEXT NOT NULL,           -- allowed | refused | manual
    emission TEXT NOT NULL,         -- Yunnan 7.7 code from the vehicle's ledger entry
    fuel TEXT NOT NULL,             -- Yunnan 7.5 code
    smoke INTEGER,                  -- Ringelmann level
    photo TEXT,                     -- media ref of the photo shown as thumbnail
    clip TEXT,                      -- media ref of the record's clip
    of_record TEXT,                 -- a clip record: the passage it belongs to
    cargo TEXT NOT NULL,            -- "煤炭 32.5 T" as entered
    reason TEXT NOT NULL,           -- why refused / the manual lift's reason
    routed INTEGER NOT NULL         -- delivery rows the record has (0: kept locally only)
) WITHOUT ROWID;
DROP INDEX IF EXISTS rec_section_at;
-- the page's ordering with every column a filter reads: a count, a page far back or a plate
-- substring (`LIKE '%…%'`, which no b-tree can seek) walks this narrow index, not the table
CREATE INDEX IF NOT EXISTS rec_filter ON rec(section, at, plate, color, direction, result, emission, fuel, routed);
CREATE INDEX IF NOT EXISTS rec_plate_at ON rec(plate, at);
CREATE INDEX IF NOT EXISTS rec_src ON rec(src);
CREATE INDEX IF NOT EXISTS rec_of ON rec(of_record) WHERE of_record IS NOT NULL;
CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;
"""


def norm_plate(text) -> str:
    return "".join(c for c in str(text or "") if c not in " \t·.-_\u3000").upper()


def _is_ref(v) -> bool:
    from edge.store.media import _REF
    return isinstance(v, str) and _REF.match(v) is not None


def facts(kind: str, body: dict) -> dict:
    """What the index keeps of one record body (pure; the unit tests feed it bodies)."""
    from edge.store.media import kind_of
    vehicle = body.get("vehicle") if isinstance(body.get("vehicle"), dict) else {}
    if kind == "refusal" or body.get("allowed") is False or body.get("decision") == "refused":
        result = "refused"
    elif str(body.get("passMode", "")).lower() == "manual" or body.get("manual") is True or kind == "clip":
        result = "manual"
    else:
        result = "allowed"
    refs = {k: v for k, v in body.items() if _is_ref(v)}
    photo = next((refs[f] for f in PHOTO_FIELDS if f in refs and kind_of(refs[f]) == "photo"), None)
    photo = photo or next((v for v in refs.values() if kind_of(v) == "photo"), None)
    clip = next((refs[f] for f in CLIP_FIELDS if f in refs and kind_of(refs[f]) == "clip"), None)
    clip = clip or next((v for v in refs.values() if kind_of(v) == "clip"), None)
    smoke = body.get("smokeLevel")
    try:
        smoke = int(smoke) if smoke not in (None, "") else None
    except (TypeError, ValueError):
        smoke = None
    at = body.get("accessTime") or body.get("eventTime") or body.get("time") or body.get("from") or ""
    of = body.get("of") or body.get("passageRecordId")  # a clip: its passage; a review: its smoke event
    section = SECTION.get(kind, "other")
    if kind == "clip" and not of:
        section = "records"   # a manual lift's own clip (HJ 1321: kept apart): listed with the passages
    return {
        "section": section,
        "at": str(at)[:19],
        "plate": norm_plate(body.get("licensePlate") or body.get("plate")),
        "color": str(body.get("plateColor") or body.get("plate_color") or ""),
        "direction": str(body.get("accessType", "")),
        "result": result,
        "emission": str(vehicle.get("emissionStandard") or body.get("emissionStandard") or ""),
        "fuel": str(vehicle.get("fuelType") or body.get("fuelType") or ""),
        "smoke": smoke, "photo": photo, "clip": clip,
        "of_record": str(of) if of and kind in LINKED_KINDS else None,
        "cargo": " ".join(str(body.get(k) or "") for k in ("cargoType", "cargoWeight", "cargoUnit")).strip(),
        "reason": str(body.get("reason") or body.get("refuseReason") or body.get("manualReason") or "")[:200],
    }


class QueryError(ValueError):
    """A filter the query cannot take (one line naming the parameter)."""


class RecordsIndex:
    BATCH = 2000

    def __init__(self, index_path, outbox_path, destinations):
        self.path = Path(index_path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.outbox_path = Path(outbox_path)
        self.destinations = list(destinations)
        self.lock = threading.RLock()
        # uri=True so the outbox can be attached with ?mode=ro
        self.db = sqlite3.connect(_uri(self.path), isolation_level=None, check_same_thread=False, timeout=30,
                                  uri=True)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # a cache: a power cut costs a re-index, no data
        self.db.executescript(_SCHEMA)
        if self._meta("version") != str(INDEX_VERSION):
            self.reset()
        self.attached = False
        self.backlog = 0          # outbox rows not indexed yet (after the last sync)
        self.last_reconcile = 0.0

    @classmethod
    def for_state_dir(cls, state_dir, destinations) -> "RecordsIndex":
        from edge.store.outbox import DB_NAME
        state = Path(state_dir)
        return cls(state / "web" / "records.db", state / DB_NAME, destinations)

    def close(self):
        with self.lock:
            self.db.close()

    # ------------------------------------------------------------ maintenance
    def _meta(self, k):
        row = self.db.execute("SELECT v FROM meta WHERE k=?", (k,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, k, v):
        self.db.execute("INSERT INTO meta(k, v) VALUES(?, ?) ON CONFLICT(k) DO UPDATE SET v=excluded.v", (k, str(v)))

    def reset(self):
        """Empty the index (the next syncs rebuild it from the outbox)."""
        with self.lock:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM rec")
            self.db.execute("DELETE FROM meta")
            self._set_meta("version", INDEX_VERSION)
            self.db.execute("COMMIT")

    def _outbox_ready(self) -> bool:
        """Attach the outbox read-only once it exists (never create the lane's file from here)."""
        if not self.attached:
            if not self.outbox_path.is_file():
                return False
            self.db.execute("ATTACH DATABASE ? AS ob", (_uri(self.outbox_path) + "?mode=ro",))
            self.attached = True
        return self.db.execute("SELECT 1 FROM ob.sqlite_master WHERE name='records'").fetchone() is not None

    def sync(self, limit: int | None = None) -> int:
        """Index outbox rows added since the last sync (at most `limit`); returns how many."""
        with self.lock:
            if not self._outbox_ready():
                return 0
            high = int(self._meta("high") or 0)
            rows = self.db.execute(
                "SELECT r.rowid AS src, r.record_id, r.kind, r.body, "
                "(SELECT COUNT(*) FROM ob.deliveries d WHERE d.record_id=r.record_id) AS routed "
                "FROM ob.records r WHERE r.rowid>? ORDER BY r.rowid LIMIT ?",
                (high, limit or self.BATCH)).fetchall()
            if rows:
                self._upsert(rows)
                self.db.execute("BEGIN")
                self._set_meta("high", rows[-1]["src"])
                self.db.execute("COMMIT")
            self.backlog = self.db.execute("SELECT COUNT(*) FROM ob.records WHERE rowid>?",
                                           (int(self._meta("high") or 0),)).fetchone()[0]
            return len(rows)

    def sync_all(self, pause_s: float = 0.0) -> int:
        """Catch up completely (a batch at a time, pausing between batches)."""
        total = 0
        while True:
            n = self.sync()
            total += n
            if n < self.BATCH:
                return total
            if pause_s:
                time.sleep(pause_s)

    def _upsert(self, rows) -> None:
        out = []
        for r in rows:
            try:
                body = json.loads(r["body"])
            except ValueError:
                log.warning("records index: %s has an unreadable body; not indexed", r["record_id"])
                continue
            f = facts(r["kind"], body)
            out.append((r["record_id"], r["src"], r["kind"], f["section"], f["at"], f["plate"], f["color"],
                        f["direction"], f["result"], f["emission"], f["fuel"], f["smoke"], f["photo"],
                        f["clip"], f["of_record"], f["cargo"], f["reason"], r["routed"]))
        self.db.execute("BEGIN")
        try:
            self.db.executemany("INSERT OR REPLACE INTO rec VALUES(%s)" % ",".join("?" * 18), out)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def refresh(self, record_ids) -> int:
        """Re-index these records from their current bodies (after a cargo entry or a fix)."""
        ids = [i for i in record_ids if isinstance(i, str) and i]
        if not ids:
            return 0
        with self.lock:
            rows = self.db.execute(
                "SELECT r.rowid AS src, r.record_id, r.kind, r.body, "
                "(SELECT COUNT(*) FROM ob.deliveries d WHERE d.record_id=r.record_id) AS routed "
                "FROM ob.records r WHERE r.record_id IN (%s)" % ",".join("?" * len(ids)), ids).fetchall()
            if rows:
                self._upsert(rows)
            return len(rows)

    def refresh_plate(self, plate: str) -> int:
        """Re-index every record of a plate (the guard registered that vehicle: its records
        now carry the ledger's emission standard and fuel)."""
        with self.lock:
            ids = [r[0] for r in self.db.execute("SELECT record_id FROM rec WHERE plate=?", (norm_plate(plate),))]
        return self.refresh(ids)

    def reconcile(self) -> dict:
        """Add outbox records the index lacks, drop index rows the outbox no longer has."""
        with self.lock:
            if not self._outbox_ready():
                return {"added": 0, "dropped": 0}
            gone = [r[0] for r in self.db.execute(
                "SELECT record_id FROM rec WHERE record_id NOT IN (SELECT record_id FROM ob.records)")]
            if gone:
                self.db.execute("BEGIN")
                for i in range(0, len(gone), 500):
                    chunk = gone[i:i + 500]
                    self.db.execute("DELETE FROM rec WHERE record_id IN (%s)" % ",".join("?" * len(chunk)), chunk)
                self.db.execute("COMMIT")
            high = int(self._meta("high") or 0)
            missing = self.db.execute(
                "SELECT r.rowid AS src, r.record_id, r.kind, r.body, "
                "(SELECT COUNT(*) FROM ob.deliveries d WHERE d.record_id=r.record_id) AS routed "
                "FROM ob.records r WHERE r.rowid<=? AND r.record_id NOT IN (SELECT record_id FROM rec)",
                (high,)).fetchall()
            if missing:
                self._upsert(missing)
            self.last_reconcile = time.monotonic()
            if gone or missing:
                log.info("records index: reconciled (+%d, -%d)", len(missing), len(gone))
            return {"added": len(missing), "dropped": len(gone)}

    def oldest_day(self) -> str | None:
        with self.lock:
            row = self.db.execute("SELECT MIN(at) FROM rec").fetchone()
        return row[0][:10].replace("-", "") if row and row[0] else None

    # ------------------------------------------------------------ query
    def _undelivered(self, states) -> tuple[str, list]:
        marks = ",".join("?" * len(self.destinations))
        return ("SELECT record_id FROM ob.deliveries WHERE destination IN (%s) AND state IN (%s)"
                % (marks, ",".join("?" * len(states))), self.destinations + list(states))

    def _where(self, q: dict) -> tuple[str, list]:
        where, args = [], []
        section = q.get("section") or "records"
        if section not in ("records", "smoke", "clip", "other"):
            raise QueryError("section: one of records, smoke")
        where.append("section=?")
        args.append(section)
        for key, col in (("from", ">="), ("to", "<=")):
            v = q.get(key)
            if v:
                v = _time_bound(key, v)
                where.append("at %s ?" % col)
                args.append(v)
        plate = norm_plate(q.get("plate"))
        if plate:
            if len(plate) > 10:
                raise QueryError("plate: at most 10 characters")
            where.append("plate LIKE ? ESCAPE '\\'")
            args.append("%" + plate.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        for key, col in (("color", "color"), ("emission", "emission"), ("fuel", "fuel"), ("direction", "direction")):
            v = q.get(key)
            if v not in (None, ""):
                vals = [x for x in str(v).split(",") if x != ""]
                if len(vals) > 20 or any(len(x) > 8 for x in vals):
                    raise QueryError("%s: up to 20 codes separated by commas" % key)
                where.append("%s IN (%s)" % (col, ",".join("?" * len(vals))))
                args += vals
        result = q.get("result")
        if result:
            vals = str(result).split(",")
            bad = [v for v in vals if v not in RESULTS]
            if bad:
                raise QueryError("result: one or more of %s" % ", ".join(RESULTS))
            where.append("result IN (%s)" % ",".join("?" * len(vals)))
            args += vals
        if q.get("smoke_min") not in (None, ""):
            try:
                where.append("smoke >= ?")
                args.append(int(q["smoke_min"]))
            except (TypeError, ValueError):
                raise QueryError("smoke_min: a Ringelmann level 0-5") from None
        delivery = q.get("delivery")
        if delivery:
            if delivery not in DELIVERY:
                raise QueryError("delivery: one of %s" % ", ".join(DELIVERY))
            if delivery == "local":
                where.append("routed=0")
            elif delivery == "delivered":
                sub, sargs = self._undelivered(("pending", "sending", "rejected"))
                where.append("routed>0 AND record_id NOT IN (%s)" % sub)
                args += sargs
            else:
                sub, sargs = self._undelivered(("pending", "sending") if delivery == "pending" else ("rejected",))
                where.append("record_id IN (%s)" % sub)
                args += sargs
        return " AND ".join(where), args

    def query(self, q: dict, page: int = 1, page_size: int = 50) -> dict:
        """{"rows": [index rows newest first, with their delivery states], "total", "page", "pages"}."""
        if page < 1:
            raise QueryError("page: 1 or more")
        where, args = self._where(q)
        with self.lock:
            total = self.db.execute("SELECT COUNT(*) FROM rec WHERE " + where, args).fetchone()[0]
            # the OFFSET is walked in the covering index; only the page's own rows are read whole
            rows = [dict(r) for r in self.db.execute(
                "SELECT * FROM rec WHERE record_id IN (SELECT record_id FROM rec WHERE %s "
                "ORDER BY at DESC, record_id DESC LIMIT ? OFFSET ?) ORDER BY at DESC, record_id DESC" % where,
                args + [page_size, (page - 1) * page_size])]
            self._add_delivery(rows)
        return {"rows": rows, "total": total, "page": page, "pages": max(1, -(-total // page_size))}

    def chunk(self, q: dict, after: tuple | None = None, n: int = 1000) -> list[dict]:
        """The next `n` matching rows after cursor `after` ((at, record_id) of the last row
        had), newest first: the CSV export walks every match without holding them all."""
        where, args = self._where(q)
        if after is not None:
            where += " AND (at < ? OR (at = ? AND record_id < ?))"
            args += [after[0], after[0], after[1]]
        with self.lock:
            rows = [dict(r) for r in self.db.execute(
                "SELECT * FROM rec WHERE %s ORDER BY at DESC, record_id DESC LIMIT ?" % where, args + [n])]
            self._add_delivery(rows)
        return rows

    def _add_delivery(self, rows) -> None:
        """Each row's current delivery state per destination, and one summary word; a passage
        without a clip of its own gets the clip record kept for it."""
        if not rows:
            return
        ids = [r["record_id"] for r in rows]
        need = [r["record_id"] for r in rows if not r["clip"]]
        if need:
            clips = dict(self.db.execute("SELECT of_record, clip FROM rec WHERE of_record IN (%s) AND clip IS NOT NULL"
                                         % ",".join("?" * len(need)), need).fetchall())
            for r in rows:
                if not r["clip"] and r["record_id"] in clips:
                    r["clip"] = clips[r["record_id"]]
        states: dict[str, dict] = {}
        for d in self.db.execute("SELECT record_id, destination, state, reason FROM ob.deliveries "
                                 "WHERE record_id IN (%s)" % ",".join("?" * len(ids)), ids):
            states.setdefault(d[0], {})[d[1]] = {"state": d[2], "reason": d[3] if d[2] == "rejected" else None}
        for r in rows:
            s = states.get(r["record_id"], {})
            r["deliveries"] = s
            words = {v["state"] for v in s.values()}
            r["delivery"] = ("local" if not s else "rejected" if "rejected" in words else
                             "pending" if words & {"pending", "sending"} else "delivered")

    def clip_of(self, record_id: str) -> str | None:
        """The clip ref kept for a passage: its own field, or a clip record that names it."""
        with self.lock:
            row = self.db.execute("SELECT clip FROM rec WHERE record_id=?", (record_id,)).fetchone()
            if row and row[0]:
                return row[0]
            row = self.db.execute("SELECT clip FROM rec WHERE of_record=? AND clip IS NOT NULL "
                                  "ORDER BY at DESC LIMIT 1", (record_id,)).fetchone()
            return row[0] if row else None

    def reviews_of(self, record_ids) -> dict[str, str]:
        """smoke event id -> the record id of its newest review (复核确认)."""
        ids = list(record_ids)
        if not ids:
            return {}
        with self.lock:
            rows = self.db.execute("SELECT of_record, record_id FROM rec WHERE kind='smoke_review' AND of_record IN (%s) "
                                   "ORDER BY at, record_id" % ",".join("?" * len(ids)), ids).fetchall()
        return dict(rows)  # the newest wins

    def count(self) -> int:
        with self.lock:
            return self.db.execute("SELECT COUNT(*) FROM rec").fetchone()[0]


def _uri(path: Path) -> str:
    from urllib.parse import quote
    return "file:" + quote(str(path.resolve()))


def _time_bound(key: str, value: str) -> str:
    """'2026-11-01', '2026-11-01T08:00', '2026-11-01 08:00:00' -> 'YYYY-MM-DD HH:MM:SS' (the
    day's first second for `from`, last for `to`)."""
    v = str(value).strip().replace("T", " ")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        return v + (" 00:00:00" if key == "from" else " 23:59:59")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", v):
        return v + (":00" if key == "from" else ":59")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", v):
        return v
    raise QueryError("%s: a time like 2026-11-01 or 2026-11-01 08:00" % key)
