"""The Ningxia 6.2.5 high-risk-word rule: detection and the lane's rewrite."""
import pytest

from edge.domain import sanitize
from edge.domain.examples import example
from edge.domain.validate import validate


@pytest.mark.parametrize("text,words", [
    ("delete", ["delete"]), ("UPDATE t", ["update"]), ("Select * From x", ["select", "from"]),
    ("钢材and煤", ["and"]), ("钢材 AND 煤", ["and"]), ("a;b", [";"]), ("x -- y", ["--"]),
    ("/* c */", ["/*", "*/"]), ("O'Neil", ["'"]), ("insert drop union", ["insert", "drop", "union"]),
    ("Sandvik", []), ("android", []), ("fromage", []), ("selected", []), ("and_x", []),
    ("delete2", []), ("铁矿石", []), ("", []),
])
def test_find_sql_words(text, words):
    assert sanitize.find_sql_words(text) == words


@pytest.mark.parametrize("text,clean", [
    ("delete from t", "ｄｅｌｅｔｅ ｆｒｏｍ t"),
    ("钢材and煤", "钢材ａｎｄ煤"),
    ("Select", "Ｓｅｌｅｃｔ"),
    ("a;b -- c /* d */ 'e'", "a；b －－ c ／＊ d ＊／ ’e’"),
    ("Sandvik android 铁矿石", "Sandvik android 铁矿石"),
])
def test_sanitize(text, clean):
    out = sanitize.sanitize(text)
    assert out == clean
    assert sanitize.find_sql_words(out) == []
    assert sanitize.sanitize(out) == out      # idempotent


def test_sanitize_leaves_non_text_alone():
    assert sanitize.sanitize(None) is None
    assert sanitize.sanitize(12) == 12


def test_sanitize_record_rewrites_free_text_only():
    rec = example("access")
    rec["cargoType"] = "select原料"
    rec["carHeadImg"] = "data:image/jpeg;base64,/9j/and"      # media is never touched
    rec["vehicle"]["fleetName"] = "Smith and Sons"
    out, changed = sanitize.sanitize_record("access", rec)
    assert changed == ["cargoType", "vehicle.fleetName"]
    assert out["cargoType"] == "ｓｅｌｅｃｔ原料"
    assert out["vehicle"]["fleetName"] == "Smith ａｎｄ Sons"
    assert out["carHeadImg"] == rec["carHeadImg"]
    assert rec["cargoType"] == "select原料"                    # the original is kept
    assert rec["vehicle"]["fleetName"] == "Smith and Sons"
    assert validate("access", out) == []
    assert [f for f, _ in validate("access", rec)] == ["cargoType", "vehicle.fleetName"]


def test_free_text_fields_exclude_codes_dates_and_media():
    fields = sanitize.free_text_fields("access")
    assert "cargoType" in fields and "licensePlate" in fields
    for f in ("plateColor", "accessTime", "carImg", "cargoWeight", "recordId", "entranceId"):
        assert f not in fields
