"""Drains the outbox to every destination: at-least-once, never gives up on a record.

Per destination, one feeder claims batches of due rows — alternately the NEWEST and the
OLDEST — and hands them to at most `concurrency` concurrent `deliver` calls. Alternating
ends means a record made during a catch-up waits at most about two batches, while the
backlog still drains from its oldest end (spec: data interrupted ≥24 h re-sent within 72 h).

Failures:
  - PermanentError (the platform refused the data): the row is marked rejected with the
    platform's reason, kept, and an alarm is raised (ERROR log + counter). Never retried
    automatically: `edge outbox retry` after a fix.
  - TransientError (or any unexpected exception): the row goes back to pending with its own
    exponential backoff, and the destination's *circuit* opens for a jittered, exponentially
    growing pause. While open nothing is sent; when it expires ONE probe record is sent; on
    success full concurrency resumes and rows deferred during the outage become due at once.
    So an outage of days costs one row update per probe (≤ one per backoff_max_s), not a
    rewrite of every row on every tick.
Acks are buffered and committed together with the next claim (one fsync per batch); losing
them to a crash only means those records are sent again, which the platforms de-duplicate by
recordId.
"""
from __future__ import annotations

import asyncio
import logging
import random
import time

from edge.store.media import MediaError
from edge.store.outbox import Claim, Outbox
from edge.uplink.base import Delivery, PermanentError, TransientError

log = logging.getLogger(__name__)


def backoff_delay(n: int, lo: float, hi: float, rng: random.Random) -> float:
    """Delay before retry n (1-based): lo·2^(n-1) capped at hi, "equal jitter" (half fixed,
    half random) so many lanes coming back after a platform outage don't retry in lockstep."""
    base = min(hi, lo * (2 ** min(max(n, 1) - 1, 30)))
    return base / 2 + rng.random() * base / 2


class _Lane:
    """Per-destination uploader state (memory only)."""

    def __init__(self, name, dest):
        self.name = name
        self.dest = dest
        self.failures = 0           # consecutive transient failures (circuit)
        self.open_until = 0.0       # monotonic time the circuit stays open until
        self.probing = False
        self.newest_turn = True
        self.acks: list = []        # (row id, ack) delivered, not yet committed
        self.wake = asyncio.Event()
        self.tasks: set = set()
        self.counts = {"delivered": 0, "rejected": 0, "transient": 0}


class Uploader:
    def __init__(self, outbox: Outbox, destinations: dict, *, concurrency: int = 4, batch: int = 16,
                 backoff_min_s: float = 2.0, backoff_max_s: float = 300.0, poll_s: float = 2.0,
                 rng: random.Random | None = None, alarm=None, on_fault=None):
        self.outbox = outbox
        self.concurrency = concurrency
        self.batch = max(batch, 1)
        self.backoff_min_s = backoff_min_s
        self.backoff_max_s = backoff_max_s
        self.poll_s = poll_s
        self.rng = rng or random.Random()
        self.alarm = alarm or self._log_alarm
        # a storage fault (full / read-only disk, damaged outbox.db) in the uploader's bookkeeping:
        # the lane decides what it means (edge/lane/service.py storage_fault)
        self.on_fault = on_fault
        self.lanes = {name: _Lane(name, d) for name, d in destinations.items()}
        missing = set(outbox.destinations) - set(self.lanes)
        if missing:
            raise ValueError("no client for destination(s) %s" % ", ".join(sorted(missing)))
        self._stopping = False
        self._runners: list = []

    @classmethod
    def from_config(cls, outbox: Outbox, destinations: dict, config, **kw) -> "Uploader":
        o = config.outbox
        return cls(outbox, destinations, concurrency=o.concurrency, batch=o.batch, poll_s=o.poll_s,
                   backoff_min_s=o.backoff_min_s, backoff_max_s=o.backoff_max_s, **kw)

    @classmethod
    async def open(cls, outbox: Outbox, config, **kw) -> "Uploader":
        """An uploader with a client for every `[uplink] destinations` name (registry.py)."""
        from edge.uplink.registry import open_destinations
        return cls.from_config(outbox, await open_destinations(config), config, **kw)

    async def close(self):
        """Close the destinations' clients (after stop())."""
        for ln in self.lanes.values():
            try:
                await ln.dest.close()
            except Exception:
                log.exception("closing destination %s", ln.name)

    # ------------------------------------------------------------ control
    def notify(self):
        """New records were put (in this process): look now rather than at the next poll."""
        for ln in self.lanes.values():
            ln.wake.set()

    async def run(self):
        """Run until stop() (or cancellation)."""
        await asyncio.to_thread(self.outbox.recover_sending)
        self._runners = [asyncio.create_task(self._drain(ln), name="uploader-" + ln.name)
                         for ln in self.lanes.values()]
        try:
            await asyncio.gather(*self._runners)
        finally:
            for t in self._runners:
                t.cancel()

    async def stop(self, timeout_s: float = 10.0):
        """Let in-flight deliveries finish (up to timeout_s), commit their acks, stop."""
        self._stopping = True
        self.notify()
        if self._runners:
            done, pending = await asyncio.wait(self._runners, timeout=timeout_s)
            if pending:  # a delivery hangs: cancel it (its row goes back to pending)
                for ln in self.lanes.values():
                    for t in list(ln.tasks):
                        t.cancel()
                for t in pending:
                    t.cancel()
            await asyncio.gather(*self._runners, return_exceptions=True)

    def counts(self) -> dict:
        return {n: dict(ln.counts) for n, ln in self.lanes.items()}

    @staticmethod
    def _log_alarm(kind: str, message: str):
        log.error("ALARM %s: %s", kind, message)

    # ------------------------------------------------------------ the feeder
    async def _drain(self, ln: _Lane):
        sem = asyncio.Semaphore(self.concurrency)
        try:
            while not self._stopping:
                try:
                    await self._cycle(ln, sem)
                except asyncio.CancelledError:
                    for t in list(ln.tasks):  # don't wait for a hanging platform: rows go back to pending
                        t.cancel()
                    raise
                except Exception as e:  # e.g. the DB briefly locked or the disk full: keep going
                    from edge.store import faults
                    if faults.classify(e) is not None:
                        log.error("uploader %s: %s; retrying in %.1f s", ln.name, faults.describe(e), self.poll_s)
                        if self.on_fault is not None:
                            self.on_fault(e)
                    else:
                        log.exception("uploader %s: cycle failed; retrying in %.1f s", ln.name, self.poll_s)
                    await self._wait(ln, self.poll_s, wake_on_notify=False)
        finally:
            if ln.tasks:
                await asyncio.gather(*list(ln.tasks), return_exceptions=True)
            await self._flush(ln)

    async def _cycle(self, ln: _Lane, sem: asyncio.Semaphore):
        """One step: wait out an open circuit, probe, or claim a batch and start sending it."""
        now = time.monotonic()
        if ln.open_until > now:
            await self._wait(ln, ln.open_until - now, wake_on_notify=False)
            ln.probing = True
            return
        if ln.probing:
            await self._probe(ln)
            return
        rows = await self._claim(ln, self.batch)
        if not rows:
            await self._idle(ln)
            return
        for i, row in enumerate(rows):
            await sem.acquire()
            if self._stopping or ln.open_until > time.monotonic():
                sem.release()
                await asyncio.to_thread(self.outbox.release, [r.id for r in rows[i:]])
                break
            t = asyncio.create_task(self._send_released(ln, row, sem))
            ln.tasks.add(t)
            t.add_done_callback(ln.tasks.discard)

    async def _claim(self, ln: _Lane, limit: int) -> list[Claim]:
        newest = ln.newest_turn
        ln.newest_turn = not ln.newest_turn
        acks, ln.acks = ln.acks, []
        try:
            return await asyncio.to_thread(self.outbox.claim, ln.name, limit, newest=newest, acks=acks)
        except BaseException:
            ln.acks = acks + ln.acks  # not committed: keep them for the next try
            raise

    async def _flush(self, ln: _Lane):
        if ln.acks:
            acks, ln.acks = ln.acks, []
            await asyncio.to_thread(self.outbox.mark_delivered, acks)

    async def _idle(self, ln: _Lane):
        if ln.tasks:  # deliveries in flight: come back when one finishes (to claim/commit)
            await self._wait(ln, self.poll_s)
            return
        await self._flush(ln)
        due = await asyncio.to_thread(self.outbox.next_due_ms, ln.name)
        timeout = self.poll_s  # poll: another process (edge record demo) may have put records
        if due is not None:
            timeout = min(timeout, max(0.0, due / 1000 - self.outbox.clock()))
        await self._wait(ln, timeout)

    async def _wait(self, ln: _Lane, timeout: float, wake_on_notify: bool = True):
        if self._stopping:
            return
        ln.wake.clear()
        if not wake_on_notify:
            # circuit open: only stop() may cut the pause short
            end = time.monotonic() + timeout
            while not self._stopping and time.monotonic() < end:
                ln.wake.clear()
                try:
                    await asyncio.wait_for(ln.wake.wait(), max(0.0, end - time.monotonic()))
                except asyncio.TimeoutError:
                    pass
            return
        try:
            await asyncio.wait_for(ln.wake.wait(), max(0.0, timeout))
        except asyncio.TimeoutError:
            pass

    async def _probe(self, ln: _Lane):
        rows = await self._claim(ln, 1)
        if not rows:
            await self._idle(ln)
            return
        before = ln.failures
        await self._send(ln, rows[0])
        if ln.open_until <= time.monotonic():  # the probe went through (or was rejected: link is up)
            ln.probing = False
            log.warning("destination %s is reachable again after %d failed attempts; catching up",
                        ln.name, before)
            if before >= 2:
                n = await asyncio.to_thread(self.outbox.undefer, ln.name)
                if n:
                    log.info("destination %s: %d deferred records are due now", ln.name, n)

    # ------------------------------------------------------------ one delivery
    async def _send_released(self, ln: _Lane, row: Claim, sem: asyncio.Semaphore):
        try:
            await self._send(ln, row)
        except asyncio.CancelledError:
            raise
        except Exception:  # bookkeeping failed (DB trouble): hand the row back, keep going
            log.exception("uploader %s: delivery bookkeeping of %s failed", ln.name, row.record_id)
            try:
                await asyncio.to_thread(self.outbox.release, [row.id])
            except Exception:
                log.exception("uploader %s: %s stays 'sending' until the next start", ln.name, row.record_id)
        finally:
            sem.release()
            ln.wake.set()

    async def _send(self, ln: _Lane, row: Claim):
        try:
            media = await asyncio.to_thread(self.outbox.load_media, row.record_id, "photo")
        except MediaError as e:
            reason = "local: stored photo unusable: %s" % e
            await asyncio.to_thread(self.outbox.mark_rejected, row.id, reason)
            ln.counts["rejected"] += 1
            self.alarm("media", "record %s not sent to %s: %s" % (row.record_id, ln.name, reason))
            return
        item = Delivery(record_id=row.record_id, kind=row.kind, record=row.body, media=media,
                        attempt=row.attempts + 1)
        try:
            ack = await ln.dest.deliver(item)
        except PermanentError as e:
            await asyncio.to_thread(self.outbox.mark_rejected, row.id, e.reason)
            ln.counts["rejected"] += 1
            self.alarm("rejected", "%s rejected record %s: %s" % (ln.name, row.record_id, e.reason))
            self._close_circuit(ln)
            return
        except asyncio.CancelledError:
            await asyncio.to_thread(self.outbox.release, [row.id])
            raise
        except Exception as e:  # TransientError, or a client bug: never drop the record
            from edge.errors import EdgeError
            if isinstance(e, EdgeError):   # a config problem (a ca_file that is not there…): one line
                log.error("destination %s: %s (will retry %s)", ln.name, e, row.record_id)
            elif not isinstance(e, TransientError):
                log.exception("destination %s: unexpected error delivering %s (will retry)",
                              ln.name, row.record_id)
            reason = getattr(e, "reason", None) or "%s: %s" % (type(e).__name__, e)
            await self._transient(ln, row, reason)
            return
        ln.acks.append((row.id, str(ack) if ack is not None else ""))
        ln.counts["delivered"] += 1
        self._close_circuit(ln)

    def _close_circuit(self, ln: _Lane):
        if ln.open_until <= time.monotonic():
            ln.failures = 0

    async def _transient(self, ln: _Lane, row: Claim, reason: str):
        ln.counts["transient"] += 1
        now = time.monotonic()
        if ln.open_until <= now:  # only the first failure of a wave escalates the pause
            ln.failures += 1
            pause = backoff_delay(ln.failures, self.backoff_min_s, self.backoff_max_s, self.rng)
            ln.open_until = now + pause
            lvl = logging.WARNING if ln.failures < 5 else logging.ERROR
            log.log(lvl, "destination %s unavailable (%s); pausing %.1f s (failure %d)",
                    ln.name, reason, pause, ln.failures)
        row_delay = backoff_delay(row.attempts + 1, self.backoff_min_s, self.backoff_max_s, self.rng)
        next_at = int((self.outbox.clock() + row_delay) * 1000)
        await asyncio.to_thread(self.outbox.mark_retry, row.id, reason, next_at)
