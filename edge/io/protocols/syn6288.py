"""SYN6288 Chinese TTS chip (北京宇音天下), exactly as its datasheet gives the UART protocol.

Source: 《SYN6288 中文语音合成芯片数据手册》 (2016-03-09 edition), as committed in the public
repository libdriver/syn6288 (datasheet/syn6288_datasheet.pdf), sections 2.2, 4.1-4.4, 7.2.

Frame (4.1): 0xFD | length (2 bytes, high byte first) | command | [parameter] | [text] | XOR.
The length counts the data area: command, parameter, text and the checksum byte (≤ 203).
The checksum is the XOR of every byte before it, the 0xFD and the length included.
Speak (0x01): parameter = background music (high 5 bits, 0 none, 1-15) << 3 | text encoding
(low 3 bits: 0 GB2312, 1 GBK, 2 BIG5, 3 Unicode — big-endian, as the 4.4.1 example's bytes
show); text at most 200 bytes (4.3.3 point 3). Baud (0x31): parameter 0/1/2 = 9600/19200/38400.
Stop 0x02, pause 0x03, resume 0x04, status query 0x21, power down 0x88: no parameter.
Answers (2.2): one byte — 0x4A initialised, 0x41 frame received, 0x45 frame refused,
0x4E busy (speaking), 0x4F idle (also sent by itself when a frame has been spoken).
Longer text goes in several frames, each after the chip's 0x4F (7.2), cut at punctuation
where possible (4.3.3 point 5).
"""

HEAD = 0xFD
SPEAK = 0x01
STOP = 0x02
PAUSE = 0x03
RESUME = 0x04
STATUS = 0x21
BAUD = 0x31
POWER_DOWN = 0x88

MAX_TEXT = 200

ENCODINGS = {"gb2312": 0, "gbk": 1, "big5": 2, "unicode": 3}
CODECS = {0: "gb2312", 1: "gbk", 2: "big5", 3: "utf-16-be"}
BAUDS = {9600: 0, 19200: 1, 38400: 2}

INIT_OK = 0x4A
RECEIVED = 0x41
REFUSED = 0x45
BUSY = 0x4E
IDLE = 0x4F
ANSWERS = {INIT_OK: "initialised", RECEIVED: "received", REFUSED: "refused", BUSY: "busy", IDLE: "idle"}

COMMANDS = {SPEAK: "speak", STOP: "stop", PAUSE: "pause", RESUME: "resume", STATUS: "status",
            BAUD: "baud", POWER_DOWN: "power_down"}
# commands that carry a parameter byte
_WITH_PARAM = (SPEAK, BAUD)


def xor(data):
    c = 0
    for b in data:
        c ^= b
    return c


def frame(command, parameter=None, data=b""):
    """One command frame; `parameter` None for the commands without one."""
    body = bytes([command]) + (bytes([parameter]) if parameter is not None else b"") + bytes(data)
    n = len(body) + 1
    if n > MAX_TEXT + 3:
        raise ValueError("SYN6288 data area is at most 203 bytes (got %d)" % n)
    head = bytes([HEAD, n >> 8, n & 0xFF]) + body
    return head + bytes([xor(head)])


def speak(text_bytes, encoding=0, music=0):
    """A speak frame for text already in `encoding` (0-3); at most 200 bytes of text."""
    if not 0 <= music <= 15:
        raise ValueError("background music is 0 (none) to 15")
    if encoding not in CODECS:
        raise ValueError("encoding is 0 GB2312, 1 GBK, 2 BIG5 or 3 Unicode")
    if len(text_bytes) > MAX_TEXT:
        raise ValueError("SYN6288 speaks at most 200 bytes of text per frame (got %d)" % len(text_bytes))
    return frame(SPEAK, (music << 3) | encoding, text_bytes)


def stop():
    return frame(STOP)


def pause():
    return frame(PAUSE)


def resume():
    return frame(RESUME)


def status():
    return frame(STATUS)


def power_down():
    return frame(POWER_DOWN)


def set_baud(baud):
    if baud not in BAUDS:
        raise ValueError("SYN6288 runs at 9600, 19200 or 38400 baud")
    return frame(BAUD, BAUDS[baud])


_BREAKS = "。，、；：？！,.;:?! "


def chunks(text, encode, limit=MAX_TEXT):
    """Cut `text` into pieces whose encoding fits `limit` bytes, after punctuation where possible
    and never inside a character. `encode(str) -> bytes`."""
    out = []
    rest = text
    while rest:
        if len(encode(rest)) <= limit:
            out.append(rest)
            break
        # the longest prefix that fits
        n, size = 0, 0
        while n < len(rest):
            size += len(encode(rest[n]))
            if size > limit:
                break
            n += 1
        cut = n
        for i in range(n, 0, -1):
            if rest[i - 1] in _BREAKS:
                cut = i
                break
        if cut < n // 2:  # a break far back makes a short frame: cut at the limit instead
            cut = n
        out.append(rest[:cut])
        rest = rest[cut:]
    return out


class Parser:
    """Reassembles frames from a byte stream (a decoder's view of the bus).

    `feed(data)` returns a list of (frame_dict | None, raw) — None for bytes that were
    not a valid frame (skipped, so a stray byte cannot hide the next frame). A frame dict:
    {"cmd", "name", "param", "data", "ok"} where ok is False for a bad checksum.
    The XFS5152CE's frames share the head and length: its Parser only changes these three."""

    MIN = 2                  # a length below this or above MAX is not a frame: skip its 0xFD
    MAX = MAX_TEXT + 3

    def __init__(self):
        self.buf = b""

    def _decode(self, raw):
        return decode(raw)

    def feed(self, data):
        self.buf += bytes(data)
        out = []
        while self.buf:
            start = self.buf.find(bytes([HEAD]))
            if start < 0:
                out.append((None, self.buf))
                self.buf = b""
                break
            if start:
                out.append((None, self.buf[:start]))
                self.buf = self.buf[start:]
            if len(self.buf) < 3:
                break
            n = (self.buf[1] << 8) | self.buf[2]
            if n < self.MIN or n > self.MAX:
                out.append((None, self.buf[:1]))
                self.buf = self.buf[1:]
                continue
            if len(self.buf) < 3 + n:
                break
            raw, self.buf = self.buf[:3 + n], self.buf[3 + n:]
            out.append((self._decode(raw), raw))
        return out


def decode(raw):
    """One complete frame -> dict (see Parser)."""
    n = (raw[1] << 8) | raw[2]
    body = raw[3:3 + n - 1]
    cmd = body[0]
    if cmd in _WITH_PARAM and len(body) >= 2:
        param, data = body[1], body[2:]
    else:
        param, data = None, body[1:]
    return {"cmd": cmd, "name": COMMANDS.get(cmd, "0x%02X" % cmd), "param": param, "data": data,
            "ok": xor(raw[:-1]) == raw[-1]}


def text_of(f):
    """(text, encoding name, music) of a decoded speak frame."""
    enc = f["param"] & 0x07
    codec = CODECS.get(enc)
    text = f["data"].decode(codec, "replace") if codec else f["data"].hex()
    return text, ("unicode" if enc == 3 else codec or str(enc)), f["param"] >> 3
