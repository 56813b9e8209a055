"""The RS-485 port the LED display and the voice module hang on.

A real port is opened with pyserial-asyncio (exclusively: a second program on the same port
is an error, not garbled frames). Half-duplex transceivers get their driver-enable pin raised
for each frame: DE high, write, drain, wait the frame's time on the wire at the baud, DE low;
without a DE pin the transceiver switches by itself. Every write has a timeout, so a wedged
adapter never blocks the lane, and a port that failed is reopened on a later write.

On the simulated board (`rs485_device = "pty"`) the port makes a pty pair itself and keeps the
master end; the far end's path (/dev/pts/N) is published as the symlink <state_dir>/rs485 and
in health(), for `tools/rs485_decode.py` (or any serial tool) to attach to. While nothing is
attached, frames go nowhere, like on a bus with the display unplugged — and are not left
queued to surprise a decoder that attaches later.
"""
from __future__ import annotations

import asyncio
import errno
import logging
import os
import select
import threading
import termios
import time
import tty
from pathlib import Path

from edge import timeutil
from edge.errors import EdgeError

log = logging.getLogger(__name__)

PTY = "pty"


def _reason(e: BaseException) -> str:
    no = getattr(e, "errno", None)
    text = str(e)
    if no == errno.ENOENT or "No such file" in text:
        return "not found (is the adapter plugged in? check the device name)"
    if no in (errno.EACCES, errno.EPERM) or "Permission denied" in text:
        return "permission denied (run as root or add the user to group dialout)"
    if no in (errno.EBUSY, errno.EAGAIN) or "exclusively lock" in text or "busy" in text.lower():
        return "busy: another program has it open"
    return text.splitlines()[0] if text else type(e).__name__


class _SerialLink:
    """A real port through pyserial-asyncio."""

    attached = True
    reopen_on_timeout = True

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        try:  # drain() then means "handed to the OS", not "below 64 KiB buffered"
            writer.transport.set_write_buffer_limits(0)
        except Exception:
            pass

    @classmethod
    async def open(cls, device: str, baud: int):
        import serial_asyncio
        reader, writer = await serial_asyncio.open_serial_connection(url=device, baudrate=baud, exclusive=True)
        return cls(reader, writer)

    async def read(self) -> bytes:
        data = await self.reader.read(512)
        if not data:
            raise EOFError("the port closed")
        return data

    async def write(self, data: bytes, timeout: float) -> None:
        self.writer.write(data)
        await asyncio.wait_for(self.writer.drain(), timeout)

    def close(self) -> None:
        try:
            self.writer.close()
        except Exception:
            pass


class _PtyLink:
    """The simulated board's bus: the master end of a pty pair made here."""

    reopen_on_timeout = False   # a new pty would move the far end under an attached decoder

    def __init__(self, master: int, path: str):
        self.master, self.path = master, path
        self._poll = select.poll()
        self._poll.register(master, select.POLLOUT)
        # status() runs in worker threads (status.json, the site state) while the loop writes:
        # one poll object polled from two threads at once raises "concurrent poll() invocation"
        self._poll_lock = threading.Lock()

    @classmethod
    async def open(cls):
        master, slave = os.openpty()
        tty.setraw(master)
        tty.setraw(slave)
        path = os.ttyname(slave)
        os.close(slave)
        os.set_blocking(master, False)
        return cls(master, path)

    @property
    def attached(self) -> bool:
        """Something has the far end open (a pty master sees POLLHUP while nobody does)."""
        with self._poll_lock:
            return not any(ev & select.POLLHUP for _, ev in self._poll.poll(0))

    async def read(self) -> bytes:
        loop = asyncio.get_running_loop()
        while True:
            try:
                data = os.read(self.master, 512)
                if data:
                    return data
            except BlockingIOError:
                pass
            except OSError as e:
                if e.errno != errno.EIO:  # EIO: nobody on the far end yet
                    raise
                await asyncio.sleep(0.2)
                continue
            fut = loop.create_future()
            loop.add_reader(self.master, lambda: fut.done() or fut.set_result(None))
            try:
                await fut
            finally:
                loop.remove_reader(self.master)

    async def write(self, data: bytes, timeout: float) -> None:
        if not self.attached:
            self.discard()  # nobody listening: drop, as the bus would
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.master, view)
                view = view[n:]
                continue
            except BlockingIOError:
                pass
            left = deadline - loop.time()
            if left <= 0:
                raise asyncio.TimeoutError()
            fut = loop.create_future()
            loop.add_writer(self.master, lambda: fut.done() or fut.set_result(None))
            try:
                await asyncio.wait_for(fut, left)
            finally:
                loop.remove_writer(self.master)

    def discard(self) -> None:
        termios.tcflush(self.master, termios.TCOFLUSH)

    def close(self) -> None:
        try:
            os.close(self.master)
        except OSError:
            pass


class RS485Port:
    """One bus. `on_bytes(data)` hears what the devices answer."""

    REOPEN_S = 2.0

    def __init__(self, device: str, baud: int, *, name: str = "RS-485", key: str = "port", de=None,
                 state_dir: str | os.PathLike | None = None, link_name: str = "rs485",
                 write_timeout_s: float = 2.0, gap_s: float = 0.01, on_bytes=None):
        self.device, self.baud, self.name, self.key = device, baud, name, key
        self.de = de                          # a gpiozero OutputDevice or None (auto-direction)
        self.state_dir = Path(state_dir) if state_dir else None
        self.link_name = link_name
        self.write_timeout_s = write_timeout_s
        self.gap_s = gap_s                    # SYN6288 4.3.3: more than 8 ms between frames
        self.on_bytes = on_bytes
        self.link = None
        self.path: str | None = None
        self.error: str | None = None
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task | None = None
        self._last_end = 0.0
        self._last_try = -1e9
        self.stats = {"frames": 0, "bytes": 0, "write_errors": 0, "write_timeouts": 0, "unheard": 0,
                      "received": 0, "opens": 0}
        self.last_write_at: str | None = None
        self.last_read_at: str | None = None

    # ------------------------------------------------------------------ open / close
    async def open(self) -> None:
        """Open now; EdgeError naming the device and the config key if it cannot be."""
        self._last_try = time.monotonic()
        try:
            if self.device == PTY:
                link = await _PtyLink.open()
                self.path = link.path
                self._publish(link.path)
            else:
                link = await _SerialLink.open(self.device, self.baud)
                self.path = self.device
        except Exception as e:
            self.error = "%s port %s (%s): %s" % (self.name, self.device, self.key, _reason(e))
            raise EdgeError(self.error) from None
        self.link = link
        self.error = None
        self.stats["opens"] += 1
        self._reader = asyncio.get_running_loop().create_task(self._read_loop(link))

    async def ensure_open(self) -> bool:
        """Open if closed, at most every REOPEN_S; never raises (health() says why)."""
        if self.link is not None:
            return True
        if time.monotonic() - self._last_try < self.REOPEN_S:
            return False
        try:
            await self.open()
            log.info("%s port %s open%s", self.name, self.device, " (far end %s)" % self.path if self.device == PTY else "")
            return True
        except EdgeError as e:
            log.warning("%s", e)
            return False

    def _publish(self, path: str) -> None:
        if self.state_dir is None:
            return
        link = self.state_dir / self.link_name
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            tmp = link.with_name(link.name + ".tmp")
            if tmp.is_symlink() or tmp.exists():
                tmp.unlink()
            os.symlink(path, tmp)
            os.replace(tmp, link)
        except OSError as e:
            log.warning("cannot publish the pty at %s: %s", link, e)

    def _drop(self, why: str) -> None:
        self.error = "%s port %s: %s" % (self.name, self.path or self.device, why)
        link, self.link = self.link, None
        if self._reader is not None:
            self._reader.cancel()
            self._reader = None
        if link is not None:
            link.close()
        self._last_try = time.monotonic()
        log.warning("%s (will reopen)", self.error)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):
                pass
            self._reader = None
        if self.link is not None:
            self.link.close()
            self.link = None
        if self.de is not None:
            try:
                self.de.off()
            except Exception:
                pass

    # ------------------------------------------------------------------ reading
    async def _read_loop(self, link) -> None:
        try:
            while True:
                data = await link.read()
                self.stats["received"] += len(data)
                self.last_read_at = timeutil.fmt_datetime(timeutil.now())
                if self.on_bytes is not None:
                    try:
                        self.on_bytes(data)
                    except Exception:
                        log.exception("%s: handling received bytes failed", self.name)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            if self.link is link:
                self._drop("read failed: %s" % _reason(e))

    # ------------------------------------------------------------------ writing
    async def write(self, frame: bytes) -> bool:
        """Send one frame; False (and health() saying why) if it could not be sent. Never raises."""
        async with self._lock:
            if not await self.ensure_open():
                return False
            link = self.link
            loop = asyncio.get_running_loop()
            wait = self._last_end + self.gap_s - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                if self.de is not None:
                    self.de.on()
                try:
                    attached = link.attached
                    await link.write(frame, self.write_timeout_s)
                    # the OS has the bytes; they leave the UART at 10 bits per byte
                    await asyncio.sleep(len(frame) * 10.0 / self.baud + 0.001)
                finally:
                    if self.de is not None:
                        self.de.off()
            except asyncio.TimeoutError:
                self.stats["write_timeouts"] += 1
                why = "write timed out after %.1f s (device or adapter not taking data)" % self.write_timeout_s
                if link.reopen_on_timeout:
                    self._drop(why)
                else:
                    link.discard()
                    self.error = "%s port %s: %s" % (self.name, self.path, why)
                return False
            except Exception as e:
                self.stats["write_errors"] += 1
                self._drop("write failed: %s" % _reason(e))
                return False
            finally:
                self._last_end = loop.time()
            self.stats["frames"] += 1
            self.stats["bytes"] += len(frame)
            self.error = None
            if not attached:
                self.stats["unheard"] += 1
            self.last_write_at = timeutil.fmt_datetime(timeutil.now())
            return True

    @property
    def attached(self) -> bool:
        return self.link is not None and self.link.attached

    def health(self) -> dict:
        h = {"device": self.device, "path": self.path, "baud": self.baud, "open": self.link is not None,
             "error": self.error, "de_pin": bool(self.de), "last_write_at": self.last_write_at,
             "last_read_at": self.last_read_at, **self.stats}
        if self.device == PTY:
            h["attached"] = self.attached
            if self.state_dir is not None:
                h["link"] = str(self.state_dir / self.link_name)
        return h
