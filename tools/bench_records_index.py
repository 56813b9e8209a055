"""The page's records queries at 100,000 records: this tree's index against a baseline revision's.

    nice -n 10 .venv/bin/python tools/bench_records_index.py [--dir DIR] [--baseline REV]

Uses the outbox that `tools/bench_web.py --keep` filled in DIR (default
/work/data-h17-web/bench-web); builds both indexes into DIR/idx-*/ and runs bench_web's
queries (plus the last page and a one-week plate substring) on both, interleaved, median of 5,
checking both answer the same rows. In-process: the SQL and the delivery states, no HTTP.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))


def main(argv=None) -> int:
    import bench_web
    import edge.web.records_index as this
    from edge import timeutil
    from edge.config import load_config
    from edge.store.outbox import DB_NAME
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", default="/work/data-h17-web/bench-web")
    ap.add_argument("--baseline", default="a2497fa", help="git revision whose records_index.py is the baseline")
    args = ap.parse_args(argv)
    folder = Path(args.dir)
    if not (folder / "edge.toml").is_file():
        raise SystemExit("bench: %s holds no filled lane (run tools/bench_web.py --dir %s --keep first)" % (folder, folder))
    old_src = folder / "baseline_records_index.py"
    old_src.write_bytes(subprocess.run(["git", "-C", str(ROOT), "show", args.baseline + ":edge/web/records_index.py"],
                                       check=True, capture_output=True).stdout)
    spec = importlib.util.spec_from_file_location("baseline_records_index", old_src)
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
    config = load_config(folder / "edge.toml")
    state = Path(config.paths.state_dir)
    idx = {}
    for name, mod in (("baseline", old), ("this", this)):
        shutil.rmtree(folder / ("idx-" + name), ignore_errors=True)
        i = mod.RecordsIndex(folder / ("idx-" + name) / "records.db", state / DB_NAME, config.uplink.destinations)
        t = time.perf_counter()
        n = i.sync_all()
        print("%-8s index build: %d records in %.1f s" % (name, n, time.perf_counter() - t), flush=True)
        idx[name] = i
    today = datetime.now(timeutil.BEIJING)
    d1 = (today - timedelta(days=1)).strftime("%Y-%m-%d")
    d7 = (today - timedelta(days=7)).strftime("%Y-%m-%d")
    queries = bench_web.QUERIES + [("last page", "page=%d" % -(-n // 50)),
                                   ("plate substring, one week", "plate=A123&from={d7}&to={d1}")]
    print("load %.1f; median of 5, baseline %s" % (os.getloadavg()[0], args.baseline))
    for label, q in queries:
        qd = dict(parse_qsl(q.format(d1=d1, d7=d7)))
        page = int(qd.pop("page", 1))
        times, got = {"baseline": [], "this": []}, {}
        for _ in range(5):
            for k in times:
                t = time.perf_counter()
                got[k] = idx[k].query(qd, page, 50)
                times[k].append(time.perf_counter() - t)
        same = ([r["record_id"] for r in got["baseline"]["rows"]] == [r["record_id"] for r in got["this"]["rows"]]
                and got["baseline"]["total"] == got["this"]["total"])
        o, m = statistics.median(times["baseline"]), statistics.median(times["this"])
        print("  %-28s baseline %5.0f ms  this %5.0f ms  x%.1f  (%d matches)%s"
              % (label, 1000 * o, 1000 * m, o / m, got["this"]["total"], "" if same else "  ANSWERS DIFFER"), flush=True)
    print("load %.1f" % os.getloadavg()[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
