"""The `edge` command: run the lane, and every verb an installer or field technician needs.

Each verb lives in `edge/commands/<module>.py` with two functions:
    add_arguments(parser)   -- define its options (and sub-verbs)
    run(args, ctx) -> int   -- do it; return the exit status
Modules are imported only when their verb runs, so `edge` starts fast on a Pi.

What every verb gets for free (so verbs added later behave the same):
  * `--config`, `--log-level`, `--json` anywhere on the line (lifted out by _split_globals);
    `ctx.json` says whether JSON was asked for and `ctx.emit(obj, text)` prints one JSON line
    or the text — `--json` output is JSON lines, one object per line, for every verb.
  * one-line errors, exit 2: EdgeError as its message (ValidationError: one `field: rule`
    line each under a heading); bad options as "edge VERB: <what> (see edge VERB --help)";
    storage faults (full, read-only, damaged: edge/store/faults.py) and OSError as one line
    naming the file; anything else — a bug — as "edge VERB: internal error: <summary>" with
    the traceback logged at DEBUG (`--log-level DEBUG` shows it). No input and no fault ever
    prints a Python traceback. Ctrl-C exits 130 quietly; a closed pipe (`| head`) exits 0.
  * option types that refuse out-of-range values in one line: int_range, float_range.
"""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys

from edge import __version__
from edge.errors import EdgeError, ValidationError

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
log = logging.getLogger("edge.cli")

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
    "web": ("web", "the status page: set its password, serve it, rebuild its index"),
}


class Context:
    """What every verb may need, loaded on first use."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self._config = None
        self._board = None

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    def emit(self, obj, text: str | None = None) -> None:
        """One result: a JSON line with --json, else `text` (default: the object as JSON)."""
        if self.json or text is None:
            print(json.dumps(obj, ensure_ascii=False, default=str), flush=True)
        else:
            print(text, flush=True)

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
GLOBAL_FLAGS = ("--json",)


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors ("edge VERB: what (see edge VERB --help)"), exit 2."""

    def error(self, message):
        sys.stderr.write("%s: %s (see %s --help)\n" % (self.prog, message, self.prog))
        sys.exit(2)


def int_range(lo: int | None = None, hi: int | None = None):
    """An argparse type: a whole number within [lo, hi]."""
    def parse(text):
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError("%r is not a whole number" % text) from None
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise argparse.ArgumentTypeError("%d is out of range (%s..%s)" % (v, lo, "" if hi is None else hi))
        return v
    parse.__name__ = "whole number"
    return parse


def float_range(lo: float | None = None, hi: float | None = None):
    """An argparse type: a finite number within [lo, hi]."""
    def parse(text):
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError("%r is not a number" % text) from None
        if v != v or v in (float("inf"), float("-inf")):
            raise argparse.ArgumentTypeError("%r is not a finite number" % text)
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise argparse.ArgumentTypeError("%g is out of range (%s..%s)" % (v, lo, "" if hi is None else hi))
        return v
    parse.__name__ = "number"
    return parse


def _common() -> argparse.ArgumentParser:
    """Shown in every verb's help; the values are lifted out of argv by _split_globals."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--config", metavar="PATH",
                   help="lane config file (default: $EDGE_CONFIG or /etc/edge/edge.toml)")
    p.add_argument("--log-level", metavar="LEVEL", help="override the config's log level (%s)" % ", ".join(LOG_LEVELS))
    p.add_argument("--json", action="store_true", help="machine-readable output: one JSON object per line")
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
        if a in GLOBAL_FLAGS:
            found[a[2:]] = True
        elif name in GLOBAL_OPTIONS:
            if not eq:
                if i + 1 >= len(argv) or argv[i + 1].startswith("--"):
                    found["missing"] = name   # main() reports it in one line
                    i += 1
                    continue
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
    parser = Parser(prog="edge", parents=[common],
                    description="Lane controller for intelligent environmental gates.")
    parser.add_argument("--version", action="version", version="edge " + __version__)
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for name, (module, help_) in VERBS.items():
        # "resolve": a verb may declare its own --json (for its help text) over the common one
        p = sub.add_parser(name, help=help_, description=help_, parents=[common], conflict_handler="resolve")
        if name == verb:  # only the verb being run pays for importing its module
            importlib.import_module("edge.commands." + module).add_arguments(p)
    return parser


def one_line(text) -> str:
    """Text from outside (an exception, a platform) on one line, bounded."""
    t = " ".join(str(text).split())
    return t if len(t) <= 500 else t[:500] + "…"


def _fail(verb: str, args, message: str, lines=()) -> int:
    print("edge %s: %s" % (verb, message), file=sys.stderr)
    for line in lines:
        print("  " + line, file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps({"error": message, "problems": list(lines)}, ensure_ascii=False), flush=True)
    return 2


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    argv, globals_ = _split_globals(argv)
    verb = next((a for a in argv if a in VERBS), None)
    if "missing" in globals_:
        print("edge%s: %s needs a value (see edge --help)" % (" " + verb if verb else "", globals_["missing"]),
              file=sys.stderr)
        return 2
    try:
        parser = build_parser(verb)
        args = parser.parse_args(argv)
    except KeyboardInterrupt:
        return 130
    for k, v in globals_.items():
        setattr(args, k, v)
    if not args.verb:
        parser.print_help()
        return 2
    level = getattr(args, "log_level", None)
    if level is not None and level.upper() not in LOG_LEVELS:
        return _fail(args.verb, args, "--log-level %r: must be one of %s" % (level, ", ".join(LOG_LEVELS)))
    from edge import logsetup
    logsetup.setup(level or "WARNING")
    ctx = Context(args)
    try:
        module = importlib.import_module("edge.commands." + VERBS[args.verb][0])
        return int(module.run(args, ctx) or 0)
    except ValidationError as e:
        return _fail(args.verb, args, "invalid %s" % e.what, e.lines())
    except EdgeError as e:
        return _fail(args.verb, args, str(e))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `edge ... | head`
        return 0
    except SystemExit:
        raise
    except BaseException as e:  # noqa: BLE001 — the last line of defence: one line, never a traceback
        return _fail(args.verb, args, _describe_unexpected(e))


def _describe_unexpected(e: BaseException) -> str:
    import sqlite3

    from edge.store import faults
    if faults.classify(e) is not None:
        return one_line(faults.describe(e))
    if isinstance(e, MemoryError):
        return "out of memory (the input is too large for this board)"
    if isinstance(e, RecursionError):
        return "input nested too deeply"
    if isinstance(e, OSError):
        where = "%s: " % e.filename if getattr(e, "filename", None) else ""
        return one_line("%s%s" % (where, e.strerror or e))
    if isinstance(e, sqlite3.Error):
        return one_line("database error: %s" % e)
    log.debug("internal error", exc_info=e)
    return one_line("internal error: %s: %s (run with --log-level DEBUG for details)" % (type(e).__name__, e))


if __name__ == "__main__":
    sys.exit(main())
