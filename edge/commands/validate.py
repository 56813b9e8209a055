"""edge validate KIND FILE.json  -- check a record (or a JSON array of records) against the spec.

Exit 0 and "FILE: ok" when valid; exit 1 and one `field: rule` line per problem otherwise
(`[i].field: rule` for item i of an array). Unreadable or non-JSON files exit 2.
"""
import json
import sys
from decimal import Decimal

from edge.domain.records import CLI_KINDS, KINDS
from edge.errors import EdgeError


def add_arguments(p):
    p.add_argument("kind", choices=list(CLI_KINDS) + [k for k in KINDS if k not in CLI_KINDS],
                   metavar="KIND", help="one of: %s" % ", ".join(CLI_KINDS))
    p.add_argument("file", metavar="FILE.json", help="a JSON object, or an array of them ('-' = stdin)")
    p.add_argument("--platform", choices=("yunnan", "ningxia"), default="yunnan",
                   help="whose code tables vehicle/fuel/use types are checked against (default yunnan)")


def _load(path):
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
    except FileNotFoundError:
        raise EdgeError("%s: no such file" % path) from None
    except UnicodeDecodeError:
        raise EdgeError("%s: not UTF-8 text" % path) from None
    except OSError as e:
        raise EdgeError("%s: %s" % (path, e.strerror or e)) from None
    try:
        # Decimal keeps "102.500000" as written, so the 6-decimal rule sees trailing zeros
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as e:
        raise EdgeError("%s: not valid JSON: %s (line %d column %d)" % (path, e.msg, e.lineno, e.colno)) from None


def run(args, ctx):
    from edge.domain.validate import validate
    data = _load(args.file)
    if isinstance(data, list):
        problems = []
        for i, item in enumerate(data):
            problems += [("[%d].%s" % (i, f), r) for f, r in validate(args.kind, item, args.platform)]
        what = "%d %s records" % (len(data), args.kind)
    else:
        problems = validate(args.kind, data, args.platform)
        what = "%s record" % args.kind
    if not problems:
        print("%s: ok" % args.file)
        return 0
    print("%s: invalid %s (%d problem%s)" % (args.file, what, len(problems), "" if len(problems) == 1 else "s"))
    for f, r in problems:
        print("  %s: %s" % (f, r))
    return 1
