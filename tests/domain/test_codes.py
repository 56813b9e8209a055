"""Code tables: complete (counts per table, counted by eye from the spec text), names as
printed, typo fixes applied, and the committed module reproducible from the seeds."""
import re

import pytest

from conftest import SHARED
from edge.domain import codes
from edge.domain.codes import TABLES

# counted by hand in 000 appendix 7.x / 001 chapter 8 (see the report / codes.py docstring)
COUNTS = {
    "yunnan.vehicle_type": 44,      # H11-19, H21-29, H31-35+H37-39 (no H36 printed), H41-47, H51-55, Q x6
    "yunnan.region": 146,           # 云南省 + 16 州市 + 129 区县
    "yunnan.plate_kind": 28,        # 01-25, 51, 52, 99
    "yunnan.use_type": 20,          # A-S, Z
    "yunnan.fuel_type": 13,
    "yunnan.plate_color": 7,
    "yunnan.emission_standard": 9,  # 0-6, D, X
    "yunnan.machinery_type": 8,
    "yunnan.industry_type": 40,     # the 39 key industries + 40 其他
    "yunnan.industry_branch": 55,
    "yunnan.performance_level": 8,  # A B B- C D LE NL X
    "ningxia.fuel_type": 12,
    "ningxia.use_type": 22,         # A-U, Z
    "ningxia.vehicle_type": 282,
    "ningxia.plate_color": 5,       # 表2 codes 0 1 4 5 6
    "ningxia.emission_standard": 8,
    "ningxia.network_status": 2,
    "ningxia.access_state": 2,
    "ningxia.result_code": 6,
}


@pytest.mark.parametrize("name,count", sorted(COUNTS.items()))
def test_table_counts(name, count):
    assert len(TABLES[name]) == count


def test_every_table_has_a_source_and_only_text():
    for name, t in TABLES.items():
        assert name in codes.SOURCES, name
        assert t, name
        for code, label in t.items():
            assert isinstance(code, str) and code and code == code.strip()
            assert isinstance(label, str) and label and label == label.strip(), (name, code)


@pytest.mark.parametrize("table,code,name", [
    ("yunnan.vehicle_type", "H11", "重型普通货车"),
    ("yunnan.vehicle_type", "H55", "仓栅式低速货车"),
    ("yunnan.vehicle_type", "Q32", "轻型全挂牵引车"),
    ("yunnan.region", "530000", "云南省"),
    ("yunnan.region", "530128", "禄劝彝族苗族自治县"),
    ("yunnan.region", "532504", "弥勒市"),
    ("yunnan.region", "533423", "维西傈僳族自治县"),
    ("yunnan.plate_kind", "07", "两、三轮摩托车"),
    ("yunnan.plate_kind", "99", "其它"),
    ("yunnan.use_type", "R", "危险品运输"),
    ("yunnan.fuel_type", "Y", "无(仅限全挂车等无动力的)"),
    ("yunnan.plate_color", "6", "新能源绿黄牌"),
    ("yunnan.emission_standard", "X", "排放标准未知"),
    ("yunnan.machinery_type", "4", "叉车"),
    ("yunnan.industry_type", "21", "玻璃钢（纤维增强塑料制品）"),
    ("yunnan.industry_branch", "0403", "半焦（兰炭）"),
    ("yunnan.industry_branch", "3403", "轮胎翻新企业"),
    ("yunnan.industry_branch", "0101", "/"),
    ("yunnan.performance_level", "B-", "B-级企业"),
    ("yunnan.performance_level", "NL", "非引领性企业"),
    ("ningxia.fuel_type", "O", "混合动力"),
    ("ningxia.use_type", "U", "预约出租转非"),
    ("ningxia.vehicle_type", "B1A", "重型专项作业半挂车"),
    ("ningxia.vehicle_type", "B4W", "微型中置轴普通挂车"),
    ("ningxia.vehicle_type", "G4F", "微型特殊用途自卸全挂车"),
    ("ningxia.vehicle_type", "H11", "重型栏板货车"),
    ("ningxia.vehicle_type", "H5C", "罐式自卸低速货车"),
    ("ningxia.vehicle_type", "K4A", "微型旅居车"),
    ("ningxia.vehicle_type", "X99", "其它"),
    ("ningxia.vehicle_type", "Z72", "轻型载货专项作业车"),
    ("ningxia.plate_color", "6", "新能源绿黄牌"),
    ("ningxia.emission_standard", "D", "电动"),
    ("ningxia.access_state", "2", "出厂"),
    ("ningxia.result_code", "10", "进出厂（场）时间大于当前时间"),
])
def test_spot_codes(table, code, name):
    assert TABLES[table][code] == name


def test_ningxia_vehicle_type_prefixes():
    per = {}
    for code in TABLES["ningxia.vehicle_type"]:
        per[code[0]] = per.get(code[0], 0) + 1
    assert per == {"B": 88, "D": 2, "G": 57, "H": 71, "J": 3, "K": 30, "M": 7, "N": 1,
                   "Q": 6, "T": 4, "X": 1, "Z": 12}


def test_codes_not_printed_are_absent():
    assert "H36" not in TABLES["yunnan.vehicle_type"]       # the appendix skips it
    assert "G47" not in TABLES["ningxia.vehicle_type"]
    assert "P" not in TABLES["ningxia.fuel_type"]


def test_fixes_applied_and_listed():
    assert "5530900" not in TABLES["yunnan.region"]
    assert TABLES["yunnan.region"]["530900"] == "临沧市"
    assert TABLES["yunnan.use_type"]["S"] == "中小学生校车"
    assert TABLES["ningxia.fuel_type"]["F"] == "液化石油气"
    assert TABLES["ningxia.use_type"]["K"] == "工程救险"
    assert [(f[0], f[1]) for f in codes.FIXES] == [
        ("yunnan.region", "5530900"), ("yunnan.use_type", "S"),
        ("ningxia.fuel_type", "F"), ("ningxia.use_type", "K")]
    for table, code, printed, new_code, new_name, why in codes.FIXES:
        assert why and TABLES[table][new_code] == new_name


def test_every_region_code_is_six_digits_and_counties_sit_under_a_prefecture():
    regions = TABLES["yunnan.region"]
    assert all(re.fullmatch(r"53\d{4}", c) for c in regions)
    prefectures = codes.prefecture_codes()
    assert len(prefectures) == 16
    counties = [c for c in regions if not c.endswith("00")]
    assert len(counties) == 129
    assert all(c[:4] + "00" in prefectures for c in counties)
    assert len(codes.county_codes("530100")) == 14
    assert len(codes.county_codes("532500")) == 13
    assert codes.county_codes("533400") == ["533401", "533422", "533423"]


def test_industry_branches_belong_to_a_type():
    types = TABLES["yunnan.industry_type"]
    assert all(b[:2] in types for b in TABLES["yunnan.industry_branch"])
    assert sorted(types) == ["%02d" % i for i in range(1, 41)]


def test_plate_color_helpers():
    assert [codes.plate_color_code(c) for c in ("blue", "yellow", "green", "white", "black", "yellow_green")] \
        == ["0", "1", "4", "2", "3", "6"]
    assert codes.plate_color_code("YELLOW") == "1"
    assert codes.plate_color_code("4") == "4"
    for c in ("blue", "yellow", "green", "white", "black", "yellow_green"):
        code = codes.plate_color_code(c)
        assert codes.ningxia_plate_color(c) == TABLES["yunnan.plate_color"][code]
        assert codes.ningxia_plate_color(c) in codes.NINGXIA_PLATE_COLOR_NAMES
    assert codes.ningxia_plate_color("yellow_green") == "新能源绿黄牌"
    with pytest.raises(ValueError, match="unknown plate colour 'purple'"):
        codes.plate_color_code("purple")
    with pytest.raises(ValueError):
        codes.ningxia_plate_color("9")


def test_emission_names():
    assert codes.ningxia_emission_name("6") == "国六"
    assert codes.ningxia_emission_name("D") == "电动"
    with pytest.raises(ValueError):
        codes.ningxia_emission_name("X")


def test_table_lookup_names_the_known_tables():
    with pytest.raises(KeyError, match="yunnan.plate_color"):
        codes.table("yunnan.plate_colour")


@pytest.mark.skipif(not (SHARED / "seeds" / "000_215b9881b7c502dd.txt").exists(),
                    reason="spec text not beside this checkout (../shared/seeds)")
def test_committed_module_is_what_the_extractor_makes():
    from tools import extract_codes
    assert extract_codes.OUT.read_text(encoding="utf-8") == extract_codes.render(extract_codes.extract())


def test_extractor_refuses_a_stale_fix():
    from tools import extract_codes
    tables = {"yunnan.region": {"530900": "临沧市"}, "yunnan.use_type": {}, "ningxia.fuel_type": {},
              "ningxia.use_type": {}}
    with pytest.raises(SystemExit, match="no longer matches"):
        extract_codes.apply_fixes(tables)
