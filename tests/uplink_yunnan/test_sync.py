"""Pull → cache → confirm, and what happens when a pull breaks half-way."""
import pytest

from edge.store.platform_cache import PlatformCache
from edge.uplink.yunnan import sync
from edge.uplink.yunnan.client import TransportError
from tests.uplink_yunnan.conftest import ENTERPRISE_ID


async def test_sync_all_fills_cache_and_confirms(registered, tmp_path):
    sim, c = registered
    sim.platform.seed_exceed(250)
    sim.platform.seed_strategies(2)
    sim.platform.seed_alarms(150)
    with PlatformCache.open(tmp_path) as cache:
        out = await sync.sync_all(c, cache, ENTERPRISE_ID, "2025-01-01", today="2025-08-21")
        assert out["exceed"] == {"pages": 3, "records": 250}
        assert out["strategy"] == {"pages": 1, "records": 2, "confirmed": 2}
        assert out["alarm"] == {"pages": 2, "records": 150, "confirmed": 150}
        assert cache.counts()["exceed"] == 250 and cache.counts()["alarm"] == 150
        assert cache.unconfirmed("alarm") == [] and cache.unconfirmed("strategy") == []
        assert cache.pull_state()["exceed"]["timestamp"] == "2025-08-21"
    # alarm pages were confirmed one by one before the next page was asked for
    assert [len(x) for x in sim.platform.confirm_calls["alarm"]] == [100, 50]
    assert sim.platform.received["alarm_vehicle"][0] == {"enterpriseId": ENTERPRISE_ID, "alarmTimestamp": "2025-01-01"}


async def test_broken_pull_keeps_old_date_and_resumes(registered, tmp_path):
    sim, c = registered
    sim.platform.seed_exceed(250)
    c.retries = 0
    with PlatformCache.open(tmp_path) as cache:
        await c.token()
        # page 1 arrives, page 2 fails: the date must not advance
        calls = {"n": 0}
        orig = c.call

        async def flaky(name, payload):
            calls["n"] += 1
            if calls["n"] == 2:
                sim.platform.inject("500", endpoint="exceed_vehicle")
            return await orig(name, payload)
        c.call = flaky
        with pytest.raises(TransportError):
            await sync.pull_exceed(c, cache, "2025-01-01", today="2025-08-21")
        c.call = orig
        assert cache.counts()["exceed"] == 100
        assert cache.pull_timestamp("exceed", "none") == "none"
        # next run starts again from the old date and completes
        out = await sync.pull_exceed(c, cache, "2025-01-01", today="2025-08-21")
        assert cache.counts()["exceed"] == 250
        assert cache.pull_timestamp("exceed", "none") == "2025-08-21"
        assert out["records"] >= 150


async def test_unconfirmed_alarms_are_confirmed_next_time(registered, tmp_path):
    sim, c = registered
    sim.platform.seed_alarms(5)
    c.retries = 0
    with PlatformCache.open(tmp_path) as cache:
        sim.platform.inject("500", endpoint="alarm_confirm")
        with pytest.raises(TransportError):
            await sync.pull_alarms(c, cache, ENTERPRISE_ID, "2025-01-01")
        assert len(cache.unconfirmed("alarm")) == 5
        assert not sim.platform.confirmed_alarms
        out = await sync.pull_alarms(c, cache, ENTERPRISE_ID, "2025-01-01")
        assert out["confirmed"] == 5 and out["records"] == 0
        assert cache.unconfirmed("alarm") == [] and len(sim.platform.confirmed_alarms) == 5


async def test_stuck_platform_paging_stops(registered, tmp_path):
    """isNew stays "1" but the same page comes back (no cursor, nothing confirmed): stop."""
    sim, c = registered
    sim.platform.seed_strategies(150)
    pages = [p async for p in c.pull_pages("strategy", {"enterpriseId": ENTERPRISE_ID,
                                                        "strategyTimestamp": "2025-01-01"})]
    assert [len(p) for p in pages] == [100, 100]
