"""The local rules (`[policy]`): their defaults, their checks, and the compiled form `decide` uses.

`compile_rules(rules)` takes the config section object (CPython) or a plain dict (MicroPython,
tests) and returns a plain dict; a wrong key or a rule that cannot be read raises RuleError
naming it ("policy.forbidden[0]: …"). The same checks back `edge config check`
(edge/policy/settings.py), so a rule the gate would not read is refused when the config loads.
"""
from edge.domain.codes import TABLES
from edge.policy import measures
from edge.policy.guide import DEFAULT_MIN_STANDARD

DEFAULTS = {
    "check_exit": False,
    "manual_entry": "check",
    "unregistered": "refuse",
    "in_plant": "allow",
    "in_plant_plates": [],
    "whitelist": ["*警", "*应急", "WJ*"],
    "whitelist_use_types": ["H", "I", "J", "K"],
    "forbidden": [],
    "heavy_types": ["H1", "Q1"],
    "exempt_fuels": ["C", "N", "P"],
    "min_standard": {},
    "alert_level_from": "both",
    "require_network": "never",
    "cache_stale_s": 86400.0,
}

CHOICES = {
    "manual_entry": ("check", "allow"),
    "unregistered": ("refuse", "allow"),
    "in_plant": ("allow", "check"),
    "alert_level_from": ("both", "pollution"),
    "require_network": ("never", "alert", "always"),
}

_STANDARDS = ("", "0", "1", "2", "3", "4", "5", "6")


class RuleError(ValueError):
    def __init__(self, key, rule):
        super().__init__("policy.%s: %s" % (key, rule))
        self.key = key
        self.rule = rule


def forbidden_problem(text):
    """None if a `forbidden` entry reads completely, else why not."""
    if not isinstance(text, str) or not text.strip():
        return "must be a non-empty text such as \"22:00-06:00\""
    got = measures.parse_local(text)
    if got["notes"] or not got["rules"]:
        return "cannot read '%s' (see README \"Gate decision\" for the forms understood)" % text
    return None


def min_standard_problem(table):
    """None if every row of a `min_standard` table is valid, else the first problem as (key, rule)."""
    if not isinstance(table, dict):
        return ("min_standard", "must be a table")
    for key in sorted(table):
        row = table[key]
        level, _, fuel = str(key).partition(":")
        if level != "*" and level not in DEFAULT_MIN_STANDARD:
            return ("min_standard.%s" % key, "'%s' is not a performance level (%s, or *)"
                    % (level, ", ".join(sorted(DEFAULT_MIN_STANDARD))))
        if fuel and fuel not in TABLES["yunnan.fuel_type"]:
            return ("min_standard.%s" % key, "'%s' is not a fuel code (appendix 7.5)" % fuel)
        if level == "*" and not fuel:
            return ("min_standard.%s" % key, "'*' needs a fuel, e.g. \"*:E\"")
        if not isinstance(row, (list, tuple)) or len(row) != 3:
            return ("min_standard.%s" % key, "must be 3 standards [yellow, orange, red], e.g. [\"\", \"5\", \"5\"]")
        for i, v in enumerate(row):
            if v not in _STANDARDS:
                return ("min_standard.%s[%d]" % (key, i), "'%s' is not \"\" or an emission standard 0-6" % (v,))
    return None


def _get(rules, key):
    if isinstance(rules, dict):
        return rules.get(key, DEFAULTS[key])
    return getattr(rules, key, DEFAULTS[key])


def _codes_problem(values, table):
    for v in values:
        if v not in TABLES[table]:
            return "'%s' is not a code of %s" % (v, table)
    return None


def compile_rules(rules=None):
    """Plain-dict rules with the forbidden texts parsed. Accepts an already compiled dict."""
    if isinstance(rules, dict) and rules.get("_compiled"):
        return rules
    rules = {} if rules is None else rules
    if isinstance(rules, dict):
        for key in rules:
            if key not in DEFAULTS:
                raise RuleError(key, "unknown key (allowed: %s)" % ", ".join(sorted(DEFAULTS)))
    out = {"_compiled": True}
    for key in DEFAULTS:
        value = _get(rules, key)
        default = DEFAULTS[key]
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise RuleError(key, "must be true or false")
        elif key in CHOICES:
            if value not in CHOICES[key]:
                raise RuleError(key, "must be one of %s" % ", ".join("'%s'" % c for c in CHOICES[key]))
        elif isinstance(default, list):
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                raise RuleError(key, "must be a list of texts")
            value = list(value)
        elif isinstance(default, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise RuleError(key, "must be a number ≥ 0")
            value = float(value)
        out[key] = value
    for key, table in (("whitelist_use_types", "yunnan.use_type"), ("exempt_fuels", "yunnan.fuel_type")):
        err = _codes_problem(out[key], table)
        if err:
            raise RuleError(key, err)
    bad = min_standard_problem(out["min_standard"])
    if bad:
        raise RuleError(bad[0], bad[1])
    local = []
    for i, text in enumerate(out["forbidden"]):
        err = forbidden_problem(text)
        if err:
            raise RuleError("forbidden[%d]" % i, err)
        local.extend(measures.parse_local(text)["rules"])
    out["local_rules"] = local
    return out
