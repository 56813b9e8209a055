"""The lane's in-process event bus: topic string -> subscribers, fire and forget.

The lane publishes what happened ("passage", "smoke") for whoever wants it: the status page
later, and the MQTT site-coordination bridge, which will forward each message under the same
topic name. So topics are already named the MQTT way:

    site/<gate>/<lane>/passage      site/<gate>/<lane>/smoke

with <gate> the gate id (A01) and <lane> the lane's direction ("in" | "out"): [site]
lane_name is a human label that may hold spaces and Chinese, which topic filters should not
have to match. Subscriptions take MQTT-style filters ('+' one level, '#' the rest), so the
bridge can later subscribe "site/#" once.

Publishing never blocks and never fails: each delivery runs later on the event loop (a sync
callback via call_soon, a coroutine function as its own task); a subscriber that raises is
logged and the others still get the message. A subscriber that falls behind (more than
`max_pending` deliveries still running) loses messages, with a warning — the bus is for
notifications, the outbox is where records are kept.
"""
from __future__ import annotations

import asyncio
import inspect
import logging

log = logging.getLogger(__name__)


def topic(gate_id: str, lane: str, event: str) -> str:
    """site/<gate>/<lane>/<event>; raises ValueError for a part MQTT could not carry."""
    for name, part in (("gate", gate_id), ("lane", lane), ("event", event)):
        if not part or any(c in part for c in "/+#\0"):
            raise ValueError("topic %s part %r must be non-empty without / + # or NUL" % (name, part))
    return "site/%s/%s/%s" % (gate_id, lane, event)


def matches(pattern: str, name: str) -> bool:
    """MQTT topic filter match: '+' is one level, a final '#' any number of levels (also none)."""
    p, t = pattern.split("/"), name.split("/")
    for i, part in enumerate(p):
        if part == "#":
            return i == len(p) - 1
        if i >= len(t) or (part != "+" and part != t[i]):
            return False
    return len(p) == len(t)


class _Sub:
    __slots__ = ("pattern", "callback", "is_async", "pending", "dropped")

    def __init__(self, pattern, callback):
        self.pattern = pattern
        self.callback = callback
        self.is_async = inspect.iscoroutinefunction(callback)
        self.pending = 0
        self.dropped = 0


class EventBus:
    def __init__(self, max_pending: int = 100):
        self.max_pending = max_pending
        self._subs: list[_Sub] = []
        self._tasks: set = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.published = 0

    def subscribe(self, pattern: str, callback):
        """Call `callback(topic, payload)` (sync or async) for every matching message.
        Returns a function that unsubscribes."""
        sub = _Sub(pattern, callback)
        self._subs.append(sub)
        return lambda: self._subs.remove(sub) if sub in self._subs else None

    def publish(self, name: str, payload) -> int:
        """Hand `payload` to every subscriber of `name`; returns how many were scheduled.
        Safe from any thread: from outside the loop the deliveries are handed to the loop
        the bus last ran on (dropped, with a warning, if it never ran on one)."""
        self.published += 1
        try:
            loop = asyncio.get_running_loop()
            self._loop = loop
            here = True
        except RuntimeError:
            loop, here = self._loop, False
        n = 0
        for sub in list(self._subs):
            if not matches(sub.pattern, name):
                continue
            if sub.pending >= self.max_pending:
                sub.dropped += 1
                if sub.dropped == 1 or sub.dropped % 100 == 0:
                    log.warning("event bus: subscriber %r to %s is behind; %d messages dropped",
                                sub.callback, sub.pattern, sub.dropped)
                continue
            if loop is None or loop.is_closed():
                log.warning("event bus: no event loop; %s not delivered to %r", name, sub.callback)
                continue
            sub.pending += 1
            if here:
                self._start(sub, name, payload)
            else:
                loop.call_soon_threadsafe(self._start, sub, name, payload)
            n += 1
        return n

    def _start(self, sub: _Sub, name: str, payload) -> None:
        if sub.is_async:
            try:
                task = asyncio.get_running_loop().create_task(self._run_async(sub, name, payload))
            except RuntimeError:  # called outside a running loop (loop shutting down)
                sub.pending -= 1
                return
            self._tasks.add(task)  # keep a reference: the loop holds tasks only weakly
            task.add_done_callback(self._tasks.discard)
        else:
            asyncio.get_running_loop().call_soon(self._run_sync, sub, name, payload)

    def _run_sync(self, sub: _Sub, name: str, payload) -> None:
        try:
            sub.callback(name, payload)
        except Exception:
            log.exception("event bus: subscriber %r failed on %s", sub.callback, name)
        finally:
            sub.pending -= 1

    async def _run_async(self, sub: _Sub, name: str, payload) -> None:
        try:
            await sub.callback(name, payload)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("event bus: subscriber %r failed on %s", sub.callback, name)
        finally:
            sub.pending -= 1

    async def drain(self) -> None:
        """Wait until every delivery started so far has run (tests, orderly shutdown)."""
        for _ in range(3):  # sync deliveries are call_soon'd: let the loop run them
            await asyncio.sleep(0)
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await asyncio.sleep(0)
