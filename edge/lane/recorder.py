"""The one path by which a passage becomes a durable access record.

The lane (after its decision) and `edge record demo` both call `Recorder.record(passage)`:
  1. build the record in the shared contract (Yunnan 6.13 names + passMode/vehicle/smokeLevel),
     recordId from the persisted sequence counter (edge.domain.ids.record_id);
  2. stamp plate, colour, time and gate onto the photos (edge.vision.annotate);
  3. store photos + record in the outbox (durable — fsynced — when this returns);
  4. wake the uploader.
A record that fails validation is still stored (as rejected, with every `field: rule`
problem as the reason, and an ERROR alarm): a passage that happened is never dropped.

A passage is a dict:
  plate          licence plate text ("云A12345"; "" when unread)
  plate_color    colour word (blue, yellow, green, ...) or Yunnan 7.6 code
  access_type    "0" in / "1" out
  time           aware datetime of the passage (default: now)
  photos         {"carHeadImg": JPEG bytes or PIL image, "carImg": ...}
  pass_mode      "auto" | "manual"
  vehicle        the vehicle's 6.11 ledger entry, if known (gives vehicleId, vin)
  vin, vehicle_id, cargo_type, cargo_weight, cargo_unit, smoke_level   optional overrides
"""
from __future__ import annotations

import asyncio
import io
import logging

from edge import timeutil
from edge.domain import codes, ids, validate
from edge.store.outbox import Outbox
from edge.vision.annotate import annotate, stamp_lines

log = logging.getLogger(__name__)

PHOTO_FIELDS = ("carHeadImg", "carImg")
SEQ_MOD = 100000
AWAITING = "awaiting registration (未登记车辆，登记后补传)"  # recordId carries a 5-digit sequence; with the ms timestamp it stays unique


class Recorder:
    def __init__(self, outbox: Outbox, enterprise_id: str, entrance_id: str, gate_id: str, *,
                 on_record=None, stamp_photos: bool = True, cargo_hold_s: float = 0.0):
        self.outbox = outbox
        # HJ 1321 function 10: the record waits this long for the guard's cargo entry before it
        # is sent; entering the cargo (Outbox.fix) releases it at once
        self.cargo_hold_s = float(cargo_hold_s or 0)
        self.enterprise_id = enterprise_id
        self.entrance_id = entrance_id
        self.gate_id = gate_id
        self.on_record = on_record          # e.g. Uploader.notify
        self.stamp_photos = stamp_photos

    @classmethod
    def from_config(cls, outbox: Outbox, config, **kw) -> "Recorder":
        s = config.site
        kw.setdefault("cargo_hold_s", config.lane.cargo_hold_s)
        return cls(outbox, s.enterprise_id, s.entrance_id, s.gate_id, **kw)

    def build(self, passage: dict, seq: int) -> dict:
        """The access record for `passage` with sequence number `seq` (photos not yet stored)."""
        at = passage.get("time") or timeutil.now()
        access_type = str(passage.get("access_type", "0"))
        vehicle = passage.get("vehicle") or None
        color = passage.get("plate_color", "")
        try:
            color_code = codes.plate_color_code(color) if color != "" else ""
        except ValueError:
            color_code = str(color)  # kept as read; validation names the problem
        record = {
            "recordId": ids.record_id(timeutil.stamp_ms(at), self.enterprise_id, access_type, seq % SEQ_MOD),
            "enterpriseId": self.enterprise_id,
            "entranceId": self.entrance_id,
            "gateId": self.gate_id,
            "vehicleId": passage.get("vehicle_id") or (vehicle or {}).get("vehicleId", ""),
            "licensePlate": passage.get("plate", ""),
            "plateColor": color_code,
            "vin": passage.get("vin") or (vehicle or {}).get("vin", ""),
            "accessType": access_type,
            "accessTime": timeutil.fmt_datetime(at),
            "cargoType": passage.get("cargo_type", ""),
            "cargoWeight": str(passage.get("cargo_weight", "")),
            "cargoUnit": passage.get("cargo_unit", ""),
            "carHeadImg": "",
            "carImg": "",
            "passMode": passage.get("pass_mode", "auto"),
        }
        if vehicle:
            record["vehicle"] = dict(vehicle)
        if passage.get("plate_check"):
            record["plateCheck"] = str(passage["plate_check"])[:300]
        if passage.get("smoke_level") is not None:
            record["smokeLevel"] = int(passage["smoke_level"])
        return record

    def photos(self, passage: dict, at_text: str) -> dict:
        """Stamped JPEG bytes per photo field."""
        raw = passage.get("photos") or {}
        color = passage.get("plate_color", "")
        try:
            cname = codes.name_of("yunnan.plate_color", codes.plate_color_code(color))
        except (ValueError, KeyError):
            cname = str(color)
        lines = stamp_lines({"licensePlate": passage.get("plate", ""), "accessTime": at_text,
                             "entranceId": self.entrance_id, "gateId": self.gate_id,
                             "accessType": str(passage.get("access_type", "0")),
                             "passMode": passage.get("pass_mode", "auto")}, cname)
        out = {}
        for field in PHOTO_FIELDS:
            img = raw.get(field)
            if img is None:
                continue
            if self.stamp_photos:
                out[field] = annotate(img, lines)
            elif isinstance(img, (bytes, bytearray)):
                out[field] = bytes(img)
            else:
                buf = io.BytesIO()
                img.convert("RGB").save(buf, format="JPEG", quality=85)
                out[field] = buf.getvalue()
        return out

    def record(self, passage: dict) -> dict:
        """Make the passage's record durable; return it (photo fields hold media refs).
        `record["recordId"]` is safe to report once this returns."""
        passage = dict(passage)
        passage.setdefault("time", timeutil.now())
        photos = self.photos(passage, timeutil.fmt_datetime(passage["time"]))

        waiting = bool(passage.get("plate")) and not passage.get("vehicle") and not passage.get("vehicle_id")

        def check(rec):
            problems = validate.validate("access", rec)
            if not problems:
                return None
            text = "; ".join("%s: %s" % p for p in problems)
            # a plate the ledger does not know: kept until the guard registers the vehicle
            # (edge.store.repair retries it then), never sent with an invented vehicleId/VIN
            return (AWAITING + ": " + text) if waiting else text

        hold = int((self.outbox.clock() + self.cargo_hold_s) * 1000) if self.cargo_hold_s > 0 else None
        rec, ok = self.outbox.put_new(lambda seq: self.build(passage, seq), photos, validate=check,
                                      not_before_ms=hold)
        if self.on_record:
            self.on_record()
        return rec

    async def record_async(self, passage: dict) -> dict:
        """The same, off the event loop (photo encoding and fsync take milliseconds)."""
        return await asyncio.to_thread(self.record, passage)
