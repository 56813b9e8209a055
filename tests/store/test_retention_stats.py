"""Retention (never prunes undelivered), disk high-water pruning, daily statistics, alarms."""
from datetime import datetime


from edge import timeutil

from edge.store.outbox import Outbox
from edge.store.retention import Retention
from edge.store import stats
from outbox_helpers import make_record, photo

NOW = 1_795_000_000.0  # a fixed "now" (2026-11-18) for the clock


def at(t: float) -> str:
    return timeutil.fmt_datetime(datetime.fromtimestamp(t, timeutil.BEIJING))


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


def deliver_all(box, dest="yunnan", ids=None):
    rows = box.claim(dest, 100000)
    box.mark_delivered([(r.id, "ok") for r in rows if ids is None or r.record_id in ids])
    box.release([r.id for r in rows if ids is not None and r.record_id not in ids])


def test_expiry_keeps_24_months_of_records_and_12_of_clips(tmp_path):
    clock = Clock(NOW)
    box = Outbox(tmp_path, ["yunnan"], clock=clock)
    days_ago = {0: 800, 1: 700, 2: 400, 3: 800, 4: 200}  # record 3 stays undelivered
    for i, age in days_ago.items():
        clock.t = NOW - age * 86400
        box.put(make_record(i, at(clock.t)), {"carImg": photo(i), "clip": (b"clip%d" % i, "mp4")})
    clock.t = NOW
    deliver_all(box, ids={"REC%012d" % i for i in (0, 1, 2, 4)})
    paths = {i: box.media.path(box.media_of("REC%012d" % i)["carImg"]) for i in days_ago}
    clip2 = box.media.path(box.media_of("REC%012d" % 2)["clip"])
    report = Retention(box, usage=lambda: 10.0).run()
    assert report["expired"] == 1 and report["alarm"] is None
    assert box.get("REC%012d" % 0) is None and not paths[0].exists()        # > 24 months, delivered
    assert box.get("REC%012d" % 1) is not None and paths[1].exists()        # < 24 months
    assert box.get("REC%012d" % 3) is not None and paths[3].exists()        # undelivered: never
    assert not clip2.exists() and paths[2].exists()                         # clip > 12 months gone
    assert "clip" not in box.media_of("REC%012d" % 1)                        # 700 days: clip gone
    assert box.load_media("REC%012d" % 4)["clip"] == b"clip4"                # 200 days: kept
    assert box.load_media("REC%012d" % 3)["clip"] == b"clip3"                # undelivered: kept
    # the pruned record still counts in its day's statistics
    rows = box.daily_stats(days=1, today=box.get("REC%012d" % 1)["day"])
    assert rows[0]["generated"] >= 1


def test_disk_pressure_prunes_oldest_delivered_first_never_undelivered(tmp_path):
    clock = Clock(NOW)
    box = Outbox(tmp_path, ["yunnan", "hj212"], clock=clock)
    for i in range(10):
        clock.t = NOW - (10 - i) * 86400
        box.put(make_record(i, at(clock.t)), {"carImg": photo(i, size=1000)})
    clock.t = NOW
    # records 0..5 delivered to both; 6..9 still pending on hj212
    deliver_all(box, "yunnan")
    deliver_all(box, "hj212", ids={"REC%012d" % i for i in range(6)})
    capacity = 4 * 1100  # the 4 undelivered photos alone fill it past 90%

    def usage():  # the disk "holds" only the media folder; high-water 90%
        used = sum(p.stat().st_size for p in (tmp_path / "media").rglob("*.jpg"))
        return 100.0 * used / capacity
    alarms = []
    report = Retention(box, high_water_pct=90, usage=usage, alarm=lambda k, m: alarms.append((k, m))).run()
    gone = [i for i in range(10) if box.get("REC%012d" % i) is None]
    assert gone == list(range(6))              # oldest delivered first, all of them
    assert all(box.get("REC%012d" % i) for i in range(6, 10))   # undelivered kept
    assert report["pruned"] == 6 and alarms and alarms[0][0] == "disk"
    assert "4 undelivered" in alarms[0][1]
    assert box.load_media("REC%012d" % 9)


def test_disk_pruning_stops_at_the_high_water_mark(tmp_path):
    box = Outbox(tmp_path, ["yunnan"])
    for i in range(10):
        box.put(make_record(i), {"carImg": photo(i, size=1000)})
    deliver_all(box)

    def usage():
        return 10.0 * sum(1 for _ in (tmp_path / "media").rglob("*.jpg"))  # 10 files = 100%
    report = Retention(box, high_water_pct=75, usage=usage, batch=1).run()
    assert box.record_count() == 7 and report["alarm"] is None
    assert box.get("REC%012d" % 0) is None and box.get("REC%012d" % 3) is not None


def test_daily_stats_and_rate(tmp_path):
    box = Outbox(tmp_path, ["yunnan"])
    for i in range(10):
        box.put(make_record(i, "2026-11-21 08:00:00"))
    for i in range(10, 14):
        box.put(make_record(i, "2026-11-22 08:00:00"))
    rows = box.claim("yunnan", 100)
    by = {r.record_id: r for r in rows}
    box.mark_delivered([(by["REC%012d" % i].id, "ok") for i in range(8)])
    box.mark_rejected(by["REC%012d" % 8].id, "bad plate")
    box.mark_delivered([(by["REC%012d" % 10].id, "ok")])
    box.release([by["REC%012d" % i].id for i in (9, 11, 12, 13)])
    rep = stats.daily(box, 3, today="20261122")
    assert [(r["day"], r["generated"], r["uploaded"], r["rejected"], r["pending"], r["rate"]) for r in rep] == [
        ("20261122", 4, 1, 0, 3, 0.25), ("20261121", 10, 8, 1, 1, 0.8), ("20261120", 0, 0, 0, 0, None)]
    tot = stats.summary(rep)["yunnan"]
    assert tot["rate"] == round(9 / 14, 4) and tot["meets_requirement"] is False
    text = stats.format_table(rep)
    assert "20261121" in text and "80.00%" in text and "< 95%" in text


def test_missing_upload_alarm_after_threshold(tmp_path):
    clock = Clock(NOW)
    box = Outbox(tmp_path, ["yunnan"], clock=clock)
    box.put(make_record(1))
    clock.t = NOW + 3600
    box.put(make_record(2))
    clock.t = NOW + 25 * 3600
    alarms = []
    o = stats.check_missing_uploads(box, 24, alarm=lambda k, m: alarms.append((k, m)))
    assert o["count"] == 1 and alarms[0][0] == "missing-upload"
    deliver_all(box)
    alarms.clear()
    assert stats.check_missing_uploads(box, 24, alarm=lambda k, m: alarms.append(k))["count"] == 0
    assert alarms == []


def test_housekeeping_runs_retention_sweep_and_alarm(tmp_path):
    from types import SimpleNamespace
    from edge.store.retention import housekeeping
    from edge.store.settings import OutboxSettings
    clock = Clock(NOW)
    box = Outbox(tmp_path, ["yunnan"], clock=clock)
    box.put(make_record(1), {"carImg": photo(1)})
    orphan = box.media.put(photo(2), "jpg", "20261122")
    import os
    os.utime(box.media.path(orphan), (NOW - 7200, NOW - 7200))
    clock.t = NOW + 30 * 3600
    alarms = []
    config = SimpleNamespace(outbox=OutboxSettings())
    report = housekeeping(box, config, alarm=lambda k, m: alarms.append(k), usage=lambda: 1.0)
    assert report["orphans"] == 1 and not box.media.path(orphan).exists()
    assert box.load_media("REC%012d" % 1) == {"carImg": photo(1)}
    assert report["overdue"]["count"] == 1 and alarms == ["missing-upload"]
