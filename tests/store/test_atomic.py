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


def test_the_group_is_set_before_the_file_has_its_name(tmp_path):
    gid = os.getgroups()[0] if os.getgroups() else os.getgid()
    p = write_atomic(tmp_path / "edge.toml", "x = 1\n", mode=0o640, group=gid)
    assert p.stat().st_gid == gid and stat.S_IMODE(p.stat().st_mode) == 0o640
