"""edge ledger import vehicles|machinery FILE | list vehicles|machinery

import: CSV (header row of Yunnan 6.11/6.12 field names) or JSON; image fields hold a JPEG
path (relative to FILE) or a data:image/jpeg;base64 URL. Every row is validated before
anything is stored; one bad row rejects the import with one `row N field: rule` line per
problem. Missing enterpriseId comes from [site]; a missing vehicleId/machineryId gets the next
free sequence number. Changed entries become pending for `edge push`.
"""
from pathlib import Path

from edge.errors import EdgeError
from edge.store import ledger as ledger_mod


def add_arguments(p):
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    i = sub.add_parser("import", help="import vehicles or machinery from CSV/JSON")
    i.add_argument("kind", choices=tuple(ledger_mod.KINDS))
    i.add_argument("file")
    ls = sub.add_parser("list", help="list ledger entries with their upload state")
    ls.add_argument("kind", choices=tuple(ledger_mod.KINDS))


def run(args, ctx):
    config = ctx.config
    if args.action == "import":
        path = Path(args.file)
        if not path.is_file():
            raise EdgeError("%s: no such file" % path)
        rows = ledger_mod.read_rows(path)
        if not rows:
            raise EdgeError("%s holds no rows" % path)
        with ledger_mod.Ledger.open(config.state_dir) as led:
            entries = ledger_mod.prepare(args.kind, rows, path.parent, config.site.enterprise_id, led)
            changed = led.put_many(args.kind, entries)
            total = led.count(args.kind)
        print("%s: %d row(s) read, %d new or changed (pending upload), %d in the ledger"
              % (args.kind, len(rows), changed, total))
        return 0
    with ledger_mod.Ledger.open(config.state_dir) as led:
        for r in led.status(args.kind):
            state = "uploaded %s" % r["uploaded_at"] if r["uploaded_at"] else "pending"
            if r["upload_error"]:
                state += " (refused: %s)" % r["upload_error"]
            print("%s\t%s\t%s" % (r["id"], r["plate_key"] or "-", state))
    return 0
