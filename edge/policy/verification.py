"""Whether the enterprise's own check (Yunnan 6.14 超标车辆数据核实) clears an exceed entry (6.6).

The 6.14 `recordId` is "超标车辆编号": read as the 6.6 entry's recordId. The spec's example
("VCL202311150001") looks like a vehicle id instead, so a verification of the same plate dated
on or after the entry's sendTime matches too; a later listing (a newer sendTime) is not cleared
by an older check. The newest matching verification decides: excessVerifica "1" (不超标) clears,
"0" (超标) confirms.
"""
from edge.policy.clock import date_digits


def plate_key(plate):
    return "".join(str(plate or "").split()).upper()


def exceed_cleared(entry, verifications):
    if not entry:
        return False
    rid = entry.get("recordId")
    plate = plate_key(entry.get("licensePlate"))
    sent = date_digits(entry.get("sendTime"))
    best, best_date = None, ""
    for v in verifications or ():
        day = date_digits(v.get("excessVerificadate"))
        same_record = bool(rid) and v.get("recordId") == rid
        same_plate = bool(plate) and plate_key(v.get("licensePlate")) == plate and day >= sent
        if not (same_record or same_plate):
            continue
        if best is None or day >= best_date:
            best, best_date = v, day
    return best is not None and str(best.get("excessVerifica")) == "1"
