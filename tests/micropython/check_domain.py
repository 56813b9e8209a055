"""MicroPython check of the pure domain core: code tables, id builders, validation, sanitising.

Run: MICROPYPATH=/work/main:.frozen .venv/bin/micropython tests/micropython/check_domain.py
Prints one `RESULT <json>` line and OK, exits 0; raises (non-zero exit) on a failed check.
tests/test_micropython.py also imports this file on CPython and compares results() with the
RESULT line, so both runtimes must compute exactly the same answers."""
import json

from edge.domain import codes, ids, sanitize
from edge.domain.examples import example
from edge.domain.records import KINDS
from edge.domain.validate import validate, date_problem, datetime_problem

ENT = "91530100MA6K5XYZ1P001V"


def _err(fn, *a):
    try:
        fn(*a)
    except ValueError as e:
        return "ValueError: " + str(e)
    return "no error"


def results():
    r = {}
    r["counts"] = dict((name, len(t)) for name, t in codes.TABLES.items())
    r["region_530900"] = codes.name_of("yunnan.region", "530900")
    r["colors"] = [codes.plate_color_code(c) for c in
                   ("blue", "yellow", "green", "white", "black", "yellow_green")]
    r["ningxia_colors"] = [codes.ningxia_plate_color(c) for c in ("blue", "yellow_green", "2")]
    r["ids"] = [
        ids.record_id("20250820083045123", ENT, "0", 0),
        ids.record_id("20250820083045123", "91310101MA1FPX1234", 1, 99999),
        ids.record_id("20250820083045123", "91310101MA1FPX1234", "1", 7, "left", "right"),
        ids.vehicle_id(ENT, 1), ids.machinery_id(ENT, 99999),
        ids.camera_id(ENT, "B", 3), ids.gate_id("C", 12),
    ]
    r["parsed"] = ids.parse_record_id(r["ids"][1])
    r["id_errors"] = [
        _err(ids.record_id, "20250820083045123", ENT, "0", 100000),
        _err(ids.vehicle_id, ENT, 0),
        _err(ids.gate_id, "a", 1),
        _err(ids.camera_id, ENT + "X", "A", 1),
        _err(ids.record_id, "2025082008304512", ENT, "0", 1),
    ]
    r["dates"] = [date_problem(s) for s in ("20240229", "20250229", "20250230", "2025013", "20251301")]
    r["times"] = [datetime_problem(s) for s in
                  ("2025-08-20 08:30:45", "2025-08-20 24:00:00", "2025-08-20T08:30:45", "2025-02-29 00:00:00")]
    r["valid"] = dict((k, validate(k, example(k))) for k in KINDS)
    bad = example("access")
    bad["plateColor"] = "9"
    bad["accessTime"] = "2025-02-30 10:00:00"
    bad["cargoType"] = "select 原料"
    bad["cargoWeight"] = "many"
    del bad["licensePlate"]
    bad["vehicle"]["registrationDate"] = "20250230"
    r["access_problems"] = validate("access", bad)
    ent = example("enterprise")
    ent["longitude"] = "102.4781"
    ent["regionCode"] = "530302"
    ent["industryBranch"] = "0401"
    ent["enterpriseName"] = "x" * 101
    r["enterprise_problems"] = validate("enterprise", ent)
    r["sanitized"] = sanitize.sanitize("Delete FROM t; and android -- x")
    r["sql_words"] = sanitize.find_sql_words("车辆delete/update'")
    return r


if __name__ == "__main__":
    res = results()
    # facts checked on every runtime (the CPython comparison checks the rest)
    assert res["counts"]["yunnan.region"] == 146, res["counts"]["yunnan.region"]
    assert res["counts"]["ningxia.vehicle_type"] == 282
    assert res["colors"] == ["0", "1", "4", "2", "3", "6"], res["colors"]
    assert res["ids"][0] == "20250820083045123" + "0" + ENT + "0" + "00000", res["ids"][0]
    assert len(res["ids"][1]) == 46 and res["ids"][1][18:40] == "0000" + "91310101MA1FPX1234"
    assert res["parsed"]["enterpriseId"] == "91310101MA1FPX1234"
    assert all(e.startswith("ValueError") for e in res["id_errors"]), res["id_errors"]
    assert res["dates"][0] is None and res["dates"][1] is not None and res["dates"][2] is not None
    assert res["times"][0] is None and None not in res["times"][1:]
    assert all(p == [] for p in res["valid"].values()), res["valid"]
    fields = [p[0] for p in res["access_problems"]]
    for f in ("licensePlate", "plateColor", "accessTime", "cargoType", "cargoWeight",
              "vehicle.registrationDate"):
        assert f in fields, (f, fields)
    assert "ａｎｄ" in res["sanitized"] and "android" in res["sanitized"], res["sanitized"]
    assert res["sql_words"] == ["delete", "update", "'"], res["sql_words"]
    print("RESULT " + json.dumps(res))
    print("OK")
