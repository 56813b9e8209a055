"""edge status [--json]: what the running lane is doing now (asks it over its control socket)."""
from __future__ import annotations

import json

from edge.lane.control_client import call


def add_arguments(p):
    p.add_argument("--json", action="store_true", help="the whole status as one JSON object")


def run(args, ctx):
    st = call(ctx.config.state_dir, "status")
    if args.json:
        print(json.dumps(st, ensure_ascii=False))
        return 0
    for line in format_status(st):
        print(line)
    return 0


def format_status(st: dict) -> list[str]:
    """Short lines for a terminal or a serial console (no colour, ≤ 80 columns mostly)."""
    out = ["lane %s %s (%s) on %s, up %ss, %s" % (st.get("gate"), st.get("lane") or "", st.get("direction"),
                                                st.get("board"), st.get("uptime_s"), st.get("role", "solo"))]
    out.append("state: %s   barrier: %s" % (st.get("state"), (st.get("barrier") or {}).get("state")))
    site = st.get("site")
    if site:   # [mqtt] url set (edge/site/node.py)
        c = site.get("cache") or {}
        out.append("site: %s, leader %s%s; cache version %s%s" % (
            "connected" if site.get("connected") else "NO BROKER", site.get("leader") or "none",
            " (solo: no broker)" if site.get("solo") else "", st.get("cache_version"),
            " STALE (%s, last in step %s s ago)" % (c.get("why"), c.get("age_s")) if c.get("stale") else ""))
    w = st.get("waiting")
    if w:
        out.append("waiting: %s %s for %ss (%s)" % (w.get("plate") or "(unread)", w.get("color") or "",
                                                     w.get("for_s"), w.get("reason") or w.get("state")))
    d = st.get("last_decision")
    if d:
        out.append("last decision: %s %s %s — %s%s" % (d.get("time", ""), d.get("plate") or "(unread)",
                                                       "ALLOW" if d.get("allowed") else "REFUSE", d.get("reason") or "",
                                                       " (manual)" if d.get("manual") else ""))
    inputs = st.get("inputs") or {}
    out.append("inputs: " + "  ".join("%s=%s" % (k, "on" if v else "off") for k, v in sorted(inputs.items())))
    for name, cam in sorted((st.get("cameras") or {}).items()):
        out.append("camera %s: %s, %s fps, last frame %s s ago" % (
            name, "ok" if cam.get("connected") and not cam.get("stale") else "DOWN", cam.get("fps", "?"),
            cam.get("last_frame_age_s")))
    sig = st.get("signage") or {}
    if sig.get("lines"):
        out.append("display: " + " / ".join(sig["lines"]))
    ob = st.get("outbox") or {}
    if ob:
        out.append("outbox: pending %s, rejected %s" % (ob.get("pending"), ob.get("rejected")))
    for a in (st.get("alarms") or [])[-3:]:
        out.append("ALARM %s %s: %s" % (a.get("time"), a.get("kind"), a.get("message")))
    return out
