"""edge say TEXT: speak TEXT through the lane's voice module."""
from __future__ import annotations

from edge.lane.control_client import call


def add_arguments(p):
    p.add_argument("text", nargs="+", help="what to say, e.g. 请减速慢行")


def run(args, ctx):
    text = " ".join(args.text)
    call(ctx.config.state_dir, "say", {"text": text})
    print("said: %s" % text)
    return 0
