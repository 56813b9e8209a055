"""The lane keeps running when one job crashes."""
import asyncio

from edge.lane.supervisor import Supervisor, every


async def test_crashing_job_is_restarted_and_others_keep_running():
    stop = asyncio.Event()
    calls = {"flaky": 0, "steady": 0}

    async def flaky(stop):
        calls["flaky"] += 1
        raise RuntimeError("boom")

    async def steady(stop):
        while not stop.is_set():
            calls["steady"] += 1
            if calls["flaky"] >= 3:
                stop.set()
            await asyncio.sleep(0.001)

    sup = Supervisor(backoff_min_s=0.001, backoff_max_s=0.004)
    sup.add("flaky", flaky)
    sup.add("steady", steady)
    await asyncio.wait_for(sup.run(stop), 10)
    assert calls["flaky"] >= 3
    assert sup.restarts["flaky"] >= 2
    assert "steady" not in sup.restarts
    assert calls["steady"] > 0


async def test_every_survives_failures_and_stops():
    stop = asyncio.Event()
    seen = []

    async def tick():
        seen.append(len(seen))
        if len(seen) == 2:
            raise ConnectionError("platform down")
        if len(seen) == 4:
            stop.set()

    await asyncio.wait_for(every(0.001, stop, tick), 10)
    assert seen == [0, 1, 2, 3]
