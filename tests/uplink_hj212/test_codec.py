"""HJ 212 codec: the published vector, CRC, framing errors, splitting, reassembly, fuzzing."""
import random

import pytest
from hypothesis import given, settings, strategies as st

from edge.uplink.hj212 import codec, edition

VECTOR = (b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;"
          b"MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n")
SEGMENT = VECTOR[6:-6]


def modbus(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def test_published_vector_length_and_crc():
    assert len(SEGMENT) == int(VECTOR[2:6]) == 101
    assert codec.crc16(SEGMENT) == 0x1C80
    # the appendix algorithm is not CRC-16/MODBUS: a MODBUS implementation would not match
    assert modbus(SEGMENT) != 0x1C80


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_table_crc_equals_the_appendix_loop(data):
    assert codec.crc16(data) == codec.crc16_bitwise(data)
    assert codec.crc16_bitwise(SEGMENT) == 0x1C80


def test_published_vector_round_trips_exactly():
    [msg] = codec.decode_all([VECTOR])
    assert msg.fields == [("QN", "20160801085857223"), ("ST", "32"), ("CN", "1062"), ("PW", "100000"),
                          ("MN", "010000A8900016F000169DC0"), ("Flag", "5"), ("RtdInterval", "30")]
    assert codec.encode(msg.fields) == [VECTOR]
    assert codec.frame(SEGMENT) == VECTOR


@pytest.mark.parametrize("packet, field", [
    (VECTOR[:-6] + b"1C81\r\n", "CRC"),
    (VECTOR[:-6] + b"1CG0\r\n", "CRC"),
    (b"##0102" + VECTOR[6:], "length"),
    (b"##01a1" + VECTOR[6:], "length"),
    (VECTOR[:-2] + b"\n\n", "tail"),
    (b"$#" + VECTOR[2:], "header"),
    (b"##00", "packet"),
    (codec.frame(b"QN=20160801085857223;ST=32;CN=1062;MN=A;Flag=5;CP=&&a=1"), "CP"),
    (codec.frame(b"QN=2016;ST=32;CN=1062;MN=A;Flag=5;CP=&&&&"), "QN"),
    (codec.frame(b"ST=32;CN=1062;MN=A;Flag=5;CP=&&&&"), "QN"),
    (codec.frame(b"QN=20160801085857223;ST=32;CN=1062;MN=A;Flag=7;CP=&&&&"), "PNUM"),
    (codec.frame(b"QN=20160801085857223;ST=32;CN=1062;MN=A;Flag=5;XX=1;CP=&&&&"), "XX"),
    (codec.frame(b"QN=20160801085857223;ST=32;CN=1062;MN=A;Flag=5;CP=&&a=1;b&&"), "CP"),
    (codec.frame(b"QN=20160801085857223;ST=32;CN=1062;MN=A;Flag=5;CP=&&a=\xff&&"), "data segment"),
])
def test_bad_packets_name_what_is_wrong(packet, field):
    with pytest.raises(codec.Hj212Error) as e:
        codec.parse_packet(packet)
    assert e.value.field == field


HEAD = [("QN", "20260101080000123"), ("ST", "31"), ("CN", "60001"), ("PW", "123456"),
        ("MN", "91640100MA76XYZ12X"), ("Flag", "5")]


@pytest.mark.parametrize("bad", [";", ",", "&", "\r", "\n"])
def test_separators_in_values_are_refused_with_the_field_named(bad):
    with pytest.raises(codec.Hj212Error) as e:
        codec.encode(HEAD + [("F_HWMC", "煤" + bad + "焦炭")])
    assert e.value.field == "F_HWMC"


def test_equals_sign_travels_in_values():
    fields = HEAD + [("F_JCZP", "QUJDRA==")]
    [m] = codec.decode_all(codec.encode(fields))
    assert m.fields == fields


def test_long_message_is_split_within_the_limit_and_flagged():
    photo = "QUJD" * 3000
    packets = codec.encode(HEAD + [("F_JCZP", photo)], max_segment=1024)
    n = len(packets)
    assert n > 12  # 12 000 bytes of photo cannot fit in 12 packets of 1024 with headers
    parsed = [codec.parse_packet(p) for p in packets]
    assert all(len(p) - 12 <= 1024 for p in packets)
    assert [p.get("PNO") for p in parsed] == [str(i) for i in range(1, n + 1)]
    assert {p.get("PNUM") for p in parsed} == {str(n)}
    assert {p.get("Flag") for p in parsed} == {"7"}
    assert {p.get("QN") for p in parsed} == {"20260101080000123"}


def test_split_near_the_pnum_digit_boundary_stays_within_limit():
    # the header grows by a digit from 9 to 10 packets and from 99 to 100: sizes must still hold
    for n in range(900, 1200, 7):
        packets = codec.encode(HEAD + [("F_JCZP", "A" * n * 8)], max_segment=256)
        assert all(len(p) - 12 <= 256 for p in packets)
        assert codec.decode_all(packets)[0].get("F_JCZP") == "A" * n * 8


def test_reassembly_out_of_order_with_duplicates_and_interleaving():
    a = codec.encode(HEAD + [("F_JCZP", "QUJD" * 900)], max_segment=512)
    b_head = [("QN", "20260101080000124")] + HEAD[1:]
    b = codec.encode(b_head + [("F_JCZP", "RUZH" * 900)], max_segment=512)
    stream = []
    for x, y in zip(reversed(a), b):
        stream += [x, y, y]
    r = codec.Reassembler()
    done = [m for m in (r.feed(codec.parse_packet(p)) for p in stream) if m is not None]
    assert sorted(m.get("QN") for m in done) == ["20260101080000123", "20260101080000124"]
    for m in done:
        assert m.get("F_JCZP") == ("QUJD" * 900 if m.get("QN").endswith("3") else "RUZH" * 900)


def test_a_whole_resent_message_completes_again():
    # the sender resends every part when our answer was lost: it must be answered again
    a = codec.encode(HEAD + [("F_JCZP", "QUJD" * 900)], max_segment=512)
    r = codec.Reassembler()
    done = [m for m in (r.feed(codec.parse_packet(p)) for p in a + a) if m is not None]
    assert len(done) == 2 and done[0].fields == done[1].fields
    assert r.pending() == 0


def test_pending_messages_are_bounded():
    r = codec.Reassembler(max_pending=3)
    for i in range(10):
        head = [("QN", "202601010800001%02d" % i)] + HEAD[1:]
        first = codec.encode(head + [("F_JCZP", "A" * 2000)], max_segment=512)[0]
        assert r.feed(codec.parse_packet(first)) is None
    assert r.pending() == 3


def test_multibyte_text_is_split_on_character_boundaries():
    text = "宁夏回族自治区银川市" * 200
    packets = codec.encode(HEAD + [("F_JCWZ", text)], max_segment=300)
    for p in packets:
        codec.unframe(p)[:].decode("utf-8")  # each packet is valid UTF-8 on its own
    assert codec.decode_all(packets)[0].get("F_JCWZ") == text


def test_stream_splitter_skips_noise_and_resynchronises():
    packets = codec.encode(HEAD + [("F_JCZP", "QUJD" * 500)], max_segment=512)
    noise = b"\x00garbage##12ab##0005xx"
    s = codec.StreamSplitter()
    data = noise + b"".join(packets) + b"tail"
    out = []
    for i in range(0, len(data), 97):  # arbitrary TCP chunking
        out += s.feed(data[i:i + 97])
    assert out == packets


def test_stream_splitter_keeps_a_packet_right_after_stray_hashes():
    [pkt] = codec.encode(HEAD + [("DATE", "20260101080000")])
    for prefix in (b"#", b"###", b"#" * 5001, b"##12" + b"#" * 7, b"##0042##"):
        s = codec.StreamSplitter()
        assert s.feed(prefix + pkt + b"#") == [pkt], prefix[:12]
        assert s.buf == b"#"          # a trailing # may start the next packet


@settings(max_examples=200, deadline=None)
@given(noise=st.lists(st.sampled_from([b"#", b"##", b"##0", b"##0012", b"\r\n", b"x", b"##9999"]), max_size=40),
       cuts=st.lists(st.integers(min_value=1, max_value=97), max_size=30))
def test_stream_splitter_finds_the_same_packets_however_the_stream_is_cut(noise, cuts):
    packets = codec.encode(HEAD + [("F_JCZP", "QUJD" * 100)], max_segment=256)
    data = b"".join(noise) + b"".join(packets) + b"\0" * 10100   # lets a stray ##9999 claim run out
    whole = codec.StreamSplitter().feed(data)
    s, out, i = codec.StreamSplitter(), [], 0
    for c in cuts + [len(data)]:
        out += s.feed(data[i:i + c])
        i += c
    assert out == whole and whole[-len(packets):] == packets


# ------------------------------------------------------------ properties and fuzzing

keys = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=12) \
    .filter(lambda k: k not in codec.HEADER_KEYS and k != "CP")
values = st.text(alphabet=st.characters(blacklist_characters=";,&", blacklist_categories=("Cc", "Cs")), max_size=300)


@settings(max_examples=150, deadline=None)
@given(items=st.lists(st.tuples(keys, values), max_size=20),
       max_segment=st.integers(min_value=200, max_value=2000),
       ed=st.sampled_from(sorted(edition.VERSIONS)),
       mn=st.text(alphabet="0123456789ABCDEFXYZ", min_size=1, max_size=24))
def test_any_field_set_survives_encode_split_decode(items, max_segment, ed, mn):
    head = [("QN", "20260101080000123"), ("ST", "31"), ("CN", "60001"), ("PW", "123456"),
            ("MN", mn), ("Flag", str(edition.flag(ed)))]
    fields = head + items
    packets = codec.encode(fields, max_segment=max_segment)
    assert all(len(codec.unframe(p)) <= max_segment for p in packets)
    random.Random(len(packets)).shuffle(packets)
    [m] = codec.decode_all(packets)
    assert m.fields == fields
    assert m.packets == len(packets)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=400))
def test_decoder_on_random_bytes_raises_only_its_own_error(data):
    for candidate in (data, b"##" + data, b"##%04d" % len(data) + data + b"0000\r\n"):
        try:
            codec.parse_packet(candidate)
        except codec.Hj212Error:
            pass
    s = codec.StreamSplitter()
    r = codec.Reassembler()
    for raw in s.feed(data):
        try:
            r.feed(codec.parse_packet(raw))
        except codec.Hj212Error:
            pass


@settings(max_examples=300, deadline=None)
@given(pos=st.integers(min_value=0, max_value=len(VECTOR) - 1), byte=st.integers(min_value=0, max_value=255))
def test_decoder_on_mutated_vector_raises_only_its_own_error(pos, byte):
    bad = VECTOR[:pos] + bytes([byte]) + VECTOR[pos + 1:]
    try:
        [m] = codec.decode_all([bad])
    except codec.Hj212Error:
        return
    assert bad == VECTOR  # any real change to the bytes must be caught (CRC or framing)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=60))
def test_segment_with_valid_crc_but_random_content(seg):
    # a correct frame around garbage: the segment parser must still only raise Hj212Error
    try:
        codec.parse_packet(codec.frame(seg))
    except codec.Hj212Error:
        pass


def test_pending_bytes_are_bounded_and_accounted():
    r = codec.Reassembler(max_pending=100, max_bytes=5000)
    firsts = []
    for i in range(10):
        head = [("QN", "202601010800001%02d" % i)] + HEAD[1:]
        firsts.append(codec.encode(head + [("F_JCZP", "A" * 4000)], max_segment=1024))
        assert r.feed(codec.parse_packet(firsts[-1][0])) is None
    assert r._bytes <= 5000 and r.pending() < 10
    # the newest message still completes, and completing it releases its bytes
    done = [r.feed(codec.parse_packet(p)) for p in firsts[-1][1:]]
    assert done[-1] is not None and done[-1].get("F_JCZP") == "A" * 4000
    assert r._bytes == sum(len(part) for e in r._pending.values() for part in e[1].values())


def test_one_message_beyond_the_byte_bound_is_refused():
    r = codec.Reassembler(max_bytes=3000)
    packets = codec.encode(HEAD + [("F_JCZP", "A" * 8000)], max_segment=1024)
    with pytest.raises(codec.Hj212Error) as e:
        for p in packets:
            r.feed(codec.parse_packet(p))
    assert e.value.field == "PNUM" and r.pending() == 0 and r._bytes == 0
