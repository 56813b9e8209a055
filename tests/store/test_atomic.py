"""write_atomic: the old file or the new one, and no temp file left when a write fails."""
import errno
import os
import stat

import pytest

from edge.store import atomic
from edge.store.atomic import write_atomic


def test_replaces_the_file_whole_with_the_mode_asked_for(tmp_path):
    p = tmp_path / "status.json"
    p.write_text("old")
    old_umask = os.umask(0o077)
    try:
        write_atomic(p, "new ü", mode=0o644)
    finally:
        os.umask(old_umask)
    assert p.read_text(encoding="utf-8") == "new ü"
    assert stat.S_IMODE(p.stat().st_mode) == 0o644
    assert [f.name for f in tmp_path.iterdir()] == ["status.json"]


def test_a_full_disk_keeps_the_old_file_and_leaves_no_temp_file(tmp_path, monkeypatch):
    p = tmp_path / "cursor"
    p.write_text("41")

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(atomic.os, "write", full)
    with pytest.raises(OSError) as e:
        write_atomic(p, "42")
    assert e.value.errno == errno.ENOSPC
    assert p.read_text() == "41"
    assert [f.name for f in tmp_path.iterdir()] == ["cursor"]


def test_a_failed_rename_leaves_no_temp_file(tmp_path):
    target = tmp_path / "a-dir"
    target.mkdir()
    (target / "x").write_text("keep")  # os.replace cannot put a file over a non-empty directory
    with pytest.raises(OSError):
        write_atomic(target, b"data")
    assert sorted(f.name for f in tmp_path.iterdir()) == ["a-dir"]
