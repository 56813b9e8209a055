"""One lane per state dir: `edge run` holds an exclusive lock on <state_dir>/lane.lock.

Two lanes on one state dir would both record every passage (two cameras' worth of records
for one truck) and both drain the outbox. flock() is released by the kernel when the process
dies, however it dies, so a crash never leaves a stale lock behind; the file keeps the pid
of the holder only to say who it is.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from edge.errors import EdgeError

LOCK_NAME = "lane.lock"


class LaneLock:
    def __init__(self, fd: int, path: Path):
        self.fd = fd
        self.path = path

    @classmethod
    def acquire(cls, state_dir) -> "LaneLock":
        """Take the lock or raise EdgeError naming the process that holds it."""
        from edge.store import statedir
        d = statedir.ensure(state_dir)
        path = d / LOCK_NAME
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as e:
            from edge.store import faults
            raise faults.storage_error(e, path) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise EdgeError("another lane is already running on state dir %s%s: one lane per state dir "
                            "(stop it first: systemctl stop edge; or give this one its own [paths] state_dir)"
                            % (d, " (pid %s)" % holder if holder else "")) from None
        try:
            os.ftruncate(fd, 0)
            os.write(fd, b"%d\n" % os.getpid())
        except OSError:
            pass   # a read-only or full disk: the lock still holds; the storage check says why
        return cls(fd, path)

    def release(self) -> None:
        if self.fd is not None:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            finally:
                os.close(self.fd)
                self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def holder(state_dir) -> int | None:
    """The pid of the lane holding the lock on `state_dir`, or None when no lane runs there."""
    path = Path(state_dir) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            return int(pid) if pid and pid.isdigit() else -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_pid(fd) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
