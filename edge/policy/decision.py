"""The gate decision: allow or refuse one vehicle, with the reason in a guard's words.

    decide(facts, rules=None) -> {"allowed": bool, "code": str, "reason": str,
                                  "display": [lines], "voice": str, "control": str, "notes": [str]}

`facts` (edge/lane/facts.py gathers them): plate, color (our colour word or a 7.6 code), now
("YYYY-MM-DD HH:MM:SS" Beijing), direction ("in"/"out"), manual, vehicle (6.11 ledger entry or
None), ledger_note, exceed (6.6 entry or None), exceed_cleared, strategies (6.7, those in force),
performance_level (7.10), cache_age_s, and optionally alarms (6.9 for this plate).
`rules`: `[policy]` (the config section, a dict, or compile_rules' result).

The checks, in order; the first that decides wins:
    exit       leaving, and [policy] check_exit = false          allowed  "出厂放行"
    manual     typed by the guard, manual_entry = "allow"         allowed  "人工录入放行"
    whitelist  plate pattern (警, 应急, WJ) or use type 警用/消防/救护/工程抢险   allowed "白名单车辆"
    exceed     on the exceed list, not cleared by a 6.14 check    refused  "超标车辆"
    in_plant   厂内车辆 (ledger vehicleUse 2 or in_plant_plates)   allowed  "厂内车辆"
    unregistered  not in the ledger, unregistered = "refuse"      refused  "未登记车辆"
    alert      the alert table (guide.py) for this level          refused  "红色预警 国四柴油车禁止通行"
    measure    a rule read from a strategy's controlMeasures      refused  "管控时段 00:00-07:00 禁止通行"
    local      a [policy] forbidden rule                          refused  "本厂禁行 22:00-06:00"
    network    未联网, require_network                             refused  "车辆未联网"
    allowed / unregistered_allowed                                 allowed  "允许通行"
Pure and MicroPython-safe: no datetime, no re, no dataclasses.
"""
from edge.policy import measures, texts
from edge.policy.clock import in_window, minute_of_day, window_text
from edge.policy.guide import ALERT_NAMES, DEFAULT_MIN_STANDARD, RESPONSE_NAMES, performance_level
from edge.policy.rules import compile_rules
from edge.policy.verification import plate_key

_RESPONSE_ALERT = {"1": 3, "2": 2, "3": 1}      # I级 response goes with a red alert


def glob(pattern, text):
    """Shell-style match with * and ? (fnmatch is not in MicroPython)."""
    p, s = pattern, text
    pi = si = 0
    star, mark = -1, 0
    while si < len(s):
        if pi < len(p) and (p[pi] == "?" or p[pi] == s[si]):
            pi += 1
            si += 1
        elif pi < len(p) and p[pi] == "*":
            star, mark = pi, si
            pi += 1
        elif star >= 0:
            pi = star + 1
            mark += 1
            si = mark
        else:
            return False
    while pi < len(p) and p[pi] == "*":
        pi += 1
    return pi == len(p)


def _code(value):
    """An emission/fuel/type code as stored: '04' -> '4', ' b ' -> 'B', '' -> None."""
    v = str(value if value is not None else "").strip().upper()
    if not v:
        return None
    if v.isdigit():
        return str(int(v))
    return v


def _vehicle_facts(vehicle, exceed):
    """The facts of the vehicle the rules look at; the ledger first, the exceed entry for what
    the ledger lacks (an unregistered vehicle on the exceed list still shows its standard)."""
    src = vehicle or {}
    alt = exceed or {}
    return {"std": _code(src.get("emissionStandard") or alt.get("emissionStandard")),
            "fuel": _code(src.get("fuelType") or alt.get("fuelType")),
            "type": _code(src.get("vehicleType")),
            "use": _code(src.get("vehicleUse")),
            "use_type": _code(src.get("useType")),
            "network": _code(src.get("networkStatus"))}


def _strategy_level(s, rules):
    level = 0
    p = str(s.get("pollutionLevel") or "")
    if p in ("1", "2", "3"):
        level = int(p)
    if rules["alert_level_from"] == "both":
        level = max(level, _RESPONSE_ALERT.get(str(s.get("strategyLevel") or ""), 0))
    return level


def _control(strategies, rules):
    """(alert level 0-3, control status text) of the strategies in force."""
    if not strategies:
        return 0, "无管控"
    best, best_s = 0, strategies[0]
    for s in strategies:
        lv = _strategy_level(s, rules)
        if lv > best:
            best, best_s = lv, s
    if not best:
        return 0, "管控中"
    resp = RESPONSE_NAMES.get(str(best_s.get("strategyLevel") or ""))
    return best, ALERT_NAMES[best] + (" " + resp if resp else "")


def control_text(strategies, rules=None, now=None):
    """The control status the idle display shows ("红色预警 I级响应", "无管控")."""
    rules = compile_rules(rules)
    if now is not None:
        strategies = [s for s in strategies if _covers(s, now)]
    return _control(list(strategies), rules)[1]


def _in_scope(rule, v, minute):
    if rule.get("windows") and not any(in_window(minute, w) for w in rule["windows"]):
        return False
    if rule.get("standards") is not None and (v["std"] or "X") not in rule["standards"]:
        return False
    if rule.get("fuels") is not None and v["fuel"] is not None and v["fuel"] not in rule["fuels"]:
        return False
    if rule.get("classes") is not None and v["type"] is not None \
            and not any(v["type"].startswith(c) for c in rule["classes"]):
        return False
    return True


def _heavy_combustion(v, rules):
    """A heavy truck with an engine: what the alert table and the network rule are about."""
    if v["type"] is not None and not any(v["type"].startswith(t) for t in rules["heavy_types"]):
        return False
    if v["std"] == "D" or (v["fuel"] is not None and v["fuel"] in rules["exempt_fuels"]):
        return False
    return True


def min_standard(level, fuel, alert, rules):
    """The lowest standard allowed ('' = none) for a performance level, fuel and alert 1-3."""
    table = rules["min_standard"]
    for key in ((level + ":" + fuel) if fuel else None, ("*:" + fuel) if fuel else None, level):
        if key and key in table:
            return table[key][alert - 1]
    return DEFAULT_MIN_STANDARD[level][alert - 1]


def _rank(std):
    return int(std) if std is not None and std.isdigit() else -1      # X / unknown: below all


def _refusal(v, minute, alert, level, strategies, rules):
    """(code, reason) of the first rule that refuses this vehicle now, or None."""
    if alert and _heavy_combustion(v, rules):
        need = min_standard(level, v["fuel"], alert, rules)
        if need and _rank(v["std"]) < int(need):
            return "alert", ALERT_NAMES[alert] + " " + texts.vehicle_words(v["std"], v["fuel"]) + "禁止通行"
    for s, rule in strategies:
        if _in_scope(rule, v, minute):
            if rule.get("windows"):
                return "measure", "管控时段 " + "、".join(window_text(w) for w in rule["windows"]) + " 禁止通行"
            lv = _strategy_level(s, rules)
            head = ALERT_NAMES[lv] if lv else "管控措施"
            if rule.get("standards") is None and rule.get("fuels") is None:
                return "measure", head + " 禁止通行"
            return "measure", head + " " + texts.vehicle_words(v["std"], v["fuel"]) + "禁止通行"
    for rule in rules["local_rules"]:
        if _in_scope(rule, v, minute):
            if rule.get("windows"):
                return "local", "本厂禁行 " + "、".join(window_text(w) for w in rule["windows"])
            return "local", "本厂规定 " + texts.vehicle_words(v["std"], v["fuel"]) + "禁止通行"
    need_net = rules["require_network"] == "always" or (rules["require_network"] == "alert" and alert)
    if need_net and v["network"] == "0" and _heavy_combustion(v, rules):
        return "network", "车辆未联网"
    return None


def _covers(s, now):
    start, end = s.get("startdate"), s.get("enddate")
    return not (start and now < start) and not (end and now > end)


def decide(facts, rules=None):
    rules = compile_rules(rules)
    now = facts.get("now") or ""
    exceed = facts.get("exceed")
    strategies = [s for s in facts.get("strategies") or () if _covers(s, now)]
    alert, control = _control(strategies, rules)
    ctx = {"facts": facts, "rules": rules, "minute": minute_of_day(now), "plate": plate_key(facts.get("plate")),
           "vehicle": facts.get("vehicle"), "exceed": exceed,
           "v": _vehicle_facts(facts.get("vehicle"), exceed), "alert": alert,
           "level": performance_level(facts.get("performance_level")), "measure_rules": [], "notes": []}
    notes = ctx["notes"]
    color = facts.get("color")
    direction = facts.get("direction") or "in"
    manual = bool(facts.get("manual"))
    shown = []                     # also on the display and in the voice: the driver must know
    if manual:
        notes.append("人工录入")
    if facts.get("ledger_note"):
        notes.append(facts["ledger_note"])
    listed_color = texts.color_name(exceed.get("plateColor")) if exceed else ""
    if listed_color and texts.color_name(color) and listed_color != texts.color_name(color):
        notes.append("超标名单为%s，识别为%s" % (listed_color, texts.color_name(color)))
    for s in strategies:
        lv = _strategy_level(s, rules)
        got = measures.parse(s.get("controlMeasures") or "", lv or None)
        ctx["measure_rules"].extend((s, r) for r in got["rules"])
        for text in got["notes"]:
            shown.append("管控措施：" + text)
    notes.extend(shown)

    allowed, code, reason = _verdict(ctx, direction, manual)
    age = facts.get("cache_age_s")
    if age is None:
        notes.append("尚未从平台同步超标车辆和管控策略")
    elif age > rules["cache_stale_s"]:
        notes.append("平台名单已 %d 小时未更新" % int(age // 3600))
    open_alarms = [a for a in facts.get("alarms") or () if str(a.get("alarmStatus")) != "1"]
    if open_alarms:
        notes.append("平台违规通行告警 %d 条未解除" % len(open_alarms))
    v, plate = ctx["v"], ctx["plate"]
    registered = ctx["vehicle"] is not None
    return {
        "allowed": allowed, "code": code, "reason": reason,
        "display": texts.display_lines(control, plate, color, v["std"], v["fuel"], registered, direction,
                                       now, manual, allowed, reason, shown),
        "voice": texts.voice_text(plate, v["std"], v["fuel"], registered, allowed, code, reason, shown),
        "control": control, "notes": notes,
    }


def _verdict(ctx, direction, manual):
    rules = ctx["rules"]
    if direction == "out" and not rules["check_exit"]:
        would = _entry_checks(ctx)
        if would and not would[0]:
            ctx["notes"].append("出厂不拦截：" + would[2])
        return True, "exit", "出厂放行"
    if manual and rules["manual_entry"] == "allow":
        return True, "manual", "人工录入放行"
    got = _entry_checks(ctx)
    if got is None:
        if ctx["vehicle"] is None and not _in_plant_listed(ctx["plate"], rules):
            return True, "unregistered_allowed", "未登记车辆"
        return True, "allowed", "允许通行"
    return got


def _in_plant_listed(plate, rules):
    return any(glob(plate_key(p), plate) for p in rules["in_plant_plates"])


def _entry_checks(ctx):
    """(allowed, code, reason) of the first entry check that decides; None when none does."""
    rules, plate, v = ctx["rules"], ctx["plate"], ctx["v"]
    if any(glob(plate_key(p), plate) for p in rules["whitelist"]) or \
            (v["use_type"] is not None and v["use_type"] in rules["whitelist_use_types"]):
        return True, "whitelist", "白名单车辆"
    if ctx["exceed"]:
        if not ctx["facts"].get("exceed_cleared"):
            return False, "exceed", "超标车辆"
        ctx["notes"].append("超标记录已核实为不超标")
    in_plant = v["use"] == "2" or _in_plant_listed(plate, rules)
    if in_plant and rules["in_plant"] == "allow":
        return True, "in_plant", "厂内车辆"
    if ctx["vehicle"] is None and not in_plant and rules["unregistered"] == "refuse":
        return False, "unregistered", "未登记车辆"
    got = _refusal(v, ctx["minute"], ctx["alert"], ctx["level"], ctx["measure_rules"], rules)
    if got:
        return False, got[0], got[1]
    return None
