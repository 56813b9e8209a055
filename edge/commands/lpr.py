"""edge lpr [--crop] [--json] [--threads N] [--variant fp32|fp16] [--no-zoom] [--ledger FILE] IMAGE...

Reads licence plates in photos with the board's TFLite models. Full scenes by default (detect,
rectify, recognise); --crop for images that already are one plate. A file that cannot be read
is reported by name and the others are still processed; the exit status is then 1.
--ledger FILE (one plate a line, or the ledger CSV with a licensePlate/plate/车牌号 column):
reads are checked against the registered plates; a read the recogniser itself finds doubtful
snaps to the one registered plate its probabilities allow, and says so (edge.vision.plates.ledger_snap).
"""
import json
import os
import sys


def add_arguments(p):
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files (JPEG/PNG/BMP)")
    p.add_argument("--crop", action="store_true", help="each image already is one plate")
    p.add_argument("--json", action="store_true",
                   help='one JSON object per plate: {"file","plate","color","confidence","box",...}')
    from edge.cli import float_range, int_range   # out-of-range values: one line, not a traceback
    p.add_argument("--threads", type=int_range(0, 64), default=0, help="interpreter threads (default: config/board, else 1)")
    p.add_argument("--variant", choices=("fp32", "fp16"), help="model precision (default: config, else fp32)")
    p.add_argument("--models-dir", "--models", dest="models", metavar="DIR",
                   help="models directory (default: config, else the installed models/)")
    p.add_argument("--min-confidence", type=float_range(0, 1), help="hide reads below this confidence")
    p.add_argument("--no-zoom", action="store_true",
                   help="no second pass over zoomed tiles when a scene gives no valid read")
    p.add_argument("--ledger", metavar="FILE",
                   help="registered plates (one a line, or the ledger CSV): check reads against them")


def _settings(args, ctx):
    """Vision settings and board threads when a config is reachable; a technician's laptop
    without /etc/edge/edge.toml still gets defaults."""
    from edge.errors import EdgeError
    threads, delegate, vision = 1, "", None
    if args.config or os.environ.get("EDGE_CONFIG") or os.path.exists("/etc/edge/edge.toml"):
        try:
            vision = ctx.config.vision
            inf = ctx.board.inference
            threads, delegate = vision.threads or inf.threads, inf.delegate
        except EdgeError:
            if args.config:
                raise
    return vision, threads, delegate


def _plain(path, reads, crop):
    if not reads:
        print("%s: no plate found" % path)
        return
    for r in reads:
        extra = ""
        if r.get("color_uncertain"):
            extra += "  (colour uncertain)"
        if r.get("ledger") == "snapped":
            extra += "  [ledger: read %s, snapped (ratio %.3g)]" % (r["snapped_from"], r["snap"]["ratio"])
        elif r.get("ledger") == "exact":
            extra += "  [ledger: registered]"
        elif r.get("ledger") == "absent":
            extra += "  [ledger: not registered]"
        if r["reason"]:
            extra += "  (!) " + r["reason"]
        where = "" if crop else "  at %d,%d-%d,%d" % tuple(r["box"])
        print("%s: %s  %s (code %s)  confidence %.2f%s%s" % (
            path, r["plate"] or "?", r["color"], r["color_code"], r["confidence"], where, extra))


def run(args, ctx):
    from edge.errors import EdgeError
    vision, threads, delegate = _settings(args, ctx)
    threads = args.threads or threads
    variant = args.variant or (vision.plate_variant if vision else "fp32")
    models = args.models or (vision.models_dir if vision else "")
    min_conf = args.min_confidence if args.min_confidence is not None else (
        vision.plate_min_confidence if vision else 0.0)
    det_thr = vision.plate_detect_threshold if vision else 0.3
    zoom = not args.no_zoom   # photos come in any framing; the lane's own choice is [vision] plate_zoom

    from edge.vision.plates import PlateReader
    ledger = None
    if args.ledger:
        from edge.vision.plates.ledger_snap import PlateIndex
        try:
            ledger = PlateIndex.load(args.ledger)
        except (OSError, UnicodeDecodeError) as e:
            raise EdgeError("ledger %s: cannot read (%s)" % (args.ledger, getattr(e, "strerror", None) or e))
        except ValueError as e:
            raise EdgeError(str(e))
        if not len(ledger):
            raise EdgeError("ledger %s: no plates in it" % args.ledger)
    reader = PlateReader(models, threads=threads, delegate=delegate, variant=variant,
                         score_threshold=det_thr, min_confidence=min_conf, zoom=zoom,
                         color_prior=vision.plate_color_prior if vision else True,
                         color_polarity=vision.plate_color_polarity if vision else True)
    failed = 0
    from edge.vision.images import load_image
    for path in args.images:
        try:   # bounded: header checked before decoding; FIFOs, devices and folders refused
            img = load_image(path)
        except EdgeError as e:
            if len(args.images) == 1:   # one input: one line
                raise EdgeError("no image could be read: %s" % e) from None
            print("edge lpr: %s" % e, file=sys.stderr)
            failed += 1
            continue
        if args.crop:
            r = reader.read_crop(img, ledger=ledger)
            reads = [r] if r["plate"] and r["confidence"] >= min_conf else []
        else:
            reads = reader.read(img, ledger=ledger)
        if args.json:
            for r in reads:
                print(json.dumps(dict({"file": path}, **r), ensure_ascii=False))
        else:
            _plain(path, reads, args.crop)
        sys.stdout.flush()
    if failed:
        if failed == len(args.images):
            raise EdgeError("no image could be read (%d file%s)" % (failed, "s" if failed > 1 else ""))
        return 1
    return 0
