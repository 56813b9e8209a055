"""edge display LINE...: show text on the lane's LED display (each argument one line)."""
from __future__ import annotations

from edge.lane.control_client import call


def add_arguments(p):
    p.add_argument("lines", nargs="+", metavar="LINE", help="text of each display line, e.g. 欢迎 请通行")


def run(args, ctx):
    answer = call(ctx.config.state_dir, "display", {"text": "\n".join(args.lines)}) or {}
    print("display: %s" % " / ".join(answer.get("lines") or args.lines))
    return 0
