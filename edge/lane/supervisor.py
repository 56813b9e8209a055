"""Run the lane's long-lived jobs; restart a crashed job with backoff instead of dying.

A gate lane must keep recording and uploading even if, say, the heartbeat job hits a bug:
one job's failure is logged and retried, never allowed to stop the others.
"""
from __future__ import annotations

import asyncio
import logging
import random
from typing import Awaitable, Callable

from edge.errors import EdgeError

log = logging.getLogger(__name__)

Job = Callable[[asyncio.Event], Awaitable[None]]


class Supervisor:
    def __init__(self, backoff_min_s: float = 1.0, backoff_max_s: float = 60.0):
        self._jobs: dict[str, Job] = {}
        self.backoff_min_s = backoff_min_s
        self.backoff_max_s = backoff_max_s
        self.restarts: dict[str, int] = {}

    def add(self, name: str, job: Job) -> None:
        self._jobs[name] = job

    @property
    def names(self) -> list[str]:
        return list(self._jobs)

    async def run(self, stop: asyncio.Event) -> None:
        tasks = [asyncio.create_task(self._keep(name, job, stop), name=name) for name, job in self._jobs.items()]
        try:
            await stop.wait()
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _keep(self, name: str, job: Job, stop: asyncio.Event) -> None:
        delay = self.backoff_min_s
        while not stop.is_set():
            try:
                await job(stop)
                if stop.is_set():
                    return
                log.warning("job %s returned; restarting", name)
            except asyncio.CancelledError:
                raise
            except EdgeError as e:  # an expected condition (not registered, no model): one line
                log.warning("job %s: %s; retrying in %.0f s", name, e, delay)
            except Exception:
                log.exception("job %s crashed; restarting in %.0f s", name, delay)
            self.restarts[name] = self.restarts.get(name, 0) + 1
            try:
                await asyncio.wait_for(stop.wait(), delay * (0.5 + random.random()))
            except asyncio.TimeoutError:
                pass
            delay = min(delay * 2, self.backoff_max_s)


async def every(interval_s: float, stop: asyncio.Event, fn: Callable[[], Awaitable[None]],
                first_delay_s: float = 0.0) -> None:
    """Call fn() every interval until stop; a failing call is logged and the period continues."""
    if first_delay_s:
        try:
            await asyncio.wait_for(stop.wait(), first_delay_s)
            return
        except asyncio.TimeoutError:
            pass
    while not stop.is_set():
        try:
            await fn()
        except asyncio.CancelledError:
            raise
        except Exception as e:  # transient platform trouble is normal at a gate: log one line
            log.warning("%s failed: %s", getattr(fn, "__name__", "periodic job"), e)
        try:
            await asyncio.wait_for(stop.wait(), interval_s)
        except asyncio.TimeoutError:
            pass
