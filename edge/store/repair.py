"""Rejected records made right: look the vehicle up again, re-validate, resend.

A passage whose plate was not in the vehicle ledger is stored rejected ("vehicleId: required",
"vin: required"): the truck passed, the record must not be lost, but it cannot go out without
the ledger's identity. Once the vehicle is registered (`edge ledger import`, or a guard
registering it at the gate) `retry` fills vehicleId, vin and the `vehicle` extra from the
ledger's newest entry for the plate and validates again; `Outbox.fix` is the one place a
record changes, so a record that still fails stays rejected with its reasons.

Used by `edge outbox retry` and by the lane when a guard registers a vehicle.
"""
from __future__ import annotations

from edge.store.outbox import Outbox, OutboxError


def ledger_changes(record: dict, ledger) -> dict:
    """The fields an access record takes from the ledger entry of its plate ({} if none)."""
    from edge.lane.facts import identify   # the gate's own matching: plate first, colour to choose
    plate = record.get("licensePlate")
    if not plate or ledger is None:
        return {}
    vehicle, _note = identify(plate, record.get("plateColor"), ledger)
    if vehicle is None:
        return {}
    changes = {"vehicle": vehicle}
    for field in ("vehicleId", "vin"):
        if vehicle.get(field):
            changes[field] = vehicle[field]
    return changes


def retry(outbox: Outbox, ledger, record_id: str, validate=None) -> tuple[bool, list[str]]:
    """Re-look-up and re-validate one record; (True, []) when it is due for delivery again,
    (False, problems) when it stays rejected. OutboxError for an unknown record or one that
    cannot change now (being sent, already delivered everywhere)."""
    stored = outbox.get(record_id)
    if stored is None:
        raise OutboxError("no record %s in the outbox" % record_id)
    changes = ledger_changes(stored["record"], ledger) if stored["kind"] == "access" else {}
    problems = outbox.fix(record_id, changes, validate)
    return not problems, problems


def retry_plate(outbox: Outbox, ledger, plate: str, validate=None) -> list[tuple[str, bool, list[str]]]:
    """retry() every undelivered access record of a plate (the guard registered that vehicle)."""
    from edge.store.platform_cache import plate_key
    key = plate_key(plate)
    out = []
    for rid in outbox.undelivered_ids(kind="access"):
        rec = outbox.get(rid)
        if rec is None or plate_key(rec["record"].get("licensePlate")) != key:
            continue
        try:
            ok, problems = retry(outbox, ledger, rid, validate)
        except OutboxError as e:   # being sent right now: the uploader has it
            ok, problems = False, [str(e)]
        out.append((rid, ok, problems))
    return out
