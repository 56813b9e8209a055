"""edge plate PLATE [--color C]: the manual entry (人工补录) for the vehicle waiting at the gate."""
from __future__ import annotations

import json

from edge.lane.control_client import call


def add_arguments(p):
    p.add_argument("plate", help="the plate as written on the vehicle, e.g. 宁A12345")
    p.add_argument("--color", default=None,
                   help="plate colour (blue, yellow, green, yellow_green, white, black); default: the ledger's")
    p.add_argument("--json", action="store_true", help="the lane's answer as JSON")


def run(args, ctx):
    req = {"plate": args.plate}
    if args.color:
        req["color"] = args.color
    answer = call(ctx.config.state_dir, "plate", req)
    if args.json:
        print(json.dumps(answer, ensure_ascii=False))
    else:
        print("entered %s for the vehicle at the gate; the lane is %s" % (answer.get("plate"), answer.get("state")))
    return 0
