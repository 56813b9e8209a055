"""Delivery means delivered: split HJ 212 messages against receivers that lose packets.

Real TCP on 127.0.0.1 to tools/hj212_sim.py in both answer modes; through the real outbox and
uploader where it matters: whatever the outbox marks delivered, the receiver holds whole."""
import asyncio
import base64

import pytest

from edge.store.outbox import DELIVERED, Outbox
from edge.uplink.base import Delivery, TransientError
from edge.uplink.hj212.destination import Hj212Destination
from edge.uplink.uploader import Uploader
from tools.hj212_sim import Hj212Sim

from .conftest import access_record, jpeg, settings


def photos_for(i):
    return {"carHeadImg": jpeg(300 + i), "carImg": jpeg(400 + i, (160, 120))}


def whole(sim, plate):
    """The receiver's complete messages for a plate."""
    return [m for m in sim.unique().values() if m.get("F_CPHM") == plate]


async def drain_outbox(sim_kw, hj_kw, n=3):
    """n records through Outbox -> Uploader -> Hj212Destination -> sim; returns (sim, box, delivered ids)."""
    import tempfile
    sim = await Hj212Sim(**sim_kw).start()
    tmp = tempfile.mkdtemp(prefix="hj212split")
    box = Outbox(tmp, ["hj212"])
    plates = {}
    for i in range(n):
        r = access_record(i)
        box.put(r, photos_for(i))
        plates[r["recordId"]] = r["licensePlate"]
    dest = Hj212Destination(settings(sim.port, **hj_kw), place="1号门")
    up = Uploader(box, {"hj212": dest}, concurrency=1, batch=4, backoff_min_s=0.05, backoff_max_s=0.2,
                  poll_s=0.05)
    task = asyncio.create_task(up.run())
    loop = asyncio.get_running_loop()
    end = loop.time() + 240
    while box.count(state=DELIVERED) < n and loop.time() < end:
        await asyncio.sleep(0.1)
    await up.stop()
    await task
    await up.close()
    delivered = [r["record_id"] for r in box.records() if r["undelivered"] == 0]
    return sim, box, delivered, plates


async def test_per_packet_receiver_losing_packets_gets_every_record_whole():
    sim, box, delivered, plates = await drain_outbox(
        dict(answer_mode="packet", packet_loss=0.03, seed=7),
        dict(answer_mode="packet", timeout_s=0.3, resend=8))
    try:
        assert sim.packets_lost > 0                      # the receiver did lose packets
        assert sorted(delivered) == sorted(plates)       # and everything got through
        for rid in delivered:                            # ... whole: nothing marked that did not arrive
            got = whole(sim, plates[rid])
            assert got and base64.b64decode(got[0].get("F_JCZP"))[:2] == b"\xff\xd8"
    finally:
        box.close()
        await sim.stop()


async def test_per_message_receiver_losing_packets_gets_every_record_whole():
    sim, box, delivered, plates = await drain_outbox(
        dict(answer_mode="message", packet_loss=0.02, seed=5),
        dict(answer_mode="message", timeout_s=0.5, resend=10))
    try:
        assert sim.packets_lost > 0
        assert sorted(delivered) == sorted(plates)
        for rid in delivered:
            assert whole(sim, plates[rid])
    finally:
        box.close()
        await sim.stop()


async def test_a_late_answer_to_a_resent_packet_is_not_counted_for_the_next_one():
    sim = await Hj212Sim(answer_mode="packet").start()
    dest = Hj212Destination(settings(sim.port, timeout_s=0.8, resend=4))
    try:
        # answers 1, 2 on time; the answer to packet 3 comes 1.4 s late (after our 0.8 s
        # timeout: we resend packet 3 and its second answer comes at once); the receiver then
        # loses packet 4. The late answer arrives while we wait for packet 4's: it must not count.
        sim.inject("code", 1)
        sim.inject("code", 1)
        sim.inject("delay", 1.4)
        sim.drop_nth = {5}     # received: p1, p2, p3, p3 again, p4 <- lost
        r = access_record(1)
        item = Delivery(r["recordId"], "access", r, photos_for(1))
        ack = await dest.deliver(item)
        assert "each answered" in ack
        assert whole(sim, r["licensePlate"])
        assert dest.client.stats["resends"] >= 2 and sim.packets_lost == 1
    finally:
        await dest.close()
        await sim.stop()


async def test_packet_mode_against_a_once_per_message_platform_never_claims_delivery():
    sim = await Hj212Sim(answer_mode="message").start()
    dest = Hj212Destination(settings(sim.port, timeout_s=0.3, resend=1))
    try:
        r = access_record(2)
        with pytest.raises(TransientError) as e:
            await dest.deliver(Delivery(r["recordId"], "access", r, photos_for(2)))
        assert "packet 1/" in e.value.reason and 'answer_mode = "message"' in e.value.reason
        assert sim.messages == []
    finally:
        await dest.close()
        await sim.stop()


async def test_a_platform_that_closes_at_once_is_a_transient_error():
    async def slam(reader, writer):
        writer.close()
    server = await asyncio.start_server(slam, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    dest = Hj212Destination(settings(port, timeout_s=0.5, resend=1, backoff_max_s=0.05))
    try:
        r = access_record(3)
        with pytest.raises(TransientError) as e:
            await dest.deliver(Delivery(r["recordId"], "access", r, photos_for(3)))
        assert "connection" in e.value.reason and "\n" not in e.value.reason
    finally:
        await dest.close()
        server.close()
        await server.wait_closed()
