"""Store and forward: the backlog, and the transmission rate against HJ 1321's 95 %."""
from __future__ import annotations

from edge.doctor import fail, ok, warn

ACCEPTANCE_DAYS = 15   # the acceptance watches 15 days of stable transmission


def _open(env):
    from edge.store.outbox import DB_NAME, Outbox
    if not (env.config.state_dir / DB_NAME).exists():
        return None
    if "outbox" not in env.extra:
        env.extra["outbox"] = Outbox.from_config(env.config, busy_timeout_s=5.0)
    return env.extra["outbox"]


def check_backlog(env):
    ob = _open(env)
    if ob is None:
        return ok("outbox", "no records yet")
    hours = env.config.outbox.missing_upload_alarm_h
    pending = {d: ob.count(d, "pending") + ob.count(d, "sending") for d in ob.destinations}
    rejected = ob.count(state="rejected")
    over = ob.overdue(hours)
    found = "%d records; pending %s; rejected %d" % (ob.record_count(), ", ".join(
        "%s %d" % kv for kv in pending.items()), rejected)
    if over["count"]:
        from edge.store.stats import _fmt_ms
        return fail("outbox", found + "; %d not uploaded after %g h (oldest from %s)" % (
            over["count"], hours, _fmt_ms(over["oldest_ms"])),
            "restore the uplink (platform/token lines); `edge outbox list` shows why each waits")
    if rejected:
        return warn("outbox", found, "fix the rejected records: `edge outbox list --rejected` names each "
                                     "problem, then `edge outbox retry`")
    return ok("outbox", found)


def check_rate(env):
    from edge.store.stats import REQUIRED_RATE, summary
    ob = _open(env)
    if ob is None:
        return None
    totals = summary(ob.daily_stats(ACCEPTANCE_DAYS))
    out = []
    for dest, t in sorted(totals.items()):
        if not t["generated"]:
            out.append(ok("rate-%s" % dest, "no records in the last %d days" % ACCEPTANCE_DAYS))
            continue
        found = "%s: %d of %d uploaded in %d days (%.2f%%), %d pending, %d rejected" % (
            dest, t["uploaded"], t["generated"], ACCEPTANCE_DAYS, 100 * t["rate"], t["pending"], t["rejected"])
        if t["rate"] >= REQUIRED_RATE:
            out.append(ok("rate-%s" % dest, found))
        elif (t["uploaded"] + t["pending"]) / t["generated"] >= REQUIRED_RATE:
            out.append(warn("rate-%s" % dest, found, "a backlog is still uploading; watch `edge outbox stats` until "
                                                     "the rate is back above 95%"))
        else:
            out.append(fail("rate-%s" % dest, found, "below HJ 1321's 95%%: fix rejected records (edge outbox list "
                                                     "--rejected) and the uplink; `edge outbox stats` per day"))
    return out
