"""Power-cut and crash safety: SIGKILL a writer at random moments; tear the WAL tail.

After every kill: the DB passes PRAGMA integrity_check, every record whose put returned (the
child printed its id) is there with its photos intact (checksums), and in the end the
uploader delivers all of them exactly as stored.
"""
import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edge.store.outbox import DELIVERED, Outbox
from edge.uplink.uploader import Uploader
from outbox_helpers import FakeDestination, make_record, photo, wait_until

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from crash_child import photo_for  # noqa: E402

KILLS = int(os.environ.get("EDGE_CRASH_KILLS", "200"))


def _kill_once(state: Path, seed: int, rng: random.Random) -> list[str]:
    child = subprocess.Popen([sys.executable, "-S", str(HERE / "crash_child.py"), str(state), str(seed)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = child.stdout.readline()
    assert line == b"ready\n", (line, child.stderr.read())
    time.sleep(rng.uniform(0.0, 0.05))   # a few ms: kills land in photo writes, commits, fsyncs
    child.send_signal(signal.SIGKILL)
    out, err = child.communicate()
    assert child.returncode == -signal.SIGKILL, err.decode()
    text = out.decode()
    complete = text[:text.rfind("\n") + 1] if "\n" in text else ""
    return [i for i in complete.split("\n") if i]


def _check(box: Outbox, ids, checked: set):
    assert box.integrity_check() == ["ok"]
    for rid in ids:
        if rid in checked:
            continue
        got = box.get(rid)
        assert got is not None, "record %s was acknowledged by put() but is gone" % rid
        assert {d["destination"] for d in got["deliveries"]} == {"yunnan", "hj212"}
        media = box.load_media(rid)          # raises on a missing or corrupt file
        assert media, rid
        for field, data in media.items():
            assert data == photo_for(rid, field)
        checked.add(rid)


@pytest.mark.slow
async def test_sigkill_during_puts_never_loses_an_acknowledged_record(tmp_path):
    rng = random.Random(20261122)
    state = tmp_path / "state"
    acked: list[str] = []
    checked: set = set()
    t0 = time.monotonic()
    for k in range(KILLS):
        acked += _kill_once(state, k, rng)
        box = Outbox(state, ["yunnan", "hj212"])
        try:
            _check(box, acked, checked)
        finally:
            box.close()
    elapsed = time.monotonic() - t0
    print("\n%d SIGKILLs, %d acknowledged records, all intact (%.1f s)" % (KILLS, len(acked), elapsed))
    assert len(acked) > KILLS // 4  # the kills did land after real work
    box = Outbox(state, ["yunnan", "hj212"])
    seqs = [int(r[3:]) for r in acked if r.startswith("SEQ")]
    assert box.seq() >= max(seqs) and len(seqs) == len(set(seqs))
    # orphans (photos of puts killed before their commit) are swept; referenced ones stay
    box.media.sweep_orphans(box.is_referenced, min_age_s=0)
    dests = {"yunnan": FakeDestination("yunnan"), "hj212": FakeDestination("hj212")}
    up = Uploader(box, dests, concurrency=4, batch=32, poll_s=0.02)
    task = asyncio.create_task(up.run())
    total = box.record_count()
    await wait_until(lambda: all(len(d.received) == total for d in dests.values()), timeout=60)
    await up.stop()
    await task
    for d in dests.values():
        assert set(acked) <= set(d.received) and len(d.received) == len(set(d.received))
        for item in d.items:
            for field, data in item.media.items():
                assert data == photo_for(item.record_id, field)
    assert box.count(state=DELIVERED) == 2 * total
    box.close()


def _snapshot(box: Outbox, dst: Path):
    """Copy DB + WAL as they are on disk right now (what a power cut would leave)."""
    dst.mkdir()
    for name in ("outbox.db", "outbox.db-wal"):
        shutil.copyfile(box.dir / name, dst / name)
    shutil.copytree(box.dir / "media", dst / "media")


def _wal_with_commits(tmp_path, n=6):
    """An outbox whose WAL holds n commits (no checkpoint); returns (box, WAL size after each)."""
    box = Outbox(tmp_path / "live", ["yunnan"])
    box._db.execute("PRAGMA wal_autocheckpoint=0")  # keep every commit in the WAL for the test
    sizes = []
    for i in range(n):
        box.put(make_record(i), {"carImg": photo(i)})
        sizes.append((box.dir / "outbox.db-wal").stat().st_size)
    return box, sizes


@pytest.mark.parametrize("cut", ["truncate_mid_last_commit", "garbage_in_last_frame", "torn_middle_commit"])
def test_torn_wal_tail_opens_clean_with_every_earlier_commit(tmp_path, cut):
    box, sizes = _wal_with_commits(tmp_path)
    snap = tmp_path / "snap"
    _snapshot(box, snap)
    box.close()
    wal = snap / "outbox.db-wal"
    data = bytearray(wal.read_bytes())
    if cut == "truncate_mid_last_commit":
        # the power died while the last transaction's frames were being written
        wal.write_bytes(bytes(data[:sizes[-2] + (sizes[-1] - sizes[-2]) // 2]))
        survivors = 5
    elif cut == "garbage_in_last_frame":
        # the flash returned garbage for the last page written (frame checksum breaks)
        for k in range(sizes[-1] - 100, sizes[-1] - 50):
            data[k] ^= 0x5A
        wal.write_bytes(bytes(data))
        survivors = 5
    else:
        # a frame inside commit 4 is torn: SQLite stops replaying at the first bad frame,
        # so commits 4 and 5 are gone but 0..3 are whole (never a half transaction)
        mid = sizes[3] + (sizes[4] - sizes[3]) // 2
        for k in range(mid, mid + 64):
            data[k] ^= 0xA5
        wal.write_bytes(bytes(data))
        survivors = 4
    box = Outbox(snap, ["yunnan"])
    assert box.integrity_check() == ["ok"]
    present = [i for i in range(6) if box.get("REC%012d" % i) is not None]
    assert present == list(range(survivors))
    for i in present:  # whole records: deliveries rows and photos too
        assert box.get("REC%012d" % i)["deliveries"][0]["state"] == "pending"
        assert box.load_media("REC%012d" % i) == {"carImg": photo(i)}
    # the outbox keeps working after the cut
    assert box.put(make_record(99), {"carImg": photo(99)})
    assert box.integrity_check() == ["ok"]
    box.close()
