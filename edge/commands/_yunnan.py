"""Shared plumbing of the Yunnan field-technician verbs (keys, register, uplink, sync, push)."""
from __future__ import annotations

import asyncio

from edge.errors import EdgeError


def yunnan_settings(config):
    y = config.uplink.yunnan
    if y is None:
        raise EdgeError("[uplink.yunnan] is missing from the config")
    return y


def run_client(config, coro_fn, registered: bool = True):
    """Run `await coro_fn(client)` with a client for the config; platform trouble → one line."""
    from edge.uplink.yunnan.client import YunnanClient, YunnanError
    from edge.uplink.yunnan.crypto import EnvelopeError
    yunnan_settings(config)
    client = YunnanClient.from_config(config, registered=registered)

    async def main():
        try:
            return await coro_fn(client)
        finally:
            await client.close()
    try:
        return asyncio.run(main())
    except YunnanError as e:
        where = " (%s)" % e.endpoint if e.endpoint else ""
        raise EdgeError("platform%s: %s" % (where, e)) from None
    except EnvelopeError as e:
        raise EdgeError("envelope: %s" % e) from None
