"""The lane's systemd watchdog: READY once the jobs run, WATCHDOG only while the lane is alive.

A supervised job of `edge run`. It pets systemd's watchdog (edge/sdnotify.py) at half of
WATCHDOG_USEC, and only when every liveness probe passes:
  - the event loop runs this job at all (a loop blocked by a stuck call sends nothing);
  - the worker threads answer: camera reads, the plate reader and SQLite run in
    `asyncio.to_thread`, so a pool whose workers are all stuck is a hung lane too;
  - the gate's own loop (LaneRunner, which wakes at least every 0.5 s to fire the state
    machine's timers) has gone round recently.
A failing probe is written to STATUS= and to the lane's status (`watchdog.problem`); systemd
then restarts the unit after WatchdogSec. STOPPING=1 goes out on shutdown.
"""
from __future__ import annotations

import asyncio
import logging
import time

from edge import aio, timeutil
from edge.sdnotify import Notifier

log = logging.getLogger(__name__)

GATE_STALL_S = 10.0   # the runner wakes every 0.5 s; 20x that is a hang, not a slow tick


async def _threads_answer(timeout_s: float) -> str | None:
    try:
        await asyncio.wait_for(asyncio.to_thread(lambda: None), timeout_s)
        return None
    except asyncio.TimeoutError:
        return "worker threads did not answer within %.0f s" % timeout_s


def gate_problem(gate, now_ms=None) -> str | None:
    runner = getattr(gate, "runner", None) if gate is not None else None
    last = getattr(runner, "loop_ms", None)
    if last is None:
        return None  # no gate on this lane, or it has not started
    now = (getattr(runner, "clock_ms", None) or aio.ticks_ms)() if now_ms is None else now_ms
    age = aio.ticks_diff(now, last) / 1000
    if age > GATE_STALL_S:
        return "the gate's state machine loop has not run for %.0f s" % age
    return None


class Watchdog:
    def __init__(self, service, notifier: Notifier | None = None):
        self.service = service
        self.notifier = notifier or Notifier()
        self.state = {"armed": self.notifier.watchdog_armed, "notify": self.notifier.enabled,
                      "interval_s": round(self.notifier.pet_interval_s(), 3), "pets": 0,
                      "last_pet_at": None, "problem": None}

    async def problems(self) -> list[str]:
        found = []
        threads = await _threads_answer(max(1.0, self.notifier.pet_interval_s()))
        if threads:
            found.append(threads)
        gate = gate_problem(getattr(self.service, "gate", None))
        if gate:
            found.append(gate)
        return found

    async def run(self, stop: asyncio.Event) -> None:
        n = self.notifier
        await asyncio.sleep(0)  # let the other jobs' tasks start first
        n.ready("lane %s running %d jobs" % (self.service.config.site.gate_id, len(self.service.supervisor.names)))
        interval = n.pet_interval_s()
        try:
            while not stop.is_set():
                t0 = time.monotonic()
                found = await self.problems()
                if found:
                    text = "; ".join(found)
                    if text != self.state["problem"]:
                        log.error("ALARM watchdog: %s (not petting systemd's watchdog)", text)
                    n.status("hung: " + text)
                else:
                    if self.state["problem"]:
                        log.warning("watchdog: the lane answers again")
                        n.status("running")
                    n.watchdog()
                    self.state["pets"] += 1
                    self.state["last_pet_at"] = timeutil.fmt_datetime(timeutil.now())
                self.state["problem"] = "; ".join(found) or None
                wait = max(0.05, interval - (time.monotonic() - t0))
                try:
                    await asyncio.wait_for(stop.wait(), wait)
                except asyncio.TimeoutError:
                    pass
        finally:
            if stop.is_set():
                n.stopping()
