"""Platform cache and ledger: real SQLite files in tmp_path."""
import json

import pytest

from edge.domain.examples import example
from edge.errors import ValidationError
from edge.store import ledger as ledger_mod
from edge.store.ledger import Ledger
from edge.store.platform_cache import PlatformCache
from tests.uplink_yunnan.conftest import ENTERPRISE_ID
from tests.uplink_yunnan.helpers import jpeg


def exceed(i, plate="云A12345", color="1", removed="0"):
    return {"recordId": "EV%03d" % i, "licensePlate": plate, "plateColor": color, "vin": "V%d" % i,
            "fuelType": "B", "emissionStandard": "4", "exceedlistReason": "1", "isRemove": removed,
            "sendTime": "20250704", "removeTime": ""}


def test_exceed_lookup_and_upsert(tmp_path):
    with PlatformCache.open(tmp_path) as c:
        c.upsert_exceed([exceed(1, "粤 A12345"), exceed(2, "云B00001", removed="1")])
        assert c.is_exceed("粤A12345") and c.is_exceed("粤 a12345", "1")
        assert not c.is_exceed("粤A12345", "0")          # other colour, other plate
        assert not c.is_exceed("云B00001")                # removed (isRemove = 1)
        c.upsert_exceed([exceed(1, "粤 A12345", removed="1")])   # the platform lifts it: same recordId
        assert not c.is_exceed("粤A12345")
        assert c.counts() == {"exceed": 2, "exceed_active": 0, "strategy": 0, "alarm": 0}


def test_state_survives_reopen(tmp_path):
    with PlatformCache.open(tmp_path) as c:
        c.upsert_exceed([exceed(1)])
        c.set_pull_timestamp("exceed", "2025-08-21", 3, 250)
    with PlatformCache.open(tmp_path) as c:
        assert c.pull_timestamp("exceed", "2000-01-01") == "2025-08-21"
        assert c.pull_timestamp("alarm", "2000-01-01") == "2000-01-01"
        assert c.is_exceed("云A12345")


def test_strategies_active_window_and_confirmation(tmp_path):
    s1 = {"strategyId": "S1", "startdate": "2025-08-04 09:00:00", "enddate": "2025-08-10 22:00:00"}
    s2 = {"strategyId": "S2", "startdate": "2025-08-08 00:00:00", "enddate": "2025-09-01 00:00:00"}
    with PlatformCache.open(tmp_path) as c:
        c.upsert_strategies([s1, s2])
        assert [s["strategyId"] for s in c.active_strategies("2025-08-09 12:00:00")] == ["S1", "S2"]
        assert [s["strategyId"] for s in c.active_strategies("2025-08-20 12:00:00")] == ["S2"]
        assert c.active_strategies("2025-08-01 00:00:00") == []
        assert c.unconfirmed("strategy") == ["S1", "S2"]
        c.mark_confirmed("strategy", ["S1"])
        c.upsert_strategies([s1])                       # resent: stays confirmed
        assert c.unconfirmed("strategy") == ["S2"]


def _vehicle_row(**changes):
    v = example("vehicle")
    del v["vehicleId"]
    v.update({"carImg1": "a.jpg", "carImg2": "b.jpg"}, **changes)
    return v


@pytest.fixture
def photos(tmp_path):
    (tmp_path / "a.jpg").write_bytes(jpeg((1, 1, 1)))
    (tmp_path / "b.jpg").write_bytes(jpeg((2, 2, 2)))
    (tmp_path / "not.jpg").write_bytes(b"GIF89a....")
    return tmp_path


def test_ledger_import_assigns_ids_and_tracks_pending(photos):
    with Ledger.open(photos / "state") as led:
        rows = [_vehicle_row(), _vehicle_row(licensePlate="云A55555", vin="LFWSRXSJ5M1A55555")]
        assert led.put_many("vehicles", ledger_mod.prepare("vehicles", rows, photos, ENTERPRISE_ID, led)) == 2
        assert led.ids("vehicles") == [ENTERPRISE_ID + "00001", ENTERPRISE_ID + "00002"]
        assert led.payload("vehicles", ENTERPRISE_ID + "00001")["carImg1"].startswith("data:image/jpeg;base64,")
        assert led.vehicle_by_plate("云 A55555")["vehicleId"] == ENTERPRISE_ID + "00002"
        for oid in led.ids("vehicles"):
            led.mark_uploaded("vehicles", oid)
        assert led.ids("vehicles", pending_only=True) == []
        # the same file again changes nothing; a changed entry becomes pending again
        again = [dict(_vehicle_row(), vehicleId=ENTERPRISE_ID + "00001"),
                 dict(_vehicle_row(licensePlate="云A55555", vin="LFWSRXSJ5M1A55555", fleetName="新车队"),
                      vehicleId=ENTERPRISE_ID + "00002")]
        assert led.put_many("vehicles", ledger_mod.prepare("vehicles", again, photos, ENTERPRISE_ID, led)) == 1
        assert led.ids("vehicles", pending_only=True) == [ENTERPRISE_ID + "00002"]
        # new rows continue the sequence
        more = ledger_mod.prepare("vehicles", [_vehicle_row(licensePlate="云A77777", vin="LFWSRXSJ5M1A77777")],
                                  photos, ENTERPRISE_ID, led)
        assert more[0][0]["vehicleId"] == ENTERPRISE_ID + "00003"


def test_ledger_import_all_or_nothing_with_every_problem(photos):
    rows = [_vehicle_row(), _vehicle_row(plateColor="9", carImg2="not.jpg", vin="LFWSRXSJ5M1A00002"),
            _vehicle_row(carImg1="missing.jpg", licensePlate="云A00003", vin="LFWSRXSJ5M1A00003"),
            {"licensePlate": "云A1"}]
    with Ledger.open(photos / "state") as led:
        with pytest.raises(ValidationError) as e:
            ledger_mod.prepare("vehicles", rows, photos, ENTERPRISE_ID, led)
        lines = e.value.lines()
        assert any(line.startswith("row 2 plateColor:") for line in lines)
        assert "row 2 carImg2: is not a JPEG image" in lines
        assert any(line.startswith("row 3 carImg1: cannot read image") for line in lines)
        assert "row 4 vin: required" in lines and "row 4 carImg1: required" in lines
        assert not any(line.startswith("row 1 ") for line in lines)
        assert led.count("vehicles") == 0


def test_read_rows_csv_bom_and_json(tmp_path):
    (tmp_path / "v.csv").write_bytes("\ufefflicensePlate,vin\n云A1, X \n".encode("utf-8"))
    assert ledger_mod.read_rows(tmp_path / "v.csv") == [{"licensePlate": "云A1", "vin": "X"}]
    (tmp_path / "v.json").write_text(json.dumps({"licensePlate": "云A1"}, ensure_ascii=False), encoding="utf-8")
    assert ledger_mod.read_rows(tmp_path / "v.json") == [{"licensePlate": "云A1"}]
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(ValidationError):
        ledger_mod.read_rows(tmp_path / "bad.json")


async def test_cache_usable_from_worker_threads(tmp_path):
    import asyncio
    with PlatformCache.open(tmp_path) as c:
        await asyncio.to_thread(c.upsert_exceed, [exceed(i, "云A%05d" % i) for i in range(50)])
        found = await asyncio.gather(*(asyncio.to_thread(c.is_exceed, "云A%05d" % i) for i in range(50)))
        assert all(found)
