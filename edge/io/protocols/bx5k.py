"""Onbon (仰邦) BX-5K/6K "字库卡" LED controllers — the cards in most Chinese gate and parking
displays — their RS-485/RS-232 protocol, as Onbon publishes it.

Source: 《BX-5K/6K通讯协议用户版本》 v1.4 (2021-02-28), Onbon's developer documentation
(doc.onbonbx.com/zh/k/potocol; the Markdown is in the public repository
onbonlab/onbonlab.github.io, onbon-docs/docs/zh/k/potocol.md). Sections used: 3 (framing,
escaping), 4 (packet header), 5 (request/answer), 7 (ACK/NACK), 8.2 (real-time display:
dynamic areas), 8.7 (PING), 8.16 (clear screen), 8.17 (brightness), 9.1 (area data),
11.1 (text escapes), appendix (CRC16).

Frame (3): 8 x 0xA5 | escaped PHY1 | 0x5A. PHY1 = 14-byte header | data | CRC16 (LSB first).
Escaping (3.3): 0xA5 -> A6 02, 0xA6 -> A6 01, 0x5A -> 5B 02, 0x5B -> 5B 01; the CRC and the
lengths are of the unescaped bytes. CRC16 (appendix): polynomial x^16+x^15+x^2+1, reflected,
initial 0 (CRC-16/ARC) over the header and the data.
Header (4): DstAddr(2) SrcAddr(2) Reserved(3) BarCodeOption(1) CheckMode(1) DisplayMode(1)
DeviceType(1) ProtocolVersion(1) DataLen(2); multi-byte numbers LSB first (2.4).
Request data (5.1.1): CmdGroup Cmd Response(1 must answer / 2 must not) Reserved(2) Data;
answer (5.1.2): CmdGroup Cmd CmdError Reserved(2) Data; ACK = A0 00, NACK = A0 01 (7).
Text is GB2312 (the cards' fonts); "\\C1".."\\C7" set the colour, "\\n" breaks a line (11.1).
"""

PREAMBLE = b"\xa5" * 8
END = 0x5A
SRC_PC = 0x8000          # 4: client software addresses start at 0x8000
BROADCAST = 0xFFFF       # no answer
BROADCAST_ANSWER = 0xFFFE
ANY_DEVICE = 0xFE
VERSION = 0x02

# colours (11.1)
RED, GREEN, YELLOW, BLUE, CYAN, MAGENTA, WHITE = range(1, 8)

# area display modes (9.1)
STATIC, TYPE_OUT, MOVE_LEFT, MOVE_RIGHT, MOVE_UP, MOVE_DOWN = 1, 2, 3, 4, 5, 6

ERRORS = ["ERR_NO", "ERR_OUTOFGROUP", "ERR_NOCMD", "ERR_BUSY", "ERR_MEMORYVOLUME", "ERR_CHECKSUM",
          "ERR_FILENOTEXIST", "ERR_FLASH", "ERR_FILE_DOWNLOAD", "ERR_FILE_NAME", "ERR_FILE_TYPE",
          "ERR_FILE_CRC16", "ERR_FONT_NOT_EXIST", "ERR_FIRMWARE_TYPE", "ERR_DATE_TIME_FORMAT",
          "ERR_FILE_EXIST", "ERR_FILE_BLOCK_NUM"]


def _table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
        t.append(c)
    return t


_T = _table()


def crc16(data):
    c = 0
    for b in data:
        c = (c >> 8) ^ _T[(c ^ b) & 0xFF]
    return c


def _u16(n):
    return bytes([n & 0xFF, (n >> 8) & 0xFF])


def _u32(n):
    return bytes([n & 0xFF, (n >> 8) & 0xFF, (n >> 16) & 0xFF, (n >> 24) & 0xFF])


def _le(b):
    n = 0
    for i, x in enumerate(b):
        n |= x << (8 * i)
    return n


def escape(data):
    out = bytearray()
    for b in data:
        if b == 0xA5:
            out += b"\xa6\x02"
        elif b == 0xA6:
            out += b"\xa6\x01"
        elif b == 0x5A:
            out += b"\x5b\x02"
        elif b == 0x5B:
            out += b"\x5b\x01"
        else:
            out.append(b)
    return bytes(out)


def unescape(data):
    out = bytearray()
    i = 0
    while i < len(data):
        b = data[i]
        if b in (0xA6, 0x5B) and i + 1 < len(data) and data[i + 1] in (1, 2):
            out.append({(0xA6, 2): 0xA5, (0xA6, 1): 0xA6, (0x5B, 2): 0x5A, (0x5B, 1): 0x5B}[(b, data[i + 1])])
            i += 2
        else:
            out.append(b)
            i += 1
    return bytes(out)


def frame(data, dst=0x0001, src=SRC_PC, device_type=ANY_DEVICE, display_mode=0):
    """A complete frame carrying one data field (request or answer)."""
    header = _u16(dst) + _u16(src) + b"\x00\x00\x00" + b"\x00" + b"\x00" + bytes([display_mode, device_type, VERSION]) \
        + _u16(len(data))
    phy1 = header + bytes(data)
    return PREAMBLE + escape(phy1 + _u16(crc16(phy1))) + bytes([END])


def request(group, cmd, payload=b"", response=True, reserved=b"\x00\x00"):
    return bytes([group, cmd, 1 if response else 2]) + reserved + bytes(payload)


def answer(group, cmd, error=0, payload=b""):
    return bytes([group, cmd, error, 0, 0]) + bytes(payload)


def ack():
    return answer(0xA0, 0x00)


def nack(error):
    return answer(0xA0, 0x01, error)


def ping(response=True):
    return request(0xA2, 0x00, response=response)


def clear_screen(response=True):
    return request(0xA3, 0x10, response=response)


def brightness(level, response=True):
    """Force the brightness (8.17): 0-15."""
    if not 0 <= level <= 15:
        raise ValueError("brightness is 0-15")
    return request(0xA3, 0x02, bytes([0x01, level]), response=response)


def text(content, color=None):
    """Area text: GB2312 (unencodable characters become '?'), an optional colour escape first."""
    # GB2312's A1A4 is the middle dot of "苏A·12345"; Python's codec calls it U+30FB
    body = content.replace("\u00b7", "\u30fb").encode("gb2312", "replace")
    return (b"\\C%d" % color if color else b"") + body


def area(x, y, width, height, data, area_id=0, display_mode=STATIC, speed=4, stay=10, single_line=True,
         auto_wrap=False, run_mode=0, timeout=0, line_spacing=0, align=0):
    """One area's data (9.1): pixel coordinates (the 0x8000 flag on X and width), no voice,
    no extension bytes; `data` from text()."""
    return (b"\x00" + _u16(0x8000 | x) + _u16(y) + _u16(0x8000 | width) + _u16(height)
            + bytes([area_id, line_spacing, run_mode]) + _u16(timeout)
            + b"\x00"            # SoundMode: no voice (the voice module speaks)
            + b"\x00"            # ExtendParaLen: none
            + bytes([align, 1 if single_line else 2, 2 if auto_wrap else 1, display_mode, 0, speed, stay])
            + _u32(len(data)) + bytes(data))


def dynamic_update(areas, response=True, delete=None, process_mode=0):
    """Real-time display (8.2.1, A3 06): update these areas (from area()), first deleting the
    dynamic areas in `delete` (a list of ids, or "all")."""
    payload = bytearray()
    if delete == "all":
        payload.append(0xFF)
    elif delete:
        payload.append(len(delete))
        payload += bytes(delete)
    else:
        payload.append(0)
    payload.append(len(areas))
    for a in areas:
        payload += _u16(len(a)) + a
    return request(0xA3, 0x06, bytes(payload), response=response, reserved=bytes([process_mode, 0]))


# ---------------------------------------------------------------------- decoding

class Parser:
    """Frames from a byte stream: `feed(data)` -> list of packet dicts (see decode_phy1), or
    {"error": ...} for a frame that fails its CRC or is cut short."""

    def __init__(self):
        self.buf = bytearray()
        self.inside = False

    def feed(self, data):
        out = []
        for b in bytes(data):
            if not self.inside:
                if b == 0xA5:
                    self.inside = True
                    self.buf = bytearray()
                continue
            if b == 0xA5:
                if self.buf:  # a new preamble inside a frame: the old one was cut short
                    out.append({"error": "frame cut short (%d bytes)" % len(self.buf)})
                    self.buf = bytearray()
                continue
            if b == END:
                self.inside = False
                out.append(decode_phy1(unescape(bytes(self.buf))))
                self.buf = bytearray()
                continue
            self.buf.append(b)
        return out


def decode_phy1(phy1):
    if len(phy1) < 16:
        return {"error": "frame too short (%d bytes)" % len(phy1)}
    body, crc = phy1[:-2], _le(phy1[-2:])
    if crc16(body) != crc:
        return {"error": "CRC16 mismatch (got %04X, computed %04X)" % (crc, crc16(body))}
    n = _le(body[12:14])
    data = body[14:]
    if len(data) != n:
        return {"error": "data length %d, header says %d" % (len(data), n)}
    return {"dst": _le(body[0:2]), "src": _le(body[2:4]), "check_mode": body[8], "display_mode": body[9],
            "device_type": body[10], "version": body[11], "data": data}


def decode_request(data):
    """{"group", "cmd", "response", ...} with the dynamic areas decoded for A3 06."""
    if len(data) < 5:
        return {"error": "request too short"}
    r = {"group": data[0], "cmd": data[1], "response": data[2] == 1}
    if (data[0], data[1]) == (0xA0, 0x00):
        r["kind"] = "ack"
    elif (data[0], data[1]) == (0xA0, 0x01):
        r["kind"] = "nack"
        r["error"] = ERRORS[data[2]] if data[2] < len(ERRORS) else "error %d" % data[2]
    elif (data[0], data[1]) == (0xA3, 0x06):
        r["kind"] = "dynamic"
        r.update(_decode_dynamic(data))
    else:
        r["kind"] = {(0xA2, 0x00): "ping", (0xA3, 0x10): "clear", (0xA3, 0x02): "brightness"}.get(
            (data[0], data[1]), "%02X %02X" % (data[0], data[1]))
    return r


def _decode_dynamic(data):
    i = 5
    ndel = data[i]
    i += 1
    delete = "all" if ndel == 0xFF else list(data[i:i + ndel])
    if ndel != 0xFF:
        i += ndel
    count = data[i]
    i += 1
    areas = []
    for _ in range(count):
        ln = _le(data[i:i + 2])
        a = data[i + 2:i + 2 + ln]
        i += 2 + ln
        areas.append(_decode_area(a))
    return {"process_mode": data[3], "delete": delete, "areas": areas}


def _decode_area(a):
    x, y, w, h = _le(a[1:3]), _le(a[3:5]), _le(a[5:7]), _le(a[7:9])
    sound, j = a[14], 15                     # SoundMode; voice bytes follow only when set
    if sound:
        j += 3
        if sound == 2:
            j += 4 + _le(a[j:j + 4])
    ext = a[j]
    j += 1 + ext
    align, single, wrap, mode, _exit, speed, stay = a[j:j + 7]
    n = _le(a[j + 7:j + 11])
    raw = a[j + 11:j + 11 + n]
    return {"x": x & 0x7FFF if x & 0x8000 else (x & 0x7FFF) * 8, "y": y,
            "width": w & 0x7FFF if w & 0x8000 else (w & 0x7FFF) * 8, "height": h,
            "id": a[9], "display_mode": mode, "single_line": single == 1, "speed": speed, "stay": stay,
            "raw": raw}


def plain(raw):
    """Area text without its escapes (colour, font, time), line breaks as newlines."""
    s = raw.decode("gb2312", "replace").replace("\u30fb", "\u00b7")
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            c = s[i + 1]
            if c == "n":
                out.append("\n")
                i += 2
                continue
            if c in "CD":
                i += 3
                continue
            if c == "F":
                i += 6
                continue
            if c == "W":
                i += 6
                continue
        out.append(s[i])
        i += 1
    return "".join(out)
