"""edge record demo --count N: synthetic access records through the lane's recording path.

Each record gets two generated photos (a truck-ish scene with a plate, stamped like a real
one) and goes through edge.lane.recorder.Recorder — the same code the lane runs after a
decision — into the outbox. Each recordId is printed on its own line the moment the record
is durable, so a soak test or benchmark can kill us at any time and trust every printed id.

Demo records are real records to the uploader: on a production board or against a real
platform they would be reported as trucks that never came. So it refuses unless the board is
the simulated one and every platform is on this machine (loopback), or --force is given.
"""
from __future__ import annotations

import json
import random
import sys
import time

from PIL import Image, ImageDraw

from edge.domain import ids
from edge.errors import EdgeError

PROVINCES = "云川贵渝桂粤湘鄂陕甘宁青藏新京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫琼"
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I / O on plates
COLORS = {"blue": ((20, 60, 170), (255, 255, 255)), "yellow": ((240, 190, 20), (0, 0, 0)),
          "green": ((60, 190, 90), (0, 0, 0)), "yellow_green": ((160, 200, 40), (0, 0, 0))}
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def add_arguments(p):
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    d = sub.add_parser("demo", help="create N synthetic access records (with photos) via the lane's path")
    from edge.cli import float_range, int_range
    d.add_argument("--count", type=int_range(1, 1_000_000), default=1, help="how many records (default 1)")
    d.add_argument("--interval", type=float_range(0, 3600), default=0.0, metavar="S", help="pause between records")
    d.add_argument("--seed", type=int, default=None, help="random seed (repeatable plates/photos)")
    d.add_argument("--size", type=photo_size, default=(640, 360), metavar="WxH",
                   help="photo size WxH, 16..4096 each (default 640x360)")
    d.add_argument("--force", action="store_true",
                   help="also on a real board or against a platform that is not on this machine")


def photo_size(text):
    import argparse
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError("%r must be WxH, e.g. 640x360" % text) from None
    if not (16 <= w <= 4096 and 16 <= h <= 4096):
        raise argparse.ArgumentTypeError("%s: width and height must be 16..4096" % text)
    return w, h


def refuse_unless_demo_safe(config, board) -> None:
    """Demo records go to the platform like real ones: only on the sim board, only to platforms
    on this machine, unless --force."""
    from edge.config import loopback_host
    if not board.simulated:
        raise EdgeError("refusing to make demo records on board %r (%s): they would be uploaded as real "
                        "passages; use --force if this is a test board" % (board.key, board.name))
    hosts = []
    y, h = config.uplink.yunnan, config.uplink.hj212
    if "yunnan" in config.uplink.destinations and y is not None:
        from urllib.parse import urlsplit
        hosts.append(("[uplink.yunnan] base_url", urlsplit(y.base_url).hostname or ""))
    if "hj212" in config.uplink.destinations and h is not None:
        hosts.append(("[uplink.hj212] host", h.host))
    for where, host in hosts:
        if not loopback_host(host):
            raise EdgeError("refusing to make demo records: %s is %s, not this machine — the platform would "
                            "receive trucks that never came; use --force if it is a test platform" % (where, host))


def random_plate(rng: random.Random) -> str:
    tail = "".join(rng.choice(LETTERS + "0123456789") for _ in range(4)) + rng.choice("0123456789")
    return rng.choice(PROVINCES) + rng.choice(LETTERS) + tail


def render_scene(plate: str, color: str, size=(640, 360), view: str = "head", seed: int = 0) -> Image.Image:
    """A simple truck with its plate: `view` "head" (front, plate large) or "body" (side)."""
    from edge.vision.annotate import font
    w, h = size
    rng = random.Random(seed)
    img = Image.new("RGB", size, (150 + rng.randrange(40), 180 + rng.randrange(40), 210))
    d = ImageDraw.Draw(img)
    d.rectangle([0, int(h * 0.62), w, h], fill=(90, 90, 95))            # road
    cab = tuple(rng.randrange(40, 220) for _ in range(3))
    bg, fg = COLORS.get(color, COLORS["blue"])
    if view == "head":
        x0, x1, y0, y1 = int(w * .25), int(w * .75), int(h * .15), int(h * .82)
        d.rectangle([x0, y0, x1, y1], fill=cab, outline=(20, 20, 20), width=3)
        d.rectangle([x0 + 20, y0 + 15, x1 - 20, int(h * .42)], fill=(40, 60, 80))   # windscreen
        d.rectangle([x0 + 10, int(h * .52), x1 - 10, int(h * .62)], fill=(60, 60, 60))  # grille
        pw, ph = int(w * .22), int(h * .08)
        px, py = (w - pw) // 2, int(h * .66)
    else:
        d.rectangle([int(w * .08), int(h * .22), int(w * .62), int(h * .72)], fill=(110, 110, 120),
                    outline=(20, 20, 20), width=3)                          # cargo box
        d.rectangle([int(w * .63), int(h * .32), int(w * .9), int(h * .72)], fill=cab,
                    outline=(20, 20, 20), width=3)                          # cab
        for cx in (.18, .34, .78):
            r = int(h * .08)
            d.ellipse([int(w * cx) - r, int(h * .72) - r, int(w * cx) + r, int(h * .72) + r], fill=(20, 20, 20))
        pw, ph = int(w * .12), int(h * .05)
        px, py = int(w * .72), int(h * .62)
    d.rectangle([px, py, px + pw, py + ph], fill=bg, outline=(230, 230, 230), width=2)
    f = font(max(8, int(ph * .8)))
    tw = d.textlength(plate, font=f)
    d.text((px + (pw - tw) / 2, py + ph * .05), plate, font=f, fill=fg)
    return img


def demo_vehicle(enterprise_id: str, n: int, plate: str, color: str, vin: str) -> dict:
    """A ledger entry (6.11) for the demo truck: the spec example with this truck's identity."""
    from edge.domain import codes
    from edge.domain.examples import example
    v = example("vehicle")
    v.update(vehicleId=ids.vehicle_id(enterprise_id, n % 99999 + 1), enterpriseId=enterprise_id,
             licensePlate=plate, plateColor=codes.plate_color_code(color), vin=vin)
    return v


def demo_passage(rng: random.Random, enterprise_id: str, n: int, size=(640, 360)) -> dict:
    plate = random_plate(rng)
    color = rng.choice(["yellow", "yellow", "blue", "green", "yellow_green"])
    vin = "".join(rng.choice(VIN_CHARS) for _ in range(17))
    seed = rng.randrange(1 << 30)
    return {
        "plate": plate, "plate_color": color, "access_type": rng.choice("01"),
        "photos": {"carHeadImg": render_scene(plate, color, size, "head", seed),
                   "carImg": render_scene(plate, color, size, "body", seed)},
        "pass_mode": "auto",
        "vehicle": demo_vehicle(enterprise_id, n, plate, color, vin),
        "cargo_type": rng.choice(["生产原料", "煤炭", "钢材", "矿石"]),
        "cargo_weight": "%.1f" % rng.uniform(5, 40), "cargo_unit": "T",
    }


def run(args, ctx):
    from edge.lane.recorder import Recorder
    from edge.store.outbox import Outbox
    w, h = args.size
    config = ctx.config
    if not args.force:
        refuse_unless_demo_safe(config, ctx.board)
    rng = random.Random(args.seed)
    outbox = Outbox.from_config(config)
    try:
        rec = Recorder.from_config(outbox, config)
        for i in range(args.count):
            record = rec.record(demo_passage(rng, config.site.enterprise_id, outbox.seq() + 1, (w, h)))
            sys.stdout.write((json.dumps({"recordId": record["recordId"], "licensePlate": record["licensePlate"]},
                                         ensure_ascii=False) if ctx.json else record["recordId"]) + "\n")
            sys.stdout.flush()
            if args.interval and i + 1 < args.count:
                time.sleep(args.interval)
    finally:
        outbox.close()
    return 0
