"""Storage faults told apart, so every layer says the same one line about them.

A board's eMMC fails in a few recognisable ways: ext4 remounts it read-only after I/O errors,
the card fills up, a power cut or a dying cell corrupts a database page. SQLite and the OS
report these as a zoo of exceptions (sqlite3.OperationalError "attempt to write a readonly
database", "database or disk is full", DatabaseError "file is not a database", OSError
EROFS/ENOSPC/EACCES...). `classify(exc)` maps them to one kind and `describe(exc, path)` to one
line naming the file and what to do; the CLI prints it, the lane raises it as an alarm.
"""
from __future__ import annotations

import errno
import os
import sqlite3

from edge.errors import StorageError

FULL, READONLY, DAMAGED, MISSING, LOCKED, IO = "full", "readonly", "damaged", "missing", "locked", "io"

_ADVICE = {
    FULL: "no space left on the device: free space (edge outbox prune) or fit larger storage",
    READONLY: "cannot write: the filesystem is read-only (ext4 does this after storage errors: "
              "check `dmesg`, replace the card) or this user may not write there",
    DAMAGED: "the database file is damaged: run `edge outbox check`; restore it from a backup",
    LOCKED: "the database is locked by another process (is another edge command running?)",
}


def classify(exc: BaseException) -> str | None:
    """full | readonly | damaged | locked | io for a storage exception, None for anything else."""
    if isinstance(exc, StorageError):
        return exc.kind
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return FULL
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return READONLY
        if exc.errno == errno.EIO:
            return IO
        return None
    if isinstance(exc, sqlite3.DatabaseError):
        text = str(exc).lower()
        if "full" in text:
            return FULL
        if "readonly" in text or "read-only" in text:
            return READONLY
        if "malformed" in text or "not a database" in text or "corrupt" in text:
            return DAMAGED
        if "locked" in text or "busy" in text:
            return LOCKED
        if "disk i/o" in text:
            return IO
        return DAMAGED if type(exc) is sqlite3.DatabaseError else IO
    return None


def describe(exc: BaseException, path=None) -> str:
    """One line: what failed, where, and what it means."""
    kind = classify(exc)
    where = path or getattr(exc, "filename", None) or getattr(exc, "path", None)
    raw = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    advice = _ADVICE.get(kind)
    head = "%s: %s" % (where, raw) if where else raw
    return "%s (%s)" % (head, advice) if advice and advice not in head else head


def storage_error(exc: BaseException, path=None) -> StorageError:
    kind = classify(exc) or IO
    return StorageError(describe(exc, path), kind, str(path) if path else None)


def readonly_problem(path) -> str | None:
    """Why `path` (a folder) cannot be written, or None. ST_RDONLY is what a remounted ext4
    reports; os.access catches permissions (root passes it, but not a read-only mount)."""
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    if st.f_flag & os.ST_RDONLY:
        return "%s is on a read-only filesystem (%s)" % (path, _ADVICE[READONLY])
    if not os.access(path, os.W_OK | os.X_OK):
        return "%s is not writable by this user" % path
    return None
