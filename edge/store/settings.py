"""`[outbox]`: durable store-and-forward of records and photos."""
from edge.settings import section, setting


@section
class OutboxSettings:
    concurrency: int = setting(4, doc="Records in flight at once per destination.", min=1, max=32)
    batch: int = setting(16, doc="Rows claimed per uploader cycle; the uploader alternates newest and oldest\n"
                                 "batches, so a new record waits at most about two batches behind a backlog.",
                         min=1, max=500)
    poll_s: float = setting(2.0, doc="How often the uploader looks for records put by another process\n"
                                     "(e.g. `edge record demo`); records put by the lane wake it at once.",
                            min=0.05, max=60)
    backoff_min_s: float = setting(2.0, doc="First retry delay after a transient failure (doubles, with jitter).", min=0.01)
    backoff_max_s: float = setting(300.0, doc="Longest retry delay.", min=0.1)
    retention_months: int = setting(24, doc="Keep delivered records and photos at least this long (spec: ≥24;\n"
                                            "a month counts as 31 days).", min=24)
    clip_retention_months: int = setting(12, doc="Keep clips at least this long (spec: ≥12).", min=12)
    disk_high_water_pct: float = setting(90.0, doc="Above this disk use, prune the oldest DELIVERED records and photos (clips first);\n"
                                      "undelivered ones are never pruned: an alarm is raised instead.", min=50, max=99)
    missing_upload_alarm_h: float = setting(24.0, doc="Alarm when a record stays undelivered this many hours.", min=0.1)
