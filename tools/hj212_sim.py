"""A Ningxia HJ 212 receiver for tests and bench work (asyncio TCP server on 127.0.0.1).

It parses every packet, checks length and CRC, reassembles split messages (PNUM/PNO), keeps
every complete message in `messages`, and answers with
    QN=<same>;ST=91;CN=9014;PW=<same>;MN=<same>;Flag=<edition version, no answer>;CP=&&ExeRtn=<code>&&
`answer_mode` = "packet" (default; HJ 212-2017): every packet whose Flag asks for an answer is
answered, split packets one by one; "message": one answer per message, once it is whole.
A packet with a bad CRC is answered with ExeRtn=9 when its QN can be read.
`packet_loss` (0..1, seeded by `seed`) drops that share of received packets unseen: never
parsed, never answered — a message with a lost packet never completes until it is resent;
`drop_nth` = {k, ...} drops the k-th received packets (deterministic tests).

Faults, queued from Python and consumed one per answer (per packet or per message), in order:
    sim.inject("drop")              no answer
    sim.inject("delay", 2.5)        answer after 2.5 s
    sim.inject("bad_crc")           answer with a corrupted CRC
    sim.inject("code", 2)           answer with result code 2 (any code)
    sim.inject("close")             close the connection instead of answering
`sim.default_code` answers everything else (1). CLI: python tools/hj212_sim.py --port 8712
(`--bench` prints codec speed numbers instead: CRC against the appendix bit loop, 60001 encode/decode).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys

from edge.uplink.hj212 import codec, edition

log = logging.getLogger("hj212_sim")
FAULTS = ("drop", "delay", "bad_crc", "code", "close")


class Hj212Sim:
    def __init__(self, host="127.0.0.1", port=0, edition_name="2017", answer_mode="packet",
                 packet_loss=0.0, seed=1):
        import random
        if answer_mode not in ("packet", "message"):
            raise ValueError("answer_mode must be packet or message")
        self.host = host
        self.port = port
        self.edition = edition_name
        self.answer_mode = answer_mode
        self.packet_loss = packet_loss
        self.rng = random.Random(seed)
        self.packets_received = 0
        self.packets_lost = 0
        self.drop_nth: set[int] = set()   # 1-based numbers of received packets to drop
        self.default_code = 1
        self.messages: list[codec.Message] = []   # every complete message, duplicates included
        self.answers: list[tuple[str, str]] = []  # (QN, what we did)
        self.bad_packets: list[str] = []
        self.faults: list[tuple[str, object]] = []
        self.connections = 0
        self._server = None
        self._writers = set()
        self.received = asyncio.Event()

    def inject(self, fault, arg=None):
        if fault not in FAULTS:
            raise ValueError("fault must be one of %s" % ", ".join(FAULTS))
        self.faults.append((fault, arg))

    def unique(self):
        """Messages by QN (a resent message counts once)."""
        out = {}
        for m in self.messages:
            out.setdefault(m.get("QN"), m)
        return out

    async def start(self):
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self):
        if self._server is not None:
            self._server.close()
            for w in list(self._writers):
                w.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self):
        return await self.start()

    async def __aexit__(self, *exc):
        await self.stop()

    def answer_packet(self, msg, code, corrupt=False):
        flag = edition.flag(self.edition, answer=False)
        fields = [("QN", msg.get("QN")), ("ST", "91"), ("CN", "9014"), ("PW", msg.get("PW") or "000000"),
                  ("MN", msg.get("MN")), ("Flag", str(flag)), ("ExeRtn", str(code))]
        pkt = codec.encode(fields)[0]
        if corrupt:
            crc = pkt[-6:-2]
            pkt = pkt[:-6] + (b"0000" if crc != b"0000" else b"FFFF") + b"\r\n"
        return pkt

    async def _serve(self, reader, writer):
        self.connections += 1
        self._writers.add(writer)
        splitter = codec.StreamSplitter()
        parts = codec.Reassembler(max_pending=64)
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    return
                for raw in splitter.feed(data):
                    self.packets_received += 1
                    if self.packets_received in self.drop_nth or (
                            self.packet_loss and self.rng.random() < self.packet_loss):
                        self.packets_lost += 1
                        continue
                    try:
                        packet = codec.parse_packet(raw)
                        msg = parts.feed(packet)
                    except codec.Hj212Error as e:
                        self.bad_packets.append(str(e))
                        log.warning("bad packet: %s", e)
                        await self._answer_bad(raw, e, writer)
                        continue
                    wants = edition.wants_answer(packet.flag)
                    if msg is not None:
                        self.messages.append(msg)
                        self.received.set()
                    if not wants or (self.answer_mode == "message" and msg is None):
                        continue
                    if not await self._answer(msg or codec.Message(packet.header, 1), writer):
                        return
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _answer_bad(self, raw, err, writer):
        if err.field != "CRC":
            return
        try:
            seg = raw[6:-6]
            p = codec.parse_segment(seg)
        except codec.Hj212Error:
            return
        writer.write(self.answer_packet(codec.Message(p.header, 1), 9))
        await writer.drain()

    async def _answer(self, msg, writer):
        """Answer one message, applying the next queued fault. False = connection closed."""
        qn = msg.get("QN")
        fault, arg = self.faults.pop(0) if self.faults else (None, None)
        self.answers.append((qn, fault or "answer %d" % self.default_code))
        if fault == "drop":
            return True
        if fault == "close":
            writer.close()
            return False
        if fault == "delay":
            asyncio.get_running_loop().call_later(float(arg or 1.0), self._late, msg, writer)
            return True
        code = int(arg) if fault == "code" else self.default_code
        writer.write(self.answer_packet(msg, code, corrupt=(fault == "bad_crc")))
        await writer.drain()
        return True

    def _late(self, msg, writer):
        if not writer.is_closing():
            writer.write(self.answer_packet(msg, self.default_code))


class _CopyingSplitter:
    """The stream splitter as it was before (baseline for --bench): every stray ## cost a copy
    of the rest of the buffer (quadratic on runs of #)."""

    def __init__(self):
        self.buf = b""

    def feed(self, data):
        self.buf += data
        out = []
        while True:
            i = self.buf.find(b"##")
            if i < 0:
                keep = 1 if self.buf.endswith(b"#") else 0
                self.buf = self.buf[len(self.buf) - keep:]
                return out
            if i:
                self.buf = self.buf[i:]
            if len(self.buf) < 6:
                return out
            if not codec._digits(self.buf[2:6]):
                self.buf = self.buf[2:]
                continue
            total = 2 + 4 + int(self.buf[2:6].decode()) + 4 + 2
            if len(self.buf) < total:
                return out
            if self.buf[total - 2:total] != b"\r\n":
                self.buf = self.buf[2:]
                continue
            out.append(self.buf[:total])
            self.buf = self.buf[total:]


def bench_split(size=2 << 20):
    """Splitting a hostile stream (runs of #) of `size` bytes, in one block (`edge hj212 decode`)
    and in 64 KB reads (the client's socket loop): the copying splitter (baseline) vs codec's."""
    for pattern in (b"#", b"##x"):
        _bench_split_pattern(pattern, size)


def _bench_split_pattern(pattern, size):
    import time
    stream = (pattern * (size // len(pattern) + 1))[:size]
    for label, chunk in (("one %d MB block" % (size >> 20), size), ("64 KB reads", 65536)):
        times = {}
        for name, cls in (("baseline (copying)", _CopyingSplitter), ("codec.StreamSplitter", codec.StreamSplitter)):
            sp = cls()
            t = time.perf_counter()
            for i in range(0, size, chunk):
                sp.feed(stream[i:i + chunk])
            times[name] = time.perf_counter() - t
        base, new = times["baseline (copying)"], times["codec.StreamSplitter"]
        print("split %d MB of %r in %s: baseline %.2f s, StreamSplitter %.3f s (%.0fx faster)"
              % (size >> 20, pattern.decode(), label, base, new, base / new if new else float("inf")))


def bench():
    """Numbers for the report: CRC speed against the appendix's bit loop (the baseline), and
    encode/decode of one 60001 record with two 1280x720 photos. Prints; asserts nothing."""
    bench_split()
    import io
    import os
    import random
    import time
    from PIL import Image
    from edge.domain.examples import example
    from edge.uplink.hj212 import messages

    data = os.urandom(200_000)
    t = time.perf_counter(); codec.crc16_bitwise(data); base = time.perf_counter() - t
    t = time.perf_counter(); codec.crc16(data); fast = time.perf_counter() - t
    print("CRC over 200 kB: appendix bit loop (baseline) %.1f MB/s, table %.1f MB/s, ratio %.1fx"
          % (0.2 / base, 0.2 / fast, base / fast))

    def photo(seed):
        rnd = random.Random(seed)
        img = Image.effect_noise((1280, 720), 40).convert("RGB")
        img = Image.blend(img, Image.linear_gradient("L").resize((1280, 720)).convert("RGB"), 0.5)
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=85 - rnd.randrange(5))
        return buf.getvalue()

    media = {"carHeadImg": photo(1), "carImg": photo(2)}
    t = time.perf_counter()
    items = messages.access_fields(example("access"), media)
    combine = time.perf_counter() - t
    head = [("QN", "20260101080000123"), ("ST", "31"), ("CN", "60001"), ("PW", "123456"),
            ("MN", "91640100MA76XYZ12X"), ("Flag", "5")]
    for seg in (codec.STANDARD_SEGMENT, codec.LENGTH_LIMIT):
        t = time.perf_counter(); packets = codec.encode(head + items, seg); enc = time.perf_counter() - t
        t = time.perf_counter(); codec.decode_all(packets); dec = time.perf_counter() - t
        print("60001, photos %d+%d B, max_segment %d: %d packets, %d B on the wire; combine %.3f s, encode %.3f s, "
              "decode %.3f s" % (len(media["carHeadImg"]), len(media["carImg"]), seg, len(packets),
                                 sum(len(p) for p in packets), combine, enc, dec))


async def bench_answer_modes(n=3, tries=3, timeout_s=0.5, losses=(0.0, 0.01)):
    """Both answer modes against a receiver of the same mode, with and without packet loss:
    60001 records with two 1280x720 photos (~1,400 packets at 1024-byte segments) over loopback.
    Each record gets `tries` deliveries (what the outbox would retry). Prints; asserts nothing."""
    import io
    import time
    from PIL import Image
    from edge.domain.examples import example
    from edge.uplink.base import Delivery, DeliveryError
    from edge.uplink.hj212.destination import Hj212Destination
    from edge.uplink.hj212.settings import Hj212Settings

    def photo(q):
        buf = io.BytesIO()
        Image.effect_noise((1280, 720), 40).convert("RGB").save(buf, "JPEG", quality=q)
        return buf.getvalue()
    media = {"carHeadImg": photo(80), "carImg": photo(79)}
    for loss in losses:
        for mode in ("message", "packet"):
            sim = await Hj212Sim(answer_mode=mode, packet_loss=loss, seed=3).start()
            d = Hj212Destination(Hj212Settings(host="127.0.0.1", port=sim.port, mn="91640100MA76XYZ12X", pw="pw1234",
                                               timeout_s=timeout_s, resend=3, answer_mode=mode))
            t, ok = time.perf_counter(), 0
            for i in range(n):
                r = example("access")
                r["recordId"], r["licensePlate"] = r["recordId"][:-5] + "%05d" % i, "宁A%05d" % i
                for attempt in range(1, tries + 1):
                    try:
                        await d.deliver(Delivery(r["recordId"], "access", r, media, attempt=attempt))
                        ok += 1
                        break
                    except DeliveryError:
                        continue
            dt = time.perf_counter() - t
            print("answer_mode=%-7s packet loss %3.0f%%: %d of %d records delivered in %.1f s (%.2f s per record), "
                  "%d packets sent, %d lost, receiver holds %d whole"
                  % (mode, loss * 100, ok, n, dt, dt / n, sim.packets_received, sim.packets_lost, len(sim.unique())))
            await d.close()
            await sim.stop()


async def _main(args):
    sim = Hj212Sim(args.host, args.port, args.edition)
    sim.default_code = args.code
    await sim.start()
    print("HJ 212 receiver on %s:%d (edition %s, answers ExeRtn=%d)" % (sim.host, sim.port, sim.edition, sim.default_code),
          flush=True)
    seen = 0
    while True:
        await sim.received.wait()
        sim.received.clear()
        for m in sim.messages[seen:]:
            d = m.as_dict()
            for k, v in d.items():
                if k in ("PW", "F_PSD"):
                    d[k] = "***"
                elif len(v) > 80:
                    d[k] = v[:40] + "...(%d chars)" % len(v)
            print(json.dumps({"packets": m.packets, "fields": d}, ensure_ascii=False), flush=True)
        seen = len(sim.messages)


def main(argv=None):
    p = argparse.ArgumentParser(description="HJ 212 receiver simulator (Ningxia platform)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8712)
    p.add_argument("--edition", choices=sorted(edition.VERSIONS), default="2017")
    p.add_argument("--code", type=int, default=1, help="result code to answer with (default 1)")
    p.add_argument("--bench", action="store_true", help="print codec speed numbers and exit")
    p.add_argument("--bench-modes", action="store_true",
                   help="print delivery speed of both answer modes with and without packet loss and exit")
    args = p.parse_args(argv)
    if args.bench:
        bench()
        return 0
    if args.bench_modes:
        logging.basicConfig(level=logging.ERROR)
        asyncio.run(bench_answer_modes())
        return 0
    logging.basicConfig(level=logging.INFO)
    try:
        asyncio.run(_main(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
