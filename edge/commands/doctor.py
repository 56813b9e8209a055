"""edge doctor [--json] [--actuate]: is this lane healthy? One line per check.

    PASS name: what was found
    WARN name: what was found — what to do
    FAIL name: what was found — what to do
    doctor: 17 pass, 3 warn, 1 fail

Nothing else goes to stdout (diagnostics go to stderr), so the output reads the same over SSH,
a serial console or a pipe. Exit status 1 on any FAIL. --json prints one object per check
({"status", "name", "found", "fix"}) and no summary line. The checks are in edge/doctor/.
"""
from __future__ import annotations

import json

from edge.errors import EdgeError, ValidationError


def add_arguments(p):
    p.add_argument("--json", action="store_true", help="one JSON object per line: status, name, found, fix")
    p.add_argument("--actuate", action="store_true",
                   help="also pulse the barrier relay (only with the installer at the barrier)")
    p.add_argument("--timeout", type=float, default=5.0, metavar="S", help="network and camera timeouts (default 5)")


def build_env(args, ctx):
    from edge.config import find_path
    from edge.doctor import Env
    env = Env(config_path=str(find_path(getattr(args, "config", None))), actuate=args.actuate,
              timeout_s=args.timeout)
    # The config check is `edge config check`'s: load_config + the board profile it names.
    try:
        env.config = ctx.config
    except ValidationError as e:
        env.config_error = "%s: %s" % (e.what, "; ".join(e.lines()))
        return env
    except EdgeError as e:
        env.config_error = str(e)
        return env
    try:
        env.board = ctx.board
    except ValidationError as e:
        env.extra["board_error"] = "%s: %s" % (e.what, "; ".join(e.lines()))
    except EdgeError as e:
        env.extra["board_error"] = str(e)
    from edge.doctor.service import lane_pid
    from edge.lane.control_client import call
    try:
        env.status = call(env.config.state_dir, "status", timeout=max(5.0, args.timeout))
        env.lane_pid = lane_pid(env.config.state_dir)
    except EdgeError as e:
        env.lane_error = str(e).split(";")[0]
    return env


def run(args, ctx):
    from edge.doctor import FAIL, PASS, WARN, run_checks
    env = build_env(args, ctx)
    try:
        results = run_checks(env)
    finally:
        ob = env.extra.get("outbox")
        if ob is not None:
            ob.close()
    for r in results:
        print(json.dumps(r.as_dict(), ensure_ascii=False) if args.json else r.line(), flush=True)
    counts = {s: sum(r.status == s for r in results) for s in (PASS, WARN, FAIL)}
    if not args.json:
        print("doctor: %d pass, %d warn, %d fail%s" % (counts[PASS], counts[WARN], counts[FAIL],
                                                       "" if env.lane_running else " (lane not running)"))
    return 1 if counts[FAIL] else 0
