"""edge ledger import vehicles|machinery FILE | list vehicles|machinery

import: CSV or JSON, as an installer's spreadsheet gives it: UTF-8 (BOM or not) or GBK/GB18030
(Excel on Chinese Windows), a header row of Yunnan 6.11/6.12 field names or their Chinese
names (车牌号码, 车牌颜色, 车辆识别代码…), code fields by code or by name (黄牌, 柴油). Image
fields hold a JPEG path (relative to FILE) or a data:image/jpeg;base64 URL. Every row is
validated before anything is stored; one bad row rejects the import with one
`row N field: rule` line per problem. A vehicle already in the ledger (same VIN, or same plate
and colour) is updated in place; a new one gets the next free vehicleId. Missing enterpriseId
comes from [site]. Changed entries become pending for `edge push`.
"""
from pathlib import Path

from edge.errors import EdgeError
from edge.store import ledger as ledger_mod

# singular and plural are both accepted: `edge ledger import vehicle FILE` is what people type
KIND_WORDS = {"vehicles": "vehicles", "vehicle": "vehicles", "machinery": "machinery", "machine": "machinery",
              "machines": "machinery"}


def kind_word(text):
    import argparse
    try:
        return KIND_WORDS[text]
    except KeyError:
        raise argparse.ArgumentTypeError("%r: must be vehicles or machinery" % text) from None


def add_arguments(p):
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    i = sub.add_parser("import", help="import vehicles or machinery from CSV/JSON")
    i.add_argument("kind", type=kind_word, metavar="vehicles|machinery")
    i.add_argument("file")
    ls = sub.add_parser("list", help="list ledger entries with their upload state")
    ls.add_argument("kind", type=kind_word, metavar="vehicles|machinery")


def run(args, ctx):
    config = ctx.config
    if args.action == "import":
        path = Path(args.file)
        rows = ledger_mod.read_rows(path, args.kind)
        if not rows:
            raise EdgeError("%s holds no rows" % path)
        with ledger_mod.Ledger.open(config.state_dir) as led:
            entries = ledger_mod.prepare(args.kind, rows, path.parent, config.site.enterprise_id, led)
            changed = led.put_many(args.kind, entries)
            total = led.count(args.kind)
        ctx.emit({"kind": args.kind, "rows": len(rows), "changed": changed, "total": total},
                 "%s: %d row(s) read, %d new or changed (pending upload), %d in the ledger"
                 % (args.kind, len(rows), changed, total))
        return 0
    from edge.store.statedir import ensure
    ensure(config.state_dir, create=False)
    path = config.state_dir / ledger_mod.Ledger.FILENAME
    if not path.is_file():
        raise EdgeError("no ledger yet in %s (edge ledger import %s FILE)" % (config.state_dir, args.kind))
    with ledger_mod.Ledger(path) as led:
        for r in led.status(args.kind):
            state = "uploaded %s" % r["uploaded_at"] if r["uploaded_at"] else "pending"
            if r["upload_error"]:
                state += " (refused: %s)" % r["upload_error"]
            ctx.emit(r, "%s\t%s\t%s" % (r["id"], r["plate_key"] or "-", state))
    return 0
