"""Validation: every rule, every problem reported, readable `field: rule` lines."""
from decimal import Decimal

import pytest

from edge.domain.examples import example
from edge.domain.records import KINDS, CLI_KINDS, field_names
from edge.domain.validate import validate, check, date_problem, datetime_problem
from edge.errors import ValidationError


def lines(kind, obj, platform="yunnan"):
    return ["%s: %s" % p for p in validate(kind, obj, platform)]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_examples_are_valid(kind):
    assert validate(kind, example(kind)) == []


def test_field_names_are_the_spec_names():
    assert field_names("access") == [
        "recordId", "enterpriseId", "entranceId", "gateId", "vehicleId", "licensePlate",
        "plateColor", "vin", "accessType", "accessTime", "cargoType", "cargoWeight", "cargoUnit",
        "carHeadImg", "carImg"]
    assert field_names("access", extras=True)[-4:] == ["passMode", "vehicle", "smokeLevel", "plateCheck"]
    assert field_names("exceed-verification") == [
        "recordId", "licensePlate", "plateColor", "vin", "excessVerifica", "excessVerificadate"]
    assert len(field_names("enterprise")) == 20 and len(field_names("camera")) == 21
    assert len(field_names("vehicle")) == 17 and len(field_names("machinery")) == 17
    assert set(CLI_KINDS) <= set(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_required_field_is_reported_missing(kind):
    required = [f["name"] for f in KINDS[kind]["fields"] if f["required"]]
    assert lines(kind, {}) == ["%s: required" % n for n in required]


def test_all_problems_at_once_in_spec_order():
    rec = example("access")
    del rec["licensePlate"]
    rec["plateColor"] = "9"
    rec["accessTime"] = "2025-08-20T08:30:45"
    rec["cargoType"] = "生" * 33
    rec["cargoWeight"] = "lots"
    rec["cargoUnit"] = "kg"
    assert lines("access", rec) == [
        "licensePlate: required",
        "plateColor: '9' is not a plate colour code (appendix 7.6: 0=蓝牌, 1=黄牌, 2=白牌, 3=黑牌, "
        "4=新能源绿牌, 5=其他, 6=新能源绿黄牌)",
        "accessTime: must be YYYY-MM-DD HH:mm:ss",
        "cargoType: longer than 32 characters",
        "cargoWeight: must be a number",
        "cargoUnit: 'kg' is not a valid code (6.13: L=升, P=包, T=吨)",
    ]


def test_check_raises_validation_error_with_every_problem():
    rec = example("vehicle")
    rec["vehicleType"] = "ZZZ"
    rec["registrationDate"] = "20250230"
    with pytest.raises(ValidationError) as e:
        check("vehicle", rec)
    assert e.value.lines() == ["vehicleType: 'ZZZ' is not a vehicle type code (appendix 7.1)",
                               "registrationDate: '20250230' is not a real date (YYYYMMDD)"]
    assert check("vehicle", example("vehicle"))["vin"]


@pytest.mark.parametrize("s,ok", [
    ("20240229", True), ("20250228", True), ("20000229", True), ("19000229", False),
    ("20250229", False), ("20250230", False), ("20250431", False), ("20251301", False),
    ("20250001", False), ("20250100", False), ("2025-01-01", False), ("2025011", False),
    ("2025010a", False), ("18991231", False)])
def test_dates(s, ok):
    assert (date_problem(s) is None) == ok


@pytest.mark.parametrize("s,ok", [
    ("2025-08-20 08:30:45", True), ("2024-02-29 23:59:59", True), ("2025-02-29 00:00:00", False),
    ("2025-08-20 24:00:00", False), ("2025-08-20 23:60:00", False), ("2025-08-20 23:00:60", False),
    ("2025-08-20 8:30:45", False), ("2025/08/20 08:30:45", False), ("2025-08-20T08:30:45", False),
    ("20250820083045", False), ("2025-08-20 08:30:45 ", False)])
def test_datetimes(s, ok):
    assert (datetime_problem(s) is None) == ok


def test_lengths_from_the_ningxia_tables():
    ent = example("enterprise")
    ent.update(enterpriseName="名" * 101, address="址" * 256, legalPerson="人" * 21,
               contactPhone="1" * 21, enterpriseCode="91530100MA6K5XYZ1")
    assert lines("enterprise", ent) == [
        "enterpriseCode: must be exactly 18 characters (has 17)",
        "enterpriseName: longer than 100 characters",
        "address: longer than 255 characters",
        "legalPerson: longer than 20 characters",
        "contactPhone: longer than 20 characters",
    ]
    veh = example("vehicle")
    veh.update(licensePlate="P" * 21, vin="L" * 18, vehicleBrand="b" * 33, fleetName="f" * 101)
    assert lines("vehicle", veh) == [
        "licensePlate: longer than 20 characters", "vin: longer than 17 characters",
        "vehicleBrand: longer than 32 characters", "fleetName: longer than 100 characters"]
    acc = example("access")
    acc["licensePlate"] = "云A123456789"        # 表3 allows 10, 表2 allows 20
    assert lines("access", acc) == ["licensePlate: longer than 10 characters"]
    veh = example("vehicle")
    veh["licensePlate"] = "云A123456789"
    assert lines("vehicle", veh) == []


@pytest.mark.parametrize("value,problem", [
    (102.478123, None), ("102.478123", None), (Decimal("102.478123"), None),
    (Decimal("102.500000"), None), ("-0.000001", "outside"),
    ("102.4781", "must have exactly 6 decimals (102.4781 has 4)"),
    (Decimal("102.5"), "must have exactly 6 decimals (102.5 has 1)"),
    (102.4781234, "must have exactly 6 decimals"),
    ("102.4781234", "has 7"), ("east", "must be a number in degrees"),
    ("1e2", "must be a number in degrees"), (True, "must be a number in degrees"),
    (150.000001, "outside 73..136"), (None, "required"),
])
def test_coordinates(value, problem):
    ent = example("enterprise")
    ent["longitude"] = value
    got = lines("enterprise", ent)
    if problem is None:
        assert got == []
    else:
        assert len(got) == 1 and got[0].startswith("longitude: ") and problem in got[0], got


def test_numbers():
    ent = example("enterprise")
    ent.update(entranceNums="2", gateNums=-1, outsideCars=1.5, insideCars=True)
    assert lines("enterprise", ent) == [
        "entranceNums: must be a whole number", "gateNums: must be >= 0",
        "outsideCars: must be a whole number", "insideCars: must be a whole number"]
    acc = example("access")
    for good in (0, 2, 2.5, "2.5", Decimal("32.50")):
        acc["cargoWeight"] = good
        assert lines("access", acc) == [], good
    for bad, rule in (("-1", "must be >= 0"), ("nan", "must be a number"), ([], "must be a number")):
        acc["cargoWeight"] = bad
        assert lines("access", acc) == ["cargoWeight: " + rule]


def test_codes_as_json_numbers_are_accepted_like_the_spec_examples():
    cam = example("camera")
    cam.update(cameraType=2, status=1, recordingEnabled=0)
    assert lines("camera", cam) == []
    cam["cameraType"] = 4
    assert lines("camera", cam) == [
        "cameraType: '4' is not a valid code (6.4: 1=车牌识别, 2=视频监控, 3=红外监控)"]
    cam["cameraType"] = 1.0
    assert lines("camera", cam) == ["cameraType: must be a code (text)"]


def test_text_fields_must_be_strings():
    ent = example("enterprise")
    ent["contactPhone"] = 13800000000
    assert lines("enterprise", ent) == ["contactPhone: must be text (a JSON string)"]


def test_region_rules():
    ent = example("enterprise")
    ent.update(areaCode="530181", regionCode="530302")
    assert lines("enterprise", ent) == [
        "areaCode: '530181' is a county, not a prefecture (州市) code (appendix 7.2)",
        "regionCode: '530302' is not in areaCode '530181' (appendix 7.2)"]
    ent.update(areaCode="530100", regionCode="530300")
    assert lines("enterprise", ent) == [
        "regionCode: '530300' is a prefecture, not a county (区县) code (appendix 7.2)"]
    ent.update(areaCode="530900", regionCode="530999")
    assert lines("enterprise", ent) == ["regionCode: '530999' is not a region code (appendix 7.2)"]


def test_industry_branch_must_belong_to_type():
    ent = example("enterprise")
    ent.update(industryType="04", industryBranch="0403")
    assert lines("enterprise", ent) == []
    ent["industryBranch"] = "0601"
    assert lines("enterprise", ent) == ["industryBranch: '0601' is not a branch of industryType '04' (appendix 7.9)"]
    del ent["industryBranch"]
    assert lines("enterprise", ent) == []


def test_id_shapes_and_cross_fields():
    cam = example("camera")
    cam["gateId"] = "B01"
    cam["cameraId"] = cam["enterpriseId"] + "B01"
    assert lines("camera", cam) == ["cameraId: must be enterpriseId + entranceId + 2 digits (6.4)",
                                    "gateId: must start with entranceId 'A'"]
    cam = example("camera")
    cam.update(entranceId="a", gateId="A1", cameraIp="192.168.1.300", cameraHost="70000", nvrPost="")
    assert lines("camera", cam) == [
        "cameraId: must be enterpriseId + entranceId + 2 digits (6.4)",
        "entranceId: must be one upper-case letter A-Z",
        "gateId: must be the entrance letter + 2 digits, e.g. A01",
        "cameraIp: must be an IPv4 address like 192.168.1.10",
        "cameraHost: must be a port number 1-65535",
        "nvrPost: required"]
    cam = example("camera")
    cam["nvrPort"] = cam.pop("nvrPost")       # spelling of the spec's example JSON
    assert lines("camera", cam) == []
    veh = example("vehicle")
    veh["vehicleId"] = "91530100MA6K5XYZ1P001X00001"
    assert lines("vehicle", veh) == ["vehicleId: must be enterpriseId followed by 5 digits (6.11)"]
    mach = example("machinery")
    mach["machineryId"] = mach["machineryId"][2:]
    assert lines("machinery", mach) == ["machineryId: must be JX + enterpriseId + 5 digits (6.12)"]


def test_record_id_rules():
    acc = example("access")
    acc["accessType"] = "1"
    assert lines("access", acc) == ["recordId: type digit '0' does not match accessType '1'"]
    acc = example("access")
    acc["enterpriseId"] = "91310101MA1FPX1234"
    acc["vehicle"]["enterpriseId"] = "91310101MA1FPX1234"
    acc["vehicle"]["vehicleId"] = "91310101MA1FPX123400001"
    assert lines("access", acc) == [
        "recordId: enterprise part '91530100MA6K5XYZ1P001V' does not match enterpriseId '91310101MA1FPX1234'"]
    acc = example("access")
    acc["recordId"] = "XXXXXXXXXXXXXXXXXXXX"
    assert lines("access", acc) == [
        "recordId: must be timestamp(18) + enterpriseId padded to 22 + accessType(1) + 5 digits (6.13)"]


def test_unknown_fields_in_strict_kinds_only():
    acc = example("access")
    acc["licencePlate"] = "云A1"
    assert lines("access", acc) == ["licencePlate: unknown field (not in Yunnan 6.13 车辆进出厂记录)"]
    ev = example("exceed-vehicle")
    ev["newPlatformField"] = "x"
    assert lines("exceed-vehicle", ev) == []


def test_lane_extras_of_the_access_record():
    acc = example("access")
    acc.update(passMode="remote", smokeLevel=6)
    acc["vehicle"]["fuelType"] = "W"
    assert lines("access", acc) == [
        "passMode: must be one of auto, manual",
        "vehicle.fuelType: 'W' is not a fuel type code (appendix 7.5)",
        "smokeLevel: must be between 0 and 5"]
    acc["vehicle"] = "云A88888"
    assert "vehicle: must be an object with the vehicle ledger fields (6.11)" in lines("access", acc)
    for k in ("passMode", "vehicle", "smokeLevel"):
        del acc[k]
    assert lines("access", acc) == []


def test_media_fields():
    acc = example("access")
    acc["carHeadImg"] = "data:image/jpeg;base64,/9j/4AAQ"
    acc["carImg"] = "data:text/plain;base64,aGk="
    assert lines("access", acc) == ["carImg: data URL must be data:image/<type>;base64,<data>"]
    acc["carImg"] = 12
    assert lines("access", acc) == ["carImg: must be an image: a data:image/...;base64, URL or a photo reference"]


def test_machinery_label_required_from_2017_07_01():
    m = example("machinery")
    del m["machineryImg3"]
    m["manufactureDate"] = "20170630"
    assert lines("machinery", m) == []
    m["manufactureDate"] = "20170701"
    assert lines("machinery", m) == ["machineryImg3: required for machines made from 2017-07-01 on (6.12)"]


def test_received_data_accepts_the_platforms_dashed_dates():
    ev = example("exceed-vehicle")
    ev.update(sendTime="2025-07-04", removeTime="2025-08-18")
    assert lines("exceed-vehicle", ev) == []
    ev["removeTime"] = "2025-02-30"
    assert lines("exceed-vehicle", ev) == ["removeTime: '2025-02-30' is not a real date (YYYYMMDD or YYYY-MM-DD)"]
    st = example("strategy")
    st["enddate"] = "2025-08-01 00:00:00"
    assert lines("strategy", st) == ["enddate: is before startdate"]


def test_ningxia_platform_uses_the_ningxia_dictionary():
    veh = example("vehicle")
    veh.update(vehicleType="B11", fuelType="O", useType="T")
    assert lines("vehicle", veh, "ningxia") == []
    assert lines("vehicle", veh) == [
        "vehicleType: 'B11' is not a vehicle type code (appendix 7.1)",
        "fuelType: 'O' is not a fuel type code (appendix 7.5)",
        "useType: 'T' is not a use type code (appendix 7.4)"]
    veh["emissionStandard"] = "X"       # Yunnan-only "unknown"
    assert lines("vehicle", veh, "ningxia") == [
        "emissionStandard: 'X' is not an emission standard code (Ningxia 5.2 table 2: "
        "0=国零, 1=国一, 2=国二, 3=国三, 4=国四, 5=国五, 6=国六, D=电动)"]
    assert lines("vehicle", veh) == [
        "vehicleType: 'B11' is not a vehicle type code (appendix 7.1)",
        "fuelType: 'O' is not a fuel type code (appendix 7.5)",
        "useType: 'T' is not a use type code (appendix 7.4)"]
    with pytest.raises(ValueError):
        validate("vehicle", veh, "hebei")


def test_sql_words_are_rejected_in_free_text_naming_the_word():
    veh = example("vehicle")
    veh["fleetName"] = "Smith and Sons 运输"
    veh["vehicleModel"] = "J6P;DROP"
    assert lines("vehicle", veh) == [
        "vehicleModel: contains the SQL word ';', which the Ningxia platform refuses (6.2.5)",
        "vehicleModel: contains the SQL word 'drop', which the Ningxia platform refuses (6.2.5)",
        "fleetName: contains the SQL word 'and', which the Ningxia platform refuses (6.2.5)"]
    veh = example("vehicle")
    veh["fleetName"] = "Sandvik android 运输"        # not whole words
    assert lines("vehicle", veh) == []


def test_not_an_object():
    assert lines("access", ["x"]) == ["(record): must be a JSON object"]
    with pytest.raises(KeyError, match="unknown record kind"):
        validate("truck", {})


def test_access_record_vehicle_extra_needs_no_ledger_photos():
    """The lane attaches the ledger entry as read back from the ledger (photos stay there)."""
    from edge.domain.examples import example
    rec = example("access")
    v = example("vehicle")
    del v["carImg1"], v["carImg2"]
    rec["vehicle"] = v
    assert validate("access", rec) == []
    v["vin"] = ""
    assert ("vehicle.vin", "required") in validate("access", rec)
