"""Retention and disk pressure: keep what the spec demands, never lose what is not delivered.

Spec: access records and their photos are kept ≥24 months, clips ≥12 months. A record's age
is that of its Beijing day (its accessTime's date); a "month" here is 31 days, and only days
strictly before the cut-off day go, so the cut-off is never earlier than the calendar says.

`Retention.run()` (the lane's housekeeping job calls it hourly):
  1. expire: delivered records older than `retention_months` (and their photos), and clips of
     delivered records older than `clip_retention_months`, are deleted;
  2. disk: while disk use is above `disk_high_water_pct`, the OLDEST DELIVERED records are
     deleted, clips first, in batches. If that cuts into the retention period, an ERROR says
     so (the card is too small for the site's traffic: the platform already has those
     records, the lane must keep recording).
  3. Undelivered records are never pruned. When the disk is still above the mark with nothing
     deliverable left to prune, an alarm is raised instead.
Deletions are batched (one transaction per batch) — no per-record commits on the eMMC.

`housekeeping(outbox, config)` is the lane's hourly job: retention, photo files orphaned by a
crash between their write and the record's commit, and the missing-upload alarm.
"""
from __future__ import annotations

import logging
import shutil
from datetime import datetime

from edge import timeutil
from edge.store.outbox import Outbox

log = logging.getLogger(__name__)

DAY_MS = 86400_000
MONTH_DAYS = 31


def disk_usage_pct(path) -> float:
    u = shutil.disk_usage(path)
    return 100.0 * u.used / u.total if u.total else 0.0


class Retention:
    def __init__(self, outbox: Outbox, *, retention_months: int = 24, clip_retention_months: int = 12,
                 high_water_pct: float = 90.0, usage=None, alarm=None, batch: int = 200):
        self.outbox = outbox
        self.retention_ms = retention_months * MONTH_DAYS * DAY_MS
        self.clip_retention_ms = clip_retention_months * MONTH_DAYS * DAY_MS
        self.high_water_pct = high_water_pct
        self.usage = usage or (lambda: disk_usage_pct(outbox.dir))   # injectable for tests
        self.alarm = alarm or (lambda kind, msg: log.error("ALARM %s: %s", kind, msg))
        self.batch = batch

    @classmethod
    def from_config(cls, outbox: Outbox, config, **kw) -> "Retention":
        o = config.outbox
        return cls(outbox, retention_months=o.retention_months, clip_retention_months=o.clip_retention_months,
                   high_water_pct=o.disk_high_water_pct, **kw)

    def run(self) -> dict:
        report = {"expired": 0, "clips": 0, "pruned": 0, "freed_bytes": 0, "alarm": None}
        now_ms = int(self.outbox.clock() * 1000)
        self._expire(now_ms, report)
        self._relieve_disk(now_ms, report)
        return report

    def _delete(self, ids, report) -> int:
        orphans = self.outbox.delete_records(ids)
        report["freed_bytes"] += self.outbox.media.delete(orphans)
        return len(ids)

    def _cutoff_day(self, now_ms: int, age_ms: int) -> str:
        return timeutil.fmt_date(datetime.fromtimestamp((now_ms - age_ms) / 1000, timeutil.BEIJING))

    def _expire(self, now_ms, report):
        cutoff = self._cutoff_day(now_ms, self.retention_ms)
        while True:
            rows = self.outbox.delivered_oldest(self.batch, before_day=cutoff)
            if not rows:
                break
            report["expired"] += self._delete([r["record_id"] for r in rows], report)
        clips = self.outbox.delivered_clips(self._cutoff_day(now_ms, self.clip_retention_ms))
        if clips:
            report["freed_bytes"] += self.outbox.media.delete(self.outbox.forget_media(clips))
            report["clips"] += len(clips)

    def _relieve_disk(self, now_ms, report):
        if self.usage() <= self.high_water_pct:
            return
        clips = self.outbox.delivered_clips()
        if clips:  # big and least needed: go first
            report["freed_bytes"] += self.outbox.media.delete(self.outbox.forget_media(clips))
            report["clips"] += len(clips)
        cutoff = self._cutoff_day(now_ms, self.retention_ms)
        warned = False
        while self.usage() > self.high_water_pct:
            rows = self.outbox.delivered_oldest(min(self.batch, 50))
            if not rows:
                break
            young = [r for r in rows if r["day"] >= cutoff]
            if young and not warned:
                warned = True
                log.error("disk above %.0f%%: pruning delivered records younger than the retention "
                          "period (now from %s on) — storage is too small for this site's traffic",
                          self.high_water_pct, young[0]["day"])
            report["pruned"] += self._delete([r["record_id"] for r in rows], report)
        use = self.usage()
        if use > self.high_water_pct:
            n = self.outbox.undelivered_count()
            msg = ("disk %.1f%% used (high-water %.0f%%) and nothing delivered left to prune; "
                   "%d undelivered records are kept" % (use, self.high_water_pct, n))
            report["alarm"] = msg
            self.alarm("disk", msg)


def sweep_orphans(outbox: Outbox, alarm=None) -> int:
    """Photo files no record points at (a crash between their write and the record's commit).
    Never while the database holds no record at all beside stored files: that is a lost or
    replaced outbox.db, and its "orphans" are the undelivered photos."""
    if outbox.record_count() == 0 and outbox.media.count_files(outbox.media.root, stop_at=1):
        msg = ("%s holds no records but %s holds photos: not sweeping them as orphans "
               "(was outbox.db replaced?)" % (outbox.path, outbox.media.root))
        (alarm or (lambda kind, m: log.error("ALARM %s: %s", kind, m)))("storage", msg)
        return 0
    return outbox.media.sweep_orphans(outbox.is_referenced, min_age_s=3600, last_days=2)


INTEGRITY_EVERY_S = 86400
_last_integrity: dict = {}


def check_integrity(outbox: Outbox, alarm=None, now: float | None = None, every_s: float = INTEGRITY_EVERY_S):
    """SQLite quick_check of the outbox, at most once per `every_s` (a day): a damaged page found
    early is an alarm while a backup still helps. → the problem text, or None."""
    import time
    now = time.time() if now is None else now
    key = str(outbox.path)
    if now - _last_integrity.get(key, 0.0) < every_s:
        return None
    _last_integrity[key] = now
    try:
        problems = [r for r in outbox.integrity_check(quick=True) if r != "ok"]
    except Exception as e:   # sqlite3.DatabaseError: so damaged the check cannot even run
        problems = [str(e)]
    if not problems:
        return None
    msg = ("%s is DAMAGED: %s%s (run `edge outbox check`; restore it from a backup)"
           % (outbox.path, problems[0], " (+%d more)" % (len(problems) - 1) if len(problems) > 1 else ""))
    (alarm or (lambda kind, m: log.error("ALARM %s: %s", kind, m)))("storage", msg)
    return msg


def housekeeping(outbox: Outbox, config, *, alarm=None, usage=None) -> dict:
    """Integrity (daily) + retention + orphan sweep (newest 2 day folders) + missing-upload
    alarm, in one call."""
    from edge.store import stats
    kw = {"alarm": alarm} if alarm else {}
    if usage:
        kw["usage"] = usage
    report = {"damaged": check_integrity(outbox, alarm)}
    report.update(Retention.from_config(outbox, config, **kw).run())
    report["orphans"] = sweep_orphans(outbox, alarm=alarm)
    report["overdue"] = stats.check_missing_uploads(outbox, config.outbox.missing_upload_alarm_h, alarm=alarm)
    return report
