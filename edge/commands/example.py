"""edge example KIND  -- print a valid example record (pretty JSON) to start a ledger file from.

KIND is a record kind (vehicle, camera, access…; the plural works too: vehicles) or an HJ 212
message, hj212-60001 / hj212-60002 / hj212-60003: a JSON object of Ningxia element names that
`edge hj212 encode --cn 60001` takes as it is (F_JCZP holds a small real JPEG).
"""
import argparse
import json

from edge.domain.records import CLI_KINDS, KINDS

HJ212_KINDS = ("hj212-60001", "hj212-60002", "hj212-60003")
# what people type -> the kind
ALIASES = {"vehicles": "vehicle", "cameras": "camera", "enterprises": "enterprise", "machines": "machinery",
           "machine": "machinery", "records": "access", "access-record": "access",
           "exceed-verifications": "exceed-verification", "strategies": "strategy", "alarms": "alarm",
           "60001": "hj212-60001", "60002": "hj212-60002", "60003": "hj212-60003"}


def kind_word(text):
    k = ALIASES.get(text, text)
    if k not in KINDS and k not in HJ212_KINDS:
        raise argparse.ArgumentTypeError("%r: one of %s" % (text, ", ".join(list(CLI_KINDS) + list(HJ212_KINDS))))
    return k


def add_arguments(p):
    p.add_argument("kind", type=kind_word, metavar="KIND",
                   help="one of: %s" % ", ".join(list(CLI_KINDS) + list(HJ212_KINDS)))
    p.add_argument("--fields", action="store_true",
                   help="list the kind's fields (required, type, length, code table) instead")


def hj212_example(kind: str) -> dict:
    """Element names -> values for `edge hj212 encode --cn <CN>` (the header is filled by encode,
    except MN, which comes from [uplink.hj212] or from here)."""
    import io

    from PIL import Image

    from edge.domain.examples import example
    from edge.uplink.hj212 import messages
    cn = kind.split("-", 1)[1]
    date14 = "20250820083045"
    if cn == messages.CN_ACCESS:
        buf = io.BytesIO()
        Image.new("RGB", (48, 32), (40, 90, 160)).save(buf, "JPEG", quality=70)
        items = messages.access_fields(example("access"), {"carHeadImg": buf.getvalue(), "carImg": buf.getvalue()},
                                       "A出入口A01道闸")
    elif cn == messages.CN_VIDEO:
        cam = dict(example("camera"), rtsp_url="rtsp://127.0.0.1:8554/lane")
        items = messages.video_fields(cam, date14)
    else:
        items = messages.status_fields("正常", "正常", date14)
    return dict([("MN", "91640100MA76XYZ12X")] + list(items))


def run(args, ctx):
    from edge.domain.examples import example
    if args.kind in HJ212_KINDS:
        if args.fields:
            from edge.uplink.hj212 import messages
            for name, kind, required, rule in messages.FIELDS[args.kind.split("-", 1)[1]]:
                print("  %-12s %-8s %s%s" % (name, kind, "required" if required else "optional",
                                             "" if rule is None else ", %s" % (rule if isinstance(rule, int) else "/".join(rule))))
            return 0
        print(json.dumps(hj212_example(args.kind), ensure_ascii=False, indent=None if ctx.json else 2))
        return 0
    if args.fields:
        _print_fields(args.kind)
        return 0
    print(json.dumps(example(args.kind), ensure_ascii=False, indent=None if ctx.json else 2))
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
