"""Every code table the two platforms use, as plain dicts `{table: {code: name}}`.

Table names (prefix = whose spec; the number is where it is printed):
  yunnan.vehicle_type       7.1  车辆类型            yunnan.region            7.2  行政区划
  yunnan.plate_kind         7.3  号牌种类            yunnan.use_type          7.4  使用性质
  yunnan.fuel_type          7.5  燃料种类            yunnan.plate_color       7.6  车牌颜色
  yunnan.emission_standard  7.7  排放标准            yunnan.machinery_type    7.8  机械种类
  yunnan.industry_type      7.9  行业类型 (码值)      yunnan.industry_branch   7.9  行业分支 (码值; "/" = 无分支)
  yunnan.performance_level  7.10 绩效分级管控类型
  ningxia.fuel_type         8.1  燃料类型            ningxia.use_type         8.2  使用性质
  ningxia.vehicle_type      8.3  车辆类型 (B/D/G/H/J/K/M/N/Q/T/X/Z)
  ningxia.plate_color       5.2 表2/表3 号牌颜色      ningxia.emission_standard 5.2 表2/表3 排放标准
  ningxia.network_status    5.2 表2 联网状态          ningxia.access_state     5.2 表3 进出厂状态
  ningxia.result_code       7.4  执行结果 (HJ 212 answers)
The appendix/chapter 8 tables are generated into code_tables.py by tools/extract_codes.py
(FIXES there lists every typo corrected). The small value lists printed inline in the Yunnan
field tables of chapter 6 are written out below (INLINE), each with its section.
"""
from edge.domain.code_tables import FIXES, TABLES as _GENERATED

# Value lists printed in the "备注" column of Yunnan chapter 6 (not in the appendix).
INLINE = {
    "yunnan.enterprise_status": {"1": "正常", "0": "停用"},                    # 6.3 / 6.4 status
    "yunnan.camera_type": {"1": "车牌识别", "2": "视频监控", "3": "红外监控"},  # 6.4 cameraType
    "yunnan.recording_enabled": {"1": "是", "0": "否"},                        # 6.4 recordingEnabled
    "yunnan.exceed_reason": {                                                  # 6.6 exceedlistReason
        "1": "环保定期检验", "2": "远程监控", "3": "路检路查", "4": "入户检查",
        "5": "尾气遥感监测", "6": "黑烟举报", "7": "其他"},
    "yunnan.yes_no": {"1": "是", "0": "否"},                                   # 6.6 isRemove, isNew
    "yunnan.pollution_level": {"1": "黄色", "2": "橙色", "3": "红色"},          # 6.7 pollutionLevel
    "yunnan.strategy_level": {"1": "I级", "2": "II级", "3": "III级"},          # 6.7 strategyLevel
    "yunnan.alarm_type": {"1": "超标车辆", "2": "管控策略", "3": "其他"},        # 6.9 alarmType
    "yunnan.alarm_status": {"1": "解除", "0": "未解除"},                       # 6.9 alarmStatus
    "yunnan.vehicle_use": {"1": "运输车辆", "2": "厂内车辆"},                   # 6.11 vehicleUse
    "yunnan.network_status": {"1": "已联网", "0": "未联网"},                   # 6.11 networkStatus
    "yunnan.access_type": {"0": "进厂", "1": "出厂"},                          # 6.13 accessType
    "yunnan.cargo_unit": {"T": "吨", "L": "升", "P": "包"},                    # 6.13 cargoUnit
    "yunnan.excess_verification": {"0": "超标", "1": "不超标"},                # 6.14 excessVerifica
}

TABLES = {}
TABLES.update(_GENERATED)
TABLES.update(INLINE)

# Where each table is printed, for listings and error messages.
SOURCES = {
    "yunnan.vehicle_type": "appendix 7.1", "yunnan.region": "appendix 7.2",
    "yunnan.plate_kind": "appendix 7.3", "yunnan.use_type": "appendix 7.4",
    "yunnan.fuel_type": "appendix 7.5", "yunnan.plate_color": "appendix 7.6",
    "yunnan.emission_standard": "appendix 7.7", "yunnan.machinery_type": "appendix 7.8",
    "yunnan.industry_type": "appendix 7.9", "yunnan.industry_branch": "appendix 7.9",
    "yunnan.performance_level": "appendix 7.10",
    "yunnan.enterprise_status": "6.3", "yunnan.camera_type": "6.4",
    "yunnan.recording_enabled": "6.4", "yunnan.exceed_reason": "6.6", "yunnan.yes_no": "6.6",
    "yunnan.pollution_level": "6.7", "yunnan.strategy_level": "6.7", "yunnan.alarm_type": "6.9",
    "yunnan.alarm_status": "6.9", "yunnan.vehicle_use": "6.11", "yunnan.network_status": "6.11",
    "yunnan.access_type": "6.13", "yunnan.cargo_unit": "6.13",
    "yunnan.excess_verification": "6.14",
    "ningxia.fuel_type": "Ningxia 8.1", "ningxia.use_type": "Ningxia 8.2",
    "ningxia.vehicle_type": "Ningxia 8.3", "ningxia.plate_color": "Ningxia 5.2 table 2",
    "ningxia.emission_standard": "Ningxia 5.2 table 2", "ningxia.network_status": "Ningxia 5.2 table 2",
    "ningxia.access_state": "Ningxia 5.2 table 3", "ningxia.result_code": "Ningxia 7.4",
}

# Our colour words (what the plate reader reports) -> Yunnan 7.6 code.
_COLOR_CODE = {"blue": "0", "yellow": "1", "white": "2", "black": "3", "green": "4",
               "other": "5", "yellow_green": "6"}

# The names HJ 212 F_CPYS carries (Ningxia 7.3.1 lists them as text, not codes). Table 2
# codes only five of them; 白牌/黑牌 appear only here, so colour goes over HJ 212 by name.
NINGXIA_PLATE_COLOR_NAMES = ("蓝牌", "黄牌", "白牌", "黑牌", "新能源绿牌", "新能源绿黄牌", "其他")
_NINGXIA_COLOR = {"blue": "蓝牌", "yellow": "黄牌", "white": "白牌", "black": "黑牌",
                  "green": "新能源绿牌", "yellow_green": "新能源绿黄牌", "other": "其他"}

# HJ 212 F_PFBZ carries the emission standard by name (Ningxia 7.3.1).
NINGXIA_EMISSION_NAMES = ("国零", "国一", "国二", "国三", "国四", "国五", "国六", "电动")


def table(name):
    """The table `name` ({code: name}); KeyError names the known tables."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError("no code table %r (known: %s)" % (name, ", ".join(sorted(TABLES))))


def name_of(table_name, code):
    """The printed name of `code` in `table_name`, or None if the code is not in it."""
    return TABLES[table_name].get(str(code))


def is_code(table_name, code):
    return str(code) in TABLES[table_name]


def plate_color_code(name):
    """Yunnan 7.6 code for one of our colour words: blue, yellow, green, white, black,
    yellow_green (also "other"). A 7.6 code itself ("0".."6") is returned unchanged."""
    key = str(name).strip().lower()
    if key in _COLOR_CODE:
        return _COLOR_CODE[key]
    if key in TABLES["yunnan.plate_color"]:
        return key
    raise ValueError("unknown plate colour %r (expected one of %s)" % (name, ", ".join(sorted(_COLOR_CODE))))


def ningxia_plate_color(name):
    """The Chinese colour name Ningxia uses (HJ 212 F_CPYS) for our colour word or a 7.6 code."""
    key = str(name).strip().lower()
    if key in _NINGXIA_COLOR:
        return _NINGXIA_COLOR[key]
    if key in TABLES["yunnan.plate_color"]:      # the 7.6 names are the same words
        return TABLES["yunnan.plate_color"][key]
    raise ValueError("unknown plate colour %r (expected one of %s)" % (name, ", ".join(sorted(_NINGXIA_COLOR))))


def ningxia_emission_name(code):
    """Name HJ 212 F_PFBZ carries for a Yunnan 7.7 / Ningxia 表2 emission code (0-6, D).
    'X' (unknown, Yunnan only) has no Ningxia name: ValueError."""
    n = TABLES["ningxia.emission_standard"].get(str(code))
    if n is None:
        raise ValueError("emission standard %r has no Ningxia name" % (code,))
    return n


def prefecture_codes():
    """The 7.2 codes of the 16 州市 (areaCode): 53xx00 except the province itself."""
    return [c for c in TABLES["yunnan.region"] if c.endswith("00") and c != "530000"]


def county_codes(area_code):
    """The 7.2 区县 codes (regionCode) inside prefecture `area_code`."""
    head = str(area_code)[:4]
    return [c for c in TABLES["yunnan.region"] if c[:4] == head and not c.endswith("00")]
