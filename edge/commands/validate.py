"""edge validate KIND FILE.json  -- check a record (or a JSON array of records) against the spec.

Exit 0 and "FILE: ok" when valid; exit 1 and one `field: rule` line per problem otherwise
(`[i].field: rule` for item i of an array). Unreadable or non-JSON files exit 2. The file is
read like every other input (edge/inputs.py): UTF-8 with or without BOM, or GBK/GB18030.
"""
from decimal import Decimal

from edge.domain.records import CLI_KINDS, KINDS


def add_arguments(p):
    from edge.commands.example import ALIASES
    import argparse

    def kind_word(text):
        k = ALIASES.get(text, text)
        if k not in KINDS:
            raise argparse.ArgumentTypeError("%r: one of %s" % (text, ", ".join(CLI_KINDS)))
        return k
    p.add_argument("kind", type=kind_word, metavar="KIND", help="one of: %s (plural works too)" % ", ".join(CLI_KINDS))
    p.add_argument("file", metavar="FILE.json", help="a JSON object, or an array of them ('-' = stdin)")
    p.add_argument("--platform", choices=("yunnan", "ningxia"), default="yunnan",
                   help="whose code tables vehicle/fuel/use types are checked against (default yunnan)")


def _load(path):
    from edge import inputs
    # Decimal keeps "102.500000" as written, so the 6-decimal rule sees trailing zeros
    return inputs.read_json(path, "file", parse_float=Decimal)


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
    if ctx.json:
        ctx.emit({"file": args.file, "kind": args.kind, "ok": not problems,
                  "problems": [{"field": f, "rule": r} for f, r in problems]})
        return 1 if problems else 0
    if not problems:
        print("%s: ok" % args.file)
        return 0
    print("%s: invalid %s (%d problem%s)" % (args.file, what, len(problems), "" if len(problems) == 1 else "s"))
    for f, r in problems:
        print("  %s: %s" % (f, r))
    return 1
