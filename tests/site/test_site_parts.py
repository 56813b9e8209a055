"""The pure parts of the site layer and the stores' replication methods: codec rules, the
inside-site pairing, command signatures, [mqtt] settings; snapshots and deltas written into
real SQLite stores and read back by the gate decision's own reads."""
import json

import pytest

from edge.site import codec
from edge.site.codec import ListReplica
from edge.site.command_auth import Verifier, make
from edge.site.inside import Inside, passage_of
from edge.site.settings import parse_url
from edge.store.ledger import Ledger
from edge.store.platform_cache import PlatformCache


# ---------------------------------------------------------------------- codec
def test_pack_compresses_big_payloads_and_unpack_reads_both():
    small = {"a": 1}
    assert codec.pack(small) == b'{"a":1}'
    big = {"entries": [{"id": "EV%06d" % i, "data": {"licensePlate": "云A%05d" % i}} for i in range(2000)]}
    packed = codec.pack(big)
    assert packed.startswith(codec.ZLIB) and len(packed) < len(codec.dumps(big)) / 4
    assert codec.unpack(packed) == big and codec.unpack(b'{"a":1}') == small
    with pytest.raises(ValueError):
        codec.unpack(b"\x00Zgarbage")
    with pytest.raises(ValueError):
        codec.unpack(b"not json")


def test_versions_of_a_later_term_are_always_newer():
    assert codec.version(3, 999_999) < codec.version(4, 1)
    assert codec.term_of(codec.version(7, 12)) == 7


def test_deltas_apply_only_in_order_and_snapshots_only_when_newer():
    r = ListReplica("exceed")
    snap = {"list": "exceed", "version": 10, "entries": [{"id": "A", "data": {"x": 1}}]}
    assert r.check_snapshot(snap) == "apply"
    r.took_snapshot(snap)
    assert r.check_snapshot(snap) == "old"
    d1 = {"list": "exceed", "version": 11, "prev": 10, "upserts": [{"id": "B", "data": {}}], "removes": ["A"]}
    d2 = {"list": "exceed", "version": 12, "prev": 11, "upserts": [], "removes": []}
    assert r.check_delta(d2) == "gap"
    assert r.check_delta(d1) == "apply"
    r.took_delta(d1)
    assert set(r.index) == {"B"} and r.check_delta(d1) == "old" and r.check_delta(d2) == "apply"


def test_diff_finds_changed_new_and_removed_entries():
    old = [{"id": "A", "data": {"x": 1}}, {"id": "B", "data": {"x": 2}}]
    idx = ListReplica.of("exceed", 1, old).index
    new = [{"id": "A", "data": {"x": 1}}, {"id": "B", "data": {"x": 3}}, {"id": "C", "data": {}}]
    ups, rem = codec.diff(idx, new)
    assert [e["id"] for e in ups] == ["B", "C"] and rem == []
    assert codec.diff(idx, [old[0]]) == ([], ["B"])


def test_local_changes_newest_wins_and_missing_photos_are_not_a_change():
    site = [{"id": "V1", "data": {"p": "a"}, "changed_at": "2025-08-20 09:00:00", "images": {"carImg1": "d1"}},
            {"id": "V2", "data": {"p": "b"}, "changed_at": "2025-08-20 10:00:00", "images": {}}]
    idx = ListReplica.of("vehicles", 5, site).index
    local = [dict(site[0], images={}),                                                # fields only: unchanged
             {"id": "V2", "data": {"p": "old"}, "changed_at": "2025-08-19 08:00:00", "images": {}},  # site newer
             {"id": "V3", "data": {"p": "new"}, "changed_at": "2025-08-21 08:00:00", "images": {}}]  # made here
    changes, older = codec.local_changes(idx, local)
    assert [e["id"] for e in changes] == ["V3"] and older == ["V2"]
    assert codec.newer_or_equal(local[2], None) and not codec.newer_or_equal(local[1], site[1])


def test_check_message_names_what_is_wrong():
    assert codec.check_message({"list": "nope", "version": 1, "entries": []}, "snapshot").startswith("unknown list")
    assert "prev" in codec.check_message({"list": "exceed", "version": 2}, "delta")
    assert codec.check_message({"list": "exceed", "version": 2, "entries": [{"id": 1}]}, "snapshot")
    assert codec.check_message({"list": "exceed", "version": 2, "entries": []}, "snapshot") is None


# ---------------------------------------------------------------------- inside the site
def ev(gate, direction, plate, time, id_, passed=True):
    return {"type": "vehicle_leave", "passed": passed, "plate": plate, "gate": gate, "direction": direction,
            "time": time, "id": id_}


def test_entry_and_exit_at_different_lanes_pair_up():
    inside = Inside()
    inside.add(passage_of(ev("A01", "in", "云A12345", "2025-08-20 08:00:00", 1)))
    assert [(v["plate"], v["gate"], v["since"]) for v in inside.inside()] == [("云A12345", "A01", "2025-08-20 08:00:00")]
    inside.add(passage_of(ev("B02", "out", "云A12345", "2025-08-20 09:00:00", 7)))
    assert inside.inside() == [] and inside.flags() == []


def test_unpaired_passages_are_flagged_and_a_late_entry_clears_the_flag():
    inside = Inside()
    flags = inside.add(passage_of(ev("B02", "out", "云B00001", "2025-08-20 09:00:00", 3)))
    assert [f["kind"] for f in flags] == ["exit_without_entry"]
    # the entry lane was cut off from the broker and reports late: the pair is complete
    assert inside.add(passage_of(ev("A01", "in", "云B00001", "2025-08-20 08:30:00", 9))) == []
    inside.add(passage_of(ev("A01", "in", "云C00002", "2025-08-20 10:00:00", 10)))
    flags = inside.add(passage_of(ev("A02", "in", "云C00002", "2025-08-20 11:00:00", 4)))
    assert flags[-1]["kind"] == "entered_twice" and flags[-1]["previous"]["gate"] == "A01"
    # the same event delivered twice (resent after an outage) counts once
    assert inside.add(passage_of(ev("A02", "in", "云C00002", "2025-08-20 11:00:00", 4))) == flags
    again = Inside.from_json(json.loads(json.dumps(inside.to_json())))
    assert again.inside() == inside.inside() and again.flags() == inside.flags()


def test_only_vehicles_that_passed_with_a_plate_count():
    assert passage_of(ev("A01", "in", "云A1", "t", 1, passed=False)) is None
    assert passage_of(ev("A01", "in", None, "t", 1)) is None
    assert passage_of({"type": "allow", "plate": "云A1"}) is None


# ---------------------------------------------------------------------- commands
KEY = b"k" * 32


def test_signed_commands_are_checked_for_key_client_gate_age_and_replay():
    v = Verifier(KEY, ["operator"], "A02")
    cmd = make(KEY, "operator", "A02", "lift", {"reason": "消防车"}, now=1000.0)
    assert v.check(cmd, now=1001.0) is None
    assert "replay" in v.check(cmd, now=1002.0)
    assert v.check(make(b"x" * 32, "operator", "A02", "lift", now=1000.0), now=1000.0) == "bad signature"
    assert "may not" in v.check(make(KEY, "guard", "A02", "lift", now=1000.0), now=1000.0)
    assert "for gate" in v.check(make(KEY, "operator", "A01", "lift", now=1000.0), now=1000.0)
    assert "not a command" in v.check(make(KEY, "operator", "A02", "sim", now=1000.0), now=1000.0)
    assert "from now" in v.check(make(KEY, "operator", "A02", "reload", now=1000.0), now=1200.0)
    forged = dict(make(KEY, "operator", "A02", "display", {"text": "hi"}, now=1000.0), args={"text": "lift!"})
    assert forged and v.check(forged, now=1000.0) == "bad signature"
    assert "accepts no commands" in Verifier(None, ["operator"], "A02").check(cmd)


def test_mqtt_urls():
    assert parse_url("mqtt://10.0.0.5:1883") == (False, "10.0.0.5", 1883)
    assert parse_url("mqtts://broker.site") == (True, "broker.site", 8883)
    for bad in ("http://x:1", "mqtt://", "mqtt://h:99999", "tcp://h"):
        with pytest.raises(ValueError):
            parse_url(bad)


def test_mqtt_settings_errors_are_one_line_per_key(tmp_path):
    from edge.config import example, parse
    from edge.errors import ValidationError
    text = example().replace('url = ""', 'url = "http://broker"').replace("leader_lease_s = 60.0",
                                                                             "leader_lease_s = 2.0")
    with pytest.raises(ValidationError) as e:
        parse(text)
    lines = "\n".join(e.value.lines())
    assert "mqtt.url: must be mqtt://host:port" in lines and "mqtt.leader_lease_s: must be ≥ 5" in lines


# ---------------------------------------------------------------------- the stores
def test_a_snapshot_and_a_delta_land_in_the_stores_the_decision_reads(tmp_path):
    from edge.config import example, parse
    from edge.lane.facts import gather
    config = parse(example().replace('state_dir = "/var/lib/edge"', 'state_dir = "%s"' % tmp_path))
    leader, follower = tmp_path / "leader", tmp_path / "follower"
    with PlatformCache.open(leader) as c:
        c.upsert_exceed([{"recordId": "EV1", "licensePlate": "云A11111", "plateColor": "1", "isRemove": "0"}])
        c.upsert_strategies([{"strategyId": "S1", "startdate": "2025-01-01 00:00:00", "enddate": "2099-01-01 00:00:00",
                              "pollutionLevel": "3"}])
        c.mark_confirmed("strategy", ["S1"])
        c.set_pull_timestamp("exceed", "2025-08-20", 1, 1)
        c.set_pull_timestamp("strategy", "2025-08-20", 1, 1)
        exported = {n: c.site_export(n) for n in ("exceed", "strategy")}
        pulls = {n: c.site_pull(n) for n in ("exceed", "strategy")}
    with PlatformCache.open(follower) as f:
        for n in ("exceed", "strategy"):
            f.site_write(n, exported[n], replace=True, pull=pulls[n], version=codec.version(1, 1))
        assert f.exceed_entry("云A11111")["recordId"] == "EV1"
        assert f.unconfirmed("strategy") == []        # confirmed by the leader: never confirmed again
        assert f.site_versions() == {"exceed": 1000001, "strategy": 1000001}
        facts = gather("云A11111", "yellow", ledger=None, cache=f, config=config, now="2025-08-20 12:00:00")
        assert facts["exceed"]["recordId"] == "EV1" and facts["cache_age_s"] is not None
        assert [s["strategyId"] for s in facts["strategies"]] == ["S1"]
        f.site_write("exceed", [], ["EV1"], version=codec.version(1, 2))
        assert f.exceed_entry("云A11111") is None and f.site_export("exceed") == []


def test_ledger_entries_keep_local_photos_and_pending_local_entries(tmp_path):
    with Ledger.open(tmp_path / "a") as a:
        a.put_many("vehicles", [({"vehicleId": "V1", "licensePlate": "云A1", "plateColor": "1"},
                                 {"carImg1": b"\xff\xd8one", "carImg2": b"\xff\xd8two"})])
        site = a.site_export("vehicles")
    assert set(site[0]["images"]) == {"carImg1", "carImg2"}
    with Ledger.open(tmp_path / "b") as b:
        b.site_write("vehicles", site, replace=True, version=5)          # fields only: no photos here
        assert b.vehicle_by_plate("云A1")["vehicleId"] == "V1" and b.images("vehicles", "V1") == {}
        b.put_many("vehicles", [({"vehicleId": "V9", "licensePlate": "云A9"}, {})])   # a guard registers one
        b.site_write("vehicles", site, replace=True, version=6, keep=["V9"])        # a snapshot without it
        assert b.vehicle_by_plate("云A9") is not None                                  # kept for its proposal
        b.site_write("vehicles", site, replace=True, version=7)
        assert b.vehicle_by_plate("云A9") is None
        b.site_write("vehicles", site, images={"V1": {"carImg1": b"\xff\xd8one", "carImg2": b"\xff\xd8two"}})
        assert b.site_export("vehicles") == site                          # a copy is a copy, photos too


def test_the_readme_topic_table_is_the_one_in_the_code():
    from pathlib import Path

    from edge.site.topics import markdown_table
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme, "README's topic table differs from edge/site/topics.py TABLE"
