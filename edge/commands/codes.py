"""edge codes [--json] [TABLE]  -- print the spec code tables (Yunnan appendix, Ningxia ch. 8)."""
import json

from edge.errors import EdgeError


def add_arguments(p):
    p.add_argument("table", nargs="?", metavar="TABLE",
                   help="one table, e.g. yunnan.plate_color (default: all); a prefix such as "
                        "'yunnan' or 'ningxia' selects that platform's tables")
    p.add_argument("--json", action="store_true",
                   help='print {"table": {"code": "name", ...}, ...}')
    p.add_argument("--fixes", action="store_true", help="list the typos corrected from the spec text")


def _select(name):
    from edge.domain.codes import TABLES
    if not name:
        return sorted(TABLES)
    if name in TABLES:
        return [name]
    names = sorted(t for t in TABLES if t.startswith(name.rstrip(".") + "."))
    if not names:
        raise EdgeError("no code table %r; known: %s" % (name, ", ".join(sorted(TABLES))))
    return names


def run(args, ctx):
    from edge.domain.codes import FIXES, SOURCES, TABLES
    if args.fixes:
        for table, code, name, new_code, new_name, why in FIXES:
            print("%s: printed %s %s -> %s %s (%s)" % (table, code, name, new_code, new_name, why))
        return 0
    names = _select(args.table)
    if args.json:   # JSON lines: one table per line
        for n in names:
            print(json.dumps({"table": n, "source": SOURCES.get(n), "codes": TABLES[n]}, ensure_ascii=False))
        return 0
    for i, n in enumerate(names):
        if i:
            print()
        print("%s  (%s, %d codes)" % (n, SOURCES.get(n, "?"), len(TABLES[n])))
        for code, name in TABLES[n].items():
            print("  %-6s %s" % (code, name))
    return 0
