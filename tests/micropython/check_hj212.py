"""MicroPython check of the HJ 212 codec: the published vector, CRC, split + reassemble.

Run: MICROPYPATH=/work/main:.frozen .venv/bin/micropython tests/micropython/check_hj212.py
Prints OK and exits 0, or raises (non-zero exit)."""
from edge.uplink.hj212 import codec, edition

VECTOR = (b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;"
          b"MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n")

seg = codec.unframe(VECTOR)
assert len(seg) == 101, len(seg)
assert codec.crc16(seg) == 0x1C80, hex(codec.crc16(seg))
assert codec.crc16_bitwise(seg) == 0x1C80
msg = codec.decode_all([VECTOR])[0]
assert msg.get("QN") == "20160801085857223"
assert msg.get("RtdInterval") == "30"
again = codec.encode(msg.fields)
assert again == [VECTOR], again

bad = VECTOR[:-6] + b"1C81\r\n"
try:
    codec.parse_packet(bad)
    raise AssertionError("bad CRC accepted")
except codec.Hj212Error as e:
    assert e.field == "CRC"

# a long message with multi-byte text and Base64-like '=' padding, split and put back together
photo = "QUJD" * 700 + "QQ=="
fields = [("QN", "20260101080000123"), ("ST", "31"), ("CN", "60001"), ("PW", "123456"),
          ("MN", "91640100MA76XYZ12X"), ("Flag", str(edition.flag("2017"))),
          ("DATE", "20260101080000"), ("F_CPHM", "宁A12345"), ("F_CPYS", "黄牌"), ("F_JCZP", photo)]
packets = codec.encode(fields, max_segment=1024)
assert len(packets) > 2, len(packets)
for p in packets:
    assert len(codec.unframe(p)) <= 1024
    assert codec.parse_packet(p).flag == 7
splitter = codec.StreamSplitter()
got = splitter.feed(b"noise" + b"".join(reversed(packets)))
assert len(got) == len(packets) and splitter.skipped == 5
splitter = codec.StreamSplitter()
got = splitter.feed(b"#" * 9000 + b"".join(packets))   # a run of # is jumped over (lstrip windows)
assert len(got) == len(packets) and splitter.skipped == 9000
out = codec.decode_all(got)
assert len(out) == 1 and out[0].packets == len(packets)
assert out[0].fields == fields, out[0].fields[:7]
assert edition.flag("2025") == 9
for bad in ("a;b", "a,b", "a&b", "a\rb", "a\x7fb"):
    try:
        codec.encode(fields[:6] + [("F_HWMC", bad)])
        raise AssertionError("separator/control character accepted: %r" % bad)
    except codec.Hj212Error as e:
        assert e.field == "F_HWMC"
print("OK")
