"""A hostile or broken Yunnan platform on 127.0.0.1: redirects, huge answers, flooding and
malformed pulls, a rate limit that says 重复. Nothing is marked delivered that was not; memory
and the cache stay bounded; an empty pull never empties the decision cache."""
import asyncio
import threading
import tracemalloc

import pytest
from aiohttp import web

from edge.domain.examples import example
from edge.errors import StorageError
from edge.store.platform_cache import PlatformCache
from edge.uplink.base import Delivery, TransientError
from edge.uplink.yunnan import sync
from edge.uplink.yunnan.client import TransportError
from edge.uplink.yunnan.destination import YunnanDestination
from tests.uplink_yunnan.conftest import ENTERPRISE_ID
from tests.uplink_yunnan.helpers import jpeg


def delivery(seq=1):
    rec = example("access")
    rec["recordId"] = rec["recordId"][:-5] + "%05d" % seq
    return Delivery(rec["recordId"], "access", rec, {"carHeadImg": jpeg((9, 9, 9)), "carImg": jpeg((99, 9, 9))})


class Elsewhere:
    """Another host a redirect points to: answers anything with the platform's "ok"."""

    def __init__(self):
        self.hits = []
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.port = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        self.url = "http://127.0.0.1:%d/stolen" % self.port

    async def _start(self):
        async def anything(request):
            self.hits.append((request.method, request.headers.get("X-Client-Id"), await request.read()))
            return web.json_response({"code": 200, "message": "ok", "data": None})
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", anything)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return self.runner.addresses[0][1]

    def stop(self):
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_redirects_are_never_followed(registered, status):
    sim, c = registered
    c.retries = 0
    other = Elsewhere()
    d = YunnanDestination(c)
    try:
        await c.token()
        sim.platform.inject("redirect", endpoint="access", arg=status, location=other.url + "?token=s3cr3t")
        with pytest.raises(TransientError) as e:
            await d.deliver(delivery())
        assert "HTTP %d redirect" % status in e.value.reason and other.url in e.value.reason
        assert "s3cr3t" not in e.value.reason                 # a Location's credentials are masked
        assert other.hits == []                               # nothing went to the other host
        assert sim.platform.record_ids == {}
        assert "yunnan 200" in await d.deliver(delivery())    # the next try goes to the platform
    finally:
        other.stop()


@pytest.mark.parametrize("mode", ["huge", "huge_chunked"])
async def test_huge_answers_are_refused_with_bounded_memory(registered, mode):
    sim, c = registered
    c.retries = 0
    d = YunnanDestination(c)
    await c.token()
    sim.platform.inject(mode, endpoint="access", arg=256)      # 256 MB
    tracemalloc.start()
    try:
        with pytest.raises(TransientError) as e:
            await d.deliver(delivery())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert ("refused unread" if mode == "huge" else "stopped reading") in e.value.reason
    assert peak < 48 << 20, peak          # the cap is 4 MB; far below the 256 MB offered
    assert sim.platform.record_ids == {}
    assert "yunnan 200" in await d.deliver(delivery())


async def test_a_rate_limit_saying_chongfu_is_not_a_duplicate(registered):
    sim, c = registered
    c.retries = 0
    d = YunnanDestination(c)
    await c.token()
    sim.platform.inject("busy", endpoint="access")
    with pytest.raises(TransientError, match="busy"):
        await d.deliver(delivery())
    sim.platform.inject("duplicate", endpoint="access")
    assert "duplicate" in await d.deliver(delivery())


async def test_a_flooding_pull_stops_at_its_limit_and_keeps_the_date(registered, tmp_path):
    sim, c = registered
    c.max_pull_records = 1000
    sim.platform.flood = True
    with PlatformCache.open(tmp_path) as cache:
        with pytest.raises(TransportError, match="pull stopped after 1100 records"):
            await sync.pull_strategies(c, cache, ENTERPRISE_ID, "2025-01-01", today="2025-08-21")
        assert cache.pull_timestamp("strategy", "none") == "none"
        assert cache.counts()["strategy"] <= 1100
    assert sim.platform.flood_pages == 11


async def test_a_flooding_pull_stops_at_its_byte_limit_and_keeps_the_date(registered, tmp_path):
    sim, c = registered
    c.max_pull_bytes = 4 << 20          # a few pages (~0.8 MB each): the record count stays far below its limit
    sim.platform.flood = True
    with PlatformCache.open(tmp_path) as cache:
        with pytest.raises(TransportError, match=r"pull stopped after \d+ records / [45]\.\d MB") as e:
            await sync.pull_exceed(c, cache, "2025-01-01", today="2025-08-21")
        assert "max_pull_mb" in str(e.value)
        assert cache.pull_timestamp("exceed", "none") == "none"
        pages = sim.platform.flood_pages
        assert 1 < pages < 10 and cache.counts()["exceed"] < pages * 100


async def test_a_flood_cannot_grow_the_cache_past_its_size(registered, tmp_path):
    sim, c = registered
    sim.platform.flood = True
    with PlatformCache.open(tmp_path, max_bytes=2 << 20) as cache:
        with pytest.raises(StorageError, match="platform cache .* is full") as e:
            await sync.pull_exceed(c, cache, "2025-01-01", today="2025-08-21")
        assert e.value.kind == "full"
        assert cache.size_bytes() <= 3 << 20
        assert cache.pull_timestamp("exceed", "none") == "none"


async def test_malformed_pulled_records_are_skipped_with_a_warning(registered, tmp_path, caplog):
    sim, c = registered
    sim.platform.seed_alarms(3)
    sim.platform.page_extras["alarm_vehicle"] = [
        "not an object", {"licensePlate": "云A1"}, {"alarmId": "X1", "licensePlate": {"nested": 1}},
        {"alarmId": "X2", "licensePlate": "云A2", "alarmReason": "长" * 5000}, {"alarmId": True, "licensePlate": "x"}]
    with PlatformCache.open(tmp_path) as cache:
        out = await sync.pull_alarms(c, cache, ENTERPRISE_ID, "2025-01-01", today="2025-08-21")
        assert out["records"] == 3 and cache.counts()["alarm"] == 3
    assert "skipped 5 malformed record(s)" in caplog.text and "no alarmId" in caplog.text


async def test_an_empty_pull_never_empties_the_decision_cache(registered, tmp_path):
    sim, c = registered
    sim.platform.seed_exceed(5)
    sim.platform.seed_strategies(2)
    with PlatformCache.open(tmp_path) as cache:
        await sync.sync_all(c, cache, ENTERPRISE_ID, "2025-01-01", today="2025-08-21")
        before = cache.counts()
        assert before["exceed"] == 5 and before["strategy"] == 2
        sim.platform.exceed.clear()          # the platform now answers empty lists
        sim.platform.strategies.clear()
        out = await sync.sync_all(c, cache, ENTERPRISE_ID, "2025-01-01", today="2025-08-22")
        assert out["exceed"]["records"] == 0 and out["strategy"]["records"] == 0
        assert cache.counts() == before
        assert cache.is_exceed("云A10000")
        assert cache.pull_timestamp("exceed", "none") == "2025-08-22"   # still incremental
        # a pull that fails half-way leaves everything in place too
        sim.platform.inject("garbage", endpoint="exceed_vehicle", count=10)
        c.retries = 0
        with pytest.raises(TransportError):
            await sync.pull_exceed(c, cache, "2025-01-01", today="2025-08-23")
        assert cache.counts() == before and cache.pull_timestamp("exceed", "none") == "2025-08-22"


@pytest.mark.parametrize("ca", ["/nonexistent/ca.pem", "DIR", "GARBAGE"])
async def test_a_missing_or_bad_ca_file_is_one_line(client_key, tmp_path, ca):
    from edge.errors import EdgeError
    from edge.uplink.yunnan.client import YunnanClient
    if ca == "DIR":
        ca = str(tmp_path)
    elif ca == "GARBAGE":
        (tmp_path / "ca.pem").write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n")
        ca = str(tmp_path / "ca.pem")
    c = YunnanClient("https://127.0.0.1:9/api", client_private=client_key, ca_file=ca, retries=0)
    try:
        with pytest.raises(EdgeError) as e:
            await c.init_auth("E", "x", "k")
        assert "ca_file" in str(e.value) and "\n" not in str(e.value)
    finally:
        await c.close()
