"""MicroPython check of the gate decision (edge.policy): the shared case table
(tests/micropython/policy_cases.py) and controlMeasures readings, under the real binary.

Run: MICROPYPATH=/work/main:.frozen .venv/bin/micropython tests/micropython/check_policy.py
Prints one `RESULT <json>` line and OK; tests/test_micropython.py recomputes results() on
CPython and compares, so both runtimes decide every case identically."""
import json

from edge.policy import decide, compile_rules
from edge.policy.measures import parse
from edge.policy.verification import exceed_cleared

try:
    import policy_cases as pc                       # run as a script: its own directory is on the path
except ImportError:                                 # loaded by tests/test_micropython.py on CPython
    from tests.micropython import policy_cases as pc

MEASURES = ("禁止该企业凌晨 12 点至早上 7 点时间段进出", "２２：００－０６：００禁止进出",
            "22时至次日6时禁止国四及以下柴油货车通行", "晚上十点到次日早上六点禁止重型货车进出",
            "0:00-6:00、22:00-24:00禁止国三及以下车辆通行", "仅允许每日22:00至次日6:00通行",
            "12点至7点禁止进出", "加强道路清扫保洁", "下午3点半至5点禁止通行")


def _facts(changes):
    f = pc.base()
    for k in changes:
        f[k] = changes[k]
    return f


def _error(rules, changes):
    try:
        decide(_facts(changes), rules)
    except ValueError as e:
        return str(e)
    return "no error"


def results():
    r = {}
    for name, changes, rules, _ in pc.CASES:
        r[name] = decide(_facts(changes), rules)
    for name, rules, changes, _ in pc.ERRORS:
        r["error_" + name] = _error(rules, changes)
    r["measures"] = [parse(t) for t in MEASURES]
    r["compiled"] = compile_rules({"forbidden": ["22:00-06:00"]})["local_rules"]
    r["cleared"] = [exceed_cleared(pc.EXCEED, [{"recordId": "EV001", "excessVerifica": "1",
                                               "excessVerificadate": "20250801"}]),
                    exceed_cleared(pc.EXCEED, [{"recordId": "X", "licensePlate": "云A12345", "excessVerifica": "1",
                                               "excessVerificadate": "20250601"}])]
    return r


def _check(name, got, expect):
    for key in expect:
        if key == "notes_has":
            for t in expect[key]:
                assert t in got["notes"], (name, t, got["notes"])
        elif key == "display_has":
            for t in expect[key]:
                assert t in got["display"], (name, t, got["display"])
        elif key == "voice_has":
            for t in expect[key]:
                assert t in got["voice"], (name, t, got["voice"])
        else:
            assert got[key] == expect[key], (name, key, got[key], expect[key])


if __name__ == "__main__":
    res = results()
    for name, changes, rules, expect in pc.CASES:
        _check(name, res[name], expect)
    for name, rules, changes, text in pc.ERRORS:
        assert text in res["error_" + name], (name, res["error_" + name])
    assert res["measures"][0]["rules"][0]["windows"] == [[0, 420]], res["measures"][0]
    assert res["cleared"] == [True, False], res["cleared"]
    print("RESULT " + json.dumps(res))
    print("OK")
