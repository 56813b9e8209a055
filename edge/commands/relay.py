"""edge relay test: pulse the barrier relay through the running lane (the lane owns the pin;
the pulse is logged as an action with who asked). Without the lane: `edge doctor --actuate`."""
from __future__ import annotations

import json

from edge.lane.control_client import call


def add_arguments(p):
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    t = sub.add_parser("test", help="pulse the relay once; the barrier should lift and fall")
    t.add_argument("--json", action="store_true", help="the lane's answer as JSON")


def run(args, ctx):
    answer = call(ctx.config.state_dir, "relay_test", timeout=30) or {}
    if args.json:
        print(json.dumps(answer, ensure_ascii=False))
        return 0
    detail = ", ".join("%s %s" % (k, v) for k, v in sorted(answer.items()) if k != "ok")
    print("relay pulsed%s" % (": " + detail if detail else ""))
    return 0 if answer.get("ok", True) else 1
