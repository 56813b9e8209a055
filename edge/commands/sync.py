"""edge sync — pull exceed vehicles (6.6), strategies (6.7) and alarms (6.9) into the local
platform cache, confirm strategies and alarms (6.8/6.10), print the counts."""
from edge.commands._yunnan import run_client, yunnan_settings
from edge.store.platform_cache import PlatformCache
from edge.uplink.yunnan import sync


def add_arguments(p):
    pass


def run(args, ctx):
    config = ctx.config
    y = yunnan_settings(config)
    cache = PlatformCache.from_config(config)
    try:
        out = run_client(config, lambda client: sync.sync_all(client, cache, config.site.enterprise_id, y.pull_start))
        counts = cache.counts()
    finally:
        cache.close()
    e, s, a = out["exceed"], out["strategy"], out["alarm"]
    if ctx.json:
        for name, got in out.items():
            ctx.emit(dict(got, list=name, cached=counts.get(name, counts.get("exceed"))))
        return 0
    print("exceed vehicles: %d received in %d page(s); cache holds %d (%d active)"
          % (e["records"], e["pages"], counts["exceed"], counts["exceed_active"]))
    print("strategies: %d received, %d confirmed; cache holds %d" % (s["records"], s["confirmed"], counts["strategy"]))
    print("alarms: %d received, %d confirmed; cache holds %d" % (a["records"], a["confirmed"], counts["alarm"]))
    return 0
