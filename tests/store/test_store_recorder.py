"""The recording path: passage → valid 6.13 record + stamped photos, durable, uploader woken."""
import io
from datetime import datetime

from PIL import Image

from edge import timeutil
from edge.domain import ids, validate
from edge.domain.examples import example
from edge.lane.recorder import Recorder
from edge.store.outbox import PENDING, REJECTED, Outbox

ENT = "91530100MA6K5XYZ1P001V"
AT = datetime(2026, 11, 22, 10, 30, 5, 123000, tzinfo=timeutil.BEIJING)


def passage(**kw):
    v = example("vehicle")
    p = {"plate": "云A12345", "plate_color": "yellow", "access_type": "1", "time": AT,
         "photos": {"carHeadImg": Image.new("RGB", (320, 180), (50, 90, 140)),
                    "carImg": Image.new("RGB", (320, 180), (140, 90, 50))},
         "pass_mode": "manual", "vehicle": v, "cargo_type": "煤炭", "cargo_weight": "30.5",
         "cargo_unit": "T", "smoke_level": 1}
    p.update(kw)
    return p


def test_record_is_valid_durable_and_wakes_the_uploader(tmp_path):
    box = Outbox(tmp_path, ["yunnan", "hj212"])
    woken = []
    rec = Recorder(box, ENT, "A", "A01", on_record=lambda: woken.append(1))
    r = rec.record(passage())
    assert woken == [1]
    parts = ids.parse_record_id(r["recordId"])
    assert parts == {"stamp": "202611221030051230", "enterpriseId": ENT, "accessType": "1", "seq": 1}
    stored = box.get(r["recordId"])
    body = stored["record"]
    assert validate.validate("access", body) == []
    assert (body["plateColor"], body["accessTime"], body["passMode"], body["smokeLevel"]) == \
        ("1", "2026-11-22 10:30:05", "manual", 1)
    assert body["vin"] == example("vehicle")["vin"] and body["vehicle"]["vehicleId"] == body["vehicleId"]
    assert {d["state"] for d in stored["deliveries"]} == {PENDING}
    photos = box.load_media(r["recordId"])
    img = Image.open(io.BytesIO(photos["carHeadImg"]))
    assert img.format == "JPEG" and img.size == (320, 180)
    assert img.crop((0, 0, 100, 20)).convert("L").getextrema()[1] > 200  # the stamp is on it
    r2 = rec.record(passage(access_type="0"))
    assert ids.parse_record_id(r2["recordId"])["seq"] == 2
    box.close()


def test_invalid_passage_is_kept_as_rejected_with_every_problem(tmp_path, caplog):
    box = Outbox(tmp_path, ["yunnan"])
    rec = Recorder(box, ENT, "A", "A01")
    r = rec.record(passage(plate="", plate_color="purple", vehicle=None))
    d = box.get(r["recordId"])["deliveries"][0]
    assert d["state"] == REJECTED
    for field in ("licensePlate: required", "plateColor:", "vin: required", "vehicleId: required"):
        assert field in d["reason"]
    assert box.load_media(r["recordId"])     # photos kept too
    assert "stored as REJECTED" in caplog.text
    box.close()


def test_sequence_wraps_at_five_digits(tmp_path):
    box = Outbox(tmp_path, ["yunnan"])
    box._db.execute("INSERT INTO counters(name, value) VALUES('record_seq', 99999)")
    r = Recorder(box, ENT, "A", "A01", stamp_photos=False).record(passage(photos={}))
    assert ids.parse_record_id(r["recordId"])["seq"] == 0 and box.seq() == 100000
    box.close()
