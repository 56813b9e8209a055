"""Fixtures: RSA keys made once per session; the platform simulator on a real 127.0.0.1 port.

The simulator runs in its own thread and event loop, so both async client tests (in pytest's
loop) and CLI verbs (which call asyncio.run themselves) talk to it over real HTTP.
"""
import asyncio
import threading

import pytest
from aiohttp import web

from edge.uplink.yunnan import crypto
from edge.uplink.yunnan.client import YunnanClient
from tools import yunnan_sim


@pytest.fixture(scope="session")
def client_key():
    return crypto.generate_keypair(2048)


@pytest.fixture(scope="session")
def platform_key():
    return crypto.generate_keypair(2048)


@pytest.fixture(scope="session")
def other_key():
    return crypto.generate_keypair(2048)


class SimServer:
    def __init__(self, platform, paths=None, ssl_context=None):
        self.platform = platform
        self.paths = paths
        self.ssl_context = ssl_context
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner = None

    def start(self):
        self.thread.start()
        fut = asyncio.run_coroutine_threadsafe(self._start(), self.loop)
        self.port = fut.result(10)
        self.root = "%s://127.0.0.1:%d" % ("https" if self.ssl_context else "http", self.port)
        self.base_url = self.root + yunnan_sim.BASE_PATH
        return self

    async def _start(self):
        self.runner = web.AppRunner(yunnan_sim.create_app(self.platform, paths=self.paths), access_log=None,
                                    shutdown_timeout=0.5)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        return self.runner.addresses[0][1]

    async def _stop(self):
        await self.runner.cleanup()
        # handlers still sleeping (the "timeout" fault) end here, not as destroyed pending tasks
        rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in rest:
            t.cancel()
        await asyncio.gather(*rest, return_exceptions=True)

    def stop(self):
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def make_sim(platform_key):
    servers = []

    def make(paths=None, ssl_context=None, **kw):
        kw.setdefault("key", platform_key)
        kw.setdefault("slow_s", 3.0)   # "timeout" fault; tests use client timeouts of 1 s
        s = SimServer(yunnan_sim.Platform(**kw), paths, ssl_context).start()
        servers.append(s)
        return s
    yield make
    for s in servers:
        s.stop()


@pytest.fixture
def sim(make_sim):
    return make_sim()


ENTERPRISE_ID = "91530100MA6K5XYZ1P001V"


@pytest.fixture
async def registered(sim, client_key):
    """(sim, client): the enterprise registered with the simulator, client ready to call."""
    c = YunnanClient(sim.base_url, client_private=client_key, timeout_s=2.0, retries=2, backoff_s=0.01,
                     backoff_max_s=0.05)
    data = await c.init_auth(ENTERPRISE_ID, "云南示例钢铁有限公司", crypto.public_key_b64(client_key))
    c.api_key, c.api_secret = data["apiKey"], data["apiSecret"]
    c.platform_public = crypto.load_public_key(data["publicKey"])
    yield sim, c
    await c.close()
