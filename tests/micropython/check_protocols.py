"""MicroPython check of the RS-485 protocol encoders/parsers (edge/io/protocols): the SYN6288
datasheet's and Onbon's worked examples, and parser round trips, on bytes only.

Prints OK and exits 0, or raises (non-zero exit)."""
from edge.io.protocols import bx5k, syn6288, xfs5152


def h(s):
    return bytes(int(x, 16) for x in s.split())


YUYIN = h("D3 EE D2 F4 CC EC CF C2")
assert syn6288.speak(YUYIN) == h("FD 00 0B 01 00 D3 EE D2 F4 CC EC CF C2 C1")
assert syn6288.speak(YUYIN, 1, 15) == h("FD 00 0B 01 79 D3 EE D2 F4 CC EC CF C2 B8")
assert syn6288.stop() == h("FD 00 02 02 FD")
assert syn6288.set_baud(38400) == h("FD 00 03 31 02 CD")
got = [f for f, _ in syn6288.Parser().feed(b"\x4f" + syn6288.speak(YUYIN) + syn6288.status()) if f]
assert [f["name"] for f in got] == ["speak", "status"] and got[0]["ok"] and got[0]["data"] == YUYIN

assert xfs5152.speak(b"ab") == h("FD 00 04 01 00 61 62")
(f, _), = xfs5152.Parser().feed(xfs5152.speak(b"ab", 1))
assert f["param"] == 1 and f["data"] == b"ab"

WELCOME = h("bb b6 d3 ad b9 e2 c1 d9")
a = bx5k.area(0, 0, 128, 32, WELCOME, display_mode=bx5k.STATIC, speed=2, stay=10, single_line=False, timeout=10)
ex8 = bx5k.frame(bx5k.dynamic_update([a]), dst=0xFFFE)
assert ex8[-3:] == h("3c 49 5a"), ex8[-3:]
assert bx5k.frame(bx5k.ping()) == b"\xa5" * 8 + h("01 00 00 80 00 00 00 00 00 00 FE 02 05 00 A2 00 01 00 00 68 F8 5A")
assert bx5k.unescape(bx5k.escape(bytes(range(256)))) == bytes(range(256))
pkts = bx5k.Parser().feed(ex8 + bx5k.frame(bx5k.ack(), dst=0x8000, src=0xFFFE))
req = bx5k.decode_request(pkts[0]["data"])
assert req["kind"] == "dynamic" and req["areas"][0]["raw"] == WELCOME and req["areas"][0]["width"] == 128
assert bx5k.decode_request(pkts[1]["data"])["kind"] == "ack"
print("OK")
