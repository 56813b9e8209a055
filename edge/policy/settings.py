"""`[policy]`: the local rules of the gate decision (edge/policy/decision.py).

Defaults come from edge/policy/rules.py (DEFAULTS), which the pure core also uses when it is
given a plain dict under MicroPython; the checks of `forbidden` and `min_standard` are the
ones `compile_rules` runs, so `edge config check` refuses what the gate could not read.
"""
from typing import Literal

from edge.domain.codes import TABLES
from edge.policy.guide import DEFAULT_MIN_STANDARD
from edge.policy.rules import DEFAULTS, forbidden_problem, min_standard_problem
from edge.settings import section, setting


def _table_check(values, table):
    bad = [v for v in values if v not in TABLES[table]]
    if bad:
        return "%s not a code of %s (%s)" % (", ".join(repr(b) for b in bad), table,
                                            ", ".join("%s %s" % kv for kv in sorted(TABLES[table].items())))
    return None


_EXAMPLE_TABLE = dict((k, list(v)) for k, v in DEFAULT_MIN_STANDARD.items())


@section
class PolicySettings:
    check_exit: bool = setting(
        DEFAULTS["check_exit"],
        doc="Check vehicles leaving too. Default false: a vehicle leaving is never blocked. Yunnan 6.6\n"
            "puts the check at entry (\"在超标车辆进厂时…进行相应的处置\"); a truck already inside has to\n"
            "leave, holding it at the barrier blocks the lane and cuts no emission; every exit is still\n"
            "recorded and uploaded, and the display/notes say what an entry check would have refused.")
    manual_entry: Literal["check", "allow"] = setting(
        DEFAULTS["manual_entry"],
        doc="A plate typed by the guard: \"check\" it like a camera read (default: typing a plate must\n"
            "not bypass the exceed list), or \"allow\" it (the guard's word is the decision).")
    unregistered: Literal["refuse", "allow"] = setting(
        DEFAULTS["unregistered"],
        doc="A plate not in the vehicle ledger: \"refuse\" with 未登记车辆 (default; the guard registers it\n"
            "at the gate — a 6.11 ledger entry — and lets it in), or \"allow\" it through the other checks.")
    in_plant: Literal["allow", "check"] = setting(
        DEFAULTS["in_plant"],
        doc="In-plant vehicles (ledger vehicleUse 2 厂内车辆, or in_plant_plates): \"allow\" (default; the\n"
            "exceed list and the whitelist still apply) or \"check\" them like transport vehicles.")
    in_plant_plates: list[str] = setting(
        DEFAULTS["in_plant_plates"],
        doc="Plates or patterns (* and ?) of in-plant vehicles that are not in the ledger (内部号牌),\n"
            "e.g. [\"厂内*\"].")
    whitelist: list[str] = setting(
        DEFAULTS["whitelist"],
        doc="Plates or patterns (* any characters, ? one) always let through: police (…警), fire and\n"
            "rescue (…应急), armed police (WJ…), and any plate listed here (ambulances, the site's own).")
    whitelist_use_types: list[str] = setting(
        DEFAULTS["whitelist_use_types"],
        doc="Ledger use types (useType, appendix 7.4) always let through: H 警用, I 消防, J 救护, K 工程抢险.",
        check=lambda v: _table_check(v, "yunnan.use_type"))
    forbidden: list[str] = setting(
        DEFAULTS["forbidden"],
        doc="Local forbidden rules, in the words of a control measure (README \"Gate decision\"), e.g.\n"
            "\"22:00-06:00\" (every transport vehicle), \"每日6:00-22:00禁止国四及以下柴油货车通行\".\n"
            "Each must read completely; the reason shown is 本厂禁行 / 本厂规定.",
)
    heavy_types: list[str] = setting(
        DEFAULTS["heavy_types"],
        doc="Vehicle type code prefixes (appendix 7.1) the alert table applies to: the guide's\n"
            "重型载货车辆 = H1x heavy trucks and Q1x heavy tractors.")
    exempt_fuels: list[str] = setting(
        DEFAULTS["exempt_fuels"],
        doc="Fuel codes (appendix 7.5) the alert table never refuses: C 电, N 太阳能, P 氢 (new energy).\n"
            "Emission standard D (电动) is always exempt.",
        check=lambda v: _table_check(v, "yunnan.fuel_type"))
    min_standard: dict[str, list[str]] = setting(
        DEFAULTS["min_standard"],
        doc="Rows replacing the default alert table (edge/policy/guide.py): performance level (7.10 code)\n"
            "= lowest emission standard allowed at [yellow, orange, red], \"\" for no limit. A row for one\n"
            "fuel is keyed \"LEVEL:FUEL\" or \"*:FUEL\", e.g. \"C:E\" = [\"4\", \"5\", \"5\"]. The example below\n"
            "is the default table.",
        example=_EXAMPLE_TABLE)
    alert_level_from: Literal["both", "pollution"] = setting(
        DEFAULTS["alert_level_from"],
        doc="The alert level of a strategy: \"both\" = the stricter of pollutionLevel (1 黄 2 橙 3 红) and\n"
            "strategyLevel (I级 = red, II级 = orange, III级 = yellow); \"pollution\" = pollutionLevel only.")
    require_network: Literal["never", "alert", "always"] = setting(
        DEFAULTS["require_network"],
        doc="Refuse heavy trucks whose ledger networkStatus is 0 (未联网): never (default), only while an\n"
            "alert is in force, or always.")
    cache_stale_s: float = setting(
        DEFAULTS["cache_stale_s"],
        doc="Note on the decision when the exceed list and strategies were last pulled longer ago (s).", min=0)

    def validate(self):
        for i, text in enumerate(self.forbidden):
            err = forbidden_problem(text)
            if err:
                yield ("forbidden[%d]" % i, err)
        bad = min_standard_problem(self.min_standard)
        if bad:
            yield bad
