"""The RS-485 protocols against their documents' worked examples, byte for byte."""
import pytest

from edge.io.protocols import bx5k, syn6288, xfs5152


def h(s):
    return bytes.fromhex(s.replace("0X", "").replace("0x", "").replace(",", " "))


# ---------------------------------------------------------------- SYN6288 datasheet 4.4
YUYIN_GB = h("D3 EE D2 F4 CC EC CF C2")          # 宇音天下 in GB2312/GBK


@pytest.mark.parametrize("text_bytes,encoding,music,expected", [
    # 4.4.1: GB2312, GBK, BIG5, Unicode, GBK + music 1, GBK + music 15, the [v11] mark
    (YUYIN_GB, 0, 0, "FD 00 0B 01 00 D3 EE D2 F4 CC EC CF C2 C1"),
    (YUYIN_GB, 1, 0, "FD 00 0B 01 01 D3 EE D2 F4 CC EC CF C2 C0"),
    (h("A6 74 AD B5 A4 D1 A4 55"), 2, 0, "FD 00 0B 01 02 A6 74 AD B5 A4 D1 A4 55 BB"),
    (h("8b ed 97 f3 59 29 4e 0b"), 3, 0, "FD 00 0B 01 03 8b ed 97 f3 59 29 4e 0b C3"),
    (YUYIN_GB, 1, 1, "FD 00 0B 01 09 D3 EE D2 F4 CC EC CF C2 C8"),
    (YUYIN_GB, 1, 15, "FD 00 0B 01 79 D3 EE D2 F4 CC EC CF C2 B8"),
    (b"[v11]", 1, 0, "FD 00 08 01 01 5B 76 31 31 5D 85"),
])
def test_syn6288_speak_frames_are_the_datasheets(text_bytes, encoding, music, expected):
    assert syn6288.speak(text_bytes, encoding, music) == h(expected)


def test_syn6288_text_encodes_as_the_datasheet_shows():
    assert "宇音天下".encode("gb2312") == YUYIN_GB
    assert "宇音天下".encode("big5") == h("A6 74 AD B5 A4 D1 A4 55")
    # the Unicode example's bytes spell 语音天下 (its caption says 宇音天下)
    assert "语音天下".encode("utf-16-be") == h("8b ed 97 f3 59 29 4e 0b")


@pytest.mark.parametrize("built,expected", [
    (syn6288.set_baud(9600), "FD 00 03 31 00 CF"),       # 4.4.2
    (syn6288.set_baud(19200), "FD 00 03 31 01 CE"),
    (syn6288.set_baud(38400), "FD 00 03 31 02 CD"),
    (syn6288.stop(), "FD 00 02 02 FD"),                  # 4.4.3
    (syn6288.pause(), "FD 00 02 03 FC"),                 # 4.4.4
    (syn6288.resume(), "FD 00 02 04 FB"),                # 4.4.5
    (syn6288.status(), "FD 00 02 21 DE"),                # 4.4.6
    (syn6288.power_down(), "FD 00 02 88 77"),            # 4.4.7
])
def test_syn6288_control_frames_are_the_datasheets(built, expected):
    assert built == h(expected)


def test_syn6288_refuses_what_the_chip_would_refuse():
    with pytest.raises(ValueError, match="200 bytes"):
        syn6288.speak(b"x" * 201)
    with pytest.raises(ValueError):
        syn6288.speak(b"x", music=16)
    with pytest.raises(ValueError):
        syn6288.set_baud(115200)
    assert len(syn6288.speak(b"x" * 200)) == 206       # 3.1: at most 206 bytes on the wire


def test_syn6288_answers_are_the_datasheets():
    assert syn6288.ANSWERS == {0x4A: "initialised", 0x41: "received", 0x45: "refused", 0x4E: "busy", 0x4F: "idle"}


def test_syn6288_parser_round_trip_across_chunks_and_noise():
    frames = [syn6288.speak("苏A12345 允许通行".encode("gb2312")), syn6288.status(), syn6288.speak(YUYIN_GB, 1, 15)]
    stream = b"\x00\x41" + b"".join(frames)
    p = syn6288.Parser()
    got = []
    for i in range(0, len(stream), 3):                   # fed in 3-byte pieces
        got += [f for f, _ in p.feed(stream[i:i + 3]) if f]
    assert [f["name"] for f in got] == ["speak", "status", "speak"]
    assert all(f["ok"] for f in got)
    assert syn6288.text_of(got[0]) == ("苏A12345 允许通行", "gb2312", 0)
    assert syn6288.text_of(got[2]) == ("宇音天下", "gbk", 15)
    bad = bytearray(frames[0])
    bad[-1] ^= 0xFF
    (f, _), = syn6288.Parser().feed(bytes(bad))
    assert f["ok"] is False


def test_syn6288_chunks_cut_at_punctuation_and_never_inside_a_character():
    text = "车辆苏A12345，国五柴油车，重污染天气橙色预警期间禁止通行。" * 8
    enc = lambda s: s.encode("gb2312")
    parts = syn6288.chunks(text, enc)
    assert "".join(parts) == text
    assert all(len(enc(p)) <= 200 for p in parts)
    assert len(parts) >= 3
    assert all(p[-1] in "，。" for p in parts[:-1])    # 4.3.3 point 5
    nobreak = "重" * 150                                  # 300 bytes, no punctuation
    parts = syn6288.chunks(nobreak, enc)
    assert [len(enc(p)) for p in parts] == [200, 100]


# ---------------------------------------------------------------- XFS5152CE
def test_xfs5152_frames():
    # 0xFD, length = command + data, command, encoding byte, text; no checksum
    assert xfs5152.speak("科大讯飞".encode("gb2312")) == h("FD 00 0A 01 00 BF C6 B4 F3 D1 B6 B7 C9")
    assert xfs5152.speak("科大讯飞".encode("utf-16-le"), 3)[:7] == h("FD 00 0A 01 03 D1 79")
    assert xfs5152.stop() == h("FD 00 01 02")
    assert xfs5152.status() == h("FD 00 01 21")
    assert xfs5152.power_save() == h("FD 00 01 88")
    assert xfs5152.wake() == h("FD 00 01 FF")
    (f, _), = xfs5152.Parser().feed(xfs5152.speak("允许通行".encode("gbk"), 1))
    assert xfs5152.text_of(f) == ("允许通行", "gbk", 0)


# ---------------------------------------------------------------- Onbon BX-5K/6K protocol v1.4
# Command example 1/2/8: real-time display, 6K3, 128x32, 欢迎光临
EX8 = h("a5 a5 a5 a5 a5 a5 a5 a5 fe ff 00 80 00 00 00 00 00 00 fe 02 2c 00 a3 06 01 00 00 00 01 23 00 00 00 80 00"
        " 00 80 80 20 00 00 00 00 0a 00 00 00 00 02 01 01 00 02 0a 08 00 00 00 bb b6 d3 ad b9 e2 c1 d9 3c 49 5a")


def test_bx5k_dynamic_area_example_8_byte_for_byte():
    a = bx5k.area(0, 0, 128, 32, bx5k.text("欢迎光临"), area_id=0, display_mode=bx5k.STATIC, speed=2, stay=10,
                  single_line=False, auto_wrap=False, timeout=10)
    assert bx5k.frame(bx5k.dynamic_update([a]), dst=0xFFFE) == EX8


@pytest.mark.parametrize("data,dst,src,expected", [
    # 7.1 ACK and 7.2 NACK (CRC16 error) as the controller sends them (its preamble has 9 x A5)
    (bx5k.ack(), 0x8000, 0xFFFE, "A5 00 80 FE FF 00 00 00 00 00 00 FE 02 05 00 A0 00 00 00 00 14 AC 5A"),
    (bx5k.nack(5), 0x8000, 0xFFFE, "A5 00 80 FE FF 00 00 00 00 00 00 FE 02 05 00 A0 01 05 00 00 05 51 5A"),
    # 8.5 format and 8.7 PING examples, to screen 1
    (bx5k.request(0xA1, 0x00), 0x0001, 0x8000, "01 00 00 80 00 00 00 00 00 00 FE 02 05 00 A1 00 01 00 00 2C F8 5A"),
    (bx5k.ping(), 0x0001, 0x8000, "01 00 00 80 00 00 00 00 00 00 FE 02 05 00 A2 00 01 00 00 68 F8 5A"),
])
def test_bx5k_documented_frames(data, dst, src, expected):
    assert bx5k.frame(data, dst=dst, src=src) == bx5k.PREAMBLE + h(expected).lstrip(b"\xa5")


def test_bx5k_clock_example_crc():
    # 8.10: set the clock to 2013-01-25 11:17:26, Friday
    body = h("01 00 00 80 00 00 00 00 00 00 FE 02 0D 00 A2 03 01 08 00 13 20 01 25 11 17 26 05")
    assert bx5k.crc16(body) == 0x3FB0


def test_bx5k_escaping_round_trip():
    raw = bytes(range(256)) * 2
    esc = bx5k.escape(raw)
    assert b"\xa5" not in esc and b"\x5a" not in esc
    assert bx5k.unescape(esc) == raw
    assert bx5k.escape(b"\xa5\xa6\x5a\x5b") == h("A6 02 A6 01 5B 02 5B 01")


def test_bx5k_parser_decodes_the_example_and_text_needing_escapes():
    (pkt,) = bx5k.Parser().feed(EX8)
    assert pkt["dst"] == 0xFFFE and pkt["src"] == 0x8000
    req = bx5k.decode_request(pkt["data"])
    assert req["kind"] == "dynamic" and req["response"] is True
    (a,) = req["areas"]
    assert (a["x"], a["y"], a["width"], a["height"], a["id"]) == (0, 0, 128, 32, 0)
    assert bx5k.plain(a["raw"]) == "欢迎光临"
    # bytes that collide with the frame markers: 哎 = B0 A5, 唉 = B0 A6, Z = 5A, [ = 5B
    text = "哎唉Z[" + "苏A·12345"
    f = bx5k.frame(bx5k.dynamic_update([bx5k.area(0, 16, 64, 16, bx5k.text(text, bx5k.GREEN), area_id=1)]))
    assert f.count(b"\xa5") == 8 and f.count(b"\x5a") == 1
    p = bx5k.Parser()
    got = []
    for i in range(0, len(f), 5):
        got += p.feed(f[i:i + 5])
    (pkt,) = got
    (a,) = bx5k.decode_request(pkt["data"])["areas"]
    assert bx5k.plain(a["raw"]) == text and a["raw"].startswith(b"\\C2")
    assert (a["y"], a["width"], a["id"]) == (16, 64, 1)


def test_bx5k_parser_reports_a_bad_crc_and_recovers():
    good = bx5k.frame(bx5k.ping())
    bad = bytearray(good)
    bad[20] ^= 0x01
    got = bx5k.Parser().feed(bytes(bad) + good)
    assert "CRC16" in got[0]["error"]
    assert bx5k.decode_request(got[1]["data"])["kind"] == "ping"
