"""Uploader: delivery, backoff on transient errors, rejection with alarm, catch-up order."""
import asyncio
import random

import pytest

from edge.store.outbox import DELIVERED, PENDING, REJECTED, Outbox
from edge.uplink.uploader import Uploader, backoff_delay
from outbox_helpers import FakeDestination, make_record, photo, wait_until


def rid(i):
    return "REC%012d" % i


def test_backoff_grows_exponentially_with_jitter_and_caps():
    rng = random.Random(1)
    d = [backoff_delay(n, 1.0, 60.0, rng) for n in range(1, 10)]
    for n, x in enumerate(d, start=1):
        base = min(60.0, 2 ** (n - 1))
        assert base / 2 <= x <= base
    assert len({round(backoff_delay(3, 1.0, 60.0, rng), 6) for _ in range(20)}) > 1  # jittered


async def run_uploader(up):
    task = asyncio.create_task(up.run())
    return task


async def test_delivers_records_with_photos_and_marks_delivered(tmp_path):
    box = Outbox(tmp_path, ["yunnan", "hj212"])
    for i in range(10):
        box.put(make_record(i), {"carHeadImg": photo(i), "carImg": photo(100 + i)})
    a, b = FakeDestination("yunnan"), FakeDestination("hj212")
    up = Uploader(box, {"yunnan": a, "hj212": b}, concurrency=3, batch=4, poll_s=0.05)
    task = await run_uploader(up)
    await wait_until(lambda: len(a.received) == 10 and len(b.received) == 10)
    await up.stop()
    await task
    assert sorted(a.received) == [rid(i) for i in range(10)]
    item = a.items[a.received.index(rid(3))]
    assert item.media == {"carHeadImg": photo(3), "carImg": photo(103)} and item.attempt == 1
    assert box.count(state=DELIVERED) == 20
    box.close()


async def test_transient_failures_back_off_then_catch_up_without_rewriting_rows(tmp_path):
    box = Outbox(tmp_path, ["yunnan"])
    dest = FakeDestination()
    dest.down = True
    up = Uploader(box, {"yunnan": dest}, concurrency=2, batch=4, backoff_min_s=0.02,
                  backoff_max_s=0.1, poll_s=0.05, rng=random.Random(3))
    for i in range(30):
        box.put(make_record(i))
    task = await run_uploader(up)
    await wait_until(lambda: dest.calls >= 6)
    # while down, the circuit lets only one probe through at a time: most rows never attempted
    attempts = [r["attempts"] for r in box.list()]
    assert sum(1 for a in attempts if a > 0) < 10
    dest.down = False
    await wait_until(lambda: len(dest.received) == 30)
    await up.stop()
    await task
    assert sorted(dest.received) == [rid(i) for i in range(30)]
    assert len(set(dest.received)) == 30
    assert box.count(state=DELIVERED) == 30
    box.close()


async def test_record_specific_transient_failure_retries_that_record(tmp_path):
    box = Outbox(tmp_path, ["yunnan"])
    dest = FakeDestination()
    dest.flaky[rid(2)] = 2
    for i in range(5):
        box.put(make_record(i))
    up = Uploader(box, {"yunnan": dest}, concurrency=1, batch=2, backoff_min_s=0.01,
                  backoff_max_s=0.05, poll_s=0.02)
    task = await run_uploader(up)
    await wait_until(lambda: len(dest.received) == 5)
    await up.stop()
    await task
    d = box.get(rid(2))["deliveries"][0]
    assert (d["state"], d["attempts"]) == (DELIVERED, 3)


async def test_permanent_rejection_keeps_record_with_reason_and_alarms(tmp_path):
    box = Outbox(tmp_path, ["yunnan"])
    dest = FakeDestination()
    dest.reject[rid(1)] = "platform code 400: plateColor 不在代码表"
    alarms = []
    for i in range(3):
        box.put(make_record(i))
    up = Uploader(box, {"yunnan": dest}, poll_s=0.02, alarm=lambda k, m: alarms.append((k, m)))
    task = await run_uploader(up)
    await wait_until(lambda: len(dest.received) == 2 and up.counts()["yunnan"]["rejected"] == 1)
    await up.stop()
    await task
    d = box.get(rid(1))["deliveries"][0]
    assert d["state"] == REJECTED and "plateColor" in d["reason"]
    assert alarms and alarms[0][0] == "rejected" and rid(1) in alarms[0][1]
    # fixed on the platform side; a technician retries it
    del dest.reject[rid(1)]
    assert box.retry(rid(1)) == 1
    up = Uploader(box, {"yunnan": dest}, poll_s=0.02)
    task = await run_uploader(up)
    await wait_until(lambda: rid(1) in dest.received)
    await up.stop()
    await task
    assert box.get(rid(1))["deliveries"][0]["state"] == DELIVERED
    box.close()


async def test_corrupt_photo_is_not_sent_but_rejected_locally(tmp_path):
    box = Outbox(tmp_path, ["yunnan"])
    box.put(make_record(1), {"carImg": photo(1)})
    p = box.media.path(box.media_of(rid(1))["carImg"])
    p.write_bytes(b"garbage")
    dest = FakeDestination()
    alarms = []
    up = Uploader(box, {"yunnan": dest}, poll_s=0.02, alarm=lambda k, m: alarms.append(k))
    task = await run_uploader(up)
    await wait_until(lambda: box.count(state=REJECTED) == 1)
    await up.stop()
    await task
    assert dest.calls == 0 and alarms == ["media"]
    assert "checksum" in box.get(rid(1))["deliveries"][0]["reason"]


async def test_new_records_are_not_starved_by_a_backlog(tmp_path):
    box = Outbox(tmp_path, ["yunnan"])
    box.put_many([(make_record(i), {}) for i in range(400)])
    dest = FakeDestination()
    dest.delay = 0.001
    up = Uploader(box, {"yunnan": dest}, concurrency=2, batch=8, poll_s=0.02)
    task = await run_uploader(up)
    await wait_until(lambda: len(dest.received) >= 100)
    at_put = len(dest.received)
    box.put(make_record(10_000))
    up.notify()
    await wait_until(lambda: len(dest.received) == 401)
    await up.stop()
    await task
    pos = dest.received.index(rid(10_000))
    # delivered within a few batches of being put, long before the backlog ended
    assert pos - at_put <= 3 * 8 + 2, (pos, at_put)
    assert pos < 300
    # the backlog drains from its oldest end too
    olds = [int(r[3:]) for r in dest.received[:60] if int(r[3:]) < 400]
    assert min(olds) == 0
    assert len(set(dest.received)) == 401


async def test_sending_rows_from_a_crash_are_resent_on_start(tmp_path):
    box = Outbox(tmp_path, ["yunnan"])
    for i in range(3):
        box.put(make_record(i))
    box.claim("yunnan", 3)  # as if a previous process crashed mid-send
    box.close()
    box = Outbox(tmp_path, ["yunnan"])
    dest = FakeDestination()
    up = Uploader(box, {"yunnan": dest}, poll_s=0.02)
    task = await run_uploader(up)
    await wait_until(lambda: len(dest.received) == 3)
    await up.stop()
    await task
    assert box.count(state=PENDING) == 0


async def test_stop_cancels_a_hanging_delivery_and_keeps_the_record_pending(tmp_path):
    box = Outbox(tmp_path, ["yunnan"])
    box.put(make_record(1))
    dest = FakeDestination()
    dest.delay = 3600  # the platform never answers
    up = Uploader(box, {"yunnan": dest}, poll_s=0.02)
    task = await run_uploader(up)
    await wait_until(lambda: dest.calls == 1)
    await up.stop(timeout_s=0.2)
    await asyncio.gather(task, return_exceptions=True)
    d = box.get(rid(1))["deliveries"][0]
    assert (d["state"], d["attempts"]) == (PENDING, 0)
    box.close()


async def test_uploader_from_config_uses_outbox_settings(tmp_path):
    from types import SimpleNamespace
    from edge.store.settings import OutboxSettings
    box = Outbox(tmp_path, ["yunnan"])
    cfg = SimpleNamespace(outbox=OutboxSettings(concurrency=2, batch=5, backoff_min_s=1, backoff_max_s=9))
    up = Uploader.from_config(box, {"yunnan": FakeDestination()}, cfg)
    assert (up.concurrency, up.batch, up.backoff_min_s, up.backoff_max_s) == (2, 5, 1, 9)
    with pytest.raises(ValueError, match="hj212"):
        Uploader(Outbox(tmp_path / "b", ["yunnan", "hj212"]), {"yunnan": FakeDestination()})
