"""edge config example | check"""
import json

from edge import config as cfg
from edge.settings import redacted


def add_arguments(p):
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("example", help="print a complete, commented example config")
    c = sub.add_parser("check", help="validate a config file; list every bad key with its rule")
    c.add_argument("--show", action="store_true", help="print the resolved config (secrets masked) as JSON")


def run(args, ctx):
    if args.action == "example":
        print(cfg.example(), end="")
        return 0
    conf = ctx.config  # raises ValidationError listing every problem
    board = ctx.board  # the profile must resolve too
    if args.show:
        print(json.dumps(redacted(conf), ensure_ascii=False, indent=2))
    print("%s: ok (site %s, gate %s, board %s)" % (cfg.find_path(getattr(args, "config", None)),
                                                 conf.site.enterprise_id, conf.site.gate_id, board.name))
    return 0
