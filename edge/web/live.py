"""One poller of the lane for every open page (the Home Assistant coordinator pattern).

However many guards, phones and officers have the page open, the lane answers the page's
process at most one `status` per `status_every_s` and one `events{after_id}` per
`events_every_s` — and nothing while nobody watches (events every `idle_every_s`, so the
records index still hears of cargo entries and registrations). Each open page gets the
results through its own bounded queue; a page that stops reading loses its queue (its
browser reconnects and starts from the current status), never slowing the others.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time

from edge.errors import EdgeError

log = logging.getLogger(__name__)

# status keys that change every poll without anything happening at the gate
VOLATILE = ("at", "uptime_s")


class Subscriber:
    def __init__(self, maxsize: int):
        self.queue: asyncio.Queue = asyncio.Queue(maxsize)
        self.dropped = False


class LiveFeed:
    def __init__(self, control, *, status_every_s: float = 1.0, events_every_s: float = 0.5,
                 idle_every_s: float = 5.0, keep_events: int = 50, on_event=None, clock=time.monotonic):
        self.control = control
        self.status_every_s, self.events_every_s, self.idle_every_s = status_every_s, events_every_s, idle_every_s
        self.on_event = on_event          # called with each new lane event (the records index)
        self.clock = clock
        self.subs: set[Subscriber] = set()
        self.status: dict | None = None
        self.status_at = -1e9
        self.status_error: str | None = None
        self.events: list[dict] = []
        self.keep_events = keep_events
        self.last_id: int | None = None
        self.polls = {"status": 0, "events": 0}
        self._status_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._last_sent = None
        self._last_sent_at = -1e9

    # ------------------------------------------------------------ for handlers
    async def current_status(self, max_age_s: float | None = None) -> dict:
        """The lane's status, at most max_age_s old (one poll shared by concurrent callers)."""
        max_age = self.status_every_s if max_age_s is None else max_age_s
        async with self._status_lock:
            if self.clock() - self.status_at >= max_age:
                await self._poll_status()
        return self.view()

    def view(self) -> dict:
        if self.status_error:
            return {"lane_down": self.status_error, "last": self.status}
        return self.status or {}

    def subscribe(self, maxsize: int = 200) -> Subscriber:
        s = Subscriber(maxsize)
        self.subs.add(s)
        self._wake.set()
        return s

    def unsubscribe(self, s: Subscriber) -> None:
        self.subs.discard(s)

    # ------------------------------------------------------------ the poller
    async def run(self) -> None:
        await self._seed_events()
        while True:
            self._wake.clear()  # before polling: a wake-up set while polling is kept
            watched = bool(self.subs)
            try:
                if watched and self.clock() - self.status_at >= self.status_every_s:
                    async with self._status_lock:
                        await self._poll_status()
                await self._poll_events()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug here must not end live updates for good
                log.exception("live feed poll failed")
            try:
                await asyncio.wait_for(self._wake.wait(), self.events_every_s if self.subs else self.idle_every_s)
            except asyncio.TimeoutError:
                pass

    async def _poll_status(self) -> None:
        self.polls["status"] += 1
        from edge.web.lane_link import LaneDown
        try:
            status = await self.control.call("status", {}, "web")
            self.status, self.status_error = status, None
        except LaneDown as e:
            self.status_error = str(e)
        except EdgeError as e:  # the lane answered, with an error: it runs; keep what we had
            log.warning("web: the lane's status failed: %s", e)
        self.status_at = self.clock()
        self._publish_status()

    def _publish_status(self) -> None:
        view = self.view()
        key = json.dumps({k: v for k, v in view.items() if k not in VOLATILE}, sort_keys=True, default=str)
        # a changed status at once; an unchanged one every 5 s (frame age, the clock, keep-alive)
        if key == self._last_sent and self.clock() - self._last_sent_at < 5.0:
            return
        self._last_sent, self._last_sent_at = key, self.clock()
        self._publish("status", view)

    async def _seed_events(self) -> None:
        try:
            got = await self.control.call("events", {"newest": True, "limit": self.keep_events}, "web")
        except EdgeError:
            return
        events = sorted(got.get("events", []), key=lambda e: e.get("id", 0))
        self.events = events[-self.keep_events:]
        self.last_id = events[-1]["id"] if events else 0

    async def _poll_events(self) -> None:
        if self.last_id is None:
            await self._seed_events()
            if self.last_id is None:
                return
        self.polls["events"] += 1
        try:
            got = await self.control.call("events", {"after_id": self.last_id, "limit": 200}, "web")
        except EdgeError:
            return
        for ev in got.get("events", []):
            self.last_id = max(self.last_id, int(ev.get("id", 0)))
            self.events = (self.events + [ev])[-self.keep_events:]
            if self.on_event is not None:
                try:
                    self.on_event(ev)
                except Exception:
                    log.exception("live feed: on_event failed")
            self._publish("event", ev)
            if ev.get("type") not in ("display", "voice"):  # the lane changed: fresh status soon
                self.status_at = -1e9
                self._wake.set()

    def _publish(self, kind: str, data) -> None:
        for s in list(self.subs):
            try:
                s.queue.put_nowait((kind, data))
            except asyncio.QueueFull:
                s.dropped = True
                self.subs.discard(s)
