"""The state dir: where the outbox, photos, keys and caches live (plates and photos are
personal data: the folder is 0700, databases and media 0600).

`ensure(path)` is called by every store before it opens a file: it refuses a path that is not
storage (a file, something under /proc or /sys) and names the problem in one line, creates the
folder 0700 when it is missing, and narrows an existing folder of ours to 0700.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from edge.errors import StorageError
from edge.store import faults

NOT_STORAGE = ("/proc", "/sys", "/dev")
DIR_MODE = 0o700
FILE_MODE = 0o600


def ensure(path, *, create: bool = True) -> Path:
    p = Path(path)
    try:
        real = os.path.realpath(p)
    except (OSError, ValueError) as e:
        raise StorageError("state_dir %s: %s" % (p, e), faults.IO, str(p)) from None
    for top in NOT_STORAGE:
        if real == top or real.startswith(top + "/"):
            raise StorageError("state_dir %s is under %s, which is not storage; set [paths] state_dir "
                               "to a folder on the board's flash (e.g. /var/lib/edge)" % (p, top),
                               faults.IO, str(p))
    if p.exists() and not p.is_dir():
        raise StorageError("state_dir %s is a file, not a folder ([paths] state_dir)" % p, faults.IO, str(p))
    if not p.exists():
        if not create:
            raise StorageError("state_dir %s does not exist (nothing recorded here yet?)" % p,
                               faults.MISSING, str(p))
        try:
            p.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        except OSError as e:
            raise faults.storage_error(e, p) from None
    _narrow(p, DIR_MODE)
    return p


def _narrow(path: Path, mode: int) -> None:
    """Take group/other bits off a file or folder we own (no error if we cannot)."""
    try:
        st = path.stat()
        if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) & 0o077:
            os.chmod(path, stat.S_IMODE(st.st_mode) & ~0o077 & 0o7777 | (mode & 0o700))
    except OSError:
        pass


def private_file(path) -> None:
    """Create `path` empty with mode 0600 if it does not exist (so SQLite's own files, which
    copy the database's mode, are 0600 too); narrow an existing one."""
    p = Path(path)
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        os.close(fd)
    except FileExistsError:
        _narrow(p, FILE_MODE)
    except OSError:
        pass  # a read-only dir: the open that follows names the problem


def writable(path) -> None:
    """Raise StorageError (kind readonly) when the folder cannot be written."""
    why = faults.readonly_problem(path)
    if why:
        raise StorageError(why, faults.READONLY, str(path))
