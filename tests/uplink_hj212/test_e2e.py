"""Hj212Destination -> real TCP on 127.0.0.1 -> tools/hj212_sim.py, with faults injected."""
import asyncio
import base64
import io

import pytest
from PIL import Image

from edge.uplink.base import Delivery, PermanentError, TransientError
from edge.uplink.hj212 import codec, destination, edition
from edge.uplink.hj212.client import Hj212Client
from edge.uplink.hj212.destination import Hj212Destination
from tools.hj212_sim import Hj212Sim

from .conftest import access_record, jpeg, settings


def delivery(i, photos, attempt=1):
    r = access_record(i)
    return Delivery(record_id=r["recordId"], kind="access", record=r, media=photos, attempt=attempt)


async def deliver_until_done(dest, item, tries=10):
    """What the outbox does: retry TransientError later (here: at once)."""
    for n in range(1, tries + 1):
        item.attempt = n
        try:
            return await dest.deliver(item)
        except TransientError:
            continue
    raise AssertionError("not delivered in %d tries" % tries)


async def test_access_records_with_two_photos_survive_every_fault():
    sim = await Hj212Sim().start()
    dest = Hj212Destination(settings(sim.port, timeout_s=0.5, resend=2), place="1号门")
    try:
        sent = {}
        faults = [("drop", None), ("delay", 1.5), ("bad_crc", None), ("code", 2), ("close", None),
                  ("code", 100), ("code", 10)]
        for i in range(12):
            photos = {"carHeadImg": jpeg(10 + i), "carImg": jpeg(100 + i, (160, 120))}
            if i < len(faults):
                sim.inject(*faults[i])
            ack = await deliver_until_done(dest, delivery(i, photos))
            assert "result=1" in ack
            sent["宁A%05d" % i] = photos
        assert not sim.faults, "every injected fault was consumed"
        got = {}
        for m in sim.unique().values():
            assert m.get("CN") == "60001" and m.get("MN") == "91640100MA76XYZ12X"
            assert m.packets > 10   # two photos do not fit one 1024-byte segment
            got.setdefault(m.get("F_CPHM"), m)
        assert sorted(got) == sorted(sent)        # nothing lost
        for plate, m in got.items():
            img = Image.open(io.BytesIO(base64.b64decode(m.get("F_JCZP"))))
            head = Image.open(io.BytesIO(sent[plate]["carHeadImg"]))
            body = Image.open(io.BytesIO(sent[plate]["carImg"]))
            assert img.size == (max(head.width, body.width), head.height + body.height)
        assert dest.client.stats["connects"] >= 2      # the "close" fault forced a reconnect
        assert dest.client.stats["resends"] >= 3       # drop, delay, bad CRC
    finally:
        await dest.close()
        await sim.stop()


async def test_permanent_codes_are_rejections_and_the_link_stays_usable(photos):
    sim = await Hj212Sim().start()
    dest = Hj212Destination(settings(sim.port))
    try:
        for code in (3, 4, 77):
            sim.inject("code", code)
            with pytest.raises(PermanentError) as e:
                await dest.deliver(delivery(code, photos))
            assert "answered %d" % code in e.value.reason
        sim.inject("code", 2)
        with pytest.raises(PermanentError):   # 2 again and again: after retry_limit it is a rejection
            await dest.deliver(delivery(2, photos, attempt=dest.s.retry_limit))
        assert "result=1" in await dest.deliver(delivery(5, photos))
        assert dest.client.stats["connects"] == 1
    finally:
        await dest.close()
        await sim.stop()


async def test_unreachable_platform_is_transient_then_recovers(photos, unused_tcp_port):
    dest = Hj212Destination(settings(unused_tcp_port, timeout_s=0.5, resend=2, backoff_max_s=0.1))
    try:
        with pytest.raises(TransientError) as e:
            await dest.deliver(delivery(1, photos))
        assert "cannot connect" in e.value.reason
        assert dest.client.stats["connect_failures"] == 3
        sim = await Hj212Sim(port=unused_tcp_port).start()
        try:
            assert "result=1" in await dest.deliver(delivery(1, photos))
            assert len(sim.unique()) == 1
        finally:
            await sim.stop()
    finally:
        await dest.close()


async def test_platform_restart_between_records(photos):
    sim = await Hj212Sim().start()
    port = sim.port
    dest = Hj212Destination(settings(port, timeout_s=0.5, resend=3))
    try:
        assert "result=1" in await dest.deliver(delivery(1, photos))
        await sim.stop()
        sim = await Hj212Sim(port=port).start()
        assert "result=1" in await dest.deliver(delivery(2, photos))
        assert [m.get("F_CPHM") for m in sim.messages] == ["宁A00002"]
    finally:
        await dest.close()
        await sim.stop()


async def test_camera_and_status_messages_and_other_kinds(photos):
    sim = await Hj212Sim(edition_name="2025").start()
    dest = Hj212Destination(settings(sim.port, edition="2025"))
    try:
        cam = {"cameraName": "A口", "rtsp_url": "rtsp://u:p4ss@10.1.1.2:554/live"}
        assert "CN=60002" in await dest.deliver(Delivery("c1", "camera", cam))
        assert "CN=60003" in await dest.deliver(Delivery("s1", "status", {"F_QYMJJKZT": "正常", "F_SCQK": "限产"}))
        assert "not applicable" in await dest.deliver(Delivery("v1", "vehicle", {}))
        m1, m2 = sim.messages
        assert m1.get("F_PSD") == "p4ss" and m1.get("F_DZ") == "rtsp://10.1.1.2:554/live"
        assert m2.get("F_SCQK") == "限产"
        assert {m.get("Flag") for m in sim.messages} == {str(edition.flag("2025"))} == {"9"}
        with pytest.raises(PermanentError) as e:
            await dest.deliver(Delivery("s2", "status", {"F_QYMJJKZT": "bad"}))
        assert "F_QYMJJKZT" in e.value.reason and "F_SCQK" in e.value.reason
    finally:
        await dest.close()
        await sim.stop()


async def test_simulator_answers_a_damaged_packet_with_code_9(photos):
    sim = await Hj212Sim().start()
    client = Hj212Client("127.0.0.1", sim.port, timeout_s=2, resend=0)
    try:
        fields = [("QN", "20260101080000123"), ("ST", "31"), ("CN", "60003"), ("PW", "123456"),
                  ("MN", "91640100MA76XYZ12X"), ("Flag", "5"), ("DATE", "20260101080000")]
        pkt = codec.encode(fields)[0]
        damaged = pkt[:-6] + b"0000\r\n"
        answer = await client.request([damaged], "20260101080000123")
        assert destination.answer_code(answer) == 9
        assert sim.bad_packets and sim.messages == []
    finally:
        await client.close()
        await sim.stop()


def test_result_code_mapping():
    j = destination.judge
    assert j(1, 1, 5) is None
    assert isinstance(j(2, 1, 5), TransientError) and isinstance(j(2, 5, 5), PermanentError)
    assert isinstance(j(10, 4, 5), TransientError) and isinstance(j(10, 5, 5), PermanentError)
    assert isinstance(j(3, 1, 5), PermanentError) and isinstance(j(4, 1, 5), PermanentError)
    assert isinstance(j(100, 99, 5), TransientError) and isinstance(j(9, 99, 5), TransientError)
    assert "answered 4 (MN错误)" in j(4, 1, 5).reason


async def test_open_destination_from_config(tmp_path):
    from edge.config import parse
    from edge.uplink.registry import open_destinations
    text = """
[site]
enterprise_id = "91640100MA76XYZ12X001V"
enterprise_name = "宁夏示例"
entrance_id = "B"
gate_id = "B02"
[paths]
state_dir = "%s"
[uplink]
destinations = ["hj212"]
[uplink.hj212]
host = "127.0.0.1"
port = 8712
mn = "91640100MA76XYZ12X"
edition = "2025"
""" % tmp_path
    dests = await open_destinations(parse(text))
    d = dests["hj212"]
    try:
        assert d.name == "hj212" and d.place == "B出入口B02道闸"
        assert d.header("60001", "20260101080000123")[-1] == ("Flag", "9")
    finally:
        await d.close()


async def test_client_ignores_garbage_and_foreign_packets_and_matches_by_qn():
    """A platform that sends noise, a bad-CRC packet and an answer to another QN before ours."""
    qn = "20260101080000123"
    other = codec.encode([("QN", "20260101080000999"), ("ST", "91"), ("CN", "9014"), ("MN", "M"), ("Flag", "4"),
                          ("ExeRtn", "3")])[0]
    ours = codec.encode([("QN", qn), ("ST", "91"), ("CN", "9014"), ("MN", "M"), ("Flag", "4"), ("ExeRtn", "1"),
                         ("Note", "x" * 300)], max_segment=100)
    assert len(ours) > 1   # the answer itself arrives split: the client reassembles it

    async def platform(reader, writer):
        await reader.readuntil(b"\r\n")
        writer.write(b"\x00\xffjunk##00zz" + other[:-6] + b"FFFF\r\n" + other + b"".join(ours))
        await writer.drain()

    server = await asyncio.start_server(platform, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = Hj212Client("127.0.0.1", port, timeout_s=5, resend=0)
    try:
        req = codec.encode([("QN", qn), ("ST", "31"), ("CN", "60003"), ("MN", "M"), ("Flag", "5")])
        answer = await client.request(req, qn)
        assert answer.get("ExeRtn") == "1" and answer.packets == len(ours)
        assert client.stats["bad_packets"] == 1 and client.stats["unmatched"] == 1
    finally:
        await client.close()
        server.close()
        await server.wait_closed()
