"""Keep the records index and the thumbnails up with the outbox, in the page's process.

Every few seconds (sooner when a lane event says something changed): index the new outbox
rows, re-index records an event named (cargo entered, vehicle registered), and make the
thumbnails of the newest records — so the records page of a running lane never waits for
one. A backlog (the first start on a board that already holds records) is indexed a batch at
a time with pauses, the page answering meanwhile. Every `reconcile_s` the index is checked
against the outbox whole (retention deletes old records), and thumbnails of days no record
has any more are deleted.
"""
from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)


THUMBS_AHEAD = 2000


async def follow_records(st, every_s: float = 3.0, reconcile_s: float = 600.0, thumbs_per_pass: int = 50):
    loop = asyncio.get_running_loop()
    last_reconcile = loop.time()
    ahead_done = False
    while True:
        try:
            n = await asyncio.to_thread(st.index.sync)
            ids, plates = list(st.refresh_ids), list(st.refresh_plates)
            st.refresh_ids.clear()
            st.refresh_plates.clear()
            if ids:
                await asyncio.to_thread(st.index.refresh, ids)
            for p in plates:
                await asyncio.to_thread(st.index.refresh_plate, p)
            if n:
                await asyncio.to_thread(_thumbs_of_newest, st, min(n, thumbs_per_pass))
            if loop.time() - last_reconcile >= reconcile_s:
                last_reconcile = loop.time()
                await asyncio.to_thread(_reconcile, st)
                ahead_done = False
            if st.index.backlog:
                await asyncio.sleep(0.05)  # catching up: keep going, leave the CPU some air
                continue
            if not ahead_done:
                await _thumbs_ahead(st)
                ahead_done = True
        except asyncio.CancelledError:
            raise
        except Exception as e:  # a locked or damaged file: say it once a pass, keep serving
            log.warning("web: records index pass failed: %s", e)
        st.index_wake.clear()
        try:
            await asyncio.wait_for(st.index_wake.wait(), every_s)
        except asyncio.TimeoutError:
            pass


def _thumbs_of_newest(st, n: int) -> None:
    from edge.store.media import MediaError
    for row in st.index.query({"section": "records"}, 1, n)["rows"] + st.index.query({"section": "smoke"}, 1, 5)["rows"]:
        if row.get("photo"):
            try:
                st.thumbs.get(row["photo"])
            except MediaError:
                pass


async def _thumbs_ahead(st, pause_s: float = 0.02) -> None:
    from edge.store.media import MediaError
    pages = THUMBS_AHEAD // 100
    for page in range(1, pages + 1):
        rows = (await asyncio.to_thread(st.index.query, {"section": "records"}, page, 100))["rows"]
        for row in rows:
            if row.get("photo") and not st.thumbs.path(row["photo"]).is_file():
                try:
                    await asyncio.to_thread(st.thumbs.get, row["photo"])
                except MediaError:
                    pass
                await asyncio.sleep(pause_s)
        if len(rows) < 100:
            return


def _reconcile(st) -> None:
    st.index.reconcile()
    oldest = st.index.oldest_day()
    if oldest:
        st.thumbs.prune_before(oldest)
