"""Outbox states, idempotency, media integrity, sequence persistence (real SQLite files)."""
import sqlite3

import pytest

from edge.store.media import MediaError
from edge.store.outbox import DELIVERED, PENDING, REJECTED, SENDING, Outbox, OutboxError
from outbox_helpers import make_record, photo


@pytest.fixture
def box(tmp_path):
    b = Outbox(tmp_path, ["yunnan", "hj212"])
    yield b
    b.close()


def test_put_creates_one_pending_row_per_destination_and_durable_photos(box, tmp_path):
    assert box.put(make_record(1), {"carHeadImg": photo(1), "carImg": photo(2)}) is True
    got = box.get("REC%012d" % 1)
    assert [(d["destination"], d["state"], d["attempts"]) for d in got["deliveries"]] == \
        [("hj212", PENDING, 0), ("yunnan", PENDING, 0)]
    refs = box.media_of(got["recordId"])
    assert got["record"]["carHeadImg"] == refs["carHeadImg"] != got["record"]["carImg"]
    assert box.load_media(got["recordId"]) == {"carHeadImg": photo(1), "carImg": photo(2)}
    assert not list((tmp_path / "media").rglob(".*tmp"))  # no temp files left behind
    # the DB is in WAL mode with FULL sync (durable commits)
    db = sqlite3.connect(tmp_path / "outbox.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_put_is_idempotent_by_record_id(box):
    r = make_record(7)
    assert box.put(r, {"carImg": photo(7)}) is True
    assert box.put(dict(r, licensePlate="云B00000"), {"carImg": photo(8)}) is False
    assert box.record_count() == 1
    assert box.get(r["recordId"])["record"]["licensePlate"] == "云A12345"
    assert box.put_many([(make_record(8), {}), (make_record(8), {}), (r, {})]) == [True, False, False]
    assert box.count() == 4  # 2 records x 2 destinations


def test_record_without_id_is_refused(box):
    r = make_record(1)
    del r["recordId"]
    with pytest.raises(OutboxError):
        box.put(r)


def test_state_transitions_claim_deliver_retry_reject(box):
    for i in range(5):
        box.put(make_record(i))
    rows = box.claim("yunnan", 3)
    assert [r.record_id for r in rows] == ["REC%012d" % i for i in range(3)]  # oldest first
    assert box.count("yunnan", SENDING) == 3
    newest = box.claim("yunnan", 1, newest=True)
    assert newest[0].record_id == "REC%012d" % 4
    box.mark_delivered([(rows[0].id, "ack")])
    box.mark_retry(rows[1].id, "timeout", next_at_ms=2 ** 62)
    box.mark_rejected(rows[2].id, "plateColor: not a code")
    states = {d["destination"]: d for d in box.get(rows[2].record_id)["deliveries"]}
    assert states["yunnan"]["state"] == REJECTED and states["yunnan"]["reason"] == "plateColor: not a code"
    assert states["hj212"]["state"] == PENDING  # destinations are independent
    d1 = {d["destination"]: d for d in box.get(rows[1].record_id)["deliveries"]}["yunnan"]
    assert (d1["state"], d1["attempts"], d1["reason"]) == (PENDING, 1, "timeout")
    # the row backing off is not due; the delivered one is done
    due = box.claim("yunnan", 10)
    assert [r.record_id for r in due] == ["REC%012d" % 3]
    assert box.count("yunnan", DELIVERED) == 1
    # a crash leaves rows 'sending': recover puts them back
    assert box.recover_sending() == 2
    assert box.count("yunnan", SENDING) == 0
    # retry makes the rejected and the deferred rows due again
    assert box.retry(rows[2].record_id) == 2  # yunnan (rejected) + hj212 (pending)
    assert box.retry_all_rejected() == 0
    # row 1 still waits out its own backoff
    assert {r.record_id for r in box.claim("yunnan", 10)} == {"REC%012d" % i for i in (2, 3, 4)}


def test_acks_commit_with_the_next_claim(box):
    box.put(make_record(1))
    box.put(make_record(2))
    (a,) = box.claim("yunnan", 1)
    (b,) = box.claim("yunnan", 1, acks=[(a.id, "ok")])
    assert box.count("yunnan", DELIVERED) == 1 and b.record_id == "REC%012d" % 2


def test_corrupt_photo_is_reported_not_returned(box, tmp_path):
    box.put(make_record(1), {"carImg": photo(1)})
    ref = box.media_of("REC%012d" % 1)["carImg"]
    p = box.media.path(ref)
    data = bytearray(p.read_bytes())
    data[5] ^= 0xFF
    p.write_bytes(bytes(data))
    with pytest.raises(MediaError, match="checksum"):
        box.load_media("REC%012d" % 1)
    p.unlink()
    with pytest.raises(MediaError, match="missing"):
        box.load_media("REC%012d" % 1)


def test_sequence_survives_reopen_and_is_used_only_by_stored_records(tmp_path):
    b = Outbox(tmp_path, ["yunnan"])
    r1, ok = b.put_new(lambda seq: make_record(seq), {"carImg": photo(1)})
    assert ok and r1["recordId"] == "REC%012d" % 1
    with pytest.raises(RuntimeError):
        b.put_new(lambda seq: (_ for _ in ()).throw(RuntimeError("builder failed")))
    b.close()
    b = Outbox(tmp_path, ["yunnan"])
    r2, _ = b.put_new(lambda seq: make_record(seq))
    assert r2["recordId"] == "REC%012d" % 2 and b.seq() == 2
    # a record failing validation is kept, as rejected, with the reason
    r3, ok = b.put_new(lambda seq: make_record(seq), validate=lambda r: "licensePlate: required")
    assert not ok
    d = b.get(r3["recordId"])["deliveries"][0]
    assert (d["state"], d["reason"]) == (REJECTED, "licensePlate: required")
    b.close()


def test_orphan_photos_swept_only_when_old(box):
    ref = box.media.put(photo(99), "jpg", "20261122")
    assert box.media.sweep_orphans(box.is_referenced, min_age_s=3600) == 0
    assert box.media.sweep_orphans(box.is_referenced, min_age_s=0) == 1
    assert not box.media.path(ref).exists()
    box.put(make_record(1), {"carImg": photo(1)})
    assert box.media.sweep_orphans(box.is_referenced, min_age_s=0) == 0


def _files(box):
    """(mtime_ns, bytes) of the DB and its WAL: identical before/after means nothing written."""
    return [(p.stat().st_mtime_ns, p.read_bytes()) for p in (box.path, box.path.with_name("outbox.db-wal"))]


def test_idle_polling_writes_nothing(box):
    """eMMC wear: an uploader polling an empty (or all-deferred) outbox must not write."""
    box.put(make_record(1))
    (row,) = box.claim("yunnan", 1)
    box.mark_retry(row.id, "down", next_at_ms=2 ** 62)
    before = _files(box)
    for _ in range(100):
        assert box.claim("yunnan", 16) == []
        box.next_due_ms("yunnan")
        box.overdue(24)
    assert _files(box) == before


def test_re_storing_the_same_photo_repairs_a_corrupt_copy(box):
    ref = box.media.put(photo(5), "jpg", "20261122")
    box.media.path(ref).write_bytes(b"x" * len(photo(5)))     # same size, wrong bytes
    assert "checksum" in box.media.verify(ref)
    assert box.media.put(photo(5), "jpg", "20261122") == ref
    assert box.media.get(ref) == photo(5)


def test_put_new_refuses_an_id_collision_instead_of_dropping_the_record(box):
    box.put(make_record(1))
    with pytest.raises(OutboxError, match="already stored"):
        box.put_new(lambda seq: make_record(1))
    assert box.seq() == 0  # rolled back: the number was not consumed
