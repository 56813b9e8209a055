"""Benchmark the durable outbox against plain sqlite3 inserts with the same durability.

    .venv/bin/python tools/bench_outbox.py [--n 300] [--dir DIR] [--catchup 2000] [--yunnan]

Prints, each against the named baseline:
  * durable puts/s: without photos, with two ~20 KB photos, and batched (put_many of 10)
    baseline: plain sqlite3, WAL + synchronous=FULL, one INSERT of the same JSON per COMMIT;
  * bytes written per record (write amplification): /proc/self/io write_bytes (what reached
    the block layer, incl. fsync'd WAL frames and photo files) and wchar (bytes handed to
    write()), per record, against the baseline's and against the record's own payload size;
  * catch-up rate: records/s the uploader drains a backlog at (in-process destination, and a
    real HTTP platform on 127.0.0.1; with --yunnan, the Yunnan simulator + YunnanDestination,
    full RSA+AES envelope).
Run it on the board's own eMMC (--dir on the state partition) for numbers that matter there.

On the dev VM (shared virtio disk, 2 shared cores; fsync latency varies run to run, hence the
interleaved rounds) a typical run gave: baseline 562 commits/s; put without photos 402/s
(x0.72), 26 KB written/record vs 9 KB; put with 2 x 20 KB photos 82/s (x0.15: four fsyncs —
two files, their folder, the WAL — instead of one), 86 KB written/record (x2.1 the payload);
put_many(10) 149/s, 51 KB/record (x1.2); catch-up ~1,300-2,100 records/s in-process,
~450-500/s over loopback HTTP, ~50-120/s through the Yunnan simulator (its RSA work bounds it).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edge.store.outbox import Outbox  # noqa: E402
from edge.uplink.uploader import Uploader  # noqa: E402


def proc_io() -> dict:
    out = {}
    with open("/proc/self/io") as f:
        for line in f:
            k, v = line.split(":")
            out[k] = int(v)
    return out


class IoMeter:
    def __enter__(self):
        self.a = proc_io()
        self.t = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.dt = time.perf_counter() - self.t
        b = proc_io()
        self.write_bytes = b["write_bytes"] - self.a["write_bytes"]
        self.wchar = b["wchar"] - self.a["wchar"]


def record(i: int) -> dict:
    return {"recordId": "BENCH%014d" % i, "enterpriseId": "91530100MA6K5XYZ1P001V", "entranceId": "A",
            "gateId": "A01", "vehicleId": "91530100MA6K5XYZ1P001V00001", "licensePlate": "云A%05d" % (i % 100000),
            "plateColor": "1", "vin": "LFWSRXSJ5M1A12345", "accessType": "0",
            "accessTime": "2026-11-22 10:00:00", "cargoType": "生产原料", "cargoWeight": "25.0",
            "cargoUnit": "T", "carHeadImg": "", "carImg": "", "passMode": "auto"}


def jpeg(i: int, kb: int = 20) -> bytes:
    """A real-sized photo stand-in (random bytes do not compress, like a JPEG)."""
    return b"\xff\xd8" + random.Random(i).randbytes(kb * 1024) + b"\xff\xd9"


def bench_baseline(d: Path, n: int, start: int = 0) -> IoMeter:
    d.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(d / "plain.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE IF NOT EXISTS t(id TEXT PRIMARY KEY, body TEXT)")
    bodies = [(r["recordId"], json.dumps(r, ensure_ascii=False)) for r in map(record, range(start, start + n))]
    with IoMeter() as m:
        for rid, body in bodies:
            db.execute("INSERT INTO t VALUES(?, ?)", (rid, body))  # autocommit: one COMMIT each
    db.close()
    return m


def bench_puts(d: Path, n: int, photos: bool, batch: int = 1, start: int = 0) -> IoMeter:
    box = Outbox(d, ["yunnan"])
    items = [(record(start + i), {"carHeadImg": jpeg(2 * (start + i)), "carImg": jpeg(2 * (start + i) + 1)}
              if photos else {}) for i in range(n)]
    with IoMeter() as m:
        if batch == 1:
            for r, media in items:
                box.put(r, media)
        else:
            for k in range(0, n, batch):
                box.put_many(items[k:k + batch])
    box.close()
    return m


class Summed:
    """Several IoMeter rounds added up."""

    def __init__(self):
        self.dt = self.write_bytes = self.wchar = 0

    def add(self, m: IoMeter):
        self.dt += m.dt
        self.write_bytes += m.write_bytes
        self.wchar += m.wchar


def bench_recorder(d: Path, n: int) -> IoMeter:
    """The lane's path: stamp two 1280x720 photos (Pillow, CJK font), encode JPEG, durable put."""
    from edge.commands.record import demo_passage
    from edge.lane.recorder import Recorder
    box = Outbox(d, ["yunnan"])
    rec = Recorder(box, "91530100MA6K5XYZ1P001V", "A", "A01")
    rng = random.Random(1)
    passages = [demo_passage(rng, "91530100MA6K5XYZ1P001V", i, (1280, 720)) for i in range(n)]
    with IoMeter() as m:
        for p in passages:
            rec.record(p)
    box.close()
    return m


class InstantDestination:
    name = "yunnan"

    def __init__(self):
        self.n = 0

    async def deliver(self, item):
        self.n += 1
        return "ok"

    async def close(self):
        pass


async def _drain(box: Outbox, dest, total: int, concurrency: int = 4) -> float:
    up = Uploader(box, {"yunnan": dest}, concurrency=concurrency, batch=32, poll_s=0.05)
    t0 = time.perf_counter()
    task = asyncio.create_task(up.run())
    while box.count("yunnan", "delivered") < total:
        await asyncio.sleep(0.02)
    dt = time.perf_counter() - t0
    await up.stop()
    await task
    return dt


def fill(d: Path, n: int, kb: int) -> Outbox:
    box = Outbox(d, ["yunnan"])
    for k in range(0, n, 100):
        box.put_many([(record(i), {"carHeadImg": jpeg(i, kb), "carImg": jpeg(-i, kb)})
                      for i in range(k, min(n, k + 100))])
    return box


async def bench_catchup_instant(d: Path, n: int) -> tuple[float, IoMeter]:
    box = fill(d, n, 2)
    with IoMeter() as m:
        dt = await _drain(box, InstantDestination(), n)
    box.close()
    return dt, m


async def bench_catchup_http(d: Path, n: int) -> float:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "store"))
    from outbox_helpers import HttpDestination, HttpPlatform
    platform = HttpPlatform()
    await platform.start()
    box = fill(d, n, 20)
    dest = HttpDestination("http://127.0.0.1:%d/access" % platform.port)
    dt = await _drain(box, dest, n)
    await dest.close()
    await platform.stop()
    box.close()
    return dt


async def bench_catchup_yunnan(d: Path, n: int) -> float:
    # tests/store/yunnan_harness.py: the simulator in its own process, a registered client
    from yunnan_harness import YunnanSimProcess, access_record, registered_destination_at
    from edge import timeutil
    from datetime import timedelta
    sim = await YunnanSimProcess().start()
    try:
        dest = await registered_destination_at(sim.base_url)
        box = Outbox(d, ["yunnan"])
        t0 = timeutil.now()
        box.put_many([(access_record(t0 + timedelta(seconds=i), i),
                       {"carHeadImg": jpeg(2 * i), "carImg": jpeg(2 * i + 1)}) for i in range(n)])
        dt = await _drain(box, dest, n, concurrency=8)
        box.close()
        await dest.close()
    finally:
        await sim.stop()
    return dt


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=300, help="puts per measurement (default 300)")
    ap.add_argument("--catchup", type=int, default=2000, help="backlog size for catch-up (default 2000)")
    ap.add_argument("--dir", default=None, help="directory on the disk to measure (default: a temp dir in /var/tmp)")
    ap.add_argument("--yunnan", action="store_true", help="also catch up through the Yunnan simulator")
    args = ap.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="bench-outbox-", dir=args.dir or "/var/tmp"))
    n = args.n
    try:
        # the disk is shared (other processes' fsyncs come and go): interleave the variants in
        # rounds so the baseline and the outbox see the same conditions
        base, plain, withp, batched = Summed(), Summed(), Summed(), Summed()
        rounds = 5
        per = max(10, n // rounds)
        n = per * rounds
        for k in range(rounds):
            base.add(bench_baseline(root / "base", per, start=k * per))
            plain.add(bench_puts(root / "a", per, photos=False, start=k * per))
            withp.add(bench_puts(root / "b", per, photos=True, start=k * per))
            batched.add(bench_puts(root / "c", per, photos=True, batch=10, start=k * per))
        payload = len(json.dumps(record(0), ensure_ascii=False).encode())
        photo_bytes = 2 * len(jpeg(0))

        def line(name, m, per_rec_payload):
            rate = n / m.dt
            print("%-34s %8.0f puts/s  x%.2f baseline   write_bytes/rec %8.0f  wchar/rec %8.0f  "
                  "amplification %.2f (block) / %.2f (write())"
                  % (name, rate, rate / (n / base.dt), m.write_bytes / n, m.wchar / n,
                     m.write_bytes / n / per_rec_payload, m.wchar / n / per_rec_payload))
        print("dir %s, %d puts each (%d interleaved rounds), record JSON %d B, photos 2 x %d B"
              % (root, n, rounds, payload, photo_bytes // 2))
        line("baseline sqlite3 INSERT+COMMIT", base, payload)
        line("outbox put, no photos", plain, payload)
        line("outbox put, 2 photos", withp, payload + photo_bytes)
        line("outbox put_many(10), 2 photos", batched, payload + photo_bytes)
        k = max(20, n // 5)
        m = bench_recorder(root / "r", k)
        print("recorder (stamp+JPEG 2 x 1280x720 + put) %5.0f records/s  (%.1f ms each; %.0f bytes written/record)"
              % (k / m.dt, 1000 * m.dt / k, m.write_bytes / k))
        dt, m = asyncio.run(bench_catchup_instant(root / "d", args.catchup))
        print("catch-up, in-process destination   %8.0f records/s (%d in %.2f s; %.0f bytes written/record "
              "for the state changes)" % (args.catchup / dt, args.catchup, dt, m.write_bytes / args.catchup))
        dt = asyncio.run(bench_catchup_http(root / "e", args.catchup))
        print("catch-up, HTTP platform on loopback %8.0f records/s (%d in %.2f s)" % (args.catchup / dt, args.catchup, dt))
        if args.yunnan:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "store"))
            k = min(args.catchup, 1000)
            dt = asyncio.run(bench_catchup_yunnan(root / "f", k))
            print("catch-up, Yunnan simulator (RSA+AES, 2 x 20 KB photos) %5.0f records/s (%d in %.2f s)"
                  % (k / dt, k, dt))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
