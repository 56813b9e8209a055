"""Per-kind routing in the outbox: smoke events go only where [smoke] destinations says (by
default nowhere: kept locally), access records still go everywhere; transmission statistics
and retention treat them accordingly. Real SQLite files, real CLI process."""
import json
import subprocess
import sys

import pytest

from edge.config import parse
from edge.errors import ValidationError
from edge.store.outbox import DELIVERED, PENDING, Outbox, OutboxError
from tests.store.outbox_helpers import CONFIG, make_record, photo

DAY = "20261122"


def smoke_record(i: int) -> dict:
    return {"recordId": "SMK%017d" % i, "enterpriseId": "91530100MA6K5XYZ1P001V", "gateId": "A01",
            "cameraName": "A口黑烟", "eventTime": "2026-11-22 10:00:05", "licensePlate": "云A12345",
            "plateColor": "2", "plateMatch": "front", "smokeLevel": 3, "smokeConfidence": 0.7,
            "firstFrame": 10, "lastFrame": 14, "firstTime": "2026-11-22 10:00:05.100",
            "lastTime": "2026-11-22 10:00:05.500", "frameIndices": [10, 11, 12, 13, 14],
            "frameLevels": [3, 3, 4, 3, 3]}


def clock_at(day_time="2026-11-22 10:00:00"):
    from edge import timeutil
    t = timeutil.parse_datetime(day_time).timestamp()
    return lambda: t


def test_unrouted_smoke_is_kept_locally_and_access_goes_everywhere(tmp_path):
    box = Outbox(tmp_path, ["yunnan", "hj212"], routes={"smoke": []}, clock=clock_at())
    box.put(make_record(1), {"carImg": photo(1)})
    box.put(smoke_record(1), {"smokeImg": photo(2), "smokeClip": (photo(3), "avi")}, kind="smoke")
    box.put(smoke_record(2), kind="smoke")

    assert box.destinations_of("smoke") == [] and box.destinations_of("access") == ["yunnan", "hj212"]
    got = box.get("SMK%017d" % 1)
    assert got["kind"] == "smoke" and got["deliveries"] == []
    assert got["record"]["smokeLevel"] == 3
    assert set(box.load_media(got["recordId"])) == {"smokeImg", "smokeClip"}
    assert box.get("REC%012d" % 1)["deliveries"][0]["state"] == PENDING
    assert len(box.get("REC%012d" % 1)["deliveries"]) == 2
    # nothing of the smoke events waits, nothing is claimable, nothing is overdue
    assert box.count(state=PENDING) == 2
    assert [c.record_id for c in box.claim("hj212", 10)] == ["REC%012d" % 1]
    assert box.undelivered_count() == 1
    # `edge outbox list --all --kind smoke` lists them although no delivery row exists
    assert [r["record_id"] for r in box.records(kind="smoke")] == ["SMK%017d" % 1, "SMK%017d" % 2]
    assert all(r["undelivered"] == 0 for r in box.records(kind="smoke"))
    assert len(box.records()) == 3
    # the transmission statistics count the access record only
    stats = {r["destination"]: r for r in box.daily_stats(1, today=DAY)}
    assert stats["yunnan"]["generated"] == 1 and stats["hj212"]["generated"] == 1
    box.close()


def test_routed_smoke_gets_a_row_only_for_its_destination_and_stays_out_of_the_rate(tmp_path):
    box = Outbox(tmp_path, ["yunnan", "hj212"], routes={"smoke": ["hj212"]}, clock=clock_at())
    box.put(make_record(1))
    box.put(smoke_record(1), kind="smoke")
    assert [d["destination"] for d in box.get("SMK%017d" % 1)["deliveries"]] == ["hj212"]
    claimed = box.claim("hj212", 10)
    assert sorted((c.record_id, c.kind) for c in claimed) == [("REC%012d" % 1, "access"),
                                                            ("SMK%017d" % 1, "smoke")]
    assert [c.record_id for c in box.claim("yunnan", 10)] == ["REC%012d" % 1]
    box.mark_delivered([(c.id, "ok") for c in claimed])
    stats = {r["destination"]: r for r in box.daily_stats(1, today=DAY)}
    assert stats["hj212"] == {**stats["hj212"], "generated": 1, "uploaded": 1, "rate": 1.0}
    assert box.get("SMK%017d" % 1)["deliveries"][0]["state"] == DELIVERED
    # pruning folds only the counted kinds into the archive: the daily report stays the same
    box.delete_records(["SMK%017d" % 1])
    assert {r["destination"]: r for r in box.daily_stats(1, today=DAY)}["hj212"]["generated"] == 1
    box.close()


def test_a_route_must_name_configured_destinations(tmp_path):
    with pytest.raises(OutboxError, match="smoke.*hj212"):
        Outbox(tmp_path, ["yunnan"], routes={"smoke": ["hj212"]})


def test_kinds_without_a_route_keep_the_old_behaviour(tmp_path):
    box = Outbox(tmp_path, ["yunnan", "hj212"])
    box.put(smoke_record(1), kind="smoke")
    assert len(box.get("SMK%017d" % 1)["deliveries"]) == 2
    box.close()


def test_retention_expires_local_smoke_events_like_delivered_records(tmp_path):
    from edge.store.retention import Retention
    old = clock_at("2024-01-02 10:00:00")
    box = Outbox(tmp_path, ["yunnan"], routes={"smoke": []}, clock=old)
    rec = dict(smoke_record(1), eventTime="2024-01-02 10:00:00")
    box.put(rec, {"smokeImg": photo(1), "smokeClip": (photo(2), "avi")}, kind="smoke")
    box.put(make_record(1, "2024-01-02 10:00:00"))              # undelivered: must stay
    box.clock = clock_at("2025-03-01 10:00:00")                 # 14 months later: clips expire
    report = Retention(box, usage=lambda: 10.0).run()
    assert report["clips"] == 1 and report["expired"] == 0
    assert set(box.media_of("SMK%017d" % 1)) == {"smokeImg"}
    box.clock = clock_at("2026-03-01 10:00:00")                 # 26 months: the event goes too
    report = Retention(box, usage=lambda: 10.0).run()
    assert report["expired"] == 1
    assert box.get("SMK%017d" % 1) is None and box.get("REC%012d" % 1) is not None
    box.close()


SMOKE_CONFIG = CONFIG + """[smoke]
destinations = {dests}
"""


def test_config_routes_and_checks_smoke_destinations(tmp_path):
    box = Outbox.from_config(parse(SMOKE_CONFIG.format(state=tmp_path, dests='["yunnan"]')))
    assert box.destinations_of("smoke") == ["yunnan"]
    box.close()
    box = Outbox.from_config(parse(SMOKE_CONFIG.format(state=tmp_path, dests="[]")))
    assert box.destinations_of("smoke") == []
    box.close()
    with pytest.raises(ValidationError) as e:
        parse(SMOKE_CONFIG.format(state=tmp_path, dests='["hj212"]'))
    assert ("smoke.destinations", "'hj212' is not in [uplink] destinations") in e.value.problems
    with pytest.raises(ValidationError) as e:
        parse(SMOKE_CONFIG.format(state=tmp_path, dests="[]") + 'camera = "nope"\n')
    assert [k for k, _ in e.value.problems] == ["smoke.camera"]
    with pytest.raises(ValidationError) as e:
        parse(SMOKE_CONFIG.format(state=tmp_path, dests="[]") + 'watch_frames = 2\nroi = [1, 2, 3]\n')
    assert sorted(k for k, _ in e.value.problems) == ["smoke.roi", "smoke.watch_frames"]


def test_outbox_cli_lists_and_shows_smoke_events(tmp_path):
    conf = tmp_path / "edge.toml"
    conf.write_text(SMOKE_CONFIG.format(state=tmp_path / "state", dests="[]"), encoding="utf-8")
    box = Outbox.from_config(parse(conf.read_text(encoding="utf-8")))
    box.put(make_record(1))
    box.put(smoke_record(1), {"smokeImg": photo(1), "smokeClip": (photo(2), "avi")}, kind="smoke")
    box.close()

    def edge(*args, rc=0):
        r = subprocess.run([sys.executable, "-m", "edge", "outbox", *args, "--config", str(conf)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == rc, r.stderr
        return r.stdout

    sid = "SMK%017d" % 1
    assert edge("list").split() == ["REC%012d" % 1]                 # pending deliveries: access only
    assert edge("list", "--all", "--kind", "smoke").split() == [sid]
    assert set(edge("list", "--all").split()) == {"REC%012d" % 1, sid}
    row = json.loads(edge("list", "--all", "--kind", "smoke", "--json"))
    assert row["kind"] == "smoke" and row["undelivered"] == 0
    shown = json.loads(edge("show", sid))
    assert shown["kind"] == "smoke" and shown["deliveries"] == []
    assert shown["record"]["smokeLevel"] == 3 and shown["media"] == {"smokeImg": "ok", "smokeClip": "ok"}
    assert row["deliveries"] == 0
    # `check` verifies the media of records kept locally too (they exist nowhere else)
    assert "2 records checked, 0 bad" in edge("check")
    box = Outbox.from_config(parse(conf.read_text(encoding="utf-8")))
    clip = box.media.path(box.media_of(sid)["smokeClip"])
    box.close()
    clip.write_bytes(b"damaged")
    out = edge("check", rc=1)
    assert "%s smokeClip:" % sid in out and "1 bad" in out
