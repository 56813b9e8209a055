"""LaneControl: the one implementation of every act on a running lane.

`edge status|lift|plate|…` (over the local socket, edge/lane/control_socket.py), the status
page (edge/web/) and MQTT commands (edge/site/) all call `await control.call(op, args, who)`;
none of them lifts a barrier or registers a vehicle by itself. `who` names the person or
client behind the request ("cli:root", "web:guard", "mqtt:operator") and goes into the event
log with every act.

An op answers a dict, or raises ControlError with one line for the caller to show.
"""
from __future__ import annotations

import logging

from edge.errors import EdgeError

log = logging.getLogger(__name__)

MAX_TEXT = 200


class ControlError(EdgeError):
    """A request the lane refuses (bad argument, wrong state): one line for the user."""


def _text(args: dict, key: str, *, required: bool = True, limit: int = MAX_TEXT, lines: bool = False) -> str:
    value = args.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ControlError("%s: must be text" % key)
    value = value.strip()
    if required and not value:
        raise ControlError("%s: required" % key)
    if len(value) > limit:
        raise ControlError("%s: at most %d characters" % (key, limit))
    if any(ord(c) < 32 and not (lines and c == "\n") for c in value):
        raise ControlError("%s: must not contain control characters" % key)
    return value


def normalize_plate(text: str) -> str:
    """What a guard types ("宁a·12345", "宁A 12345") as the reader writes it ("宁A12345")."""
    return "".join(c for c in text if c not in " \t·.-_\u3000").upper()


class LaneControl:
    # ops that change nothing: not logged as actions
    READ_OPS = ("status", "events")

    def __init__(self, service):
        self.service = service
        self._ops = {
            "status": self.status, "events": self.events, "lift": self.lift, "plate": self.plate,
            "display": self.display, "say": self.say, "relay_test": self.relay_test,
            "snapshot": self.snapshot, "register_vehicle": self.register_vehicle, "cargo": self.cargo,
            "verify_exceed": self.verify_exceed, "smoke_review": self.smoke_review, "sim": self.sim,
            "reload": self.reload,
        }

    @property
    def ops(self) -> list[str]:
        return sorted(self._ops)

    async def call(self, op: str, args: dict | None = None, who: str = "local") -> dict:
        fn = self._ops.get(op)
        if fn is None:
            raise ControlError("unknown request %r (known: %s)" % (op, ", ".join(self.ops)))
        if args is None:
            args = {}
        if not isinstance(args, dict):
            raise ControlError("arguments must be a JSON object")
        return await fn(args, who)

    # ------------------------------------------------------------------ reading
    async def status(self, args, who):
        return self.service.status()

    async def events(self, args, who):
        log_ = self.service.eventlog
        types = args.get("types")
        if isinstance(types, str):
            types = [t for t in types.split(",") if t]
        try:
            limit = min(int(args.get("limit", 200)), 1000)
            after = args.get("after_id")
            after = int(after) if after is not None else None
        except (TypeError, ValueError):
            raise ControlError("limit/after_id: must be whole numbers") from None
        import asyncio
        return {"events": await asyncio.to_thread(log_.query, since=args.get("since") or None, after_id=after,
                                                  types=types, limit=limit, newest=bool(args.get("newest")))}

    # ------------------------------------------------------------------ acts at the gate
    def _gate(self):
        gate = self.service.gate
        if gate is None:
            raise ControlError("the gate is not running on this lane (no camera or I/O configured)")
        return gate

    async def lift(self, args, who):
        reason = _text(args, "reason")
        answer = await self._gate().runner.request("manual_lift", reason, who)
        if not answer.get("ok"):
            raise ControlError(answer.get("error") or "lift refused")
        return answer

    async def plate(self, args, who):
        plate = normalize_plate(_text(args, "plate", limit=16))
        from edge.vision.plates.formats import check
        fit = check(plate)
        if not fit.ok:
            raise ControlError("plate: %r is not a licence plate (%s)" % (plate, fit.reason))
        color = _text(args, "color", required=False, limit=20) or None
        gate = self._gate()
        if color is None:
            color = await gate.ledger_color(plate)
        else:
            from edge.domain import codes
            try:
                codes.plate_color_code(color)
            except ValueError:
                raise ControlError("color: %r is not a plate colour (blue, yellow, green, yellow_green, "
                                   "white, black or a Yunnan 7.6 code)" % color) from None
        answer = await gate.runner.request("manual_plate", plate, color or "", who)
        if not answer.get("ok"):
            raise ControlError(answer.get("error") or "plate entry refused")
        return answer

    async def display(self, args, who):
        text = _text(args, "text", lines=True)  # one display line per "\n"
        lines = [t for t in text.split("\n") if t] if "\n" in text else [text]
        await self._gate().show(lines)
        self._action("display", who, text=text)
        return {"ok": True, "lines": lines}

    async def say(self, args, who):
        text = _text(args, "text")
        await self._gate().say(text)
        self._action("say", who, text=text)
        return {"ok": True}

    async def relay_test(self, args, who):
        result = await self._gate().relay_test()
        self._action("relay_test", who, **result)
        return result

    async def snapshot(self, args, who):
        import base64
        name = _text(args, "camera", required=False, limit=100) or None
        jpeg = await self._gate().snapshot(name)
        return {"jpeg_b64": base64.b64encode(jpeg).decode("ascii"), "bytes": len(jpeg)}

    async def register_vehicle(self, args, who):
        entry = args.get("entry")
        if not isinstance(entry, dict):
            raise ControlError("entry: must be a 6.11 vehicle ledger entry (JSON object)")
        result = await self._gate().register_vehicle(entry, who)
        return result

    async def cargo(self, args, who):
        rid = _text(args, "recordId", limit=64)
        fields = {k: _text(args, k, required=False, limit=32) for k in ("cargoType", "cargoWeight", "cargoUnit")}
        if not fields["cargoType"] and not fields["cargoWeight"]:
            raise ControlError("cargoType or cargoWeight: required")
        return await self._gate().cargo(rid, {k: v for k, v in fields.items() if v}, who)

    async def verify_exceed(self, args, who):
        return await self._gate().verify_exceed(args, who)

    async def smoke_review(self, args, who):
        """复核确认 of a smoke event (Ningxia 4.5.2-8): confirmed or a false alarm, the reviewer's
        Ringelmann level (黑度匹配) and plate when they differ from the camera's."""
        rid = _text(args, "recordId", limit=64)
        verdict = _text(args, "verdict", limit=16)
        if verdict not in ("confirmed", "rejected"):
            raise ControlError("verdict: confirmed or rejected")
        level = args.get("level")
        if level is not None and (isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 5):
            raise ControlError("level: a Ringelmann level 0-5")
        plate = normalize_plate(_text(args, "plate", required=False, limit=16))
        if plate:
            from edge.vision.plates.formats import check
            fit = check(plate)
            if not fit.ok:
                raise ControlError("plate: %r is not a licence plate (%s)" % (plate, fit.reason))
        note = _text(args, "note", required=False)
        review = await self.service.record_smoke_review(rid, verdict, level, plate or None, note, who)
        self.service.event("smoke_review", who=who, recordId=rid, verdict=verdict, level=review["smokeLevel"],
                           plate=review["licensePlate"] or None, note=note or None, reviewId=review["recordId"])
        return {"ok": True, "review": review}

    async def sim(self, args, who):
        if not self.service.board.simulated:
            raise ControlError("edge sim works on the simulated board only (this board: %s)" % self.service.board.key)
        name = _text(args, "input", limit=20)
        if name not in ("loop", "anti_smash", "button"):
            raise ControlError("input: one of loop, anti_smash, button")
        active = args.get("active", True)
        if not isinstance(active, bool):
            raise ControlError("active: must be true or false")
        self._gate().sim_drive(name, active)
        return {"ok": True, "input": name, "active": active}

    async def reload(self, args, who):
        await self.service.reload()
        self._action("reload", who)
        return {"ok": True}

    def _action(self, op, who, **fields):
        self.service.event("action", who=who, op=op, **fields)
