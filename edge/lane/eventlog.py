"""The lane's durable event log: what happened at the gate, in order.

Decisions, barrier moves, manual acts, alarms, smoke: a guard asks "why was this truck turned
away at 07:42?" weeks later, and HJ 1321 function 16 wants refusals and irregular use alarmed
and kept. Access records live in the outbox; this log is the gate's own story around them,
kept in `<state_dir>/events.db` (SQLite WAL, synchronous=FULL: an event whose append returned
survives a power cut, like a record).

An event is a flat JSON object: `id` (increasing), `time` (Beijing, "YYYY-MM-DD HH:MM:SS"),
`type`, and whatever applies — `plate`, `reason`, `manual` (true on manual passages), `who` (the
person behind a manual act) and type-specific fields. `edge events` reads the file directly, so
it works whether or not the lane runs; `--follow` polls by id.
"""
from __future__ import annotations

import json
import sqlite3

from edge import timeutil
from edge.store.sqlite_store import SqliteStore, locked

SCHEMA = """
CREATE TABLE IF NOT EXISTS event (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, type TEXT NOT NULL,
    plate TEXT, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS event_time ON event(time);
CREATE INDEX IF NOT EXISTS event_type_time ON event(type, time);
CREATE INDEX IF NOT EXISTS event_plate ON event(plate);
"""

TYPES = ("allow", "refuse", "barrier_open", "barrier_close", "manual_lift", "manual_entry", "alarm",
         "smoke", "smoke_review", "vehicle_arrive", "vehicle_leave", "display", "voice", "register", "cargo",
         "camera_down", "camera_up", "tailgate", "anti_smash", "loop_stuck", "relay_fault", "login",
         "action", "lane_start", "lane_stop", "passage", "awaiting_manual", "site_role")


class EventLog(SqliteStore):
    FILENAME = "events.db"
    SCHEMA = SCHEMA

    def __init__(self, path, *, on_append=None, clock=timeutil.now):
        super().__init__(path)
        self.on_append = on_append   # e.g. publish on the lane's bus; called after the commit
        self.clock = clock

    def append(self, type: str, *, plate=None, reason=None, manual=None, who=None, **data) -> dict:
        """Store one event; durable when this returns. Fields that are None are left out."""
        if type not in TYPES:
            raise ValueError("unknown event type %r" % (type,))
        event = {"time": timeutil.fmt_datetime(self.clock()), "type": type}
        for k, v in (("plate", plate), ("reason", reason), ("manual", manual), ("who", who)):
            if v is not None:
                event[k] = v
        event.update((k, v) for k, v in data.items() if v is not None)
        body = json.dumps(event, ensure_ascii=False, default=str)
        with self.lock:
            cur = self.db.execute("INSERT INTO event (time, type, plate, body) VALUES (?, ?, ?, ?)",
                                  (event["time"], type, plate or None, body))
            event = {"id": cur.lastrowid, **event}
        if self.on_append:
            self.on_append(event)
        return event

    @locked
    def query(self, since: str | None = None, after_id: int | None = None, types=None, plate: str | None = None,
              until: str | None = None, limit: int = 200, newest: bool = False) -> list[dict]:
        """Events oldest first (newest first with `newest`), filtered by time, id, types, plate."""
        where, args = [], []
        if since:
            where.append("time >= ?")
            args.append(since)
        if until:
            where.append("time <= ?")
            args.append(until)
        if after_id is not None:
            where.append("id > ?")
            args.append(int(after_id))
        if types:
            types = list(types)
            where.append("type IN (%s)" % ",".join("?" * len(types)))
            args.extend(types)
        if plate:
            where.append("plate = ?")
            args.append(plate)
        sql = "SELECT id, body FROM event"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id %s LIMIT ?" % ("DESC" if newest else "ASC")
        args.append(max(1, int(limit)))
        return [{"id": r["id"], **json.loads(r["body"])} for r in self.db.execute(sql, args)]

    @locked
    def last_id(self) -> int:
        row = self.db.execute("SELECT MAX(id) FROM event").fetchone()
        return row[0] or 0

    @locked
    def prune(self, before: str) -> int:
        """Drop events older than `before` ("YYYY-MM-DD HH:MM:SS"); the retention job calls it."""
        return self.db.execute("DELETE FROM event WHERE time < ?", (before,)).rowcount


def open_readonly(state_dir) -> EventLog | None:
    """For `edge events` on a board whose lane never ran: None when there is no log yet."""
    from pathlib import Path
    path = Path(state_dir) / EventLog.FILENAME
    if not path.is_file():
        return None
    try:
        return EventLog(path)
    except sqlite3.Error as e:
        from edge.errors import EdgeError
        raise EdgeError("event log %s cannot be read: %s" % (path, e)) from None
