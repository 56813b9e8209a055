"""Site coordination over a real mosquitto: our link (edge/site/mqtt.py on paho) against
mosquitto_pub/mosquitto_sub, the broker's own C clients, in the same run on the same broker.

    .venv/bin/python tools/bench_site.py [--events 5000] [--rate 200] [--entries 10000] [--lanes 3]

Three "lanes" are three processes subscribed to every lane's events; a fourth publishes as lane A01.
  throughput   events/s from the first publish until every lane has all of them (QoS 1,
               published the way the lane forwards its event log: batches of 200 awaiting PUBACKs)
  latency      at a steady --rate: publish -> the last lane has it, median and p99 (ms)
  snapshot     a --entries exceed list as the leader publishes it (packed JSON, retained):
               publish -> every other lane has decoded it and written it into its platform
               cache (SQLite, the store the decision reads); the baseline only transfers it
Run it under `nice -n 10` on a shared machine; the ratios are what compare.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TOPIC = "edge/BENCH/lane/%s/event"
SNAP = "edge/BENCH/cache/exceed/snapshot"


# ---------------------------------------------------------------------- child: one lane
async def child(url: str, gate: str, mode: str, n: int, out: str, state: str) -> None:
    from edge.site import codec
    from edge.site.mqtt import MqttLink
    recv: dict = {}
    done = asyncio.Event()

    def on_message(topic, payload, retained):
        t = time.time()
        if mode == "snapshot":
            msg = codec.unpack(payload)
            from edge.store.platform_cache import PlatformCache
            with PlatformCache.open(state) as cache:
                cache.site_write("exceed", msg["entries"], replace=True, version=msg["version"])
            recv["done"] = time.time()
            recv["got"] = t
            done.set()
            return
        m = json.loads(payload)
        recv[m["i"]] = (m["t"], t)
        if len(recv) >= n:
            done.set()

    sub = SNAP if mode == "snapshot" else TOPIC % "+"
    link = MqttLink(url, client_id="bench-%s-%d" % (gate, os.getpid()), subscriptions=[(sub, 1)],
                    on_message=on_message)
    link.start()
    while not link.connected:
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)
    Path(out + ".ready").write_text("1")
    await asyncio.wait_for(done.wait(), 600)
    Path(out).write_text(json.dumps(recv))
    await link.close()


async def publisher(url: str, mode: str, n: int, rate: float) -> float:
    from edge.site.mqtt import MqttLink
    link = MqttLink(url, client_id="bench-pub-%d" % os.getpid())
    link.start()
    while not link.connected:
        await asyncio.sleep(0.02)
    t0 = time.time()
    if mode == "burst":
        for start in range(0, n, 200):
            futs = [link.publish(TOPIC % "A01", json.dumps({"i": i, "t": time.time(), "type": "allow",
                                                             "plate": "云A%05d" % i}).encode())
                    for i in range(start, min(n, start + 200))]
            await asyncio.gather(*futs)
    else:
        for i in range(n):
            due = t0 + i / rate
            delay = due - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await link.publish(TOPIC % "A01", json.dumps({"i": i, "t": time.time(), "type": "allow"}).encode())
    await link.close()
    return t0


def snapshot_payload(entries: int) -> bytes:
    from edge.site import codec
    recs = [{"id": "EV%06d" % k, "data": {"recordId": "EV%06d" % k, "licensePlate": "云A%05d" % (10000 + k % 90000),
                                          "plateColor": "1", "vin": "LZZ%014d" % k, "fuelType": "B",
                                          "emissionStandard": "4", "exceedlistReason": str(1 + k % 7), "isRemove": "0",
                                          "sendTime": "20250801", "removeTime": ""}} for k in range(entries)]
    return codec.pack({"list": "exceed", "version": 1000001, "term": 1, "gate": "A01", "meta": {}, "entries": recs})


# ---------------------------------------------------------------------- ours
def start_lanes(url, mode, n, lanes, tmp):
    procs, outs = [], []
    for k in range(lanes):
        out = str(tmp / ("lane%d-%s.json" % (k, mode)))
        state = tmp / ("state%d" % k)
        state.mkdir(exist_ok=True)
        procs.append(subprocess.Popen([sys.executable, __file__, "--child", url, "L%02d" % k, mode, str(n), out,
                                       str(state)]))
        outs.append(out)
    while not all(Path(o + ".ready").exists() for o in outs):
        time.sleep(0.05)
    return procs, outs


def ours(url, args, tmp) -> dict:
    res = {}
    # throughput
    procs, outs = start_lanes(url, "burst", args.events, args.lanes, tmp)
    t0 = asyncio.run(publisher(url, "burst", args.events, 0))
    for p in procs:
        p.wait(600)
    last = max(max(r for _, r in json.loads(Path(o).read_text()).values()) for o in outs)
    res["events_per_s"] = args.events / (last - t0)
    # latency at a steady rate
    procs, outs = start_lanes(url, "steady", args.steady, args.lanes, tmp)
    asyncio.run(publisher(url, "steady", args.steady, args.rate))
    for p in procs:
        p.wait(600)
    per = [json.loads(Path(o).read_text()) for o in outs]
    lat = [max(d[i][1] for d in per) - per[0][i][0] for i in per[0]]
    res["latency_ms"] = _pcts(lat)
    # snapshot convergence: publish -> every lane applied it to its SQLite cache
    payload = snapshot_payload(args.entries)
    res["snapshot_bytes"] = len(payload)
    procs, outs = start_lanes(url, "snapshot", args.entries, args.lanes, tmp)

    async def pub():
        from edge.site.mqtt import MqttLink
        link = MqttLink(url, client_id="bench-snap-%d" % os.getpid())
        link.start()
        while not link.connected:
            await asyncio.sleep(0.02)
        t = time.time()
        await link.publish_wait(SNAP, payload, retain=True, timeout=120)
        await link.close()
        return t
    t0 = asyncio.run(pub())
    for p in procs:
        p.wait(600)
    got = [json.loads(Path(o).read_text()) for o in outs]
    res["snapshot_transfer_s"] = max(g["got"] for g in got) - t0
    res["snapshot_converged_s"] = max(g["done"] for g in got) - t0
    return res


# ---------------------------------------------------------------------- baseline: mosquitto_pub / mosquitto_sub
def baseline(port, args, tmp) -> dict:
    import threading
    res = {}
    host = ["-h", "127.0.0.1", "-p", str(port)]

    def subs(n, topic, binary=False, out=subprocess.PIPE):
        ps = [subprocess.Popen(["mosquitto_sub", *host, "-q", "1", "-t", topic, "-C", str(n), "-i",
                                "bsub%d-%d" % (k, os.getpid())] + (["-N"] if binary else []),
                               stdout=out) for k in range(args.lanes)]
        time.sleep(0.8)      # subscribed
        return ps

    # throughput: one mosquitto_pub --repeat (its fastest mode here: -l managed ~250/s)
    ps = subs(args.events, TOPIC % "+", out=subprocess.DEVNULL)
    t0 = time.time()
    subprocess.run(["mosquitto_pub", *host, "-q", "1", "-t", TOPIC % "A01", "--repeat", str(args.events),
                    "--repeat-delay", "0", "-m", json.dumps({"i": 0, "type": "allow", "plate": "A00000"})], check=True)
    for p in ps:
        p.wait()
    res["events_per_s"] = args.events / (time.time() - t0)

    # latency: lines fed at the steady rate, receive times read from each subscriber's stdout
    ps = subs(args.steady, TOPIC % "+")
    recv = [dict() for _ in ps]

    def reader(k, p):
        for line in p.stdout:
            recv[k][json.loads(line)["i"]] = time.time()
    ts = [threading.Thread(target=reader, args=(k, p)) for k, p in enumerate(ps)]
    for t in ts:
        t.start()
    pub = subprocess.Popen(["mosquitto_pub", *host, "-q", "1", "-t", TOPIC % "A01", "-l"], stdin=subprocess.PIPE)
    sent = {}
    t0 = time.time()
    for i in range(args.steady):
        delay = t0 + i / args.rate - time.time()
        if delay > 0:
            time.sleep(delay)
        sent[i] = time.time()
        pub.stdin.write(json.dumps({"i": i}).encode() + b"\n")
        pub.stdin.flush()
    pub.stdin.close()
    pub.wait()
    for t in ts:
        t.join(120)
    res["latency_ms"] = _pcts([max(r[i] for r in recv) - sent[i] for i in sent if all(i in r for r in recv)])

    # snapshot: the same bytes, transferred only
    f = tmp / "snap.bin"
    f.write_bytes(snapshot_payload(args.entries))
    ps = subs(1, SNAP + "-base", binary=True, out=subprocess.DEVNULL)
    t0 = time.time()
    subprocess.run(["mosquitto_pub", *host, "-q", "1", "-t", SNAP + "-base", "-f", str(f)], check=True)
    for p in ps:
        p.wait()
    res["snapshot_transfer_s"] = time.time() - t0
    return res


def _pcts(xs):
    xs = sorted(x * 1000 for x in xs)
    return {"median": round(statistics.median(xs), 2), "p99": round(xs[int(0.99 * (len(xs) - 1))], 2), "n": len(xs)}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        asyncio.run(child(*argv[1:4], int(argv[4]), argv[5], argv[6]))
        return 0
    from tools.mosquitto.broker import Broker
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--steady", type=int, default=2000, help="events in the latency run")
    ap.add_argument("--rate", type=float, default=200.0, help="events/s in the latency run")
    ap.add_argument("--entries", type=int, default=10000, help="exceed entries in the snapshot")
    ap.add_argument("--lanes", type=int, default=3)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-site-") as d:
        tmp = Path(d)
        b = Broker(tmp / "broker").start()
        try:
            load = os.getloadavg()[0]
            base = baseline(b.port, args, tmp)
            mine = ours(b.url, args, tmp)
        finally:
            b.stop()
    print("bench_site: mosquitto 2.0 on 127.0.0.1, %d lanes, load average %.1f at the start" % (args.lanes, load))
    print("%-46s %14s %14s %8s" % ("", "edge (paho)", "mosquitto_*", "ratio"))
    print("%-46s %14.0f %14.0f %8.2f" % ("events/s, QoS 1, to every lane (%d)" % args.events, mine["events_per_s"],
                                         base["events_per_s"], mine["events_per_s"] / base["events_per_s"]))
    for k in ("median", "p99"):
        print("%-46s %14.2f %14.2f %8.2f" % ("latency to the last lane, %s ms (@%.0f/s)" % (k, args.rate),
                                             mine["latency_ms"][k], base["latency_ms"][k],
                                             mine["latency_ms"][k] / max(base["latency_ms"][k], 1e-6)))
    print("%-46s %14.2f %14.2f %8.2f" % ("%d-entry snapshot (%d kB packed), transfer s" % (
        args.entries, mine["snapshot_bytes"] // 1024), mine["snapshot_transfer_s"], base["snapshot_transfer_s"],
        mine["snapshot_transfer_s"] / base["snapshot_transfer_s"]))
    print("%-46s %14.2f %14s" % ("  ... decoded and in every lane's SQLite cache, s", mine["snapshot_converged_s"], "-"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
