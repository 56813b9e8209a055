#!/usr/bin/env python3
"""Decode what the lane tells the LED display and the voice module on an RS-485 bus.

    python tools/rs485_decode.py var/edge/rs485            # the sim board's pty (a symlink)
    python tools/rs485_decode.py /dev/ttyUSB0 --baud 9600 --json
    python tools/rs485_decode.py PORT --answer             # answer like the devices would

One line per frame: "LED: row 1 | row 2 | ..." or "VOICE: text" (JSON lines with --json).
LED and voice may share the bus: Onbon BX-5K/6K frames (0xA5 preamble) and SYN6288 /
XFS5152CE frames (0xFD head) are told apart in one byte stream. With --answer the tool
answers like a SYN6288 (0x41 when a frame arrives, 0x4F when it is "spoken", 0x45 for a bad
checksum, 0x4E/0x4F to a status query) and like a BX card (an ACK frame to a request that
asks for one), so the driver's flow control and health checks run as with real devices.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edge.io.protocols import bx5k, syn6288, xfs5152  # noqa: E402

VOICE = {"syn6288": syn6288, "xfs5152": xfs5152}


class Decoder:
    """Bytes in, decoded frames (dicts) and the bytes to answer with out. No I/O."""

    def __init__(self, led="bx5k", voice="syn6288", answer=False, speak_s_per_char=0.0):
        self.led = bx5k.Parser() if led == "bx5k" else None
        self.voice_proto = VOICE.get(voice)
        self.voice = self.voice_proto.Parser() if self.voice_proto else None
        self.answer = answer
        self.speak_s_per_char = speak_s_per_char
        self.pending: list[tuple[float, bytes]] = []   # (due monotonic, bytes) answers not yet sent
        self.busy_until = 0.0

    def feed(self, data: bytes, now: float | None = None) -> list[dict]:
        now = time.monotonic() if now is None else now
        out = []
        for b in data:
            one = bytes([b])
            if self.voice is not None and self.voice.buf:          # inside a voice frame
                out += self._voice(self.voice.feed(one), now)
            elif self.led is not None and (self.led.inside or b == 0xA5):
                out += [self._led(p, now) for p in self.led.feed(one)]
            elif self.voice is not None:
                out += self._voice(self.voice.feed(one), now)
        return out

    def due(self, now: float | None = None) -> bytes:
        """Answers whose time has come."""
        now = time.monotonic() if now is None else now
        ready = b"".join(b for t, b in self.pending if t <= now)
        self.pending = [(t, b) for t, b in self.pending if t > now]
        return ready

    # ------------------------------------------------------------------ LED
    def _led(self, pkt: dict, now: float) -> dict:
        if "error" in pkt:
            return {"device": "led", "error": pkt["error"]}
        req = bx5k.decode_request(pkt["data"])
        ev = {"device": "led", "kind": req.get("kind"), "address": pkt["dst"]}
        if req.get("kind") == "dynamic":
            areas = [{"id": a["id"], "text": bx5k.plain(a["raw"]), "scroll": a["display_mode"] != bx5k.STATIC,
                      "color": _color(a["raw"]), "y": a["y"], "height": a["height"]} for a in req["areas"]]
            ev["areas"] = areas
            ev["lines"] = [a["text"] for a in sorted(areas, key=lambda a: (a["y"], a["id"]))]
        if self.answer and req.get("response"):
            self.pending.append((now, bx5k.frame(bx5k.ack(), dst=pkt["src"], src=pkt["dst"])))
        return ev

    # ------------------------------------------------------------------ voice
    def _voice(self, parsed, now: float) -> list[dict]:
        out = []
        for f, raw in parsed:
            if f is None:
                continue
            ev = {"device": "voice", "command": f["name"], "ok": f["ok"]}
            if f["name"] == "speak" and f["ok"]:
                ev["text"], ev["encoding"], ev["music"] = self.voice_proto.text_of(f)
            elif f["name"] == "baud" and f["param"] is not None:
                ev["baud"] = {v: k for k, v in syn6288.BAUDS.items()}.get(f["param"])
            if self.answer:
                self._answer_voice(f, ev, now)
            out.append(ev)
        return out

    def _answer_voice(self, f, ev, now):
        if not f["ok"]:
            self.pending.append((now, bytes([syn6288.REFUSED])))
            return
        if f["name"] == "status":
            self.pending.append((now, bytes([syn6288.BUSY if now < self.busy_until else syn6288.IDLE])))
            return
        self.pending.append((now, bytes([syn6288.RECEIVED])))
        if f["name"] == "speak":
            self.busy_until = now + self.speak_s_per_char * len(ev.get("text", ""))
            # a new frame interrupts the one being spoken: only its own idle answer stays
            self.pending = [(t, b) for t, b in self.pending if b != bytes([syn6288.IDLE])]
            self.pending.append((self.busy_until, bytes([syn6288.IDLE])))
        elif f["name"] == "stop":
            self.pending = [(t, b) for t, b in self.pending if b != bytes([syn6288.IDLE])]
            self.busy_until = now


def _color(raw: bytes):
    if raw.startswith(b"\\C") and len(raw) > 2:
        return {1: "red", 2: "green", 3: "yellow", 4: "blue", 5: "cyan", 6: "magenta", 7: "white"}.get(raw[2] - 0x30)
    return None


def line(ev: dict) -> str:
    if ev["device"] == "led":
        if "error" in ev:
            return "LED: bad frame (%s)" % ev["error"]
        if "lines" in ev:
            return "LED: " + " | ".join(ev["lines"])
        return "LED: <%s>" % ev["kind"]
    if not ev["ok"]:
        return "VOICE: bad frame (checksum)"
    if ev["command"] == "speak":
        return "VOICE: " + ev["text"]
    return "VOICE: <%s>" % ev["command"]


def main(argv=None) -> int:
    import serial
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("port", help="serial device or pty path (the sim board publishes <state_dir>/rs485)")
    ap.add_argument("--baud", type=int, default=9600)
    ap.add_argument("--led", choices=("bx5k", "none"), default="bx5k")
    ap.add_argument("--voice", choices=("syn6288", "xfs5152", "none"), default="syn6288")
    ap.add_argument("--json", action="store_true", help="one JSON object per line")
    ap.add_argument("--answer", action="store_true", help="answer like the devices (SYN6288 0x41/0x4F, BX ACK)")
    ap.add_argument("--speak-s", type=float, default=0.05, metavar="S",
                    help="with --answer: seconds per character before the idle answer (default 0.05)")
    ap.add_argument("--count", type=int, default=0, help="stop after this many frames")
    ap.add_argument("--seconds", type=float, default=0, help="stop after this long")
    args = ap.parse_args(argv)
    try:
        port = serial.Serial(args.port, args.baud, timeout=0.02)
    except (serial.SerialException, OSError) as e:
        print("rs485_decode: cannot open %s: %s" % (args.port, e), file=sys.stderr)
        return 2
    dec = Decoder(args.led, args.voice, args.answer, args.speak_s)
    end = time.monotonic() + args.seconds if args.seconds else None
    n = 0
    try:
        while end is None or time.monotonic() < end:
            data = port.read(512)
            for ev in dec.feed(data) if data else ():
                ev["at"] = time.strftime("%H:%M:%S")
                print(json.dumps(ev, ensure_ascii=False) if args.json else line(ev), flush=True)
                n += 1
            reply = dec.due()
            if reply:
                port.write(reply)
            if args.count and n >= args.count and not dec.pending:
                break
    except KeyboardInterrupt:
        pass
    except serial.SerialException as e:
        if "returned no data" in str(e):  # the far end hung up: a pty whose lane stopped, an unplugged adapter
            print("rs485_decode: %s closed (the lane stopped or the adapter was unplugged)" % args.port, file=sys.stderr)
        else:
            print("rs485_decode: %s: %s" % (args.port, e), file=sys.stderr)
        return 2
    finally:
        port.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
