"""The site-wide Yunnan jobs the lane runs periodically (when `[lane] site_duties` is on):
heartbeat (6.5) and the pulls with confirmations (6.6–6.10) into the platform cache.

One client (one token, one HTTP session) serves both. Failures raise client.YunnanError;
the lane's supervisor logs them and tries again next period — a missed heartbeat or pull
never stops the gate (the decision keeps reading the last complete cache).
"""
from __future__ import annotations

from edge.store.platform_cache import PlatformCache
from edge.uplink.yunnan import sync
from edge.uplink.yunnan.client import YunnanClient


class YunnanDuties:
    def __init__(self, config, client: YunnanClient | None = None, cache: PlatformCache | None = None):
        self.config = config
        self.client = client or YunnanClient.from_config(config)
        self.cache = cache or PlatformCache.from_config(config)

    async def heartbeat(self) -> str:
        answer, _ = await self.client.heartbeat(self.config.site.enterprise_id)
        return "%s %s" % (answer.get("code"), answer.get("message") or "")

    async def sync(self) -> dict:
        return await sync.sync_all(self.client, self.cache, self.config.site.enterprise_id,
                                   self.config.uplink.yunnan.pull_start)

    async def close(self) -> None:
        await self.client.close()
        self.cache.close()
