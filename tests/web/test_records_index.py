"""The page's records index against a real outbox: every HJ 1321 query condition, paging,
delivery states read live, retention and changed bodies followed."""
import json

import pytest

from edge.store.outbox import Outbox
from edge.web.records_index import QueryError, RecordsIndex, facts
from tests.web.records import access, fill


@pytest.fixture
def box(tmp_path):
    ob = Outbox(tmp_path, ["yunnan"], routes={"smoke": [], "refusal": [], "clip": []})
    yield ob
    ob.close()


@pytest.fixture
def index(tmp_path, box):
    idx = RecordsIndex.for_state_dir(tmp_path, ["yunnan"])
    yield idx
    idx.close()


def _ids(got):
    return [r["record_id"] for r in got["rows"]]


def test_facts_of_each_kind():
    a = facts("access", access(1, manual=True, emission="6", fuel="A"))
    assert a["result"] == "manual" and a["emission"] == "6" and a["fuel"] == "A" and a["section"] == "records"
    assert a["plate"] == "云A00001" and a["cargo"] == "煤炭 32.5 T" and a["direction"] == "0"
    r = facts("refusal", {"licensePlate": "云a 12345", "accessTime": "2026-11-01 08:00:00", "reason": "超标车辆"})
    assert r["result"] == "refused" and r["plate"] == "云A12345" and r["reason"] == "超标车辆"
    s = facts("smoke", {"licensePlate": "云A1", "eventTime": "2026-11-01 08:00:00.123", "smokeLevel": 3,
                        "smokeImg": "20261101/" + "a" * 64 + ".jpg", "smokeClip": "20261101/" + "b" * 64 + ".avi"})
    assert s["section"] == "smoke" and s["smoke"] == 3 and s["at"] == "2026-11-01 08:00:00"
    assert s["photo"].endswith(".jpg") and s["clip"].endswith(".avi")
    clip = "20261101/" + "c" * 64 + ".mp4"
    c = facts("clip", {"recordId": "CLP1", "of": "R1", "clip": clip, "from": "2026-11-01 08:00:00"})
    assert c["section"] == "clip" and c["of_record"] == "R1" and c["clip"] == clip
    lift = facts("clip", {"recordId": "CLP2", "of": None, "clip": clip, "manual": True, "reason": "送货",
                          "from": "2026-11-01 08:00:00"})
    assert lift["section"] == "records" and lift["result"] == "manual" and lift["reason"] == "送货"


def test_sync_follows_new_records_and_queries_newest_first(box, index):
    fill(box, [access(i, hour=8 + i % 10) for i in range(30)])
    assert index.sync() == 30 and index.sync() == 0
    got = index.query({}, 1, 10)
    assert got["total"] == 30 and got["pages"] == 3 and len(got["rows"]) == 10
    times = [r["at"] for r in got["rows"]]
    assert times == sorted(times, reverse=True)
    page3 = index.query({}, 3, 10)
    assert not set(_ids(got)) & set(_ids(page3))
    fill(box, [access(100, day=2)])
    index.sync()
    assert index.query({}, 1, 1)["rows"][0]["record_id"] == access(100, day=2)["recordId"]


def test_every_query_condition(box, index):
    recs = [access(0, day=1, plate="云A11111", emission="5", fuel="B"),
            access(1, day=2, plate="云A22222", emission="6", fuel="B", manual=True),
            access(2, day=3, plate="贵B33333", emission="6", fuel="A", color="0", direction="1"),
            access(3, day=4, plate="云A11112", emission="4", fuel="B")]
    fill(box, recs)
    fill(box, [{"recordId": "REF1", "licensePlate": "云A99999", "plateColor": "1",
                "accessTime": "2026-11-05 09:00:00", "reason": "排放超标车辆"}], kind="refusal")
    index.sync()
    q = lambda **kw: {r["plate"] for r in index.query(kw, 1, 50)["rows"]}
    assert q(plate="1111") == {"云A11111", "云A11112"}
    assert q(plate="云a 2222") == {"云A22222"}              # what a guard types
    assert q(**{"from": "2026-11-02", "to": "2026-11-03"}) == {"云A22222", "贵B33333"}
    assert q(**{"from": "2026-11-02 08:00", "to": "2026-11-02T08:59"}) == {"云A22222"}
    assert q(emission="6") == {"云A22222", "贵B33333"}
    assert q(emission="4,5") == {"云A11111", "云A11112"}
    assert q(fuel="A") == {"贵B33333"}
    assert q(color="0") == {"贵B33333"}
    assert q(direction="1") == {"贵B33333"}
    assert q(result="manual") == {"云A22222"}
    assert q(result="refused") == {"云A99999"}
    assert q(result="allowed,manual") == {r["licensePlate"] for r in recs}
    assert q(emission="6", fuel="B", result="manual") == {"云A22222"}   # combined
    for bad in ({"result": "maybe"}, {"from": "yesterday"}, {"delivery": "lost"}, {"smoke_min": "x"},
                {"plate": "x" * 11}):
        with pytest.raises(QueryError):
            index.query(bad)
    with pytest.raises(QueryError):
        index.query({}, page=0)


def test_delivery_state_is_read_live_from_the_outbox(box, index):
    fill(box, [access(i) for i in range(6)])
    fill(box, [{"recordId": "REF1", "licensePlate": "云A9", "accessTime": "2026-11-05 09:00:00"}], kind="refusal")
    index.sync()
    assert index.query({"delivery": "pending"})["total"] == 6
    claims = box.claim("yunnan", 6)
    box.mark_delivered([(c.id, "ok") for c in claims[:3]])
    box.mark_rejected(claims[3].id, "vin: required")
    box.mark_retry(claims[4].id, "timeout", 0)
    box.release([claims[5].id])
    count = lambda d: index.query({"delivery": d})["total"]
    assert (count("delivered"), count("rejected"), count("pending"), count("local")) == (3, 1, 2, 1)
    rows = {r["record_id"]: r for r in index.query({}, 1, 50)["rows"]}
    rejected = rows[claims[3].record_id]
    assert rejected["delivery"] == "rejected" and rejected["deliveries"]["yunnan"]["reason"] == "vin: required"
    assert rows["REF1"]["delivery"] == "local"


def test_retention_and_changed_bodies_are_followed(box, index):
    fill(box, [access(i, day=1 + i % 3) for i in range(9)])
    index.sync()
    claims = box.claim("yunnan", 9)
    box.mark_delivered([(c.id, "ok") for c in claims])
    old = [r["record_id"] for r in box.delivered_oldest(3)]
    box.delete_records(old)
    assert index.reconcile() == {"added": 0, "dropped": 3}
    assert index.count() == 6
    # a body changed after the fact (cargo entered, a fix): re-indexed by id
    rid = index.query({}, 1, 1)["rows"][0]["record_id"]
    with box._lock:
        body = json.loads(box._db.execute("SELECT body FROM records WHERE record_id=?", (rid,)).fetchone()[0])
        body["cargoType"], body["licensePlate"] = "钢材", "云Z00000"
        box._db.execute("UPDATE records SET body=? WHERE record_id=?", (json.dumps(body, ensure_ascii=False), rid))
    assert index.refresh([rid]) == 1
    row = index.query({"plate": "Z00000"})["rows"][0]
    assert row["record_id"] == rid and row["cargo"].startswith("钢材")


def test_reconcile_adds_what_sync_missed(box, index):
    fill(box, [access(i) for i in range(5)])
    index.sync()
    with index.lock:
        index.db.execute("DELETE FROM rec WHERE record_id=?", (access(2)["recordId"],))
    assert index.reconcile()["added"] == 1 and index.count() == 5


def test_chunks_walk_every_match_once(box, index):
    fill(box, [access(i, hour=8 + i % 3) for i in range(55)], photos=False)
    index.sync()
    seen, after = [], None
    while True:
        rows = index.chunk({}, after, 10)
        if not rows:
            break
        seen += [r["record_id"] for r in rows]
        after = (rows[-1]["at"], rows[-1]["record_id"])
    assert len(seen) == 55 == len(set(seen))


def test_index_before_the_outbox_exists(tmp_path):
    idx = RecordsIndex.for_state_dir(tmp_path / "fresh", ["yunnan"])
    try:
        assert idx.sync() == 0 and idx.query({})["total"] == 0
        assert not (tmp_path / "fresh" / "outbox.db").exists()   # never creates the lane's file
    finally:
        idx.close()


def test_batches_catch_up_a_backlog(box, index):
    fill(box, [access(i) for i in range(25)], photos=False)
    index.BATCH = 10
    assert index.sync() == 10 and index.backlog == 15
    assert index.sync_all() == 15 and index.backlog == 0


def test_a_passage_finds_its_clip_record(box, index):
    fill(box, [access(1)])
    box.put({"recordId": "CLP1", "of": access(1)["recordId"], "from": "2026-11-01 08:00:00"},
            {"clip": (b"\x00\x00\x00\x18ftypmp42-fake", "mp4")}, kind="clip")
    index.sync()
    ref = index.clip_of(access(1)["recordId"])
    assert ref and ref.endswith(".mp4")
    got = index.query({})
    assert got["total"] == 1                  # the clip record is not a passage of its own
    assert got["rows"][0]["clip"] == ref
