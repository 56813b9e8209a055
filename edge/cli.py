"""The `edge` command: run the lane, and every verb an installer or field technician needs.

Each verb lives in `edge/commands/<module>.py` with two functions:
    add_arguments(parser)   -- define its options (and sub-verbs)
    run(args, ctx) -> int   -- do it; return the exit status
Modules are imported only when their verb runs, so `edge` starts fast on a Pi.
Errors derived from EdgeError print as one line (ValidationError: one `field: rule` line each)
and exit 2; anything else is a bug and shows its traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from edge import __version__
from edge.errors import EdgeError, ValidationError

# verb -> (module under edge.commands, one-line help)
VERBS: dict[str, tuple[str, str]] = {
    "run": ("run", "run the lane controller (the board's main job)"),
    "config": ("config", "print an example config or check one"),
    "board": ("board", "show the resolved board profile"),
    "codes": ("codes", "print the spec code tables"),
    "example": ("example", "print a valid example record of a kind"),
    "validate": ("validate", "validate a record file against the spec"),
    "keys": ("keys", "generate the enterprise RSA key pair; export/import it for the other lanes"),
    "register": ("register", "register this enterprise with the Yunnan platform (init-auth)"),
    "uplink": ("uplink", "check the platform link; seal/open envelopes"),
    "sync": ("sync", "pull exceed vehicles, strategies and alarms from the platform"),
    "push": ("push", "upload enterprise, cameras, vehicle or machinery ledger"),
    "ledger": ("ledger", "import the vehicle or machinery ledger"),
    "outbox": ("outbox", "inspect and retry the store-and-forward outbox"),
    "record": ("record", "create records (demo) through the lane's recording path"),
    "hj212": ("hj212", "encode/decode HJ 212 packets"),
    "lpr": ("lpr", "read licence plates in images"),
    "smoke": ("smoke", "grade exhaust smoke (Ringelmann 0-5) in images or clips"),
    "sim": ("sim", "drive the simulated board's inputs: loop, anti-smash, button"),
    "status": ("status", "what the running lane is doing now"),
    "lift": ("lift", "lift the barrier by hand (a manual passage)"),
    "plate": ("plate", "enter the plate of the vehicle waiting at the gate (manual entry)"),
    "events": ("events", "the lane's events: decisions, barrier, manual acts, alarms"),
    "site": ("site", "the lanes of this site and the vehicles inside it (over the site broker)"),
    "doctor": ("doctor", "check the lane end to end: one PASS/WARN/FAIL line per check, with the fix"),
    "provision": ("provision", "set up this board: config, board, keys, registration, pushes, then doctor"),
    "relay": ("relay", "pulse the barrier relay through the running lane"),
    "display": ("display", "show text on the lane's LED display"),
    "say": ("say", "speak text through the lane's voice module"),
    "camera": ("camera", "save a snapshot of a lane camera"),
    "logs": ("logs", "the lane's log (journald where present, else its log file)"),
}


class Context:
    """What every verb may need, loaded on first use."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self._config = None
        self._board = None

    @property
    def config(self):
        if self._config is None:
            from edge.config import load_config
            self._config = load_config(getattr(self.args, "config", None))
        return self._config

    @property
    def board(self):
        if self._board is None:
            from edge.io.board import load_board
            self._board = load_board(self.config.board.profile)
        return self._board


GLOBAL_OPTIONS = ("--config", "--log-level")


def _common() -> argparse.ArgumentParser:
    """Shown in every verb's help; the values are lifted out of argv by _split_globals."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--config", metavar="PATH",
                   help="lane config file (default: $EDGE_CONFIG or /etc/edge/edge.toml)")
    p.add_argument("--log-level", metavar="LEVEL", help="override the config's log level")
    return p


def _split_globals(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """Take --config/--log-level from anywhere in argv (after any sub-verb too); the last one wins.

    argparse only sees options at the level they were declared, and technicians type
    `edge outbox stats --config lane.toml` as often as `edge --config lane.toml outbox stats`."""
    rest: list[str] = []
    found: dict[str, str] = {}
    i = 0
    while i < len(argv):
        a = argv[i]
        name, eq, value = a.partition("=")
        if name in GLOBAL_OPTIONS:
            if not eq:
                if i + 1 >= len(argv):
                    rest.append(a)  # let argparse report the missing value
                    break
                value = argv[i + 1]
                i += 1
            found[name[2:].replace("-", "_")] = value
        elif a == "--":
            rest.extend(argv[i:])
            break
        else:
            rest.append(a)
        i += 1
    return rest, found


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(prog="edge", parents=[common],
                                     description="Lane controller for intelligent environmental gates.")
    parser.add_argument("--version", action="version", version="edge " + __version__)
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for name, (module, help_) in VERBS.items():
        p = sub.add_parser(name, help=help_, description=help_, parents=[common])
        if name == verb:  # only the verb being run pays for importing its module
            importlib.import_module("edge.commands." + module).add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    argv, globals_ = _split_globals(argv)
    verb = next((a for a in argv if a in VERBS), None)
    parser = build_parser(verb)
    args = parser.parse_args(argv)
    for k, v in globals_.items():
        setattr(args, k, v)
    if not args.verb:
        parser.print_help()
        return 2
    from edge import logsetup
    level = getattr(args, "log_level", None) or "WARNING"
    logsetup.setup(level)
    ctx = Context(args)
    module = importlib.import_module("edge.commands." + VERBS[args.verb][0])
    try:
        return int(module.run(args, ctx) or 0)
    except ValidationError as e:
        print("edge %s: invalid %s" % (args.verb, e.what), file=sys.stderr)
        for line in e.lines():
            print("  " + line, file=sys.stderr)
        return 2
    except EdgeError as e:
        print("edge %s: %s" % (args.verb, e), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `edge ... | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
