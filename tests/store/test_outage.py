"""Outage: the platform is unreachable for 3 simulated days of traffic, then comes back.

All records are delivered, none twice (from the outbox's point of view: every record reaches
the platform exactly once), and records made during the catch-up are delivered within a few
batches — asserted on delivery ORDER, not wall-clock time. The catch-up time is printed.
"""
import asyncio
import time
from datetime import datetime, timedelta

import pytest

from edge import timeutil
from edge.store.outbox import DELIVERED, Outbox
from edge.uplink.uploader import Uploader
from outbox_helpers import HttpDestination, HttpPlatform, make_record, wait_until

DAYS = 3
PER_DAY = 2400          # 7,200 records: a busy lane (one truck every 36 s, day and night)
BATCH = 16


def tiny_photo(i: int) -> bytes:
    return b"\xff\xd8" + i.to_bytes(4, "big") * 8 + b"\xff\xd9"


@pytest.mark.slow
async def test_three_day_outage_then_catch_up(tmp_path):
    platform = HttpPlatform()
    await platform.start()           # bound to learn a free port ...
    port = platform.port
    await platform.stop()            # ... then down: connection refused
    box = Outbox(tmp_path, ["yunnan"])
    dest = HttpDestination("http://127.0.0.1:%d/access" % port)
    up = Uploader(box, {"yunnan": dest}, concurrency=4, batch=BATCH, backoff_min_s=0.05,
                  backoff_max_s=0.2, poll_s=0.05)
    runner = asyncio.create_task(up.run())

    # 3 days of traffic while the platform is unreachable (refused, then answering 503)
    start = datetime(2026, 11, 19, 0, 0, 0, tzinfo=timeutil.BEIJING)
    n = DAYS * PER_DAY
    step = timedelta(seconds=86400 / PER_DAY)
    backlog_ids = []
    for b in range(0, n, 200):
        items = []
        for i in range(b, min(n, b + 200)):
            r = make_record(i, timeutil.fmt_datetime(start + i * step))
            items.append((r, {"carHeadImg": tiny_photo(i), "carImg": tiny_photo(-i - 1 & 0xFFFFFFFF)}))
            backlog_ids.append(r["recordId"])
        box.put_many(items)
        up.notify()
        if b == n // 2:
            platform.down = True
            await platform.start(port)   # up but answering 503 for the second half
        await asyncio.sleep(0)
    await asyncio.sleep(0.3)
    assert platform.received == [] and box.count(state=DELIVERED) == 0
    stats = box.daily_stats(days=4, today="20261122")
    assert [s["pending"] for s in stats] == [0, PER_DAY, PER_DAY, PER_DAY]

    # recovery
    t0 = time.monotonic()
    platform.down = False
    new_ids, put_at = [], {}
    marks = iter(range(1000, n, 1500))
    mark = next(marks)
    while len(platform.received) < n + len(new_ids):
        if len(platform.received) >= mark and len(new_ids) < 4:
            r = make_record(100_000 + len(new_ids), "2026-11-22 09:00:00")
            box.put(r, {"carHeadImg": tiny_photo(7), "carImg": tiny_photo(8)})
            up.notify()
            put_at[r["recordId"]] = len(platform.received)
            new_ids.append(r["recordId"])
            mark = next(marks, 10 ** 9)
        await asyncio.sleep(0.005)
    catch_up = time.monotonic() - t0
    await up.stop()
    await runner
    await dest.close()
    await platform.stop()

    print("\ncatch-up after a %d-day outage: %d records in %.1f s (%.0f records/s)"
          % (DAYS, n, catch_up, n / catch_up))
    # all delivered, none twice
    assert len(platform.received) == n + len(new_ids) == len(set(platform.received))
    assert set(platform.received) == set(backlog_ids) | set(new_ids)
    assert box.count(state=DELIVERED) == n + len(new_ids)
    # records made during the catch-up went out within a few batches of being put
    for rid in new_ids:
        waited = platform.received.index(rid) - put_at[rid]
        assert waited <= 3 * BATCH + 4, (rid, waited)
    # the backlog drained from its oldest end (interleaved with the newest)
    first = platform.received[:4 * BATCH]
    assert backlog_ids[0] in first
    stats = box.daily_stats(days=4, today="20261122")
    assert all(s["rate"] == 1.0 and s["pending"] == 0 for s in stats)
    box.close()
