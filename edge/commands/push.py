"""edge push enterprise | cameras | vehicles | machinery | exceed-verification FILE

enterprise (6.3) and cameras (6.4) come from the config; vehicles (6.11) and machinery (6.12)
from the local ledger (`edge ledger import`). Ledger entries are sent when pending (new or
changed since their last upload) or all of them with --all. exceed-verification (6.14)
uploads the verification results in FILE (JSON object or list, 6.14 field names). Each body is validated first;
exit 1 if any entry failed (each printed with the platform's reason), 0 when all went up.
"""
import sys

from edge.commands._yunnan import run_client
from edge.errors import ValidationError

WHAT = ("enterprise", "cameras", "vehicles", "machinery", "exceed-verification")
# singular and plural both work: `edge push vehicle` is what people type
WORDS = {"enterprise": "enterprise", "enterprises": "enterprise", "camera": "cameras", "cameras": "cameras",
         "vehicle": "vehicles", "vehicles": "vehicles", "machinery": "machinery", "machine": "machinery",
         "machines": "machinery", "exceed-verification": "exceed-verification",
         "exceed-verifications": "exceed-verification"}


def what_word(text):
    import argparse
    try:
        return WORDS[text]
    except KeyError:
        raise argparse.ArgumentTypeError("%r: one of %s" % (text, ", ".join(WHAT))) from None


def add_arguments(p):
    p.add_argument("what", type=what_word, metavar="|".join(WHAT))
    p.add_argument("file", nargs="?", help="exceed-verification: JSON file of 6.14 records")
    p.add_argument("--all", action="store_true", help="vehicles/machinery: upload every entry, not only pending ones")


def _validate(kind, body, what):
    from edge.domain.validate import validate
    problems = validate(kind, body)
    if problems:
        raise ValidationError(problems, what)


def run(args, ctx):
    from edge.uplink.yunnan import payloads
    from edge.uplink.yunnan.client import PlatformError
    config = ctx.config
    if args.what == "exceed-verification":
        return _push_verification(args, config)
    if args.file:   # silently pushing the ledger instead of the file would look like it was sent
        from edge.errors import EdgeError
        hint = "; import it first with `edge ledger import %s FILE`" % args.what if args.what in (
            "vehicles", "machinery") else " (it comes from the config)"
        raise EdgeError("push %s takes no FILE (%s)%s" % (args.what, args.file, hint))
    if args.what in ("enterprise", "cameras"):
        if args.what == "enterprise":
            bodies = [("enterprise", payloads.enterprise_payload(config))]
        else:
            bodies = [("camera", b) for b in payloads.camera_payloads(config)]
            if not bodies:
                print("no [[cameras]] in the config: nothing to push")
                return 0
        for kind, body in bodies:
            _validate(kind, body, "%s %s" % (kind, body.get("cameraId", body.get("enterpriseId"))))

        async def go(client):
            out = []
            for kind, body in bodies:
                call = client.upload_enterprise if kind == "enterprise" else client.upload_camera
                answer, _ = await call(body)
                out.append((body.get("cameraId") or body["enterpriseId"], answer))
            return out

        for ident, answer in run_client(config, go):
            from edge.logsetup import clean
            code, msg = clean(answer.get("code"), 40), clean(answer.get("message") or "")
            ctx.emit({"what": args.what, "id": ident, "code": code, "message": msg},
                     "%s %s: code %s %s" % (args.what.rstrip("s"), ident, code, msg))
        return 0

    from edge.store.ledger import Ledger
    kind = args.what
    ledger = Ledger.open(config.state_dir)
    try:
        todo = ledger.ids(kind, pending_only=not args.all)
        if not todo:
            print("%s: nothing pending (%d in the ledger; --all re-sends them)" % (kind, ledger.count(kind)))
            return 0

        async def go(client):
            ok = failed = 0
            upload = client.upload_vehicle if kind == "vehicles" else client.upload_machinery
            for oid in todo:
                try:
                    await upload(ledger.payload(kind, oid))
                except PlatformError as e:
                    if e.transient:
                        raise
                    ledger.mark_uploaded(kind, oid, error=e.message)
                    print("%s %s: refused: %s" % (kind, oid, e.message), file=sys.stderr)
                    if ctx.json:
                        ctx.emit({"what": kind, "id": oid, "refused": e.message})
                    failed += 1
                    continue
                ledger.mark_uploaded(kind, oid)
                ok += 1
            return ok, failed

        ok, failed = run_client(config, go)
    finally:
        ledger.close()
    ctx.emit({"what": kind, "uploaded": ok, "refused": failed}, "%s: %d uploaded, %d refused" % (kind, ok, failed))
    return 1 if failed else 0


def _push_verification(args, config):
    from pathlib import Path

    from edge.errors import EdgeError
    from edge.store.ledger import read_rows
    if not args.file or not Path(args.file).is_file():
        raise EdgeError("exceed-verification needs a JSON FILE of 6.14 records")
    rows = read_rows(args.file)
    problems = []
    for n, row in enumerate(rows, 1):
        from edge.domain.validate import validate
        problems += [("row %d %s" % (n, f), rule) for f, rule in validate("exceed-verification", row)]
    if problems:
        raise ValidationError(problems, "exceed verification file")

    from edge.store.platform_cache import PlatformCache

    async def go(client):
        with PlatformCache.open(config.state_dir) as cache:
            for row in rows:
                await client.upload_exceed_verification(row)
                cache.put_verification(row)      # accepted: the gate may now let a 不超标 vehicle in
        return len(rows)

    print("exceed verifications: %d uploaded" % run_client(config, go))
    return 0
