"""edge config example | check [--show]

check: every key against its rule (unknown keys are errors), then what the platform would
refuse in [enterprise] and [[cameras]] (the bodies `edge push` sends, by the spec's rules:
areaCode, industryType, cameraType…) and a state_dir that is not storage — those are errors
(exit 2, one `key: rule` line each). Then warnings for what is legal but most likely wrong on
a real board (example placeholders, no camera, an rtsp_url without scheme, a board profile for
another architecture, an http:// platform that is not on this machine, a config with
passwords readable by others) — printed, exit 0. --show prints the resolved config as one
JSON line with secrets masked (passwords inside URLs too).
"""
import json
import os

from edge import config as cfg
from edge.errors import ValidationError
from edge.settings import redacted


def add_arguments(p):
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("example", help="print a complete, commented example config")
    c = sub.add_parser("check", help="validate a config file; list every bad key with its rule")
    c.add_argument("--show", action="store_true", help="print the resolved config (secrets masked) as JSON")


def state_dir_problems(path) -> list[tuple[str, str]]:
    real = os.path.realpath(path)
    for top in ("/proc", "/sys", "/dev"):
        if real == top or real.startswith(top + "/"):
            return [("paths.state_dir", "%s is under %s, which is not storage" % (path, top))]
    if os.path.exists(path) and not os.path.isdir(path):
        return [("paths.state_dir", "%s is a file, not a folder" % path)]
    return []


def state_dir_warnings(path) -> list[tuple[str, str]]:
    from edge.store import faults
    probe = path
    while not os.path.exists(probe):
        parent = os.path.dirname(probe.rstrip("/")) or "/"
        if parent == probe:
            break
        probe = parent
    why = faults.readonly_problem(probe)
    return [("paths.state_dir", "cannot be written: %s" % why)] if why else []


def run(args, ctx):
    if args.action == "example":
        print(cfg.example(), end="")
        return 0
    conf = ctx.config  # raises ValidationError listing every problem
    board = ctx.board  # the profile must resolve too
    path = cfg.find_path(getattr(args, "config", None))
    problems = state_dir_problems(str(conf.state_dir)) + cfg.platform_problems(conf)
    if problems:
        raise ValidationError(problems, "%s (the platform or the board would refuse)" % path)
    warns = cfg.warnings(conf, path, board) + state_dir_warnings(str(conf.state_dir))
    if args.show:
        print(json.dumps(redacted(conf), ensure_ascii=False))
    for key, text in warns:
        ctx.emit({"warning": key, "text": text}, "warning: %s: %s" % (key, text))
    ctx.emit({"config": str(path), "ok": True, "warnings": len(warns), "site": conf.site.enterprise_id,
              "gate": conf.site.gate_id, "board": board.name, "state_dir": os.path.abspath(conf.state_dir)},
             "%s: ok (site %s, gate %s, board %s)%s" % (path, conf.site.enterprise_id, conf.site.gate_id, board.name,
                                                         ", %d warning%s" % (len(warns), "" if len(warns) == 1 else "s")
                                                         if warns else ""))
    return 0
