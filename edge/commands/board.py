"""edge board show [--json] [--profile NAME]"""
import json

from edge.io.board import available, find_profile, load_board
from edge.settings import redacted


def add_arguments(p):
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    s = sub.add_parser("show", help="print the resolved board profile")
    s.add_argument("--profile", help="profile name or file (default: the config's [board] profile)")
    s.add_argument("--json", action="store_true", help="print JSON")
    sub.add_parser("list", help="list the known board profiles")


def run(args, ctx):
    if args.action == "list":
        for name in available():
            b = load_board(name)
            ctx.emit({"profile": name, "name": b.name, "arch": b.arch}, "%-12s %s" % (name, b.name))
        return 0
    import os

    from edge.errors import EdgeError
    config = None
    try:
        config = ctx.config
    except EdgeError:
        if not args.profile:
            raise
    name = args.profile or config.board.profile
    prof = load_board(name)
    data = redacted(prof)
    data["source"] = str(find_profile(name))
    # where this lane keeps its data: the config's state_dir, resolved (the profile's is only a default)
    if config is not None:
        state = os.path.abspath(config.state_dir)
        data["resolved_state_dir"] = state + ("" if os.path.isdir(state) else " (not created yet)")
    else:
        data["resolved_state_dir"] = "(no config: the profile's default %s)" % os.path.abspath(prof.storage.state_dir)
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
        return 0
    _print_tree(data)
    return 0


def _print_tree(d, indent=""):
    for k, v in d.items():
        if isinstance(v, dict):
            print("%s%s:" % (indent, k))
            _print_tree(v, indent + "  ")
        else:
            text = str(v).replace("\n", " ")
            print("%s%-24s %s" % (indent, k + ":", text))
