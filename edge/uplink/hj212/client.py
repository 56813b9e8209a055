"""HJ 212 over TCP: one persistent connection, answers matched by QN, timeout + resend.

Ningxia 7.2 asks for "应答模式" with "超时重发": we send a message (one packet, or all its
split packets), wait `timeout_s` for the platform's answer carrying the same QN, and resend
the same packets (same QN, so the platform can drop the duplicate) up to `resend` times, on a
new connection (a silent peer is often a dead one that never sent FIN).
A lost connection is re-opened with exponential backoff (0.5 s doubling to `backoff_max_s`),
which also paces resends while the platform is unreachable. After the last attempt the
caller gets TransientError: the record stays in the outbox and is tried again later.

One message is in flight at a time (the outbox delivers one record after another); packets
the platform sends on its own (heartbeats, commands) are parsed and ignored.
"""
from __future__ import annotations

import asyncio
import logging

from edge.uplink.base import TransientError
from edge.uplink.hj212 import codec

log = logging.getLogger(__name__)
MIN_RATE = 16384   # bytes/s we still accept from a bad cellular link before calling it a timeout


class Hj212Client:
    def __init__(self, host, port, *, timeout_s=10.0, resend=3, backoff_min_s=0.5, backoff_max_s=60.0,
                 connect_timeout_s=None):
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self.resend = resend
        self.backoff_max_s = backoff_max_s
        self.backoff_min_s = min(backoff_min_s, backoff_max_s)
        self.connect_timeout_s = connect_timeout_s or timeout_s
        self._writer = None
        self._read_task = None
        self._waiters: dict[str, asyncio.Future] = {}
        self._lock = asyncio.Lock()
        self._backoff = self.backoff_min_s
        self._next_connect = 0.0
        self.stats = {"connects": 0, "connect_failures": 0, "resends": 0, "timeouts": 0,
                      "bad_packets": 0, "unmatched": 0}

    @property
    def connected(self):
        return self._writer is not None and not self._writer.is_closing()

    async def _connect(self):
        if self.connected:
            return
        loop = asyncio.get_running_loop()
        wait = self._next_connect - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port),
                                                    self.connect_timeout_s)
        except (OSError, asyncio.TimeoutError) as e:
            self.stats["connect_failures"] += 1
            self._next_connect = loop.time() + self._backoff
            self._backoff = min(self._backoff * 2, self.backoff_max_s)
            raise ConnectionError("cannot connect to %s:%s (%s)" % (self.host, self.port, e or type(e).__name__))
        self.stats["connects"] += 1
        self._backoff = self.backoff_min_s
        self._writer = writer
        self._read_task = asyncio.create_task(self._read_loop(reader, writer))

    async def _read_loop(self, reader, writer):
        splitter = codec.StreamSplitter()
        parts = codec.Reassembler()
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                for raw in splitter.feed(data):
                    try:
                        msg = parts.feed(codec.parse_packet(raw))
                    except codec.Hj212Error as e:
                        self.stats["bad_packets"] += 1
                        log.warning("HJ 212: ignoring a bad packet from the platform: %s", e)
                        continue
                    if msg is None:
                        continue
                    fut = self._waiters.get(msg.get("QN"))
                    if fut is not None and not fut.done():
                        fut.set_result(msg)
                    else:
                        self.stats["unmatched"] += 1
                        log.info("HJ 212: platform sent CN=%s QN=%s that answers nothing we wait for",
                                 msg.get("CN"), msg.get("QN"))
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._drop(writer, "connection closed by the platform")

    def _drop(self, writer, why):
        if writer is not None:
            writer.close()
        if writer is self._writer:
            self._writer = None
            for fut in self._waiters.values():
                if not fut.done():
                    fut.set_exception(ConnectionError(why))

    async def _send(self, packets):
        w = self._writer
        for i, p in enumerate(packets):
            w.write(p)
            if i % 64 == 63:
                await w.drain()
        await w.drain()

    async def request(self, packets, qn):
        """Send one message's packets; return the platform's answer (codec.Message) or raise
        TransientError after 1 + resend attempts."""
        async with self._lock:
            last = "not sent"
            for attempt in range(1 + self.resend):
                if attempt:
                    self.stats["resends"] += 1
                try:
                    await self._connect()
                except ConnectionError as e:
                    last = str(e)
                    continue
                fut = asyncio.get_running_loop().create_future()
                self._waiters[qn] = fut
                size = sum(len(p) for p in packets)
                try:
                    # sending a photo over a slow link may take a while: allow MIN_RATE for it,
                    # then timeout_s for the answer
                    await asyncio.wait_for(self._send(packets), self.timeout_s + size / MIN_RATE)
                    return await asyncio.wait_for(fut, self.timeout_s)
                except asyncio.TimeoutError:
                    self.stats["timeouts"] += 1
                    last = "no answer to QN=%s within %g s" % (qn, self.timeout_s)
                    # a silent peer may be a dead connection (no FIN through NAT/cellular):
                    # resend on a fresh one
                    self._drop(self._writer, last)
                except (OSError, ConnectionError) as e:
                    last = "connection lost (%s)" % (e or type(e).__name__)
                    self._drop(self._writer, last)
                finally:
                    self._waiters.pop(qn, None)
                log.info("HJ 212 attempt %d/%d failed: %s", attempt + 1, 1 + self.resend, last)
            raise TransientError("HJ 212 %s:%s: %s (after %d attempts)" % (self.host, self.port, last, 1 + self.resend))

    async def close(self):
        w = self._writer
        self._drop(w, "client closed")
        if self._read_task is not None:
            self._read_task.cancel()
            try:
                await self._read_task
            except (asyncio.CancelledError, Exception):
                pass
            self._read_task = None
        if w is not None:
            try:
                await w.wait_closed()
            except (OSError, ConnectionError):
                pass
