"""Outage: the platform is unreachable for 3 simulated days of traffic, then comes back.

All records are delivered, none twice (every record reaches the platform exactly once: the
outbox never hands one over a second time), and records made during the catch-up are
delivered within a few batches — asserted on delivery ORDER, not wall-clock time. The
catch-up time is printed.

Two platforms:
  * the real Yunnan simulator (tools/yunnan_sim.py, its own process) behind the real
    YunnanDestination (RSA+AES envelope): 7,200 records, the platform answering HTTP 500
    during the outage;
  * a small real HTTP platform (aiohttp on 127.0.0.1) that first REFUSES connections, then
    answers 503: 2,400 records, covering the connection-level outage.
"""
import asyncio
import os
import time
from datetime import datetime, timedelta

import pytest

from edge import timeutil
from edge.store.outbox import DELIVERED, Outbox
from edge.uplink.uploader import Uploader
from outbox_helpers import HttpDestination, HttpPlatform, make_record
from yunnan_harness import (YunnanSimProcess, access_record, registered_destination_at, tiny_jpeg)

BATCH = 16
START = datetime(2026, 11, 19, 0, 0, 0, tzinfo=timeutil.BEIJING)


def make_uploader(box, dest, concurrency=4):
    return Uploader(box, {"yunnan": dest}, concurrency=concurrency, batch=BATCH, backoff_min_s=0.05,
                    backoff_max_s=0.2, poll_s=0.05)


def put_traffic(box, up, per_day, days, build, on_half=None):
    """3 days of traffic, put in bursts of 200 (one transaction each); returns the ids."""
    n = per_day * days
    step = timedelta(seconds=86400 / per_day)
    out = []
    for b in range(0, n, 200):
        items = [build(START + i * step, i) for i in range(b, min(n, b + 200))]
        box.put_many(items)
        out += [r["recordId"] for r, _ in items]
        up.notify()
    return out


async def catch_up(box, up, n_backlog, build_new, marks):
    """Let the backlog drain; put one new record when the delivered count passes each mark.
    Returns (seconds, new ids, {id: deliveries already done when it was put})."""
    delivered = lambda: up.counts()["yunnan"]["delivered"]  # noqa: E731  (counted as acks come in)
    t0 = time.monotonic()
    new_ids, put_at = [], {}
    marks = list(marks)
    while delivered() < n_backlog + len(new_ids):
        if marks and delivered() >= marks[0]:
            marks.pop(0)
            rec, media = build_new(len(new_ids))
            await asyncio.to_thread(box.put, rec, media)
            # counted from when the record exists (put returned): on a loaded machine the put's
            # fsync alone can take as long as dozens of deliveries
            at = delivered()
            up.notify()
            put_at[rec["recordId"]] = at
            new_ids.append(rec["recordId"])
        await asyncio.sleep(0.005)
    return time.monotonic() - t0, new_ids, put_at


def check_order(order, backlog_ids, new_ids, put_at):
    assert len(order) == len(set(order)) == len(backlog_ids) + len(new_ids)
    assert set(order) == set(backlog_ids) | set(new_ids)
    for rid in new_ids:  # a fresh record waits at most ~2 batches + what is in flight
        waited = order.index(rid) - put_at[rid]
        assert waited <= 3 * BATCH + 4, (rid, waited)
    assert backlog_ids[0] in order[:4 * BATCH]   # the backlog drains from its oldest end too


@pytest.mark.slow
async def test_three_day_outage_yunnan_simulator(tmp_path):
    # 7,200 records: a truck every 36 s, day and night. The simulator's RSA work bounds the
    # catch-up (~70-120 records/s here); EDGE_OUTAGE_PER_DAY scales it down for a quick run.
    per_day, days = int(os.environ.get("EDGE_OUTAGE_PER_DAY", "2400")), 3
    sim = await YunnanSimProcess().start()
    dest = await registered_destination_at(sim.base_url)
    box = Outbox(tmp_path, ["yunnan"])
    up = make_uploader(box, dest, concurrency=8)
    try:
        await sim.admin("POST", "/_sim/faults", {"mode": "500", "count": 10 ** 9})  # platform down
        runner = asyncio.create_task(up.run())

        def build(at, i):  # tiny real JPEGs (content-addressed: repeats are stored once)
            return access_record(at, i), {"carHeadImg": tiny_jpeg(i % 50), "carImg": tiny_jpeg(100 + i % 50)}
        backlog = await asyncio.to_thread(put_traffic, box, up, per_day, days, build)
        n = len(backlog)
        await asyncio.sleep(0.5)
        assert box.count(state=DELIVERED) == 0 and await sim.record_counts() == {}
        stats = box.daily_stats(days=4, today="20261122")
        assert [s["pending"] for s in stats] == [0, per_day, per_day, per_day]
        failed_probes = up.counts()["yunnan"]["transient"]
        assert failed_probes >= 1

        await sim.admin("DELETE", "/_sim/faults")                                    # platform back
        secs, new_ids, put_at = await catch_up(
            box, up, n, lambda k: build(timeutil.now() + timedelta(seconds=k), 90_000 + k),
            range(1000, n, 1500))
        await up.stop()
        await runner
        counts = await sim.record_counts()
        order = list(counts)
    finally:
        await dest.close()
        await sim.stop()
    print("\nYunnan simulator: catch-up after a %d-day outage (%d failed probes while down): "
          "%d records in %.1f s (%.0f records/s)" % (days, failed_probes, n, secs, n / secs))
    assert set(counts.values()) == {1}                       # none twice
    check_order(order, backlog, new_ids, put_at)
    assert box.count(state=DELIVERED) == n + len(new_ids)
    assert all(s["rate"] == 1.0 for s in box.daily_stats(days=4, today="20261122") if s["generated"])
    box.close()


def tiny_photo(i: int) -> bytes:
    return b"\xff\xd8" + i.to_bytes(4, "big") * 8 + b"\xff\xd9"


@pytest.mark.slow
async def test_outage_refused_then_503_http_platform(tmp_path):
    per_day, days = 600, 3
    platform = HttpPlatform()
    await platform.start()           # bound to learn a free port ...
    port = platform.port
    await platform.stop()            # ... then down: connection refused
    box = Outbox(tmp_path, ["yunnan"])
    dest = HttpDestination("http://127.0.0.1:%d/access" % port)
    up = make_uploader(box, dest)
    runner = asyncio.create_task(up.run())

    def build(at, i):
        r = make_record(i, timeutil.fmt_datetime(at))
        return r, {"carHeadImg": tiny_photo(i), "carImg": tiny_photo(-i - 1 & 0xFFFFFFFF)}
    backlog = await asyncio.to_thread(put_traffic, box, up, per_day, days, build)
    await asyncio.sleep(0.3)
    refused = up.counts()["yunnan"]["transient"]
    platform.down = True
    await platform.start(port)       # listening again, but answering 503
    await asyncio.sleep(0.3)
    assert platform.received == [] and box.count(state=DELIVERED) == 0 and refused >= 1
    assert up.counts()["yunnan"]["transient"] > refused

    platform.down = False
    secs, new_ids, put_at = await catch_up(
        box, up, len(backlog),
        lambda k: build(START + timedelta(days=3, hours=k), 100_000 + k), range(300, len(backlog), 500))
    await up.stop()
    await runner
    await dest.close()
    await platform.stop()
    print("\nHTTP platform: catch-up of %d records in %.1f s (%.0f records/s)"
          % (len(backlog), secs, len(backlog) / secs))
    check_order(platform.received, backlog, new_ids, put_at)
    assert box.count(state=DELIVERED) == len(backlog) + len(new_ids)
    box.close()
