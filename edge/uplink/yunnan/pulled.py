"""What a pulled record must be before it goes into the decision cache (6.6 / 6.7 / 6.9).

Only the unusable are dropped: a record the gate cannot act on, or that would break the cache —
not an object, no id, a nested object or a huge text where the spec has a value, a strategy
whose time span is unreadable. A record with, say, an unknown code is kept: an exceed vehicle
must not slip through the gate because the platform misspelt its fuel type.
"""
from __future__ import annotations

from edge.domain.validate import datetime_problem

# endpoint -> (id field, fields the gate needs)
KINDS = {
    "exceed_vehicle": ("recordId", ("licensePlate",)),
    "strategy": ("strategyId", ()),
    "alarm_vehicle": ("alarmId", ("licensePlate",)),
}
MAX_TEXT = 2000     # the longest spec field (controlMeasures) is free text of a few hundred characters


def problem(endpoint: str, rec) -> str | None:
    """Why a pulled record cannot be used, or None."""
    id_field, needed = KINDS.get(endpoint, ("", ()))
    if not isinstance(rec, dict):
        return "not an object"
    for k, v in rec.items():
        if isinstance(v, (dict, list)):
            return "%s is not a value" % str(k)[:40]
        if isinstance(v, str) and len(v) > MAX_TEXT:
            return "%s is %d characters long" % (str(k)[:40], len(v))
    if id_field:
        v = rec.get(id_field)
        if v in (None, "") or isinstance(v, bool) or not isinstance(v, (str, int)):
            return "no %s" % id_field
    for f in needed:
        if rec.get(f) in (None, "") or not isinstance(rec.get(f), str):
            return "no %s" % f
    if endpoint == "strategy":
        for f in ("startdate", "enddate"):
            p = datetime_problem(rec.get(f))
            if p:
                return "%s %s" % (f, p)
    return None


def usable(endpoint: str, records: list) -> tuple[list[dict], list[str]]:
    """(records to keep, one problem text per dropped record)."""
    good, bad = [], []
    for i, rec in enumerate(records, 1):
        p = problem(endpoint, rec)
        if p:
            bad.append("record %d: %s" % (i, p))
        else:
            good.append(rec)
    return good, bad


def record_key(endpoint: str, rec: dict) -> str:
    id_field = KINDS.get(endpoint, ("recordId", ()))[0]
    return str(rec.get(id_field) or rec.get("alarmId") or rec.get("strategyId") or rec.get("recordId"))
