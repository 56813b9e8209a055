"""edge lift --reason TEXT: lift the barrier by hand (manual passage, recorded and clipped)."""
from __future__ import annotations

import json

from edge.lane.control_client import call


def add_arguments(p):
    p.add_argument("--reason", required=True, help="why (kept with the event and the record), e.g. 司机忘带随车清单")
    p.add_argument("--json", action="store_true", help="the lane's answer as JSON")


def run(args, ctx):
    answer = call(ctx.config.state_dir, "lift", {"reason": args.reason})
    if args.json:
        print(json.dumps(answer, ensure_ascii=False))
    else:
        print("barrier lifted by hand%s" % (" for %s" % answer["plate"] if answer.get("plate") else ""))
    return 0
