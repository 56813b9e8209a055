"""Pull the platform's lists into the local cache (6.6–6.10): exceed vehicles, strategies, alarms.

Per list: read the persisted date (or `[uplink.yunnan] pull_start` the first time), pull page
after page until isNew = "0", upsert each page into the cache, confirm strategy and alarm pages
(6.8/6.10) before asking for the next one, and only then persist the day the pull *started*
as the next date — records the platform adds during the pull are fetched again next time
rather than missed (upserts make repeats harmless). Ids pulled but not confirmed (a crash or a
failed confirmation) are confirmed first on the next run.
"""
from __future__ import annotations

import logging

from edge.store.platform_cache import PlatformCache
from edge.uplink.yunnan.client import YunnanClient

log = logging.getLogger("edge.uplink.yunnan.sync")


def _today() -> str:
    from edge.timeutil import now
    return now().strftime("%Y-%m-%d")


async def pull_exceed(client: YunnanClient, cache: PlatformCache, start: str, today: str | None = None) -> dict:
    started = today or _today()
    ts = cache.pull_timestamp("exceed", start)
    pages = n = 0
    async for records in client.pull_pages("exceed_vehicle", {"vehicleTimestamp": ts}):
        n += cache.upsert_exceed(records)
        pages += 1
    cache.set_pull_timestamp("exceed", started, pages, n)
    return {"pages": pages, "records": n}


async def _pull_confirmed(client, cache, list_name, endpoint, ts_field, id_field, confirm, enterprise_id,
                          start, today):
    started = today or _today()
    leftover = cache.unconfirmed(list_name)
    if leftover:
        await confirm(leftover)
        cache.mark_confirmed(list_name, leftover)
    ts = cache.pull_timestamp(list_name, start)
    pages = n = confirmed = 0
    async for records in client.pull_pages(endpoint, {"enterpriseId": enterprise_id, ts_field: ts}):
        upsert = cache.upsert_strategies if list_name == "strategy" else cache.upsert_alarms
        n += upsert(records)
        pages += 1
        ids = [str(r[id_field]) for r in records if r.get(id_field)]
        if ids:
            await confirm(ids)
            cache.mark_confirmed(list_name, ids)
            confirmed += len(ids)
    cache.set_pull_timestamp(list_name, started, pages, n)
    return {"pages": pages, "records": n, "confirmed": confirmed + len(leftover)}


async def pull_strategies(client, cache, enterprise_id, start, today=None) -> dict:
    return await _pull_confirmed(client, cache, "strategy", "strategy", "strategyTimestamp", "strategyId",
                                 lambda ids: client.confirm_strategies(enterprise_id, ids),
                                 enterprise_id, start, today)


async def pull_alarms(client, cache, enterprise_id, start, today=None) -> dict:
    return await _pull_confirmed(client, cache, "alarm", "alarm_vehicle", "alarmTimestamp", "alarmId",
                                 client.confirm_alarms, enterprise_id, start, today)


async def sync_all(client: YunnanClient, cache: PlatformCache, enterprise_id: str, start: str = "2000-01-01",
                   today: str | None = None) -> dict:
    out = {"exceed": await pull_exceed(client, cache, start, today),
           "strategy": await pull_strategies(client, cache, enterprise_id, start, today),
           "alarm": await pull_alarms(client, cache, enterprise_id, start, today)}
    log.info("sync: %s", out)
    return out
