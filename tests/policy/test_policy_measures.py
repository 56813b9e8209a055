"""controlMeasures free text -> enforced rules, or notes shown to the guard and the driver."""
import pytest

from edge.policy.measures import normalize, parse, parse_local

G4 = ["0", "1", "2", "3", "4", "X"]
G3 = ["0", "1", "2", "3", "X"]
HEAVY = ["H1", "Q1"]

# text -> [(windows, standards, fuels, classes), ...] of the rules read
READ = [
    ("禁止该企业凌晨 12 点至早上 7 点时间段进出", [([[0, 420]], None, None, None)]),      # the spec's 6.7 example
    ("22:00-06:00禁止通行", [([[1320, 360]], None, None, None)]),
    ("２２：００－０６：００禁止进出", [([[1320, 360]], None, None, None)]),
    ("22：00～06：00禁止进出", [([[1320, 360]], None, None, None)]),
    ("22:00~06:00 禁止进出", [([[1320, 360]], None, None, None)]),
    ("22:00—06:00禁止车辆进出", [([[1320, 360]], None, None, None)]),
    ("22时至次日6时禁止车辆进出", [([[1320, 360]], None, None, None)]),
    ("22时到次日6时禁止车辆进出厂区", [([[1320, 360]], None, None, None)]),
    ("每日6:00-22:00禁止国四及以下柴油货车通行", [([[360, 1320]], G4, ["B"], None)]),
    ("国四及以下重型柴油货车禁止进出", [(None, G4, ["B"], HEAVY)]),            # the example strategy
    ("晚上十点到次日早上六点禁止重型货车进出厂区", [([[1320, 360]], None, None, HEAVY)]),
    ("晚上10点至12点禁止进出", [([[1320, 1440]], None, None, None)]),
    ("下午3点半至5点禁止通行", [([[930, 1020]], None, None, None)]),
    ("上午8点至中午12点禁止进出", [([[480, 720]], None, None, None)]),
    ("中午12点至下午2点禁止进出", [([[720, 840]], None, None, None)]),
    ("22点30分至24点禁止进出", [([[1350, 1440]], None, None, None)]),
    ("21:30:00-23:00:00禁止进出", [([[1290, 1380]], None, None, None)]),
    ("22点以后禁止进出", [([[1320, 1440]], None, None, None)]),
    ("早上7点前禁止进出", [([[0, 420]], None, None, None)]),
    ("22时起至次日6时止禁止国三及以下车辆进出", [([[1320, 360]], G3, None, None)]),
    ("0:00-6:00、22:00-24:00禁止国三及以下车辆通行", [([[0, 360], [1320, 1440]], G3, None, None)]),
    ("每日0时至6时和22时至24时禁止车辆进出", [([[0, 360], [1320, 1440]], None, None, None)]),
    ("凌晨12点至早上7点，禁止进出", [([[0, 420]], None, None, None)]),              # verb in the next clause
    ("禁止国Ⅳ及以下柴油货车进出", [(None, G4, ["B"], None)]),
    ("禁止国IV及以下柴油货车进出", [(None, G4, ["B"], None)]),
    ("禁止国4（含）以下柴油车进出", [(None, G4, ["B"], None)]),
    ("禁止国五（不含）以下车辆进出", [(None, G4, None, None)]),
    ("禁止低于国五排放标准的车辆进出", [(None, G4, None, None)]),
    ("禁止国三、国四柴油货车进出", [(None, ["3", "4"], ["B"], None)]),
    ("停止使用国四及以下重型载货车辆（含燃气）进行运输", [(None, G4, None, HEAVY)]),
    ("禁止国四及以下柴油货车（含燃气）进出", [(None, G4, ["B", "E", "F"], None)]),
    ("禁止国四及以下中重型柴油货车通行", [(None, G4, ["B"], ["H1", "H2", "Q1", "Q2"])]),
    ("国四及以下天然气货车禁止进出", [(None, G4, ["E"], None)]),
    ("禁止所有车辆进出", [(None, None, None, None)]),
    ("仅允许国五及以上车辆进出", [(None, G4, None, None)]),
    ("只允许国六车辆进出", [(None, ["0", "1", "2", "3", "4", "5", "X"], None, None)]),
    ("仅允许每日22:00至次日6:00通行", [([[360, 1320]], None, None, None)]),
    ("仅允许6:00-8:00、18:00-20:00通行", [([[1200, 360], [480, 1080]], None, None, None)]),
    ("禁止国四及以下柴油货车进出；22:00-06:00禁止所有车辆进出",
     [(None, G4, ["B"], None), ([[1320, 360]], None, None, None)]),
    ("国四及以下柴油货车禁止进出。\n每日22时至次日6时禁止车辆通行",
     [(None, G4, ["B"], None), ([[1320, 360]], None, None, None)]),
    ("限行时段：22:00-06:00", [([[1320, 360]], None, None, None)]),
    ("22:00〜06:00禁止进出", [([[1320, 360]], None, None, None)]),
    ("22:00——06:00禁止进出", [([[1320, 360]], None, None, None)]),
    ("晚上8点至次日凌晨5点禁止进出", [([[1200, 300]], None, None, None)]),
    ("晚上10点至凌晨12点禁止进出", [([[1320, 1440]], None, None, None)]),
    ("夜间11点至次日早上5点禁止进出", [([[1380, 300]], None, None, None)]),
    ("24点至6点禁止进出", [([[0, 360]], None, None, None)]),
    ("七点三十分至九点整禁止进出", [([[450, 540]], None, None, None)]),
    ("二十二时至次日六时禁止进出", [([[1320, 360]], None, None, None)]),
    ("禁止国五排放标准及以下车辆进出", [(None, ["0", "1", "2", "3", "4", "5", "X"], None, None)]),
    ("禁止国5排放标准以下车辆进出", [(None, ["0", "1", "2", "3", "4", "5", "X"], None, None)]),
    ("红色预警期间禁止国四及以下柴油车进出", [(None, G4, ["B"], None)]),
]


def summary(result):
    return [(r["windows"], r["standards"], r["fuels"], r["classes"]) for r in result["rules"]]


@pytest.mark.parametrize("text,rules", READ, ids=[t for t, _ in READ])
def test_read(text, rules):
    got = parse(text)
    assert got["notes"] == [], got
    assert summary(got) == rules


NOT_READ = [
    "12点至7点禁止进出",                      # midnight or noon: not guessed
    "加强道路清扫保洁",
    "禁止冒黑烟车辆进出",
    "禁止渣土车进出",
    "禁止使用国二及以下非道路移动机械",
    "12月1日0时至12月3日24时禁止进出",      # dated ranges: the strategy's own span says when
    "2025-08-04 09:00至2025-08-06 22:00禁止进出",
    "22:00-06:00",                           # no verb: forbidden or allowed?
    "国五车辆可以通行",                       # allows some, says nothing of the others
    "禁止7点一刻以后进出",
    "6点至6点禁止进出",
    "禁止厂内运输车辆进出",
    "禁止国四车辆进出特种车辆除外",          # the exception's scope is unclear
    "预警解除后恢复正常",
    "全国范围禁止进出",
    "禁止红色车辆进出",
    "仅允许车辆进出",
    "禁止且仅允许国五车辆进出",
    "25点至6点禁止进出",
    "7点三十至9点禁止进出",
    "禁止7:3至9:00进出",
]


@pytest.mark.parametrize("text", NOT_READ)
def test_not_read_becomes_a_note(text):
    got = parse(text)
    assert got["rules"] == [] and got["notes"] == [normalize(text)], got


def test_exceptions_are_split_off_as_notes_and_the_rest_enforced():
    got = parse("停止使用国四及以下重型载货车辆（含燃气）进行运输（特种车辆、危化品车辆等除外）")
    assert summary(got) == [(None, G4, None, HEAVY)]
    assert got["notes"] == ["特种车辆、危化品车辆等除外"]
    got = parse("除民生保障车辆外禁止国四车辆进出")
    assert summary(got) == [(None, ["4"], None, None)] and got["notes"] == ["除民生保障车辆外"]
    got = parse("禁止国四及以下柴油货车进出，特种车辆除外")
    assert summary(got) == [(None, G4, ["B"], None)] and got["notes"] == ["特种车辆除外"]
    assert got["rules"][0]["text"] == "禁止国四及以下柴油货车进出,特种车辆除外"


def test_a_text_mixing_read_and_unread_clauses():
    got = parse("禁止该企业凌晨12点至早上7点时间段进出；加强道路清扫；禁止渣土车进出")
    assert summary(got) == [([[0, 420]], None, None, None)]
    assert got["notes"] == ["加强道路清扫", "禁止渣土车进出"]


def test_alert_colour_clauses_apply_at_their_levels():
    text = "橙色及以上预警期间，禁止国四及以下柴油车进出；红色预警期间禁止国五车辆进出"
    orange = parse(text, 2)
    assert summary(orange) == [(None, G4, ["B"], None)] and orange["inactive"] == ["红色预警期间禁止国五车辆进出"]
    red = parse(text, 3)
    assert summary(red) == [(None, G4, ["B"], None), (None, ["5"], None, None)]
    assert parse(text, 1)["rules"] == []
    assert len(parse(text)["rules"]) == 2                  # level unknown: enforce both


def test_empty_and_none():
    assert parse("") == {"rules": [], "notes": [], "inactive": []}
    assert parse(None) == {"rules": [], "notes": [], "inactive": []}


def test_local_rules_read_a_bare_window_as_forbidden():
    assert summary(parse_local("22:00-06:00")) == [([[1320, 360]], None, None, None)]
    assert summary(parse_local("禁止国三及以下车辆进出")) == [(None, G3, None, None)]
    assert parse_local("周末")["notes"] == ["禁止周末"]
