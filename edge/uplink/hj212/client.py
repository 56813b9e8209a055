"""HJ 212 over TCP: one persistent connection, answers matched by QN, timeout + resend.

Ningxia 7.2 asks for "应答模式" with "超时重发". What the platform answers is where readings
differ, so `answer_mode` says which platform this is:

  "packet"  (default) HJ 212-2017 §6.3: a receiver answers every packet whose Flag asks for it
            (A bit), split packets included. We send one packet, wait `timeout_s` for its
            answer, resend THAT packet (same QN, same PNO) up to `resend` times, and only then
            send the next. A message is delivered when every one of its packets was answered.
  "message" the platform answers once per message, after it has reassembled it: we send all
            packets, and only an answer that arrives after the LAST packet went out counts;
            without one in `timeout_s` the whole message is sent again (same QN).

"packet" is the safe default: against a platform that answers once per message it never
delivers (the first packet is never answered: the error says to switch), while "message"
against a platform that answers every packet would take the answer to the last packet for the
whole message even when a packet in the middle was lost. A one-packet message is the same in
both modes.

Which packet an answer is for: the 9014 data answer carries our QN but no PNO, and answers
come back in order on one connection, so an answer is for the packet last sent — unless that
packet had to be resent: then two answers may be on their way, and a late one must not be
taken for the next packet's. So after a resent packet is answered, the answers to its other
transmissions are awaited (up to `timeout_s`) before the next packet goes; an answer later
than that counts as lost. A lost packet costs two timeouts, never a false acknowledgement.

A lost connection is re-opened with exponential backoff (0.5 s doubling to `backoff_max_s`);
in "packet" mode the message then starts again from packet 1 (the platform may keep partial
messages per connection). After the last attempt the caller gets TransientError: the record
stays in the outbox and is tried again later.

One message is in flight at a time (the outbox delivers one record after another); packets the
platform sends on its own (heartbeats, commands) are parsed and ignored. Platform text is
never logged raw (edge.logsetup.clean), and bad-packet warnings are rate-limited.
"""
from __future__ import annotations

import asyncio
import logging
import time

from edge.logsetup import RateLimited, clean
from edge.uplink.base import TransientError
from edge.uplink.hj212 import codec, edition

log = logging.getLogger(__name__)
MIN_RATE = 16384   # bytes/s we still accept from a bad cellular link before calling it a timeout
PACKET, MESSAGE = "packet", "message"
ANSWER_MODES = (PACKET, MESSAGE)
CRC_RETRY = 9      # an answer saying "CRC error": the packet was damaged on the way, send it again


class Hj212Client:
    def __init__(self, host, port, *, timeout_s=10.0, resend=3, backoff_min_s=0.5, backoff_max_s=60.0,
                 connect_timeout_s=None, answer_mode=PACKET):
        if answer_mode not in ANSWER_MODES:
            raise ValueError("answer_mode must be one of %s" % ", ".join(ANSWER_MODES))
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self.resend = resend
        self.answer_mode = answer_mode
        self.backoff_max_s = backoff_max_s
        self.backoff_min_s = min(backoff_min_s, backoff_max_s)
        self.connect_timeout_s = connect_timeout_s or timeout_s
        self._writer = None
        self._read_task = None
        self._queues: dict[str, asyncio.Queue] = {}
        self._lock = asyncio.Lock()
        self._backoff = self.backoff_min_s
        self._next_connect = 0.0
        self._bad_log = RateLimited(log, 60.0)
        self.stats = {"connects": 0, "connect_failures": 0, "resends": 0, "timeouts": 0,
                      "bad_packets": 0, "unmatched": 0, "packets_sent": 0, "answers": 0}

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
                        self._bad_log.warning("HJ 212: ignoring a bad packet from the platform: %s", clean(e))
                        continue
                    if msg is None:
                        continue
                    q = self._queues.get(msg.get("QN"))
                    if q is not None:
                        self.stats["answers"] += 1
                        q.put_nowait(msg)
                    else:
                        self.stats["unmatched"] += 1
                        log.info("HJ 212: platform sent CN=%s QN=%s that answers nothing we wait for",
                                 clean(msg.get("CN")), clean(msg.get("QN")))
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._drop(writer, "connection closed by the platform")

    def _drop(self, writer, why):
        if writer is not None:
            writer.close()
        if writer is self._writer:
            self._writer = None
            for q in self._queues.values():
                q.put_nowait(ConnectionError(why))

    async def _send(self, packets):
        w = self._writer
        if w is None:
            raise ConnectionError("not connected")
        for i, p in enumerate(packets):
            w.write(p)
            self.stats["packets_sent"] += 1
            if i % 64 == 63:
                await w.drain()
        await w.drain()

    async def _answer(self, q: asyncio.Queue, timeout: float):
        """The next answer on the queue; ConnectionError if the link dropped meanwhile."""
        item = await asyncio.wait_for(q.get(), timeout)
        if isinstance(item, Exception):
            raise item
        return item

    async def request(self, packets, qn, answer_mode=None):
        """Send one message's packets; return the platform's answer (codec.Message) or raise
        TransientError. In "packet" mode the answer returned is the last packet's (or the
        first that carried a result other than success)."""
        mode = answer_mode or self.answer_mode
        async with self._lock:
            if mode == MESSAGE or len(packets) == 1:
                return await self._request_message(packets, qn)
            return await self._request_packets(packets, qn)

    # ------------------------------------------------------------ one answer per message
    async def _request_message(self, packets, qn):
        last = "not sent"
        size = sum(len(p) for p in packets)
        for attempt in range(1 + self.resend):
            if attempt:
                self.stats["resends"] += 1
            try:
                await self._connect()
            except ConnectionError as e:
                last = str(e)
                continue
            try:
                # sending a photo over a slow link may take a while: allow MIN_RATE for it
                await asyncio.wait_for(self._send(packets), self.timeout_s + size / MIN_RATE)
                # only answers read after the last packet went out count: listen from here on
                q = self._queues[qn] = asyncio.Queue()
                return await self._answer(q, self.timeout_s)
            except asyncio.TimeoutError:
                self.stats["timeouts"] += 1
                last = "no answer to QN=%s within %g s" % (qn, self.timeout_s)
                # a silent peer may be a dead connection (no FIN through NAT/cellular): resend on a fresh one
                self._drop(self._writer, last)
            except (OSError, ConnectionError) as e:
                last = "connection lost (%s)" % (e or type(e).__name__)
                self._drop(self._writer, last)
            finally:
                self._queues.pop(qn, None)
            log.info("HJ 212 attempt %d/%d failed: %s", attempt + 1, 1 + self.resend, last)
        raise TransientError("HJ 212 %s:%s: %s (after %d attempts)" % (self.host, self.port, last, 1 + self.resend))

    # ------------------------------------------------------------ one answer per packet
    async def _request_packets(self, packets, qn):
        n = len(packets)
        last = "not sent"
        for attempt in range(1 + self.resend):   # connection attempts; a new one restarts at packet 1
            try:
                await self._connect()
            except ConnectionError as e:
                last = str(e)
                continue
            q = self._queues[qn] = asyncio.Queue()
            try:
                return await self._stop_and_wait(packets, qn, q)
            except _PacketTimeout as e:
                # every resend of one packet went unanswered: a dead link or a platform that
                # answers per message; the outbox tries again later
                self._drop(self._writer, str(e))
                raise TransientError("HJ 212 %s:%s: %s" % (self.host, self.port, e)) from None
            except (OSError, ConnectionError) as e:
                last = "connection lost (%s)" % (e or type(e).__name__)
                self._drop(self._writer, last)
            finally:
                self._queues.pop(qn, None)
            log.info("HJ 212 attempt %d/%d of a %d-packet message failed: %s", attempt + 1, 1 + self.resend, n, last)
        raise TransientError("HJ 212 %s:%s: %s (after %d attempts)" % (self.host, self.port, last, 1 + self.resend))

    async def _stop_and_wait(self, packets, qn, q):
        n = len(packets)
        answer = None
        for i, pkt in enumerate(packets):
            answer = await self._one_packet(pkt, i, n, qn, q)
            code = answer.get("ExeRtn") or answer.get("QnRtn")
            if code is not None and code.strip() != "1":
                return answer          # refused: the destination judges the code
        answer.packets_answered = n
        return answer

    async def _one_packet(self, pkt, i, n, qn, q):
        """Send packet i until it is answered; the answer. When it had to be resent, the other
        transmissions' answers are awaited too (up to timeout_s after the first), so none of
        them is later taken for the next packet's: an answer later than that counts as lost."""
        sends = answered = 0
        accepted = None
        settle = 0.0
        await_resend = False
        while True:
            if accepted is None:
                if sends == 0 or await_resend:
                    await asyncio.wait_for(self._send([pkt]), self.timeout_s + len(pkt) / MIN_RATE)
                    sends += 1
                    if sends > 1:
                        self.stats["resends"] += 1
                await_resend = False
                got = await self._next(q, self.timeout_s)
                if got is None:
                    if sends > self.resend:
                        raise _PacketTimeout(
                            "no answer to packet %d/%d of QN=%s within %g s (sent %d times)%s"
                            % (i + 1, n, qn, self.timeout_s, sends,
                               "; if this platform answers once per message, set [uplink.hj212] "
                               "answer_mode = \"message\"" if i == 0 else ""))
                    await_resend = True
                    continue
                answered += 1
                code = (got.get("ExeRtn") or got.get("QnRtn") or "").strip()
                if code == str(CRC_RETRY) and sends <= self.resend:
                    await_resend = True            # damaged on the way: this packet again
                    continue
                accepted = got
                if answered >= sends:
                    return accepted
                settle = time.monotonic() + self.timeout_s
            else:
                got = await self._next(q, settle - time.monotonic())
                if got is None:
                    return accepted
                answered += 1
                if answered >= sends:
                    return accepted

    async def _next(self, q, timeout):
        """The next answer within timeout, or None (ConnectionError if the link dropped)."""
        if timeout <= 0:
            return None
        try:
            return await self._answer(q, timeout)
        except asyncio.TimeoutError:
            self.stats["timeouts"] += 1
            return None

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


class _PacketTimeout(Exception):
    pass


__all__ = ["Hj212Client", "ANSWER_MODES", "PACKET", "MESSAGE", "edition"]
