"""What the Yunnan platform tells us, kept on flash: exceed vehicles (6.6), control strategies
(6.7), alarms (6.9), and the date of the last complete pull of each list.

One writer (the sync job, `edge sync`) and many readers (the gate decision, the status page):
SQLite in WAL mode, so a reader never blocks on a pull in progress and a power cut during a
pull leaves the previous complete state. Records are upserted by the platform's id, so pulling
the same page twice (a retry, a restart mid-pull) is harmless. The pull date advances only
after a pull has reached isNew = "0" (see edge/uplink/yunnan/client.py), so a restart resumes
from the last complete pull.

Plates are matched on a key without spaces, upper-cased ("粤 A12345" in the spec's examples
and "粤A12345" from the plate reader are the same vehicle).

Pulls are incremental and only ever upsert: an empty or failed pull leaves every cached entry
in place (the gate keeps deciding on the last complete lists). The file is bounded
(`max_bytes`, [uplink.yunnan] cache_max_mb): a platform flooding pulls gets a StorageError
("full"), never the outbox's disk.
"""
from __future__ import annotations

import json
from datetime import datetime

from edge.errors import StorageError
from edge.store import faults
from edge.store.sqlite_store import SITE_VERSION_SCHEMA, SiteVersions, SqliteStore, locked, now_text, writes

SCHEMA = """
CREATE TABLE IF NOT EXISTS exceed_vehicle (
    record_id TEXT PRIMARY KEY, plate_key TEXT NOT NULL, plate_color TEXT, vin TEXT,
    is_remove TEXT, send_time TEXT, remove_time TEXT, data TEXT NOT NULL, pulled_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS exceed_vehicle_plate ON exceed_vehicle(plate_key);
CREATE TABLE IF NOT EXISTS strategy (
    strategy_id TEXT PRIMARY KEY, startdate TEXT, enddate TEXT, data TEXT NOT NULL,
    pulled_at TEXT NOT NULL, confirmed_at TEXT);
CREATE TABLE IF NOT EXISTS alarm (
    alarm_id TEXT PRIMARY KEY, record_id TEXT, plate_key TEXT, plate_color TEXT, data TEXT NOT NULL,
    pulled_at TEXT NOT NULL, confirmed_at TEXT);
CREATE TABLE IF NOT EXISTS exceed_verification (
    record_id TEXT NOT NULL, plate_key TEXT NOT NULL, result TEXT NOT NULL, verified_on TEXT,
    data TEXT NOT NULL, stored_at TEXT NOT NULL, PRIMARY KEY (record_id, verified_on));
CREATE INDEX IF NOT EXISTS exceed_verification_plate ON exceed_verification(plate_key);
CREATE TABLE IF NOT EXISTS pull_state (
    list TEXT PRIMARY KEY, timestamp TEXT NOT NULL, pulled_at TEXT NOT NULL, pages INTEGER, records INTEGER);
""" + SITE_VERSION_SCHEMA

LISTS = ("exceed", "strategy", "alarm")


def plate_key(plate) -> str:
    return "".join(str(plate or "").split()).upper()


def _text(v):
    """A column value from a platform field: text or None (a number the platform sent as one)."""
    return None if v is None else str(v)






class PlatformCache(SiteVersions, SqliteStore):
    FILENAME = "platform_cache.sqlite"
    SCHEMA = SCHEMA
    # a cache: a power cut may lose the last pull, which the next sync fetches again
    SYNCHRONOUS = "NORMAL"
    MAX_BYTES = 256 << 20

    def __init__(self, path, max_bytes: int | None = None):
        super().__init__(path)
        self.max_bytes = max_bytes or self.MAX_BYTES
        if not self.readonly_reason:
            page = self.db.execute("PRAGMA page_size").fetchone()[0]
            # the hard stop under the polite check in _room(): SQLite refuses to grow past it
            self.db.execute("PRAGMA max_page_count=%d" % (self.max_bytes * 5 // 4 // page + 64))

    @classmethod
    def open(cls, state_dir, max_bytes: int | None = None):
        from pathlib import Path
        return cls(Path(state_dir) / cls.FILENAME, max_bytes)

    @classmethod
    def from_config(cls, config):
        y = config.uplink.yunnan
        return cls.open(config.state_dir, (y.cache_max_mb << 20) if y is not None else None)

    def size_bytes(self) -> int:
        page_count = self.db.execute("PRAGMA page_count").fetchone()[0]
        return page_count * self.db.execute("PRAGMA page_size").fetchone()[0]

    def _room(self, rows) -> None:
        if not rows:
            return
        if self.size_bytes() + sum(len(r[-2]) if isinstance(r[-2], str) else 0 for r in rows) > self.max_bytes:
            raise StorageError("platform cache %s is full (%.0f MB, limit %d MB: [uplink.yunnan] cache_max_mb); "
                               "%d new platform records not stored" % (self.path, self.size_bytes() / 1e6,
                                                                       self.max_bytes >> 20, len(rows)),
                               faults.FULL, str(self.path))

    # ------------------------------------------------------------ writes (sync job)

    @writes
    def upsert_exceed(self, records: list[dict]) -> int:
        now = now_text()
        rows = [(str(r["recordId"]), plate_key(r.get("licensePlate")), _text(r.get("plateColor")), _text(r.get("vin")),
                 str(r.get("isRemove", "0")), _text(r.get("sendTime")), _text(r.get("removeTime")),
                 json.dumps(r, ensure_ascii=False), now) for r in records if r.get("recordId")]
        self._room(rows)
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO exceed_vehicle VALUES (?,?,?,?,?,?,?,?,?)", rows)
        return len(rows)

    @writes
    def upsert_strategies(self, records: list[dict]) -> int:
        now = now_text()
        rows = [(str(r["strategyId"]), _text(r.get("startdate")), _text(r.get("enddate")),
                 json.dumps(r, ensure_ascii=False), now) for r in records if r.get("strategyId")]
        self._room(rows)
        with self.db:
            self.db.execute("BEGIN")
            # keep confirmed_at of a strategy pulled again (the platform may resend it)
            self.db.executemany(
                "INSERT INTO strategy(strategy_id, startdate, enddate, data, pulled_at) VALUES (?,?,?,?,?) "
                "ON CONFLICT(strategy_id) DO UPDATE SET startdate=excluded.startdate, "
                "enddate=excluded.enddate, data=excluded.data, pulled_at=excluded.pulled_at", rows)
        return len(rows)

    @writes
    def upsert_alarms(self, records: list[dict]) -> int:
        now = now_text()
        rows = [(str(r["alarmId"]), _text(r.get("recordId")), plate_key(r.get("licensePlate")), _text(r.get("plateColor")),
                 json.dumps(r, ensure_ascii=False), now) for r in records if r.get("alarmId")]
        self._room(rows)
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT INTO alarm(alarm_id, record_id, plate_key, plate_color, data, pulled_at) "
                "VALUES (?,?,?,?,?,?) ON CONFLICT(alarm_id) DO UPDATE SET record_id=excluded.record_id, "
                "plate_key=excluded.plate_key, plate_color=excluded.plate_color, data=excluded.data, "
                "pulled_at=excluded.pulled_at", rows)
        return len(rows)

    @writes
    def mark_confirmed(self, list_name: str, ids: list[str]) -> None:
        table, key = {"strategy": ("strategy", "strategy_id"), "alarm": ("alarm", "alarm_id")}[list_name]
        now = now_text()
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("UPDATE %s SET confirmed_at=? WHERE %s=?" % (table, key), [(now, i) for i in ids])

    @locked
    def unconfirmed(self, list_name: str) -> list[str]:
        """Ids pulled but not yet confirmed (a crash between the pull and the confirmation)."""
        table, key = {"strategy": ("strategy", "strategy_id"), "alarm": ("alarm", "alarm_id")}[list_name]
        return [r[0] for r in self.db.execute(
            "SELECT %s FROM %s WHERE confirmed_at IS NULL ORDER BY pulled_at, %s" % (key, table, key))]

    @locked
    def pull_timestamp(self, list_name: str, default: str) -> str:
        row = self.db.execute("SELECT timestamp FROM pull_state WHERE list=?", (list_name,)).fetchone()
        return row[0] if row else default

    @writes
    def set_pull_timestamp(self, list_name: str, timestamp: str, pages: int = 0, records: int = 0) -> None:
        if list_name not in LISTS:
            raise ValueError(list_name)
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO pull_state VALUES (?,?,?,?,?)",
                            (list_name, timestamp, now_text(), pages, records))

    @locked
    def pull_state(self) -> dict:
        return {r["list"]: dict(r) for r in self.db.execute("SELECT * FROM pull_state")}

    # ------------------------------------------------------------ reads (gate decision)

    @locked
    def exceed_entry(self, plate, color=None) -> dict | None:
        """The platform's active (not removed) exceed record for this plate, or None.

        color None matches any colour (the reader may be unsure of it)."""
        sql = "SELECT data FROM exceed_vehicle WHERE plate_key=? AND is_remove != '1'"
        args: list = [plate_key(plate)]
        if color is not None:
            sql += " AND plate_color=?"
            args.append(str(color))
        row = self.db.execute(sql + " ORDER BY send_time DESC LIMIT 1", args).fetchone()
        return json.loads(row[0]) if row else None

    @locked
    def is_exceed(self, plate, color=None) -> bool:
        return self.exceed_entry(plate, color) is not None

    @locked
    def active_strategies(self, now) -> list[dict]:
        """Strategies whose [startdate, enddate] contains `now` (datetime or 'YYYY-MM-DD HH:mm:ss')."""
        if isinstance(now, datetime):
            from edge.timeutil import fmt_datetime
            now = fmt_datetime(now)
        rows = self.db.execute("SELECT data FROM strategy WHERE startdate <= ? AND enddate >= ? "
                               "ORDER BY startdate", (now, now))
        return [json.loads(r[0]) for r in rows]

    @locked
    def strategies(self) -> list[dict]:
        return [json.loads(r[0]) for r in self.db.execute("SELECT data FROM strategy ORDER BY startdate")]

    @locked
    def put_verification(self, row: dict) -> None:
        """Keep a 6.14 verification the platform accepted (edge push exceed-verification, the
        lane's verify_exceed): the gate stops refusing an exceed entry verified 不超标."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO exceed_verification VALUES (?,?,?,?,?,?)",
                            (str(row.get("recordId") or ""), plate_key(row.get("licensePlate")),
                             str(row.get("excessVerifica")), str(row.get("excessVerificadate") or ""),
                             json.dumps(row, ensure_ascii=False), now_text()))

    @locked
    def verifications(self, plate=None, record_id=None) -> list[dict]:
        """6.14 verifications of a plate or of an exceed record (both: either), in the order stored."""
        rows = self.db.execute("SELECT data FROM exceed_verification WHERE plate_key=? OR record_id=? "
                               "ORDER BY stored_at, rowid", (plate_key(plate) if plate else None, record_id))
        return [json.loads(r[0]) for r in rows]

    @locked
    def alarms(self, plate=None) -> list[dict]:
        if plate is None:
            rows = self.db.execute("SELECT data FROM alarm ORDER BY alarm_id")
        else:
            rows = self.db.execute("SELECT data FROM alarm WHERE plate_key=? ORDER BY alarm_id", (plate_key(plate),))
        return [json.loads(r[0]) for r in rows]

    @locked
    def counts(self) -> dict:
        q = lambda sql: self.db.execute(sql).fetchone()[0]
        return {"exceed": q("SELECT count(*) FROM exceed_vehicle"),
                "exceed_active": q("SELECT count(*) FROM exceed_vehicle WHERE is_remove != '1'"),
                "strategy": q("SELECT count(*) FROM strategy"),
                "alarm": q("SELECT count(*) FROM alarm")}

    # ------------------------------------------------------------ site replication (edge/site)
    # The site leader exports each list as entries {"id", "data", ...meta}; the other lanes of
    # the site replace or patch their copy with them in one transaction, together with the
    # leader's pull state (so cache_age_s means the same on every lane) and the list's site version.
    @locked
    def site_export(self, name: str) -> list[dict]:
        """The list as site entries, ordered by id (edge/site/codec.py)."""
        if name == "exceed":
            rows = self.db.execute("SELECT record_id, data FROM exceed_vehicle ORDER BY record_id")
            return [{"id": r[0], "data": json.loads(r[1])} for r in rows]
        if name in ("strategy", "alarm"):
            table, key = _SITE_TABLES[name]
            rows = self.db.execute("SELECT %s, data, confirmed_at FROM %s ORDER BY %s" % (key, table, key))
            return [{"id": r[0], "data": json.loads(r[1]), "confirmed_at": r[2]} for r in rows]
        if name == "verification":
            rows = self.db.execute("SELECT record_id, verified_on, data, stored_at FROM exceed_verification "
                                   "ORDER BY record_id, verified_on")
            return [{"id": "%s|%s" % (r[0], r[1]), "data": json.loads(r[2]), "stored_at": r[3]} for r in rows]
        raise ValueError(name)

    @locked
    def site_write(self, name: str, upserts, removes=(), *, replace: bool = False, pull: dict | None = None,
                   version: int | None = None, keep=()) -> None:
        """Apply a snapshot (replace=True: the list becomes exactly `upserts`) or a delta.
        Entries in `keep` (made here, not yet merged by the site) are left as they are."""
        table, key = _SITE_TABLES[name]
        now = now_text()
        keep = {str(i) for i in keep}
        upserts = [e for e in upserts if str(e["id"]) not in keep]
        with self.db:
            self.db.execute("BEGIN")
            if replace:
                held = [e for e in self.site_export(name) if str(e["id"]) in keep] if keep else []
                self.db.execute("DELETE FROM %s" % table)
                upserts = upserts + held
            for i in removes:
                if str(i) in keep:
                    continue
                if key is None:
                    rid, _, on = str(i).partition("|")
                    self.db.execute("DELETE FROM exceed_verification WHERE record_id=? AND verified_on=?", (rid, on))
                else:
                    self.db.execute("DELETE FROM %s WHERE %s=?" % (table, key), (str(i),))
            self.db.executemany(_SITE_INSERT[name], [_site_row(name, e, now) for e in upserts])
            if pull and name in LISTS and pull.get("timestamp"):
                self.db.execute("INSERT OR REPLACE INTO pull_state VALUES (?,?,?,?,?)",
                                (name, pull["timestamp"], pull.get("pulled_at") or now, pull.get("pages"),
                                 pull.get("records")))
            if version is not None:
                self.db.execute("INSERT OR REPLACE INTO site_version VALUES (?,?,?)", (name, int(version), now))

    @locked
    def site_pull(self, name: str) -> dict | None:
        row = self.db.execute("SELECT timestamp, pulled_at, pages, records FROM pull_state WHERE list=?",
                              (name,)).fetchone()
        return dict(row) if row else None


# site replication helpers (PlatformCache.site_write)
_SITE_TABLES = {"exceed": ("exceed_vehicle", "record_id"), "strategy": ("strategy", "strategy_id"),
                "alarm": ("alarm", "alarm_id"), "verification": ("exceed_verification", None)}


def _site_row(name: str, e: dict, now: str) -> tuple:
    r = e["data"]
    if name == "exceed":
        return (str(e["id"]), plate_key(r.get("licensePlate")), r.get("plateColor"), r.get("vin"),
                str(r.get("isRemove", "0")), r.get("sendTime"), r.get("removeTime"),
                json.dumps(r, ensure_ascii=False), now)
    if name == "strategy":
        return (str(e["id"]), r.get("startdate"), r.get("enddate"), json.dumps(r, ensure_ascii=False), now,
                e.get("confirmed_at"))
    if name == "alarm":
        return (str(e["id"]), r.get("recordId"), plate_key(r.get("licensePlate")), r.get("plateColor"),
                json.dumps(r, ensure_ascii=False), now, e.get("confirmed_at"))
    return (str(r.get("recordId") or ""), plate_key(r.get("licensePlate")), str(r.get("excessVerifica")),
            str(r.get("excessVerificadate") or ""), json.dumps(r, ensure_ascii=False), e.get("stored_at") or now)


_SITE_INSERT = {"exceed": "INSERT OR REPLACE INTO exceed_vehicle VALUES (?,?,?,?,?,?,?,?,?)",
                "strategy": "INSERT OR REPLACE INTO strategy VALUES (?,?,?,?,?,?)",
                "alarm": "INSERT OR REPLACE INTO alarm VALUES (?,?,?,?,?,?,?)",
                "verification": "INSERT OR REPLACE INTO exceed_verification VALUES (?,?,?,?,?,?)"}

