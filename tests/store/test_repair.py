"""Rejected records can be fixed and resent: held records, Outbox.fix, repair.retry, the ledger
updated in place (newest entry wins), and the CLI path `edge outbox retry|fix` after a fix."""
import asyncio
import json
import subprocess
import sys

import pytest
from PIL import Image

from edge.domain.examples import example
from edge.lane.recorder import Recorder
from edge.store import ledger as ledger_mod
from edge.store import repair
from edge.store.ledger import Ledger
from edge.store.outbox import DELIVERED, PENDING, REJECTED, Outbox, OutboxError
from edge.uplink.uploader import Uploader
from outbox_helpers import CONFIG, ENT, FakeDestination, wait_until

PLATE = "云A6K123"
PHOTOS = {"carHeadImg": b"\xff\xd8head", "carImg": b"\xff\xd8body"}


def passage(plate=PLATE, vehicle=None, **kw):
    p = {"plate": plate, "plate_color": "yellow", "access_type": "0",
         "photos": {"carHeadImg": Image.new("RGB", (160, 90), (50, 90, 140)),
                    "carImg": Image.new("RGB", (160, 90), (140, 90, 50))},
         "cargo_type": "煤炭", "cargo_weight": "30.5", "cargo_unit": "T"}
    if vehicle:
        p["vehicle"] = vehicle
    p.update(kw)
    return p


def vehicle_entry(plate=PLATE, vin="LFWSRXSJ5M1A6K123", seq=1, **kw):
    v = example("vehicle")
    v.update(vehicleId=ENT + "%05d" % seq, enterpriseId=ENT, licensePlate=plate, plateColor="1", vin=vin)
    v.update(kw)
    return v


class Clock:
    def __init__(self, t=1_800_000_000.0):
        self.t = t

    def __call__(self):
        return self.t


def test_a_held_record_is_not_claimed_until_its_hold_ends_or_a_fix_releases_it(tmp_path):
    clock = Clock()
    box = Outbox(tmp_path, ["yunnan"], clock=clock)
    rec = Recorder(box, ENT, "A", "A01", stamp_photos=False)
    held_until = int((clock.t + 600) * 1000)
    r1, ok = box.put_new(lambda seq: rec.build(passage(vehicle=vehicle_entry()), seq), PHOTOS,
                         not_before_ms=held_until)
    r2, _ = box.put_new(lambda seq: rec.build(passage(vehicle=vehicle_entry()), seq), PHOTOS,
                        not_before_ms=held_until)
    assert ok and box.held_count() == 2
    assert box.claim("yunnan", 10) == []
    assert box.next_due_ms("yunnan") == held_until        # the uploader sleeps until then
    box.undefer("yunnan")                                 # a reconnect must not release holds
    assert box.claim("yunnan", 10) == []
    assert box.fix(r1["recordId"], {"cargoWeight": "28.0"}) == []   # the cargo was entered: goes now
    assert [c.record_id for c in box.claim("yunnan", 10)] == [r1["recordId"]]
    clock.t += 601
    assert [c.record_id for c in box.claim("yunnan", 10)] == [r2["recordId"]]
    assert box.held_count() == 0
    box.close()


def test_the_recorder_holds_each_access_record_for_cargo_hold_s(tmp_path):
    clock = Clock()
    box = Outbox(tmp_path, ["yunnan"], clock=clock)
    held = Recorder(box, ENT, "A", "A01", stamp_photos=False, cargo_hold_s=600)
    r = held.record(passage(vehicle=vehicle_entry()))
    assert box.held_count() == 1 and box.claim("yunnan", 10) == []
    assert box.next_due_ms("yunnan") == int((clock.t + 600) * 1000)
    assert box.fix(r["recordId"], {"cargoType": "钢材"}) == []          # the guard's entry releases it
    assert [c.record_id for c in box.claim("yunnan", 10)] == [r["recordId"]]
    at_once = Recorder(box, ENT, "A", "A01", stamp_photos=False)         # the default: sent at once
    r2 = at_once.record(passage(vehicle=vehicle_entry()))
    assert box.held_count() == 0 and [c.record_id for c in box.claim("yunnan", 10)] == [r2["recordId"]]
    box.close()


async def test_the_uploader_respects_a_hold(tmp_path):
    box = Outbox(tmp_path, ["yunnan"])
    rec = Recorder(box, ENT, "A", "A01", stamp_photos=False)
    import time
    until = int((time.time() + 0.6) * 1000)
    r, _ = box.put_new(lambda seq: rec.build(passage(vehicle=vehicle_entry()), seq), PHOTOS, not_before_ms=until)
    dest = FakeDestination()
    up = Uploader(box, {"yunnan": dest}, poll_s=0.05)
    task = asyncio.create_task(up.run())
    await asyncio.sleep(0.3)
    assert dest.received == []                     # held
    await wait_until(lambda: dest.received == [r["recordId"]])
    assert time.time() * 1000 >= until
    await up.stop()
    await task
    box.close()


def test_fix_revalidates_keeps_partial_fixes_and_refuses_what_cannot_change(tmp_path):
    box = Outbox(tmp_path, ["yunnan", "hj212"])
    rec = Recorder(box, ENT, "A", "A01", stamp_photos=False)
    r = rec.record(passage(cargo_type="", vehicle=None))        # unknown vehicle, no cargo
    rid = r["recordId"]
    reasons = box.get(rid)["deliveries"][0]["reason"]
    assert "vin: required" in reasons and "cargoType: required" in reasons
    problems = box.fix(rid, {"cargoType": "钢材"})
    assert problems and all("cargoType" not in p for p in problems)   # one fixed, the rest remain
    got = box.get(rid)
    assert got["record"]["cargoType"] == "钢材"
    assert {d["state"] for d in got["deliveries"]} == {REJECTED}
    assert all("vin: required" in d["reason"] for d in got["deliveries"])
    v = vehicle_entry()
    assert box.fix(rid, {"vehicle": v, "vehicleId": v["vehicleId"], "vin": v["vin"]}) == []
    assert {d["state"] for d in box.get(rid)["deliveries"]} == {PENDING}
    assert [e["changes"] for e in box.edits(rid)][0] == {"cargoType": "钢材"}
    with pytest.raises(OutboxError, match="recordId"):
        box.fix(rid, {"recordId": "X"})
    with pytest.raises(OutboxError, match="no record"):
        box.fix("NOPE", {})
    # a row being sent right now, then every destination delivered: refused
    claims = box.claim("yunnan", 1)
    with pytest.raises(OutboxError, match="being sent"):
        box.fix(rid, {"cargoType": "煤"})
    box.mark_delivered([(claims[0].id, "ok")])
    box.fix(rid, {"cargoType": "煤炭"})               # hj212 has not taken it: allowed
    assert {d["destination"]: d["state"] for d in box.get(rid)["deliveries"]} == \
        {"yunnan": DELIVERED, "hj212": PENDING}
    box.mark_delivered([(box.claim("hj212", 1)[0].id, "ok")])
    with pytest.raises(OutboxError, match="delivered already"):
        box.fix(rid, {"cargoType": "煤"})
    # a fix that makes a valid pending record invalid keeps it from going out
    r2 = rec.record(passage(vehicle=vehicle_entry()))
    assert box.fix(r2["recordId"], {"plateColor": "9"})
    assert {d["state"] for d in box.get(r2["recordId"])["deliveries"]} == {REJECTED}
    box.close()


def test_retry_looks_the_vehicle_up_again_and_stays_rejected_until_it_is_known(tmp_path):
    box = Outbox(tmp_path, ["yunnan"])
    rec = Recorder(box, ENT, "A", "A01", stamp_photos=False)
    rid = rec.record(passage(vehicle=None))["recordId"]
    with Ledger.open(tmp_path) as led:
        ok, problems = repair.retry(box, led, rid)
        assert not ok and "vin: required" in "; ".join(problems)
        assert box.get(rid)["deliveries"][0]["state"] == REJECTED
        led.put_many("vehicles", [(vehicle_entry(), {})])
        ok, problems = repair.retry(box, led, rid)
    assert ok and problems == []
    got = box.get(rid)
    assert got["deliveries"][0]["state"] == PENDING
    assert got["record"]["vin"] == "LFWSRXSJ5M1A6K123" and got["record"]["vehicleId"] == ENT + "00001"
    with pytest.raises(OutboxError):
        repair.retry(box, None, "NOPE")
    box.close()


def test_retry_plate_releases_every_record_of_a_registered_vehicle(tmp_path):
    box = Outbox(tmp_path, ["yunnan"])
    rec = Recorder(box, ENT, "A", "A01", stamp_photos=False)
    mine = [rec.record(passage(vehicle=None))["recordId"] for _ in range(2)]
    other = rec.record(passage(plate="云B00001", vehicle=None))["recordId"]
    with Ledger.open(tmp_path) as led:
        led.put_many("vehicles", [(vehicle_entry(), {})])
        out = repair.retry_plate(box, led, "云 A6K123")
    assert sorted(r[0] for r in out) == sorted(mine) and all(r[1] for r in out)
    assert box.get(other)["deliveries"][0]["state"] == REJECTED
    box.close()


def _row(**kw):
    v = example("vehicle")
    del v["vehicleId"]
    v.update(carImg1="a.jpg", carImg2="a.jpg")
    v.update(kw)
    return v


def test_reimport_updates_entries_in_place_and_the_newest_wins(tmp_path):
    (tmp_path / "a.jpg").write_bytes(_jpeg(tmp_path).read_bytes())
    with Ledger.open(tmp_path) as led:
        rows = [_row(licensePlate=PLATE, plateColor="1", vin="LVIN0000000000001")]
        led.put_many("vehicles", ledger_mod.prepare("vehicles", rows, tmp_path, ENT, led))
        first = led.ids("vehicles")
        # the same vehicle again (matched by VIN), its fleet changed: updated, not duplicated
        rows = [_row(licensePlate=PLATE, plateColor="1", vin="LVIN0000000000001", fleetName="新车队")]
        assert led.put_many("vehicles", ledger_mod.prepare("vehicles", rows, tmp_path, ENT, led)) == 1
        assert led.ids("vehicles") == first
        assert led.vehicle_by_plate(PLATE)["fleetName"] == "新车队"
        # matched by plate + colour (VIN corrected): still the same entry
        rows = [_row(licensePlate=PLATE, plateColor="1", vin="LVIN0000000000009")]
        led.put_many("vehicles", ledger_mod.prepare("vehicles", rows, tmp_path, ENT, led))
        assert led.ids("vehicles") == first and led.vehicle_by_plate(PLATE)["vin"] == "LVIN0000000000009"
        # a different colour is a different vehicle
        rows = [_row(licensePlate=PLATE, plateColor="0", vin="LVIN0000000000002")]
        led.put_many("vehicles", ledger_mod.prepare("vehicles", rows, tmp_path, ENT, led))
        assert len(led.ids("vehicles")) == 2
        # two entries for one plate (explicit ids): the most recently changed wins
        led.put_many("vehicles", [(dict(_row(licensePlate="云C1", plateColor="1", vin="A" * 17),
                                        vehicleId=ENT + "00100"), {})])
        led.put_many("vehicles", [(dict(_row(licensePlate="云C1", plateColor="1", vin="B" * 17),
                                        vehicleId=ENT + "00007"), {})])
        assert led.vehicle_by_plate("云C1", "1")["vin"] == "B" * 17
        # one file naming the same vehicle twice is refused with both rows
        rows = [_row(licensePlate="云D1", vin="C" * 17), _row(licensePlate="云D2", vin="C" * 17)]
        with pytest.raises(Exception, match="same vehicle as row 1"):
            ledger_mod.prepare("vehicles", rows, tmp_path, ENT, led)


# ---------------------------------------------------------------- the CLI path



def edge(conf, *args):
    return subprocess.run([sys.executable, "-m", "edge", *args, "--config", str(conf)],
                          capture_output=True, text=True, timeout=120)


def test_cli_retry_after_a_gbk_ledger_import_and_fix(tmp_path):
    state = tmp_path / "state"
    conf = tmp_path / "edge.toml"
    conf.write_text(CONFIG.format(state=state), encoding="utf-8")
    box = Outbox(state, ["yunnan"])
    rec = Recorder(box, ENT, "A", "A01", stamp_photos=False)
    rid = rec.record(passage(vehicle=None))["recordId"]
    rid2 = rec.record(passage(vehicle=None, cargo_type=""))["recordId"]
    box.close()

    r = edge(conf, "outbox", "retry", rid)
    assert r.returncode == 1 and "still rejected" in r.stdout and "vin: required" in r.stdout

    # the ledger as Excel on Chinese Windows saves it: GBK, Chinese headers, colour by name
    v = example("vehicle")
    (tmp_path / "a.jpg").write_bytes(_jpeg(tmp_path).read_bytes())
    header = "车牌号码,车牌颜色,车辆识别代码,运输/厂内车辆,车辆类型,车辆品牌,车辆型号,燃料类型,排放标准,使用性质,车队名称,注册登记日期,联网状态,随车清单图片,行驶证图片"
    row = [PLATE, "黄牌", "LFWSRXSJ5M1A6K123", v["vehicleUse"], v["vehicleType"], v["vehicleBrand"],
           v["vehicleModel"], "柴油", v["emissionStandard"], v["useType"], v["fleetName"],
           v["registrationDate"], v["networkStatus"], "a.jpg", "a.jpg"]
    (tmp_path / "台账.csv").write_bytes((header + "\r\n" + ",".join(row) + "\r\n").encode("gbk"))
    r = edge(conf, "ledger", "import", "vehicles", str(tmp_path / "台账.csv"))
    assert r.returncode == 0, r.stderr

    r = edge(conf, "outbox", "retry", rid, "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout) == {"recordId": rid, "ok": True, "state": "pending", "problems": []}
    r = edge(conf, "outbox", "retry", "--all-rejected")
    assert r.returncode == 1 and "cargoType: required" in r.stdout and "0 due again, 1 still rejected" in r.stdout
    r = edge(conf, "outbox", "fix", rid2, "cargoType=煤炭")
    assert r.returncode == 0 and "due for delivery again" in r.stdout, r.stdout + r.stderr
    for bad in (["fix", rid2, "nosuchfield=1"], ["fix", rid2, "novalue"], ["fix", "NOPE", "cargoType=x"]):
        r = edge(conf, "outbox", *bad)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) <= 2 and "Traceback" not in r.stderr
    box = Outbox(state, ["yunnan"])
    assert box.get(rid)["record"]["vehicle"]["fuelType"] == "B"     # 柴油 became its code
    assert {d["state"] for r_ in (rid, rid2) for d in box.get(r_)["deliveries"]} == {PENDING}
    show = json.loads(edge(conf, "outbox", "show", rid2).stdout)
    assert show["edits"][-1]["changes"] == {"cargoType": "煤炭"}
    assert show["edits"][0]["changes"]["vin"] == "LFWSRXSJ5M1A6K123"   # the retry's ledger look-up
    box.close()


def _jpeg(tmp_path):
    p = tmp_path / "photo.jpg"
    Image.new("RGB", (64, 48), (9, 9, 9)).save(p, "JPEG")
    return p
