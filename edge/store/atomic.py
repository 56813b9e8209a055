"""Whole-file replace for the small files the board keeps (status, cursors, keys, users).

A reader sees the old file or the new one, never half of one; and a write that fails -- a full
disk, a read-only remount -- leaves no temp file behind to fill the disk further or confuse
`edge outbox check`. The temp name is hidden and per process, so two writers never share one.
"""
from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path, data, mode: int = 0o644, fsync: bool = True, group: int | None = None) -> Path:
    """Write `data` (bytes, or str as UTF-8) to `path` with permissions `mode` (and the group id
    `group`, when given) from before the file has its name."""
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = path.with_name(".%s.%d.tmp" % (path.name, os.getpid()))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        try:
            os.fchmod(fd, mode)  # the umask must not widen or narrow what was asked for
            if group is not None:
                os.fchown(fd, -1, group)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path
