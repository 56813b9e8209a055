"""Shared bits for the status page tests: a lane config in a temp dir, a scripted lane control."""
from __future__ import annotations

import asyncio
from pathlib import Path

from edge.config import example, parse
from edge.errors import EdgeError

SECRET_CAMERA_PW = "cam-Secret-9f3a"
SECRET_NVR_PW = "nvr-Secret-77b1"


def lane_config(tmp: Path, **web):
    """The example config with its state in `tmp`, secrets we can look for, [web] overrides."""
    text = example().replace('state_dir = "/var/lib/edge"', 'state_dir = "%s"' % (tmp / "state"))
    text = text.replace('cameraPassword = "change-me"', 'cameraPassword = "%s"' % SECRET_CAMERA_PW, 1)
    text = text.replace('nvrPassword = "change-me"', 'nvrPassword = "%s"' % SECRET_NVR_PW, 1)
    for k, v in web.items():
        import re
        val = ("true" if v else "false") if isinstance(v, bool) else ('"%s"' % v if isinstance(v, str) else repr(v))
        text, n = re.subn(r"(?m)^(\[web\](?:\n(?!\[).*)*?\n)%s = .*$" % k, r"\g<1>%s = %s" % (k, val.replace("\\", "\\\\")), text)
        assert n == 1, k
    (tmp / "state").mkdir(parents=True, exist_ok=True)
    path = tmp / "edge.toml"
    path.write_text(text, encoding="utf-8")
    return parse(text, str(path)), path


class ControlRefused(EdgeError):
    pass


class FakeControl:
    """Answers like LaneControl.call; records every call (op, args, who)."""

    def __init__(self):
        self.calls: list[tuple[str, dict, str]] = []
        self.events: list[dict] = []
        self.status = {"gate": "A01", "lane": "1号门", "state": "idle", "barrier": {"state": "closed", "relay": False, "fault": None},
                       "cameras": {"A口车牌识别": {"url": "rtsp://admin:%s@127.0.0.1:8554/lane" % SECRET_CAMERA_PW,
                                                  "connected": True, "stale": False, "fps": 10.0, "last_frame_age_s": 0.1}},
                       "platform": {"registered": True, "token": "tok-SECRET-123456"}, "passages": [], "alarms": []}
        self.refuse: dict[str, str] = {}

    def add_event(self, type_, **fields):
        ev = {"id": len(self.events) + 1, "time": "2026-11-01 08:00:%02d" % (len(self.events) % 60), "type": type_, **fields}
        self.events.append(ev)
        return ev

    async def call(self, op, args=None, who="local"):
        args = args or {}
        self.calls.append((op, args, who))
        await asyncio.sleep(0)
        if op in self.refuse:
            raise ControlRefused(self.refuse[op])
        if op == "status":
            return self.status
        if op == "events":
            evs = self.events
            if args.get("after_id") is not None:
                evs = [e for e in evs if e["id"] > int(args["after_id"])]
            limit = int(args.get("limit", 200))
            return {"events": evs[-limit:] if args.get("newest") else evs[:limit]}
        if op == "lift":
            self.add_event("manual_lift", reason=args.get("reason"), who=who, manual=True)
            return {"ok": True}
        if op == "plate":
            self.add_event("manual_entry", plate=args.get("plate"), who=who, manual=True)
            return {"ok": True, "plate": args.get("plate")}
        return {"ok": True, "op": op}
