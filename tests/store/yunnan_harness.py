"""The real Yunnan stack for the outbox tests: tools/yunnan_sim.py on 127.0.0.1 and a
registered YunnanDestination (RSA+AES envelope, signatures, tokens — nothing faked).

The simulator runs in the caller's event loop; `stop()`/`start(port)` take it off and back
on the same port (connection refused in between), `platform.inject("500", n)` makes it fail.
"""
from __future__ import annotations

import contextlib
import io
from functools import lru_cache

from aiohttp import web
from PIL import Image

from edge import timeutil
from edge.domain import ids
from edge.domain.examples import example
from edge.uplink.yunnan import crypto
from edge.uplink.yunnan.client import YunnanClient
from edge.uplink.yunnan.destination import YunnanDestination
from tools import yunnan_sim

ENTERPRISE_ID = "91530100MA6K5XYZ1P001V"


@lru_cache(maxsize=1)
def client_key():
    return crypto.generate_keypair(2048)


@lru_cache(maxsize=1)
def platform_key():
    return crypto.generate_keypair(2048)


@lru_cache(maxsize=64)
def tiny_jpeg(shade: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 12), (shade % 256, 80, 160)).save(buf, "JPEG", quality=60)
    return buf.getvalue()


def access_record(at, seq: int, access_type: str = "0") -> dict:
    """A valid 6.13 record (plus lane extras) passing at `at` (aware datetime)."""
    rec = example("access")
    rec.update(recordId=ids.record_id(timeutil.stamp_ms(at), ENTERPRISE_ID, access_type, seq % 100000),
               enterpriseId=ENTERPRISE_ID, accessType=access_type, accessTime=timeutil.fmt_datetime(at),
               passMode="auto")
    return rec


class YunnanSim:
    def __init__(self):
        self.platform = yunnan_sim.Platform(key=platform_key(), slow_s=1.0)
        self.runner = None
        self.port = None

    async def start(self, port: int = 0):
        self.runner = web.AppRunner(yunnan_sim.create_app(self.platform), access_log=None, shutdown_timeout=0.2)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", port or self.port or 0).start()
        self.port = self.runner.addresses[0][1]
        return self

    async def stop(self):
        if self.runner:
            await self.runner.cleanup()
            self.runner = None

    @property
    def base_url(self):
        return "http://127.0.0.1:%d%s" % (self.port, yunnan_sim.BASE_PATH)

    def delivered_order(self) -> list[str]:
        return [r["recordId"] for r in self.platform.received["access"]]


async def registered_destination(sim: YunnanSim, **client_kw) -> YunnanDestination:
    return await registered_destination_at(sim.base_url, **client_kw)


@contextlib.asynccontextmanager
async def yunnan_destination(tmp):
    """(for tools/bench_outbox.py) a running simulator and a registered destination."""
    sim = await YunnanSim().start()
    dest = await registered_destination(sim)
    try:
        yield dest
    finally:
        await dest.close()
        await sim.stop()


class YunnanSimProcess:
    """tools/yunnan_sim.py as its own process (its RSA work runs on another core); faults and
    the received order through its admin API."""

    def __init__(self):
        self.proc = None
        self.base_url = None

    async def start(self):
        import asyncio
        import sys
        from pathlib import Path
        root = Path(yunnan_sim.__file__).resolve().parents[1]
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, str(root / "tools" / "yunnan_sim.py"), "--port", "0",
            stdout=asyncio.subprocess.PIPE)
        line = await asyncio.wait_for(self.proc.stdout.readline(), 30)
        self.base_url = line.decode().strip()
        self.root = self.base_url[:self.base_url.index(yunnan_sim.BASE_PATH)]
        return self

    async def admin(self, method, path, body=None):
        import aiohttp
        async with aiohttp.ClientSession() as s:
            async with s.request(method, self.root + path, json=body) as r:
                return await r.json()

    async def delivered_order(self) -> list[str]:
        """recordIds in the order first received (the simulator's Counter keeps that order)."""
        return list(await self.admin("GET", "/_sim/record-ids"))

    async def record_counts(self) -> dict:
        return await self.admin("GET", "/_sim/record-ids")

    async def stop(self):
        if self.proc and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


async def registered_destination_at(base_url: str, **client_kw) -> YunnanDestination:
    key = client_key()
    kw = dict(timeout_s=5.0, retries=0, backoff_s=0.01, backoff_max_s=0.05)
    kw.update(client_kw)
    c = YunnanClient(base_url, client_private=key, **kw)
    data = await c.init_auth(ENTERPRISE_ID, "云南示例钢铁有限公司", crypto.public_key_b64(key))
    c.api_key, c.api_secret = data["apiKey"], data["apiSecret"]
    c.platform_public = crypto.load_public_key(data["publicKey"])
    return YunnanDestination(c)
