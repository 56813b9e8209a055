"""HJ 212 packet codec: framing, CRC, data-segment fields, CP, splitting and reassembly.

Pure (no I/O) and MicroPython-safe: no dataclasses, typing, datetime or re.

Packet (HJ 212-2017 §6.3.1):
    "##" + 4-digit data-segment length + data segment + CRC16 (4 upper-case hex) + "\\r\\n"
The length and the CRC cover the data segment only. The segment is UTF-8 (Ningxia 7.2) and
the length counts its BYTES: the standard says "ASCII characters", which is the same thing
for ASCII, and a receiver reads that many bytes off the socket.

CRC (HJ 212-2017 appendix A): register 0xFFFF; per byte `crc = (crc >> 8) ^ byte`, then
8 x {shift right; if the bit shifted out was 1: crc ^= 0xA001}. It is NOT CRC-16/MODBUS
(which XORs the byte into the low half: `crc ^= byte`); public code and vectors disagree,
so it is pinned to the published vector
    ##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80
whose data segment is 101 bytes (the "0101") and whose appendix CRC is 0x1C80 (MODBUS gives 0x0759).

Data segment: `QN=..;ST=..;CN=..;PW=..;MN=..;Flag=..;[PNUM=..;PNO=..;]CP=&&<cp>&&`, header
fields in this order. Inside CP, items are separated by `;` (and `,` within a group, as in
`a01-Rtd=1.1,a01-Flag=N`); each item is `key=value`, split at the FIRST `=`.

Separators inside values (our decision): `;` `,` `&` are forbidden in every value (an error
names the field), as are control characters; `=` IS allowed in values because the key/value
split is at the first `=` and Base64 photos end in `=` padding. Keys are letters, digits,
`_` and `-`. There is no escape syntax in HJ 212, so an escaped value would reach the
platform altered; messages.py turns the ASCII separators in human free text into their
full-width forms (`；` `，` `＆`) before it gets here.

Splitting (HJ 212-2017 §6.3.2, Flag D bit + PNUM/PNO): a message whose segment would exceed
`max_segment` bytes is sent as PNUM packets with PNO = 1..PNUM; each repeats the header (same
QN, Flag with the D bit set) and carries the next slice of the CP text between its own
`CP=&&` and `&&`. Slices end on UTF-8 character boundaries. The receiver concatenates the
slices in PNO order and parses the joined CP text (Reassembler). The length field allows
9999; HJ 212-2017 limits a data segment to 1024, which is our default.
"""
from edge.uplink.hj212 import edition as _ed

HEADER_KEYS = ("QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO")
REQUIRED_HEADER = ("QN", "ST", "CN", "MN", "Flag")
LENGTH_LIMIT = 9999          # four decimal digits
STANDARD_SEGMENT = 1024      # HJ 212-2017 §6.3.1: data segment 0..1024
MAX_PACKET = 2 + 4 + LENGTH_LIMIT + 4 + 2
FORBIDDEN_IN_VALUE = ";,&"
_HEX = "0123456789ABCDEFabcdef"
_KEY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


class Hj212Error(ValueError):
    """Anything wrong with a packet or a field. `field` names what, `rule` says what is wrong."""

    def __init__(self, field, rule):
        super().__init__("%s: %s" % (field, rule))
        self.field = field
        self.rule = rule


# ---------------------------------------------------------------- CRC and framing

def _crc_table():
    # the 8 shift/XOR rounds of the appendix loop applied to every low byte, computed once
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc_table()


def crc16_bitwise(data):
    """HJ 212-2017 appendix A, as printed: the reference the table version is tested against."""
    crc = 0xFFFF
    for b in data:
        crc = (crc >> 8) ^ b
        for _ in range(8):
            carry = crc & 1
            crc >>= 1
            if carry:
                crc ^= 0xA001
    return crc


def crc16(data):
    """HJ 212-2017 appendix A CRC of `data` (bytes) -> int, table-driven.

    In the appendix loop `crc = (crc >> 8) ^ byte` leaves at most 8 significant bits, and the
    8 shift/XOR rounds of an 8-bit value are exactly _TABLE[value]: so each byte is one lookup,
    `crc = _TABLE[(crc >> 8) ^ byte]`. (It also shows the appendix CRC keeps only 8 bits of
    state between bytes: weaker than a true CRC-16, but it is what the platforms check.)"""
    crc = 0xFFFF
    t = _TABLE
    for b in data:
        crc = t[(crc >> 8) ^ b]
    return crc


def frame(segment):
    """Wrap a data segment (bytes) into a packet (bytes)."""
    n = len(segment)
    if n > LENGTH_LIMIT:
        raise Hj212Error("length", "data segment is %d bytes, the 4-digit field allows %d" % (n, LENGTH_LIMIT))
    return b"##" + ("%04d" % n).encode() + segment + ("%04X" % crc16(segment)).encode() + b"\r\n"


def _digits(b):
    if not b:
        return False
    for c in b:
        if c < 48 or c > 57:
            return False
    return True


def unframe(packet):
    """Check a packet's framing, length and CRC; return its data segment (bytes)."""
    if not isinstance(packet, (bytes, bytearray)):
        raise Hj212Error("packet", "must be bytes")
    packet = bytes(packet)
    if packet[:2] != b"##":
        raise Hj212Error("header", "packet must start with ##")
    if len(packet) < 12:
        raise Hj212Error("packet", "too short (%d bytes) for ##, length, CRC and CR LF" % len(packet))
    if not _digits(packet[2:6]):
        raise Hj212Error("length", "must be 4 decimal digits, got %r" % packet[2:6])
    n = int(packet[2:6].decode())
    expect = 2 + 4 + n + 4 + 2
    if len(packet) != expect:
        raise Hj212Error("length", "field says %d data bytes, so the packet must be %d bytes, it is %d"
                         % (n, expect, len(packet)))
    if packet[-2:] != b"\r\n":
        raise Hj212Error("tail", "packet must end with CR LF")
    segment = packet[6:6 + n]
    crc_text = packet[6 + n:10 + n]
    for c in crc_text:
        if chr(c) not in _HEX:
            raise Hj212Error("CRC", "must be 4 hex digits, got %r" % crc_text)
    got = int(crc_text.decode(), 16)
    want = crc16(segment)
    if got != want:
        raise Hj212Error("CRC", "mismatch: packet says %04X, data segment computes %04X" % (got, want))
    return segment


# ---------------------------------------------------------------- fields

def check_key(key):
    if not isinstance(key, str) or not key:
        raise Hj212Error(str(key), "field name must be a non-empty string")
    for ch in key:
        if ch not in _KEY_CHARS:
            raise Hj212Error(key, "field name may hold only letters, digits, _ and -")


_PRINTABLE = getattr(str, "isprintable", None)


def check_value(key, value):
    """Raise unless `value` (str) may travel as it is (see module doc: separators)."""
    if not isinstance(value, str):
        raise Hj212Error(key, "value must be text")
    # substring tests and min() run at C speed: a photo's Base64 is ~1 MB of text
    for ch in FORBIDDEN_IN_VALUE:
        if ch in value:
            raise Hj212Error(key, "value must not contain %r (HJ 212 separator; ; , & are forbidden)" % ch)
    if _PRINTABLE is not None and _PRINTABLE(value):  # CPython fast path; MicroPython has no isprintable
        return
    if value and (min(value) < " " or "\x7f" in value):
        raise Hj212Error(key, "value must not contain control characters")


def cp_text(pairs):
    """CP items -> the text between `CP=&&` and `&&` (items joined with `;`)."""
    out = []
    for k, v in pairs:
        check_key(k)
        check_value(k, v)
        out.append(k + "=" + v)
    return ";".join(out)


def parse_cp(text):
    """The text between `CP=&&` and `&&` -> list of (key, value); `,` and `;` both separate."""
    pairs = []
    if text == "":
        return pairs
    for group in text.split(";"):
        for item in group.split(","):
            eq = item.find("=")
            if eq <= 0:
                raise Hj212Error("CP", "item %r is not key=value" % item[:40])
            k = item[:eq]
            check_key(k)
            v = item[eq + 1:]
            check_value(k, v)
            pairs.append((k, v))
    return pairs


def _check_header(key, value):
    check_value(key, value)
    if key == "QN" and (len(value) != 17 or not _digits(value.encode())):
        raise Hj212Error("QN", "must be 17 digits yyyyMMddHHmmsszzz")
    if key in ("Flag", "PNUM", "PNO") and not (_digits(value.encode()) and len(value) <= 4):
        raise Hj212Error(key, "must be a decimal number")
    if key == "Flag" and int(value) > 255:
        raise Hj212Error("Flag", "must be 0..255 (one byte)")
    if key in ("PNUM", "PNO") and int(value) < 1:
        raise Hj212Error(key, "must be 1 or more")
    if key in ("ST", "CN", "MN", "PW") and value == "":
        raise Hj212Error(key, "must not be empty")


class Packet:
    """One received packet: `header` list of (key, value) in wire order, `cp` raw CP text."""

    def __init__(self, header, cp):
        self.header = header
        self.cp = cp

    def get(self, key, default=None):
        for k, v in self.header:
            if k == key:
                return v
        return default

    @property
    def flag(self):
        return int(self.get("Flag", "0"))

    @property
    def pnum(self):
        return int(self.get("PNUM", "1"))

    @property
    def pno(self):
        return int(self.get("PNO", "1"))


def parse_segment(segment):
    """Data segment (bytes) -> Packet; checks syntax, required header fields, split fields."""
    try:
        text = segment.decode("utf-8")
    except (UnicodeError, ValueError):
        raise Hj212Error("data segment", "is not valid UTF-8")
    at = text.find("CP=&&")
    if at < 0:
        raise Hj212Error("CP", "missing (data segment must end with CP=&&...&&)")
    if not text.endswith("&&") or len(text) < at + 7:
        raise Hj212Error("CP", "must end with &&")
    cp = text[at + 5:-2]
    if "&" in cp:
        raise Hj212Error("CP", "must not contain & inside CP=&&...&&")
    head = text[:at]
    header = []
    seen = []
    if head:
        if not head.endswith(";"):
            raise Hj212Error("data segment", "header fields must end with ; before CP")
        for item in head[:-1].split(";"):
            eq = item.find("=")
            if eq <= 0:
                raise Hj212Error("data segment", "field %r is not key=value" % item[:40])
            k = item[:eq]
            v = item[eq + 1:]
            if k not in HEADER_KEYS:
                raise Hj212Error(k, "unknown header field (known: %s, then CP)" % ", ".join(HEADER_KEYS))
            if k in seen:
                raise Hj212Error(k, "appears twice")
            seen.append(k)
            _check_header(k, v)
            header.append((k, v))
    for k in REQUIRED_HEADER:
        if k not in seen:
            raise Hj212Error(k, "required header field missing")
    p = Packet(header, cp)
    split = _ed.is_split(p.flag)
    if split != ("PNUM" in seen) or ("PNUM" in seen) != ("PNO" in seen):
        raise Hj212Error("PNUM", "PNUM and PNO must both be present exactly when the Flag D bit (2) is set")
    if p.pno > p.pnum:
        raise Hj212Error("PNO", "packet number %d is beyond PNUM %d" % (p.pno, p.pnum))
    if not split:
        parse_cp(cp)  # whole message: the CP must parse on its own
    return p


def parse_packet(packet):
    """Packet bytes -> Packet (framing, length, CRC, syntax all checked)."""
    return parse_segment(unframe(packet))


# ---------------------------------------------------------------- encoding and splitting

def _header_pairs(fields):
    """Split a flat list of (key, value) into (header in wire order, CP items in given order)."""
    head = {}
    cp = []
    for k, v in fields:
        if k in HEADER_KEYS:
            if k in ("PNUM", "PNO"):
                continue  # set by splitting
            head[k] = v
        elif k == "CP":
            raise Hj212Error("CP", "give CP items as fields, not a CP string")
        else:
            cp.append((k, v))
    for k in REQUIRED_HEADER:
        if k not in head:
            raise Hj212Error(k, "required header field missing")
    out = []
    for k in HEADER_KEYS:
        if k in head:
            v = head[k]
            if not isinstance(v, str):
                v = str(v)
            _check_header(k, v)
            out.append((k, v))
    return out, cp


def _prefix(header, flag, pnum, pno):
    parts = []
    for k, v in header:
        if k == "Flag":
            v = str(flag)
        parts.append(k + "=" + v)
    if pnum:
        parts.append("PNUM=%d" % pnum)
        parts.append("PNO=%d" % pno)
    return (";".join(parts) + ";CP=&&").encode()


def _cut(data, start, limit):
    """End of the slice of `data` from `start` of at most `limit` bytes, on a UTF-8 boundary."""
    end = start + limit
    if end >= len(data):
        return len(data)
    while end > start and (data[end] & 0xC0) == 0x80:
        end -= 1
    if end == start:
        raise Hj212Error("max_segment", "too small to hold one character")
    return end


def encode(fields, max_segment=STANDARD_SEGMENT):
    """Flat fields -> list of packets (bytes).

    `fields`: list of (key, value) or a dict; header keys (QN ST CN PW MN Flag) go to the
    header, every other key into CP in the given order. Returns one packet, or PNUM packets
    with the Flag D bit set when the segment would exceed `max_segment` bytes."""
    if isinstance(fields, dict):
        fields = list(fields.items())
    if max_segment > LENGTH_LIMIT or max_segment < 64:
        raise Hj212Error("max_segment", "must be 64..%d" % LENGTH_LIMIT)
    header, items = _header_pairs(fields)
    body = cp_text(items).encode("utf-8")
    flag = 0
    for k, v in header:
        if k == "Flag":
            flag = int(v)
    whole = _prefix(header, _ed.with_split(flag, False), 0, 0) + body + b"&&"
    if len(whole) <= max_segment:
        return [frame(whole)]
    flag = _ed.with_split(flag, True)
    # The prefix grows with the digits of PNUM/PNO: size slices for the widest, re-count until stable.
    pnum = 2
    while True:
        room = max_segment - len(_prefix(header, flag, pnum, pnum)) - 2
        if room < 8:
            raise Hj212Error("max_segment", "%d bytes leaves no room for data after the header" % max_segment)
        cuts = []
        start = 0
        while start < len(body):
            end = _cut(body, start, room)
            cuts.append((start, end))
            start = end
        if len(cuts) <= pnum:
            break
        pnum = len(cuts)
    n = len(cuts)
    return [frame(_prefix(header, flag, n, i + 1) + body[a:b] + b"&&") for i, (a, b) in enumerate(cuts)]


# ---------------------------------------------------------------- receiving

class Message:
    """A complete message: flat `fields` list of (key, value): header without PNUM/PNO and with
    the Flag D bit cleared (so decode(encode(x)) == x whether or not it was split), then CP."""

    def __init__(self, fields, packets):
        self.fields = fields
        self.packets = packets

    def get(self, key, default=None):
        for k, v in self.fields:
            if k == key:
                return v
        return default

    def as_dict(self):
        d = {}
        for k, v in self.fields:
            d[k] = v
        return d


def _message(packet, cp, packets):
    # PNUM/PNO and the Flag D bit describe the transport, not the message: drop them.
    head = []
    for k, v in packet.header:
        if k == "Flag":
            v = str(_ed.with_split(int(v), False))
        if k not in ("PNUM", "PNO"):
            head.append((k, v))
    return Message(head + parse_cp(cp), packets)


class Reassembler:
    """Collects split packets by (MN, QN, CN) and yields whole messages.

    Resent packets simply overwrite the same PNO. Incomplete messages are bounded: at most
    `max_pending` of them and `max_bytes` of CP text (the least recently fed is dropped first), so a
    broken or hostile peer cannot grow memory forever."""

    def __init__(self, max_pending=16, max_bytes=16 * 1024 * 1024):
        self.max_pending = max_pending
        self.max_bytes = max_bytes
        self._pending = {}   # key -> [pnum, {pno: cp slice}]
        self._order = []
        self._bytes = 0

    def _evict_oldest(self):
        old = self._order.pop(0)
        for part in self._pending.pop(old)[1].values():
            self._bytes -= len(part)

    def feed(self, packet):
        """Feed a Packet; return a Message when one is complete, else None."""
        if not _ed.is_split(packet.flag):
            return _message(packet, packet.cp, 1)
        key = (packet.get("MN"), packet.get("QN"), packet.get("CN"))
        entry = self._pending.get(key)
        if entry is not None and entry[0] != packet.pnum:
            self._order.remove(key)
            self._order.insert(0, key)
            self._evict_oldest()   # same QN, new PNUM: a fresh send, start over
            entry = None
        if entry is None:
            entry = [packet.pnum, {}]
            self._pending[key] = entry
        else:
            self._order.remove(key)
        self._order.append(key)   # least recently fed first: stale messages are evicted, not busy ones
        self._bytes += len(packet.cp) - len(entry[1].get(packet.pno, ""))
        entry[1][packet.pno] = packet.cp
        # bounded: a peer sending endless first parts (or huge PNUM) cannot grow memory forever
        while len(self._order) > 1 and (len(self._order) > self.max_pending or self._bytes > self.max_bytes):
            self._evict_oldest()
        if self._bytes > self.max_bytes:   # one message alone beyond the bound: refuse it
            self._evict_oldest()
            raise Hj212Error("PNUM", "split message QN=%s exceeds %d bytes" % (packet.get("QN"), self.max_bytes))
        if len(entry[1]) < entry[0]:
            return None
        for part in entry[1].values():
            self._bytes -= len(part)
        del self._pending[key]
        self._order.remove(key)
        parts = [entry[1][i] for i in range(1, entry[0] + 1)]
        return _message(packet, "".join(parts), entry[0])

    def pending(self):
        return len(self._pending)


class StreamSplitter:
    """Cuts a byte stream (TCP) into candidate packets by the `##` + length framing.

    Bytes before a `##` are skipped (counted in `skipped`); a `##` not followed by four digits,
    or whose claimed length does not end in CR LF, is skipped one byte at a time (so a stray
    `#` right before a real packet does not swallow it). It does not check the CRC:
    parse_packet does. Linear in the input: it walks an index over the buffer and slices once
    per packet, and a run of `#` is skipped in one step — it used to cost a copy of the rest
    of the buffer per `##` (2 MB of `#` took minutes and stalled the event loop)."""

    def __init__(self):
        self.buf = b""
        self.skipped = 0

    def feed(self, data):
        buf = self.buf + data if self.buf else bytes(data)
        n = len(buf)
        out = []
        pos = 0
        while True:
            i = buf.find(b"##", pos)
            if i < 0:
                keep = 1 if n > pos and buf[n - 1:] == b"#" else 0
                self.skipped += n - pos - keep
                self.buf = buf[n - keep:]
                return out
            self.skipped += i - pos
            pos = i
            if n - pos < 6:
                break
            if not _digits(buf[pos + 2:pos + 6]):
                if buf[pos + 2:pos + 3] == b"#":
                    # inside a run of #: a packet can only start at its last two, so jump there
                    # (stripped in bounded windows: many short runs stay linear too)
                    end = pos + 2
                    while True:
                        w = buf[end:end + 4096]
                        k = len(w) - len(w.lstrip(b"#"))
                        end += k
                        if k < len(w) or not w:
                            break
                    self.skipped += end - 2 - pos
                    pos = end - 2
                    if end >= n:
                        break
                    continue
                self.skipped += 1
                pos += 1
                continue
            total = 2 + 4 + int(buf[pos + 2:pos + 6].decode()) + 4 + 2
            if n - pos < total:
                break
            if buf[pos + total - 2:pos + total] != b"\r\n":
                # a stray ## in garbage: resynchronise instead of eating real packets
                self.skipped += 1
                pos += 1
                continue
            out.append(buf[pos:pos + total])
            pos += total
        self.buf = buf[pos:]
        return out


def decode_all(packets, reassembler=None):
    """Packets (bytes) -> list of Messages; raises Hj212Error on the first bad packet."""
    r = reassembler or Reassembler()
    out = []
    for p in packets:
        m = r.feed(parse_packet(p))
        if m is not None:
            out.append(m)
    return out
