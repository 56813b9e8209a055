"""edge hj212 encode --cn 60001 < fields.json   |   edge hj212 decode < packets

encode: a JSON object keyed by the Ningxia element names (MN, DATE, F_CPHM, F_JCZP, ...) is
checked against the CN's table (7.3) and printed as HJ 212 packet(s), one per line (CR LF is
part of each packet). QN (now, Beijing), ST (31), CN (--cn), PW and Flag (edition, answer
required) are filled in when absent; MN comes from the config's [uplink.hj212] when --config
is given, else the JSON must hold it.
decode: reads packets from stdin (a byte stream; anything between packets is skipped),
checks length and CRC, reassembles split messages and prints one JSON object per message:
{"fields": {...}, "packets": N, "crc": "ok", "edition": "2017"|"2025"|null (from the Flag)}. A bad packet is an error (exit 2).
"""
import json
import sys

from edge import timeutil
from edge.errors import EdgeError, ValidationError
from edge.uplink.hj212 import codec, edition, messages


def add_arguments(p):
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    e = sub.add_parser("encode", help="JSON fields on stdin -> HJ 212 packet(s) on stdout")
    e.add_argument("--cn", required=True, choices=sorted(messages.FIELDS), help="message: 60001 access, "
                   "60002 gate video, 60003 enterprise status")
    e.add_argument("--edition", choices=sorted(edition.VERSIONS),
                   help="HJ 212 edition for Flag (default: config, else 2017)")
    from edge.cli import int_range
    e.add_argument("--max-segment", type=int_range(64, codec.LENGTH_LIMIT),
                   help="split above this many data-segment bytes (default: config, else %d)" % codec.STANDARD_SEGMENT)
    e.add_argument("--no-check", action="store_true", help="skip the 7.3 field-table check (still HJ 212 syntax)")
    sub.add_parser("decode", help="HJ 212 packets on stdin -> one JSON object per message")


def _settings(args, ctx):
    if getattr(args, "config", None):
        return ctx.config.uplink.hj212
    return None


def _encode(args, ctx):
    from edge import inputs
    data = inputs.parse_json(inputs.read_text("-"), "stdin")
    if not isinstance(data, dict):
        raise ValidationError([("(stdin)", "must be a JSON object keyed by element names")], "fields")
    problems = [(k, "value must be text or a number") for k, v in data.items()
                if not isinstance(v, (str, int, float)) or isinstance(v, bool)]
    if problems:
        raise ValidationError(problems, "fields")
    fields = {k: str(v) for k, v in data.items()}
    s = _settings(args, ctx)
    ed = args.edition or (s.edition if s else edition.DEFAULT_EDITION)
    if str(fields.get("CN", args.cn)) != args.cn:
        raise ValidationError([("CN", "JSON says %s but --cn says %s" % (fields["CN"], args.cn))], "fields")
    head = {"QN": timeutil.stamp_ms(timeutil.now()), "ST": (s.st if s else messages.ST), "CN": args.cn,
            "PW": (s.pw if s else "123456"), "Flag": str(edition.flag(ed))}
    if s:
        head["MN"] = s.mn
    for k, v in head.items():
        fields.setdefault(k, v)
    if not args.no_check:
        problems = messages.check_fields(args.cn, fields)
        if problems:
            raise ValidationError(problems, "CN %s fields" % args.cn)
    ordered = [(k, fields[k]) for k in codec.HEADER_KEYS if k in fields]
    order = [f[0] for f in messages.FIELDS[args.cn]]
    rest = [k for k in fields if k not in codec.HEADER_KEYS]
    rest.sort(key=lambda k: order.index(k) if k in order else len(order))
    ordered += [(k, fields[k]) for k in rest]
    max_segment = args.max_segment or (s.max_segment if s else codec.STANDARD_SEGMENT)
    try:
        packets = codec.encode(ordered, max_segment)
    except codec.Hj212Error as e:
        raise ValidationError([(e.field, e.rule)], "fields") from None
    out = sys.stdout.buffer
    for p in packets:
        out.write(p)
    out.flush()
    return 0


def _decode(args, ctx):
    splitter = codec.StreamSplitter()
    parts = codec.Reassembler(max_pending=1024)
    n = 0
    from edge import inputs
    data = inputs.read_bytes("-")       # bounded: /dev/zero on stdin is refused, not read forever
    for raw in splitter.feed(data):
        n += 1
        try:
            msg = parts.feed(codec.parse_packet(raw))
        except codec.Hj212Error as e:
            from edge.logsetup import clean
            raise EdgeError("packet %d: %s" % (n, clean(e, 300))) from None
        if msg is not None:
            ed = edition.edition_of(int(msg.get("Flag", "0")))
            print(json.dumps({"fields": msg.as_dict(), "packets": msg.packets, "crc": "ok", "edition": ed},
                             ensure_ascii=False),
                  flush=True)
    if splitter.buf.strip():
        raise EdgeError("input ends inside a packet (%d bytes left over)" % len(splitter.buf))
    if parts.pending():
        raise EdgeError("%d split message(s) incomplete: packets missing" % parts.pending())
    if n == 0:
        raise EdgeError("no HJ 212 packet (##dddd...CRC CR LF) found on stdin")
    return 0


def run(args, ctx):
    return _encode(args, ctx) if args.action == "encode" else _decode(args, ctx)
