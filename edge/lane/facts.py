"""The facts the gate decision needs about one vehicle, read from the ledger and the platform cache.

    identify(plate, color, ledger) -> (vehicle | None, note | None)
    gather(plate, color, *, ledger, cache, config, now, manual=False) -> facts for edge.policy.decide

SQLite reads: the lane calls gather() in a worker thread (asyncio.to_thread).

The ledger is matched on the plate; the colour only chooses between entries of the same plate
and, when it disagrees with the ledger, gives a note ("台账为黄牌，识别为新能源绿黄牌") — a
colour misread (yellow read as yellow-green is common at dusk) never turns a registered truck
away. The exceed list is matched on the plate alone for the same reason: refusing a vehicle
whose colour was misread costs a manual lift; letting an exceed vehicle in is a violation.
"""
from __future__ import annotations

from edge.domain.codes import TABLES, plate_color_code
from edge.policy.verification import exceed_cleared


def _color_code(color):
    try:
        return plate_color_code(color) if color not in (None, "") else None
    except ValueError:
        return None


def identify(plate, color, ledger):
    """The ledger entry of this plate: plate first, the colour to break a tie or to note a mismatch."""
    if ledger is None or not plate:
        return None, None
    entries = ledger.vehicles_by_plate(plate)
    if not entries:
        return None, None
    code = _color_code(color)
    if code is None:
        return entries[0], None
    same = [e for e in entries if str(e.get("plateColor") or "") == code]
    if same:
        return same[0], None
    blank = [e for e in entries if not e.get("plateColor")]
    if blank:
        return blank[0], None
    names = TABLES["yunnan.plate_color"]
    chosen = entries[0]
    ledger_name = names.get(str(chosen.get("plateColor")), str(chosen.get("plateColor")))
    return chosen, "台账为%s，识别为%s" % (ledger_name, names.get(code, code))


def _age_s(cache, now_text):
    """Seconds since the older of the last complete exceed and strategy pulls (None: never pulled)."""
    from edge.timeutil import parse_datetime
    state = cache.pull_state()
    times = [state[k]["pulled_at"] for k in ("exceed", "strategy") if k in state]
    if len(times) < 2:
        return None
    try:
        return max(0.0, (parse_datetime(now_text) - parse_datetime(min(times))).total_seconds())
    except ValueError:
        return None


def gather(plate, color, *, ledger, cache, config, now, manual=False) -> dict:
    """Everything decide() reads about this vehicle now. `now` is a Beijing datetime or the spec's
    'YYYY-MM-DD HH:MM:SS'; `ledger`/`cache` are open Ledger/PlatformCache objects (None: none)."""
    from edge.timeutil import fmt_datetime
    if not isinstance(now, str):
        now = fmt_datetime(now)
    vehicle, note = identify(plate, color, ledger)
    exceed = cleared = None
    strategies, alarms, age = [], [], None
    if cache is not None:
        exceed = cache.exceed_entry(plate)
        if exceed is not None:
            cleared = exceed_cleared(exceed, cache.verifications(plate=plate, record_id=exceed.get("recordId")))
        strategies = cache.active_strategies(now)
        alarms = [a for a in cache.alarms(plate) if str(a.get("alarmStatus")) != "1"]
        age = _age_s(cache, now)
    enterprise = getattr(config, "enterprise", None)
    return {
        "plate": plate, "color": color, "now": now, "direction": config.lane.direction,
        "manual": bool(manual), "vehicle": vehicle, "ledger_note": note,
        "exceed": exceed, "exceed_cleared": bool(cleared),
        "strategies": strategies, "alarms": alarms,
        "performance_level": enterprise.performanceLevel if enterprise is not None else None,
        "cache_age_s": age,
    }
