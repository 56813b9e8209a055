"""The gate decision (edge.policy.decide) on the shared case table, one test per case.

The same table runs under the real micropython binary (tests/micropython/check_policy.py via
tests/test_micropython.py), which compares every decision with CPython's."""
import pytest

from edge.config import example, parse
from edge.policy import RuleError, compile_rules, decide
from tests.micropython import policy_cases as pc


def facts(changes):
    f = pc.base()
    f.update(changes)
    return f


def test_the_table_is_big_enough():
    assert len(pc.CASES) >= 30
    assert len({c[0] for c in pc.CASES}) == len(pc.CASES)           # names are unique
    codes = {c[3].get("code") for c in pc.CASES}
    for code in ("allowed", "exit", "manual", "whitelist", "exceed", "in_plant", "unregistered",
                 "unregistered_allowed", "alert", "measure", "local", "network"):
        assert code in codes, code


@pytest.mark.parametrize("name,changes,rules,expect", pc.CASES, ids=[c[0] for c in pc.CASES])
def test_case(name, changes, rules, expect):
    got = decide(facts(changes), rules)
    assert sorted(got) == ["allowed", "code", "control", "display", "notes", "reason", "voice"]
    for key, want in expect.items():
        if key == "notes_has":
            assert set(want) <= set(got["notes"]), got["notes"]
        elif key == "display_has":
            assert set(want) <= set(got["display"]), got["display"]
        elif key == "voice_has":
            assert all(w in got["voice"] for w in want), got["voice"]
        else:
            assert got[key] == want, (key, got)


@pytest.mark.parametrize("name,rules,changes,text", pc.ERRORS, ids=[c[0] for c in pc.ERRORS])
def test_bad_rules_and_facts_name_the_key(name, rules, changes, text):
    with pytest.raises(ValueError) as e:
        decide(facts(changes), rules)
    assert text in str(e.value)


def test_config_section_object_and_dict_decide_alike():
    config = parse(example())
    compiled = compile_rules(config.policy)
    assert compile_rules(compiled) is compiled     # the example spells out the default table
    f = facts({"vehicle": pc.G4, "strategies": [pc.RED]})
    assert decide(f, config.policy) == decide(f, {}) == decide(f, compiled) == decide(f)


def test_rule_error_is_one_line_naming_the_key():
    with pytest.raises(RuleError) as e:
        compile_rules({"forbidden": ["22:00-06:00", "一刻钟"]})
    assert e.value.key == "forbidden[1]" and "\n" not in str(e.value)


def test_every_level_refuses_a_guo4_diesel_heavy_truck_at_red():
    from edge.policy.guide import DEFAULT_MIN_STANDARD
    for level in list(DEFAULT_MIN_STANDARD) + ["引领性", "非引领性", None]:
        got = decide(facts({"vehicle": pc.G4, "strategies": [pc.RED], "performance_level": level}))
        assert (got["allowed"], got["code"]) == (False, "alert"), level
        assert got["reason"] == "红色预警 国四柴油车禁止通行"


def test_alert_table_is_monotonic():
    """A stricter alert never lets through what a milder one refused, for every level and standard."""
    strategies = {1: pc.YELLOW, 2: pc.ORANGE, 3: pc.RED}
    from edge.policy.guide import DEFAULT_MIN_STANDARD
    for level in DEFAULT_MIN_STANDARD:
        for std in "0123456X":
            verdicts = [decide(facts({"vehicle": pc.truck(emissionStandard=std), "strategies": [strategies[a]],
                                      "performance_level": level}))["allowed"] for a in (1, 2, 3)]
            assert verdicts == sorted(verdicts, reverse=True), (level, std, verdicts)
