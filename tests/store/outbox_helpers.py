"""Shared bits for the store tests: records in the 6.13 shape and a scriptable destination."""
from __future__ import annotations

import asyncio

from edge.uplink.base import Delivery, PermanentError, TransientError

ENT = "91530100MA6K5XYZ1P001V"

# A lane's config for CLI and config tests: one Yunnan destination that is never reached.
# `{state}` is the state dir; `extra` text may follow (e.g. a [smoke] section).
CONFIG = """
[site]
enterprise_id = "%s"
enterprise_name = "云南示例钢铁有限公司"
entrance_id = "A"
gate_id = "A01"
[paths]
state_dir = "{state}"
[uplink]
destinations = ["yunnan"]
[uplink.yunnan]
base_url = "http://127.0.0.1:9/x"
""" % ENT


def make_record(i: int, access_time: str = "2026-11-22 10:00:00", plate: str = "云A12345") -> dict:
    return {
        "recordId": "REC%012d" % i, "enterpriseId": "91530100MA6K5XYZ1P001V", "entranceId": "A",
        "gateId": "A01", "vehicleId": "", "licensePlate": plate, "plateColor": "1", "vin": "",
        "accessType": "0", "accessTime": access_time, "cargoType": "", "cargoWeight": "",
        "cargoUnit": "", "carHeadImg": "", "carImg": "", "passMode": "auto",
    }


def photo(i: int, size: int = 64) -> bytes:
    """Distinct small bytes standing in for a JPEG (the store does not parse them)."""
    return (b"\xff\xd8JPEG%08d" % i) + bytes((i * 7 + k) % 251 for k in range(size))


class FakeDestination:
    """In-process destination: records every delivery in order; scriptable failures."""

    def __init__(self, name="yunnan"):
        self.name = name
        self.received: list[str] = []
        self.items: list[Delivery] = []
        self.down = False
        self.reject: dict[str, str] = {}     # record id -> reason
        self.flaky: dict[str, int] = {}      # record id -> transient failures left
        self.calls = 0
        self.delay = 0.0

    async def deliver(self, item: Delivery) -> str:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.down:
            raise TransientError("connection refused")
        if self.flaky.get(item.record_id, 0) > 0:
            self.flaky[item.record_id] -= 1
            raise TransientError("timeout")
        if item.record_id in self.reject:
            raise PermanentError(self.reject[item.record_id])
        self.received.append(item.record_id)
        self.items.append(item)
        return "ok %s" % item.record_id

    async def close(self):
        pass


async def wait_until(pred, timeout=20.0, step=0.01):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not pred():
        if loop.time() > end:
            raise AssertionError("condition not met in %s s" % timeout)
        await asyncio.sleep(step)


class HttpPlatform:
    """A tiny real HTTP platform on 127.0.0.1 (aiohttp): logs every record id it accepted, in
    order; `down` answers 503; not started = connection refused; `delay` seconds per request
    (a platform's round trip: keeps a fast machine from finishing before a test's faults land)."""

    def __init__(self, delay=0.0):
        from aiohttp import web
        self.web = web
        self.delay = delay
        self.received: list[str] = []
        self.down = False
        self.runner = None
        self.port = None

    def app(self):
        web = self.web

        async def access(request):
            body = await request.json()
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.down:
                return web.json_response({"code": 503, "message": "maintenance"}, status=503)
            if not body.get("photos"):
                return web.json_response({"code": 400, "message": "carImg: required"}, status=400)
            self.received.append(body["recordId"])
            return web.json_response({"code": 200, "message": "ok"})

        app = web.Application(client_max_size=8 << 20)
        app.router.add_post("/access", access)
        return app

    async def start(self, port=0):
        self.runner = self.web.AppRunner(self.app())
        await self.runner.setup()
        site = self.web.TCPSite(self.runner, "127.0.0.1", port)
        await site.start()
        self.port = self.runner.addresses[0][1]

    async def stop(self):
        if self.runner:
            await self.runner.cleanup()
            self.runner = None


class HttpDestination:
    """Destination speaking to HttpPlatform over real HTTP."""

    def __init__(self, url, name="yunnan"):
        import aiohttp
        self.aiohttp = aiohttp
        self.url = url
        self.name = name
        self.session = None

    async def deliver(self, item: Delivery) -> str:
        import base64
        aiohttp = self.aiohttp
        if self.session is None:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        payload = {"recordId": item.record_id, "record": item.record,
                   "photos": {k: base64.b64encode(v).decode() for k, v in item.media.items()}}
        try:
            async with self.session.post(self.url, json=payload) as r:
                answer = await r.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError) as e:
            raise TransientError("%s: %s" % (type(e).__name__, e)) from None
        if r.status == 200:
            return answer["message"]
        if 400 <= r.status < 500:
            raise PermanentError(answer.get("message", str(r.status)))
        raise TransientError("HTTP %d" % r.status)

    async def close(self):
        if self.session:
            await self.session.close()
