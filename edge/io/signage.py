"""Signage: what the truck driver sees and hears — the LED display and the voice module.

Both hang on RS-485 (one bus, or two ports): the display speaks Onbon's BX-5K/6K protocol
(edge/io/protocols/bx5k.py), the voice module the SYN6288's or the XFS5152CE's
(edge/io/protocols/). A dead, unplugged or wrongly wired device never stops the barrier or
the record: `open`, `show` and `say` never raise and never wait past a few seconds, and
`health()` says what is wrong in a line an installer can act on.

The display gets one dynamic area per row (edge/io/layout.py decides what goes where); an
update asks the card for an ACK when [display] led_answer is set. Speech longer than one
frame goes out frame by frame, each after the chip's idle answer (0x4F) — or after the time
the previous frame takes to speak, if the module never answers — in the background: `say`
returns once the first frame is out. A new announcement supersedes one still being spoken,
as the chip itself does with a new frame.
"""
from __future__ import annotations

import asyncio
import logging

from edge import timeutil
from edge.errors import EdgeError
from edge.io import layout
from edge.io.protocols import bx5k, syn6288, xfs5152
from edge.io.serial485 import RS485Port

log = logging.getLogger(__name__)

TONES = {"allow": bx5k.GREEN, "refuse": bx5k.RED, "wait": bx5k.YELLOW, "info": None, None: None}
MAX_ROWS = 5                   # BX-6K cards keep 5 dynamic areas (5K: 8)
SECONDS_PER_CHAR = 0.3         # how long a module takes to speak a character, when it does not say
VOICE = {"syn6288": syn6288, "xfs5152": xfs5152}


def _now() -> str:
    return timeutil.fmt_datetime(timeutil.now())


class _Device:
    """Health bookkeeping shared by the display and the voice module."""

    def __init__(self, protocol: str, port: RS485Port | None):
        self.protocol = protocol
        self.port = port
        self.error: str | None = None
        self.last_ok_at: str | None = None
        self.counts = {"sent": 0, "answered": 0, "no_answer": 0, "refused": 0, "failed": 0}

    def failed(self, why: str) -> None:
        self.counts["failed"] += 1
        self.error = why
        log.warning("%s", why)

    def health(self) -> dict:
        if self.port is None:
            return {"protocol": self.protocol, "ok": True, "error": None}
        port_error = self.port.error
        return {"protocol": self.protocol, "ok": not (self.error or port_error), "error": self.error or port_error,
                "last_ok_at": self.last_ok_at, **self.counts, "port": self.port.health()}


class Signage:
    def __init__(self, settings, board, state_dir):
        self.s = settings
        self.board = board
        self.state_dir = state_dir
        self.rows = max(1, min(MAX_ROWS, settings.led_height // settings.led_font_px))
        self.cols = settings.led_width // (settings.led_font_px // 2)
        self._lines: list[str] = []
        self._voice_text: str | None = None
        self._shown_at = self._said_at = None
        self._led_answers: asyncio.Queue = asyncio.Queue()
        self._voice_answers: asyncio.Queue = asyncio.Queue()
        self._led_parser = bx5k.Parser() if settings.led != "none" else None
        self._led_lock = asyncio.Lock()
        self._speaking: asyncio.Task | None = None
        self.de = None
        self.de_error: str | None = None
        ports = self._ports()
        self.led = _Device(settings.led, ports.get("led"))
        self.voice = _Device(settings.voice, ports.get("voice"))
        self._all_ports = list({id(p): p for p in ports.values()}.values())

    # ------------------------------------------------------------------ making
    @classmethod
    async def open(cls, settings, board, state_dir) -> "Signage":
        """Open the ports; a port that cannot open is reported in health() and retried on use."""
        self = cls(settings, board, state_dir)
        for port in self._all_ports:
            try:
                await port.open()
            except EdgeError as e:
                log.warning("%s", e)
        return self

    def _ports(self) -> dict:
        s, serial = self.s, self.board.serial
        led_dev = s.port or serial.rs485_device
        led_baud = s.baud or serial.rs485_baud
        voice_dev = s.voice_port or led_dev
        voice_baud = s.voice_baud or s.baud or serial.rs485_baud
        led_key = "[display] port" if s.port else "board serial.rs485_device"
        voice_key = "[display] voice_port" if s.voice_port else led_key
        ports: dict = {}

        def make(device, baud, key, name, link):
            de = self._de_pin() if device == serial.rs485_device and device != "pty" else None
            return RS485Port(device, baud, name=name, key=key, de=de, state_dir=self.state_dir, link_name=link,
                             write_timeout_s=s.write_timeout_s, on_bytes=None)

        if s.led != "none":
            ports["led"] = make(led_dev, led_baud, led_key, "LED display", "rs485")
        if s.voice != "none":
            if "led" in ports and voice_dev == led_dev:
                ports["voice"] = ports["led"]
                ports["voice"].name = "LED display and voice"
            else:
                ports["voice"] = make(voice_dev, voice_baud, voice_key, "voice module",
                                      "rs485" if "led" not in ports else "rs485-voice")
        for port in {id(p): p for p in ports.values()}.values():
            port.on_bytes = self._router(port, ports)
        return ports

    def _de_pin(self):
        pin = self.board.serial.rs485_de_pin
        if not pin:
            return None
        if self.de is None:
            from gpiozero import OutputDevice
            from edge.io import pins
            try:
                self.de = OutputDevice(int(pin) if pin.isdigit() else pin, initial_value=False,
                                       pin_factory=pins.factory(self.board))
            except Exception as e:  # the bus still works with an auto-direction transceiver
                self.de_error = "board serial.rs485_de_pin = %s (RS-485 driver enable): cannot claim the pin: %s" % (
                    pin, (str(e) or type(e).__name__).splitlines()[0])
                log.warning("%s", self.de_error)
                return None
        return self.de

    def _router(self, port, ports):
        """What a port hears: BX-5K/6K answer frames for the display, single bytes for the voice."""
        led_here = ports.get("led") is port and self._led_parser is not None
        voice_here = ports.get("voice") is port
        answers = VOICE[self.s.voice].ANSWERS if voice_here else {}

        def on_bytes(data: bytes) -> None:
            for b in data:
                if led_here and (self._led_parser.inside or b == 0xA5):
                    for pkt in self._led_parser.feed(bytes([b])):
                        self._led_answers.put_nowait(pkt)
                elif b in answers:
                    self._voice_answers.put_nowait(b)
        return on_bytes

    # ------------------------------------------------------------------ display
    async def show(self, lines, tone: str | None = None) -> None:
        """Show these lines (the decision's display lines); `tone` allow/refuse/wait colours them."""
        self._lines = [str(t) for t in lines]
        self._shown_at = _now()
        if self.led.port is None:
            return
        try:
            await asyncio.wait_for(self._show(self._lines, TONES.get(tone)), self._budget())
        except asyncio.TimeoutError:
            self.led.failed("LED display: the update did not finish within %.1f s" % self._budget())
        except Exception as e:  # never let the display stop the gate
            self.led.failed("LED display: %s" % e)

    async def show_idle(self) -> None:
        await self.show(self.s.idle_lines, "info")

    def _frame(self, lines, color) -> bytes:
        fp = self.s.led_font_px
        areas = []
        for i, (text, scroll) in enumerate(layout.fit(lines, self.rows, self.cols)):
            areas.append(bx5k.area(0, i * fp, self.s.led_width, fp, bx5k.text(text or " ", color if text else None),
                                   area_id=i, display_mode=bx5k.MOVE_LEFT if scroll else bx5k.STATIC,
                                   speed=4 if scroll else 0, stay=0 if scroll else 10))
        return bx5k.frame(bx5k.dynamic_update(areas, response=self.s.led_answer), dst=self.s.led_address)

    async def _show(self, lines, color) -> None:
        frame = self._frame(lines, color)
        async with self._led_lock:
            _drain(self._led_answers)
            if not await self.led.port.write(frame):
                self.led.failed("LED display: %s" % self.led.port.error)
                return
            self.led.counts["sent"] += 1
            if not self.s.led_answer:
                self.led.error = None
                self.led.last_ok_at = _now()
                return
            pkt = await _next(self._led_answers, self.s.answer_timeout_s)
            if pkt is None:
                self.led.counts["no_answer"] += 1
                self.led.error = ("LED display: no answer from the card at address %d on %s within %.1f s "
                                  "(power, wiring A/B, baud %d, screen address?)" % (
                                      self.s.led_address, self.led.port.path or self.led.port.device,
                                      self.s.answer_timeout_s, self.led.port.baud))
                log.warning("%s", self.led.error)
                return
            reply = bx5k.decode_request(pkt["data"]) if "data" in pkt else {"kind": "bad", "error": pkt.get("error")}
            if reply.get("kind") == "ack":
                self.led.counts["answered"] += 1
                self.led.error = None
                self.led.last_ok_at = _now()
            else:
                self.led.counts["refused"] += 1
                self.led.error = "LED display: the card refused the update (%s)" % (reply.get("error") or reply.get("kind"))
                log.warning("%s", self.led.error)

    def _budget(self) -> float:
        return self.s.write_timeout_s + self.s.answer_timeout_s + 1.0

    # ------------------------------------------------------------------ voice
    async def say(self, text: str) -> None:
        """Speak; returns once the first frame is out (or failed). Never raises."""
        text = "".join(c for c in str(text) if c >= " ").strip()
        self._voice_text = text
        self._said_at = _now()
        if self.voice.port is None or not text:
            return
        if self._speaking is not None and not self._speaking.done():
            self._speaking.cancel()
        first = asyncio.Event()
        self._speaking = asyncio.get_running_loop().create_task(self._speak(text, first))
        try:
            await asyncio.wait_for(first.wait(), self._budget())
        except asyncio.TimeoutError:
            self.voice.failed("voice: the first frame did not go out within %.1f s" % self._budget())

    def _voice_frames(self, text: str) -> list[tuple[bytes, int]]:
        proto = VOICE[self.s.voice]
        enc_name = self.s.voice_encoding
        codec = {"unicode": proto.CODECS[3]}.get(enc_name, enc_name)
        vol = self.s.voice_volume
        if vol >= 0:
            text = "[v%d]" % (min(vol, 10) if proto is xfs5152 else vol) + text

        def encode(s: str) -> bytes:
            try:
                return s.encode(codec)
            except UnicodeEncodeError:
                return s.encode("gbk", "replace")
        out = []
        for part in syn6288.chunks(text, encode, proto.MAX_TEXT):
            try:
                data, enc = part.encode(codec), proto.ENCODINGS[enc_name]
            except UnicodeEncodeError:  # GB2312 lacks a character: GBK has it (and is a superset)
                data, enc = part.encode("gbk", "replace"), proto.ENCODINGS["gbk"]
            out.append((proto.speak(data, enc), len(part)))
        return out

    async def _speak(self, text: str, first: asyncio.Event) -> None:
        try:
            frames = self._voice_frames(text)
            for i, (frame, chars) in enumerate(frames):
                if i:
                    # wait for the chip to finish the previous frame (0x4F), or the time it takes
                    await _next(self._voice_answers, max(2.0, min(60.0, frames[i - 1][1] * SECONDS_PER_CHAR + 1.0)),
                                want=(syn6288.IDLE,))
                _drain(self._voice_answers)
                if not await self.voice.port.write(frame):
                    self.voice.failed("voice: %s" % self.voice.port.error)
                    return
                self.voice.counts["sent"] += 1
                if i == 0:
                    first.set()
                ans = await _next(self._voice_answers, self.s.answer_timeout_s, want=(syn6288.RECEIVED, syn6288.REFUSED))
                if ans is None:
                    self.voice.counts["no_answer"] += 1
                    self.voice.error = ("voice: no answer from the %s on %s within %.1f s (power, wiring, baud %d?)"
                                        % (self.s.voice.upper(), self.voice.port.path or self.voice.port.device,
                                           self.s.answer_timeout_s, self.voice.port.baud))
                elif ans == syn6288.REFUSED:
                    self.voice.counts["refused"] += 1
                    self.voice.error = "voice: the %s refused a frame (0x45)" % self.s.voice.upper()
                    log.warning("%s", self.voice.error)
                    return
                else:
                    self.voice.counts["answered"] += 1
                    self.voice.error = None
                    self.voice.last_ok_at = _now()
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.voice.failed("voice: %s" % e)
        finally:
            first.set()

    # ------------------------------------------------------------------ status
    def health(self) -> dict:
        h = {"led": self.led.health(), "voice": self.voice.health()}
        if self.de_error:
            h["led"]["error"] = h["led"]["error"] or self.de_error
            h["de_error"] = self.de_error
        h["voice"]["speaking"] = bool(self._speaking is not None and not self._speaking.done())
        return h

    def last(self) -> dict:
        return {"lines": list(self._lines), "voice": self._voice_text, "shown_at": self._shown_at,
                "said_at": self._said_at}

    @property
    def far_end(self) -> str | None:
        """The pty path a decoder attaches to (sim board)."""
        port = self.led.port or self.voice.port
        return port.path if port is not None else None

    async def close(self) -> None:
        if self._speaking is not None:
            self._speaking.cancel()
            try:
                await self._speaking
            except (asyncio.CancelledError, Exception):
                pass
        for port in self._all_ports:
            await port.close()
        if self.de is not None:
            self.de.close()


def _drain(q: asyncio.Queue) -> None:
    while not q.empty():
        q.get_nowait()


async def _next(q: asyncio.Queue, timeout: float, want=None):
    """The next item (in `want`, if given) within `timeout`, else None."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        left = end - loop.time()
        if left <= 0:
            return None
        try:
            item = await asyncio.wait_for(q.get(), left)
        except asyncio.TimeoutError:
            return None
        if want is None or item in want:
            return item
