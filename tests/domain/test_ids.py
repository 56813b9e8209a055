"""Id builders: layout, padding and every out-of-range or malformed part."""
from datetime import datetime

import pytest

from edge import timeutil
from edge.domain import ids

ENT22 = "91530100MA6K5XYZ1P001V"
ENT18 = "91310101MA1FPX1234"
STAMP = "20250820083045123"


def test_record_id_layout_with_a_22_character_enterprise_id():
    rid = ids.record_id(STAMP, ENT22, "0", 1)
    assert rid == STAMP + "0" + ENT22 + "0" + "00001"
    assert len(rid) == ids.RECORD_ID_LEN == 46


def test_record_id_pads_a_short_enterprise_id_on_the_left_with_zeros():
    rid = ids.record_id(STAMP, ENT18, "1", 42)
    assert rid[18:40] == "0000" + ENT18
    assert rid[40] == "1" and rid[41:] == "00042"
    assert ids.parse_record_id(rid) == {"stamp": STAMP + "0", "enterpriseId": ENT18,
                                        "accessType": "1", "seq": 42}


def test_record_id_alternative_paddings():
    rid = ids.record_id(STAMP, ENT18, "1", 42, stamp_pad="left", enterprise_pad="right")
    assert rid[:18] == "0" + STAMP
    assert rid[18:40] == ENT18 + "0000"
    assert ids.parse_record_id(rid, enterprise_pad="right")["enterpriseId"] == ENT18
    with pytest.raises(ValueError, match="stamp_pad"):
        ids.record_id(STAMP, ENT18, "1", 1, stamp_pad="middle")
    with pytest.raises(ValueError, match="enterprise_pad"):
        ids.record_id(STAMP, ENT18, "1", 1, enterprise_pad="middle")


def test_record_id_from_the_clock_stamp_and_an_18_digit_stamp():
    dt = datetime(2025, 8, 20, 8, 30, 45, 123456, tzinfo=timeutil.BEIJING)
    stamp = timeutil.stamp_ms(dt)
    assert ids.record_id(stamp, ENT22, 0, 0)[:18] == "202508200830451230"
    assert ids.record_id("202508200830451239", ENT22, 0, 0)[:18] == "202508200830451239"


def test_record_ids_sort_by_time():
    a = ids.record_id("20250820083045123", ENT18, "1", 99999)
    b = ids.record_id("20250820083045124", ENT18, "0", 0)
    assert a < b


@pytest.mark.parametrize("seq,ok", [(0, True), (1, True), (99999, True), (100000, False), (-1, False)])
def test_record_sequence_range(seq, ok):
    if ok:
        assert ids.record_id(STAMP, ENT22, "0", seq).endswith("%05d" % seq)
    else:
        with pytest.raises(ValueError, match=r"record sequence -?\d+ out of range 0..99999"):
            ids.record_id(STAMP, ENT22, "0", seq)


@pytest.mark.parametrize("stamp", ["2025082008304512", "2025082008304512345", "2025-08-20 08:30", "", 20250820083045123])
def test_record_id_rejects_bad_stamps(stamp):
    with pytest.raises(ValueError, match="timestamp"):
        ids.record_id(stamp, ENT22, "0", 1)


@pytest.mark.parametrize("at", ["2", "in", None, True, ""])
def test_record_id_rejects_bad_access_types(at):
    with pytest.raises(ValueError, match="access type"):
        ids.record_id(STAMP, ENT22, at, 1)


@pytest.mark.parametrize("ent,msg", [
    ("", "non-empty"), (None, "non-empty"), (ENT22 + "X", "longer than 22"),
    ("91530100ma6k5xyz1p", "upper-case letters and digits"), ("9153 0100", "upper-case"),
    ("云南", "upper-case"),
])
def test_enterprise_id_rules(ent, msg):
    for build in (lambda: ids.record_id(STAMP, ent, "0", 1), lambda: ids.vehicle_id(ent, 1),
                  lambda: ids.machinery_id(ent, 1), lambda: ids.camera_id(ent, "A", 1)):
        with pytest.raises(ValueError, match=msg):
            build()


def test_vehicle_and_machinery_ids():
    assert ids.vehicle_id(ENT22, 1) == ENT22 + "00001"
    assert ids.vehicle_id(ENT18, 99999) == ENT18 + "99999"
    assert ids.machinery_id(ENT22, 1) == "JX" + ENT22 + "00001"
    assert ids.machinery_id(ENT18, 12345) == "JX" + ENT18 + "12345"


@pytest.mark.parametrize("seq", [0, 100000, -5, 1.0, "1", True])
def test_vehicle_and_machinery_sequence_errors(seq):
    with pytest.raises(ValueError, match="vehicle sequence"):
        ids.vehicle_id(ENT22, seq)
    with pytest.raises(ValueError, match="machinery sequence"):
        ids.machinery_id(ENT22, seq)


def test_camera_and_gate_ids():
    assert ids.camera_id(ENT22, "A", 1) == ENT22 + "A01"
    assert ids.camera_id(ENT18, "Z", 99) == ENT18 + "Z99"
    assert ids.gate_id("A", 1) == "A01"
    assert ids.gate_id("C", 12) == "C12"


@pytest.mark.parametrize("seq", [0, 100, -1])
def test_camera_and_gate_sequence_errors(seq):
    with pytest.raises(ValueError, match=r"camera sequence -?\d+ out of range 1..99"):
        ids.camera_id(ENT22, "A", seq)
    with pytest.raises(ValueError, match=r"gate sequence -?\d+ out of range 1..99"):
        ids.gate_id("A", seq)


@pytest.mark.parametrize("entrance", ["a", "AA", "", "1", None, "Ａ"])
def test_entrance_must_be_one_upper_case_letter(entrance):
    with pytest.raises(ValueError, match="entrance id must be one upper-case letter A-Z"):
        ids.gate_id(entrance, 1)
    with pytest.raises(ValueError, match="entrance id"):
        ids.camera_id(ENT22, entrance, 1)


@pytest.mark.parametrize("rid", ["", "x" * 46, STAMP + "0" + ENT22 + "2" + "00001",
                                 STAMP + "0" + ENT22 + "0" + "0001"])
def test_parse_record_id_rejects_malformed(rid):
    with pytest.raises(ValueError, match="recordId"):
        ids.parse_record_id(rid)
