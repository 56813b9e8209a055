"""Which vehicles are inside the site, from the passages of every lane (pure).

A passage is one lane event `vehicle_leave` with `passed` true and a plate: the vehicle went
through that gate, in at an "in" lane, out at an "out" lane. Lanes report late after an
outage (their events come from the durable log), so a plate's status is recomputed from its
passages in time order whenever one arrives: an exit reported before the entry it pairs
with stops being flagged once the entry arrives.

Flags: `exit_without_entry` (out with no entry on record before it) and `entered_twice` (in
while already inside: a missed exit, or two vehicles with one plate).
"""
from __future__ import annotations

from edge.store.platform_cache import plate_key

KEEP = 20           # passages kept per plate
FLAGS_SHOWN = 50


def passage_of(event: dict) -> dict | None:
    """The passage a lane event records, or None. `event` carries gate and direction."""
    if event.get("type") != "vehicle_leave" or not event.get("passed") or not event.get("plate"):
        return None
    if event.get("direction") not in ("in", "out") or not event.get("time") or not event.get("gate"):
        return None
    return {"plate": event["plate"], "color": event.get("color"), "time": event["time"], "gate": event["gate"],
            "direction": event["direction"], "key": "%s:%s" % (event["gate"], event.get("id"))}


class Inside:
    def __init__(self):
        self.history: dict[str, list[dict]] = {}     # plate key -> passages, oldest first
        self._status: dict[str, tuple[dict | None, list[dict]]] = {}   # plate key -> (inside since, flags)

    def add(self, p: dict) -> list[dict]:
        """Take one passage; → the flags of its plate as they stand now."""
        k = plate_key(p["plate"])
        h = self.history.setdefault(k, [])
        if any(x["key"] == p["key"] for x in h):
            return self._status.get(k, (None, []))[1]
        h.append(dict(p))
        h.sort(key=lambda x: (x["time"], x["key"]))
        del h[:-KEEP]
        self._status[k] = _walk(h)
        return self._status[k][1]

    def inside(self) -> list[dict]:
        out = [dict(since) for since, _ in self._status.values() if since is not None]
        return sorted(out, key=lambda x: x["since"])

    def flags(self) -> list[dict]:
        out = [f for _, flags in self._status.values() for f in flags]
        return sorted(out, key=lambda f: f["time"])[-FLAGS_SHOWN:]

    def to_json(self) -> dict:
        return {"inside": self.inside(), "flags": self.flags(), "history": self.history}

    @classmethod
    def from_json(cls, obj: dict) -> "Inside":
        me = cls()
        for k, h in (obj.get("history") or {}).items():
            if isinstance(h, list) and all(isinstance(x, dict) and {"plate", "time", "direction", "key"} <= set(x)
                                           for x in h):
                me.history[k] = sorted(h, key=lambda x: (x["time"], x["key"]))[-KEEP:]
                me._status[k] = _walk(me.history[k])
        return me


def _walk(h: list[dict]):
    since, flags = None, []
    for p in h:
        if p["direction"] == "in":
            if since is not None:
                flags.append({"plate": p["plate"], "kind": "entered_twice", "time": p["time"], "gate": p["gate"],
                              "previous": {"time": since["since"], "gate": since["gate"]}})
            since = {"plate": p["plate"], "color": p.get("color"), "since": p["time"], "gate": p["gate"]}
        else:
            if since is None:
                flags.append({"plate": p["plate"], "kind": "exit_without_entry", "time": p["time"], "gate": p["gate"]})
            since = None
    return since, flags
