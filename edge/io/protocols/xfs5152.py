"""iFlytek XFS5152CE TTS chip (科大讯飞), UART command frames.

Source: 《XFS5152CE 语音合成芯片用户开发指南》 (iFlytek / 合肥飞听), its English transcript at
vdocuments.site ("XFS5152CE Speech synthesis chip User Development Guide"), cross-checked
against DFRobot's MIT-licensed DFRobot_SpeechSynthesis driver for the same chip.

Frame: 0xFD | length (2 bytes, high byte first) | command | data — the length counts the
command and the data; there is NO checksum (the difference from the SYN6288's frame).
Speak (0x01): data = encoding byte (0 GB2312, 1 GBK, 2 BIG5, 3 Unicode) + text; the chip
buffers up to 4 KB, we keep a frame's text under 4000 bytes. Unicode is UTF-16 little-endian
(the byte order DFRobot's driver sends with encoding 3; GB2312, our default, has no order).
Stop 0x02, pause 0x03, resume 0x04, status 0x21, power save 0x88, wake 0xFF: command only.
Answers are the SYN6288's single bytes: 0x4A, 0x41, 0x45, 0x4E (busy), 0x4F (idle).
"""
# the command codes, encodings and one-byte answers are the SYN6288's
from edge.io.protocols.syn6288 import (ANSWERS, BUSY, ENCODINGS, HEAD, IDLE, INIT_OK, PAUSE,  # noqa: F401
                                       RECEIVED, REFUSED, RESUME, SPEAK, STATUS, STOP)
from edge.io.protocols.syn6288 import Parser as _FdParser

POWER_SAVE = 0x88
WAKE = 0xFF

MAX_TEXT = 4000

CODECS = {0: "gb2312", 1: "gbk", 2: "big5", 3: "utf-16-le"}
COMMANDS = {SPEAK: "speak", STOP: "stop", PAUSE: "pause", RESUME: "resume", STATUS: "status",
            POWER_SAVE: "power_save", WAKE: "wake"}


def frame(command, data=b""):
    n = 1 + len(data)
    if n > 0xFFFF:
        raise ValueError("XFS5152 frame too long")
    return bytes([HEAD, n >> 8, n & 0xFF, command]) + bytes(data)


def speak(text_bytes, encoding=0):
    if encoding not in CODECS:
        raise ValueError("encoding is 0 GB2312, 1 GBK, 2 BIG5 or 3 Unicode")
    if len(text_bytes) > MAX_TEXT:
        raise ValueError("XFS5152 text is kept under %d bytes per frame (got %d)" % (MAX_TEXT, len(text_bytes)))
    return frame(SPEAK, bytes([encoding]) + bytes(text_bytes))


def stop():
    return frame(STOP)


def pause():
    return frame(PAUSE)


def resume():
    return frame(RESUME)


def status():
    return frame(STATUS)


def power_save():
    return frame(POWER_SAVE)


def wake():
    return frame(WAKE)


class Parser(_FdParser):
    """Frames from a byte stream; `feed(data)` -> [(frame_dict | None, raw)] as syn6288.Parser."""

    MIN = 1
    MAX = MAX_TEXT + 2

    def _decode(self, raw):
        return decode(raw)


def decode(raw):
    cmd = raw[3]
    data = raw[4:]
    f = {"cmd": cmd, "name": COMMANDS.get(cmd, "0x%02X" % cmd), "param": None, "data": data, "ok": True}
    if cmd == SPEAK and data:
        f["param"], f["data"] = data[0], data[1:]
    return f


def text_of(f):
    enc = f["param"] if f["param"] is not None else 0
    codec = CODECS.get(enc)
    text = f["data"].decode(codec, "replace") if codec else f["data"].hex()
    return text, ("unicode" if enc == 3 else codec or str(enc)), 0
