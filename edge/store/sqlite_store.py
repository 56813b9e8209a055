"""A small SQLite-backed store in the state dir: one WAL connection shared by worker threads.

The ledger and the platform cache are read and written from asyncio.to_thread workers, so
each store holds one connection (check_same_thread=False) and serialises calls with a lock
(methods wrapped by `locked`). The outbox has its own, stricter handling (edge/store/outbox.py).
"""
from __future__ import annotations

import functools
import sqlite3
import threading
from pathlib import Path


def locked(fn):
    @functools.wraps(fn)
    def wrapper(self, *a, **kw):
        with self.lock:
            return fn(self, *a, **kw)
    return wrapper


def now_text() -> str:
    from edge.timeutil import fmt_datetime, now
    return fmt_datetime(now())


class SqliteStore:
    FILENAME = ""          # file name inside the state dir
    SCHEMA = ""            # executed on open (CREATE ... IF NOT EXISTS)
    SYNCHRONOUS = "FULL"   # per store: what a power cut may cost it

    def __init__(self, path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), timeout=10, isolation_level=None, check_same_thread=False)
        self.lock = threading.RLock()
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=%s" % self.SYNCHRONOUS)
        self.db.executescript(self.SCHEMA)

    @classmethod
    def open(cls, state_dir):
        return cls(Path(state_dir) / cls.FILENAME)

    @locked
    def close(self):
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
