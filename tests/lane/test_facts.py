"""edge.lane.facts on real SQLite files: the ledger matched on the plate (colour only breaks a
tie or gives a note), the platform cache's exceed entry, strategies in force, alarms, verifications
and the cache age; and the lane's passage keeps a registered truck whose colour was misread."""
import pytest

from edge.config import example, parse
from edge.domain.examples import example as record_example
from edge.io.board import load_board
from edge.lane.facts import gather, identify
from edge.lane.service import LaneService
from edge.policy import decide
from edge.store.ledger import Ledger
from edge.store.platform_cache import PlatformCache

ENT = "91530100MA6K5XYZ1P001V"
NOW = "2026-12-01 10:00:00"


def vehicle(seq, plate="云A12345", color="1", **changes):
    v = dict(record_example("vehicle"), vehicleId="%s%05d" % (ENT, seq), licensePlate=plate, plateColor=color)
    v.update(changes)
    for f in ("carImg1", "carImg2"):
        v.pop(f, None)
    return v


@pytest.fixture
def config(tmp_path):
    text = example().replace('state_dir = "/var/lib/edge"', 'state_dir = "%s"' % tmp_path)
    return parse(text)


@pytest.fixture
def ledger(tmp_path):
    with Ledger.open(tmp_path) as led:
        led.put_many("vehicles", [(vehicle(1), {}), (vehicle(2, plate="云B00001", color="1"), {}),
                                  (vehicle(3, plate="云B00001", color="0"), {}),
                                  (vehicle(4, plate="云C00002", color=""), {})])
        yield led


@pytest.fixture
def cache(tmp_path):
    with PlatformCache.open(tmp_path) as c:
        yield c


@pytest.mark.parametrize("plate,color,vid,note", [
    ("云A12345", "yellow", 1, None),
    ("云A12345", "1", 1, None),                                       # a 7.6 code works too
    ("云 a12345", "yellow", 1, None),                                 # the platform's spaced spelling
    ("云A12345", "yellow_green", 1, "台账为黄牌，识别为新能源绿黄牌"),   # the misread of issue 14
    ("云A12345", "blue", 1, "台账为黄牌，识别为蓝牌"),
    ("云A12345", None, 1, None),                                      # no colour read
    ("云A12345", "purple", 1, None),                                  # not a colour word: plate alone
    ("云B00001", "blue", 3, None),                                    # two entries: the colour chooses
    ("云B00001", "yellow", 2, None),
    ("云B00001", "green", 2, "台账为黄牌，识别为新能源绿牌"),            # neither matches: the first, noted
    ("云C00002", "green", 4, None),                                   # the ledger has no colour
    ("云Z99999", "yellow", None, None),
])
def test_identify(ledger, plate, color, vid, note):
    v, n = identify(plate, color, ledger)
    assert (int(v["vehicleId"][-5:]) if v else None, n) == (vid, note)


def test_identify_without_ledger_or_plate(ledger):
    assert identify("云A12345", "yellow", None) == (None, None)
    assert identify("", "yellow", ledger) == (None, None)


def test_gather_reads_every_fact(config, ledger, cache):
    cache.upsert_exceed([
        dict(record_example("exceed-vehicle"), recordId="EV1", licensePlate="云 A12345", sendTime="20250704"),
        dict(record_example("exceed-vehicle"), recordId="EV0", licensePlate="云A12345", isRemove="1"),
    ])
    cache.upsert_strategies([
        dict(record_example("strategy"), strategyId="NOW", startdate="2025-08-20 00:00:00",
             enddate="2025-08-21 00:00:00", pollutionLevel="3"),
        dict(record_example("strategy"), strategyId="PAST", startdate="2025-08-01 00:00:00",
             enddate="2025-08-02 00:00:00"),
    ])
    cache.upsert_alarms([dict(record_example("alarm"), alarmId="A1", licensePlate="云A12345", alarmStatus="0"),
                         dict(record_example("alarm"), alarmId="A2", licensePlate="云A12345", alarmStatus="1")])
    cache.set_pull_timestamp("exceed", "2025-08-20")
    cache.set_pull_timestamp("strategy", "2025-08-20")
    f = gather("云A12345", "yellow_green", ledger=ledger, cache=cache, config=config, now="2025-08-20 08:30:45")
    assert f["vehicle"]["vehicleId"].endswith("00001") and f["ledger_note"] == "台账为黄牌，识别为新能源绿黄牌"
    assert f["exceed"]["recordId"] == "EV1" and f["exceed_cleared"] is False
    assert [s["strategyId"] for s in f["strategies"]] == ["NOW"]
    assert [a["alarmId"] for a in f["alarms"]] == ["A1"]
    assert f["performance_level"] == "A" and f["direction"] == "in" and f["manual"] is False
    assert f["cache_age_s"] is not None and f["cache_age_s"] >= 0
    d = decide(f, config.policy)
    assert (d["allowed"], d["code"]) == (False, "exceed")
    assert "台账为黄牌，识别为新能源绿黄牌" in d["notes"] and "平台违规通行告警 1 条未解除" in d["notes"]
    assert d["control"] == "红色预警 II级响应"


def test_gather_verification_clears_and_a_later_listing_does_not(config, ledger, cache):
    cache.upsert_exceed([dict(record_example("exceed-vehicle"), recordId="EV1", sendTime="20250704")])
    cache.put_verification(dict(record_example("exceed-verification"), recordId="EV1", excessVerificadate="20250710"))
    f = gather("云A12345", "yellow", ledger=ledger, cache=cache, config=config, now="2025-08-20 08:30:45")
    assert f["exceed_cleared"] is True and decide(f, config.policy)["allowed"] is True
    # the platform lists the vehicle again later: the old verification does not clear it
    cache.upsert_exceed([dict(record_example("exceed-vehicle"), recordId="EV2", sendTime="20250801")])
    f = gather("云A12345", "yellow", ledger=ledger, cache=cache, config=config, now="2025-08-20 08:30:45")
    assert f["exceed"]["recordId"] == "EV2" and f["exceed_cleared"] is False
    # a verification keyed by another id (the spec example's reading) but of this plate, dated after
    cache.put_verification(dict(record_example("exceed-verification"), recordId="VCL1", excessVerificadate="20250805"))
    f = gather("云A12345", "yellow", ledger=ledger, cache=cache, config=config, now="2025-08-20 08:30:45")
    assert f["exceed_cleared"] is True
    # a newer 超标 finding wins
    cache.put_verification(dict(record_example("exceed-verification"), recordId="EV2", excessVerifica="0",
                                excessVerificadate="20250806"))
    f = gather("云A12345", "yellow", ledger=ledger, cache=cache, config=config, now="2025-08-20 08:30:45")
    assert f["exceed_cleared"] is False


def test_gather_with_empty_stores_and_a_datetime(config, tmp_path):
    from edge.timeutil import parse_datetime
    with Ledger.open(tmp_path / "empty") as led, PlatformCache.open(tmp_path / "empty") as cache:
        f = gather("云A99999", "yellow", ledger=led, cache=cache, config=config,
                   now=parse_datetime("2025-08-20 08:30:45"), manual=True)
    assert f["now"] == "2025-08-20 08:30:45" and f["manual"] is True
    assert f["vehicle"] is None and f["exceed"] is None and f["strategies"] == [] and f["cache_age_s"] is None
    d = decide(f, config.policy)
    assert (d["allowed"], d["code"]) == (False, "unregistered")
    assert "尚未从平台同步超标车辆和管控策略" in d["notes"]
    f = gather("云A99999", "yellow", ledger=None, cache=None, config=parse(example().replace(
        'state_dir = "/var/lib/edge"', 'state_dir = "%s"' % tmp_path).replace('direction = "in"', 'direction = "out"')),
        now="2025-08-20 08:30:45")
    assert f["direction"] == "out" and decide(f)["code"] == "exit"


def test_passage_keeps_a_registered_truck_read_with_the_wrong_colour(config, ledger):
    """Issue 14: a yellow truck read as yellow-green was looked up by plate+colour and recorded
    without its vehicleId/VIN (kept rejected); the decision's facts find it by the plate alone
    and the lane's passage carries that entry (with the mismatch note)."""
    service = LaneService(config, load_board("sim"))
    facts = gather("云A12345", "yellow_green", ledger=ledger, cache=None, config=config, now=NOW)
    p = service.passage("云A12345", "yellow_green", {}, vehicle=facts["vehicle"], check=facts["ledger_note"])
    assert p["vehicle"]["vehicleId"] == "%s00001" % ENT and "识别为" in p["plate_check"]
    facts = gather("云Z99999", "yellow", ledger=ledger, cache=None, config=config, now=NOW)
    assert "vehicle" not in service.passage("云Z99999", "yellow", {}, vehicle=facts["vehicle"])
