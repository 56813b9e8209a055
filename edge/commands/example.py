"""edge example KIND  -- print a valid example record (pretty JSON) to start a ledger file from."""
import json

from edge.domain.records import CLI_KINDS, KINDS


def add_arguments(p):
    p.add_argument("kind", choices=list(CLI_KINDS) + [k for k in KINDS if k not in CLI_KINDS],
                   metavar="KIND", help="one of: %s" % ", ".join(CLI_KINDS))
    p.add_argument("--fields", action="store_true",
                   help="list the kind's fields (required, type, length, code table) instead")


def run(args, ctx):
    from edge.domain.examples import example
    if args.fields:
        _print_fields(args.kind)
        return 0
    print(json.dumps(example(args.kind), ensure_ascii=False, indent=2))
    return 0


def _print_fields(kind_name):
    from edge.domain.records import LENGTH_SOURCES, kind
    k = kind(kind_name)
    print("%s — Yunnan %s %s" % (kind_name, k["section"], k["title"]))
    if kind_name in LENGTH_SOURCES:
        print("lengths: %s" % LENGTH_SOURCES[kind_name])
    for f in k["fields"] + list(k.get("extras", ())):
        bits = ["required" if f["required"] else "optional", f["type"]]
        if "max" in f:
            bits.append("max %d" % f["max"])
        if "size" in f:
            bits.append("exactly %d" % f["size"])
        if "table" in f:
            bits.append(f["table"])
        if "format" in f:
            bits.append(f["format"])
        print("  %-20s %-28s %s" % (f["name"], f["label"], ", ".join(bits)))
