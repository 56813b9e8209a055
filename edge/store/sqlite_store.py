"""A small SQLite-backed store in the state dir: one WAL connection shared by worker threads.

The ledger and the platform cache are read and written from asyncio.to_thread workers, so
each store holds one connection (check_same_thread=False) and serialises calls with a lock
(methods wrapped by `locked`). The outbox has its own, stricter handling (edge/store/outbox.py).

Storage faults (edge/store/faults.py) surface as StorageError naming the file: a file that is
not a database, a full disk, a read-only state dir. On a read-only state dir (ext4 remounts a
failing eMMC read-only) the store opens read-only, so reads keep working, and every method
marked `writes` refuses with the reason instead of SQLite's "attempt to write a readonly database".
"""
from __future__ import annotations

import functools
import sqlite3
import threading
from pathlib import Path
from urllib.parse import quote

from edge.errors import StorageError
from edge.store import faults, statedir


def locked(fn):
    @functools.wraps(fn)
    def wrapper(self, *a, **kw):
        with self.lock:
            try:
                return fn(self, *a, **kw)
            except sqlite3.DatabaseError as e:
                raise faults.storage_error(e, self.path) from None
    return wrapper


def writes(fn):
    """A method that writes: refused up front on a read-only state dir (then locked)."""
    inner = locked(fn)

    @functools.wraps(fn)
    def wrapper(self, *a, **kw):
        if self.readonly_reason:
            raise StorageError("cannot change %s: %s" % (self.path.name, self.readonly_reason),
                               faults.READONLY, str(self.path))
        return inner(self, *a, **kw)
    return wrapper


def now_text() -> str:
    from edge.timeutil import fmt_datetime, now
    return fmt_datetime(now())


def connect(path: Path, *, readonly: bool, timeout: float = 10.0) -> sqlite3.Connection:
    """A connection with our settings; read-only ones never create or change the file.

    Read-only on a read-only folder: while a WAL file is there (the writer was cut off), SQLite
    reads it through the existing -shm in mode=ro; after a clean close there is no WAL and
    mode=ro cannot even open (it wants to create the -shm), but then the main file holds
    everything and immutable=1 reads it."""
    if readonly:
        kw = dict(uri=True, timeout=timeout, isolation_level=None, check_same_thread=False)
        uri = "file:%s?mode=ro" % quote(str(path))
        if Path(str(path) + "-wal").exists():
            try:
                db = sqlite3.connect(uri, **kw)
                db.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return db
            except sqlite3.OperationalError:
                pass
        return sqlite3.connect(uri + "&immutable=1", **kw)
    statedir.private_file(path)
    return sqlite3.connect(str(path), timeout=timeout, isolation_level=None, check_same_thread=False)


class SqliteStore:
    FILENAME = ""          # file name inside the state dir
    SCHEMA = ""            # executed on open (CREATE ... IF NOT EXISTS)
    SYNCHRONOUS = "FULL"   # per store: what a power cut may cost it

    def __init__(self, path):
        self.path = Path(path)
        self.lock = threading.RLock()
        statedir.ensure(self.path.parent)
        self.readonly_reason = faults.readonly_problem(self.path.parent)
        if self.readonly_reason and not self.path.is_file():
            raise StorageError("%s does not exist and cannot be created: %s" % (self.path, self.readonly_reason),
                               faults.READONLY, str(self.path))
        try:
            self.db = connect(self.path, readonly=bool(self.readonly_reason))
            self.db.row_factory = sqlite3.Row
            if self.readonly_reason:
                self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            else:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=%s" % self.SYNCHRONOUS)
                self.db.executescript(self.SCHEMA)
        except sqlite3.DatabaseError as e:
            raise faults.storage_error(e, self.path) from None

    @classmethod
    def open(cls, state_dir):
        return cls(Path(state_dir) / cls.FILENAME)

    @locked
    def data_version(self) -> int:
        """Changes committed by other connections (another process, another job) bump it."""
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    @locked
    def close(self):
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


SITE_VERSION_SCHEMA = ("CREATE TABLE IF NOT EXISTS site_version "
                       "(list TEXT PRIMARY KEY, version INTEGER NOT NULL, at TEXT NOT NULL);")


class SiteVersions:
    """For a store that holds lists replicated over the site (edge/site/replication.py): the
    version of each list as the leader last published it. Its SCHEMA includes SITE_VERSION_SCHEMA."""

    @locked
    def site_versions(self) -> dict:
        return {r[0]: r[1] for r in self.db.execute("SELECT list, version FROM site_version")}

    @locked
    def set_site_version(self, name: str, version: int) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO site_version VALUES (?,?,?)", (name, int(version), now_text()))
