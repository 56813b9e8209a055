"""Benchmark of the Yunnan envelope (edge/uplink/yunnan/crypto.py) on this machine.

    .venv/bin/python tools/bench_crypto.py [--seconds 2] [--photo-kb 60] [--sim-records 200]

Prints, single-threaded:
  * sealed requests/s and the per-request cost split into AES-256-ECB, RSA-2048 key wrap
    (public op) and SHA256withRSA signature (private op), for a heartbeat-sized body and for
    an access record carrying two photos as data URLs;
  * what the simulator pays per received request (verify + unwrap + decrypt);
  * the baseline: `openssl speed -seconds 1 rsa2048` sign/s and verify/s, and the ratio of
    our RSA-2048 private-key rate (pycryptodome) and of our sealed-request rate to it.
  * with --sim-records N (default 200; 0 skips): N access records with two photos delivered
    through YunnanDestination (4 in flight, as the outbox does) to tools/yunnan_sim.py running
    as its own process on 127.0.0.1 — what an outage backlog drains at on this machine.
One RSA private-key operation (the signature) dominates a sealed request; the envelope cannot
be faster than the machine's RSA-2048 sign rate, so that is the baseline.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edge.uplink.yunnan import crypto  # noqa: E402


def rate(fn, seconds: float) -> tuple[float, int]:
    """(seconds per call, calls) over at least `seconds`."""
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        dt = time.perf_counter() - t0
        if dt >= seconds and n >= 5:
            return dt / n, n


def openssl_rsa2048() -> tuple[float, float] | None:
    """(sign/s, verify/s) from `openssl speed -seconds 1 rsa2048`, or None."""
    try:
        out = subprocess.run(["openssl", "speed", "-seconds", "1", "rsa2048"], capture_output=True,
                             text=True, timeout=120).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.splitlines():
        m = re.match(r"\s*rsa\s+2048 bits\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)", line)
        if m:
            return float(m.group(1)), float(m.group(2))
    return None


async def sim_drain(n: int, concurrency: int, photo: bytes) -> tuple[float, dict]:
    """Deliver n records through the destination to a simulator process; → (records/s, sim state)."""
    import asyncio
    import copy
    import urllib.request

    from edge.domain.examples import example
    from edge.uplink.base import Delivery
    from edge.uplink.yunnan.client import YunnanClient
    from edge.uplink.yunnan.destination import YunnanDestination

    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve().parent / "yunnan_sim.py"), "--port", "0"],
                            stdout=subprocess.PIPE)
    try:
        url = proc.stdout.readline().decode().strip()
        key = crypto.generate_keypair(2048)
        client = YunnanClient(url, client_private=key)
        d = await client.init_auth("91530100MA6K5XYZ1P001V", "bench", crypto.public_key_b64(key))
        client.api_key, client.api_secret = d["apiKey"], d["apiSecret"]
        client.platform_public = crypto.load_public_key(d["publicKey"])
        dest = YunnanDestination(client)
        base = example("access")
        todo = list(range(1, n + 1))

        async def worker():
            while todo:
                seq = todo.pop()
                rec = copy.deepcopy(base)
                rec["recordId"] = rec["recordId"][:-5] + "%05d" % seq
                await dest.deliver(Delivery(rec["recordId"], "access", rec, {"carHeadImg": photo, "carImg": photo}))

        await client.token()
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        dt = time.perf_counter() - t0
        await dest.close()
        root = url.split("/access/")[0]
        state = json.loads(urllib.request.urlopen(root + "/_sim/state", timeout=10).read())
        return n / dt, state
    finally:
        proc.terminate()
        proc.wait(10)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    ap.add_argument("--photo-kb", type=int, default=60, help="size of each of the two photos")
    ap.add_argument("--sim-records", type=int, default=200, help="records to drain through the simulator (0: skip)")
    a = ap.parse_args(argv)

    client, platform = crypto.generate_keypair(2048), crypto.generate_keypair(2048)
    photo = "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8" + os.urandom(a.photo_kb * 1024)).decode()
    bodies = {
        "heartbeat": crypto.to_json_bytes({"enterpriseId": "91530100MA6K5XYZ1P001V"}),
        "access+2 photos": crypto.to_json_bytes({
            "recordId": "2025082008304512300091530100MA6K5XYZ1P001V000001", "enterpriseId": "91530100MA6K5XYZ1P001V",
            "entranceId": "A", "gateId": "A01", "vehicleId": "91530100MA6K5XYZ1P001V00001",
            "licensePlate": "云A88888", "plateColor": "1", "vin": "LFWSRXSJ5M1A12345", "accessType": "0",
            "accessTime": "2025-08-20 08:30:45", "cargoType": "铁矿石", "cargoWeight": 32.5, "cargoUnit": "T",
            "carHeadImg": photo, "carImg": photo}),
    }
    key = os.urandom(32)
    s = a.seconds
    print("Yunnan envelope benchmark, single thread, %.1f s per figure (python %s)" % (s, sys.version.split()[0]))
    sign_t, _ = rate(lambda: crypto.sign(client, b"x" * 64), s)
    verify_sig = crypto.sign(client, b"x" * 64)
    verify_t, _ = rate(lambda: crypto.verify(client.publickey(), verify_sig, b"x" * 64), s)
    wrap_t, _ = rate(lambda: crypto.rsa_wrap(platform.publickey(), key), s)
    wrapped = crypto.rsa_wrap(platform.publickey(), key)
    unwrap_t, _ = rate(lambda: crypto.rsa_unwrap(platform, wrapped), s)
    print("pycryptodome RSA-2048: sign %.0f/s, verify %.0f/s, wrap %.0f/s, unwrap %.0f/s"
          % (1 / sign_t, 1 / verify_t, 1 / wrap_t, 1 / unwrap_t))
    best_sealed = None
    for name, body in bodies.items():
        aes_t, _ = rate(lambda: crypto.aes_encrypt(key, body), s / 2)
        seal_t, n = rate(lambda: crypto.seal(body, platform.publickey(), client), s)
        env = crypto.seal(body, platform.publickey(), client)
        open_t, _ = rate(lambda: crypto.open_request(env, client.publickey(), platform), s)
        wire = len(json.dumps(env))
        print("%-16s plaintext %7d B, envelope %7d B: seal %6.1f req/s (%.2f ms: AES %.3f + wrap %.3f + sign %.3f "
              "+ Base64/other %.3f ms); platform open %.2f ms"
              % (name, len(body), wire, 1 / seal_t, seal_t * 1e3, aes_t * 1e3, wrap_t * 1e3, sign_t * 1e3,
                 max(0.0, seal_t - aes_t - wrap_t - sign_t) * 1e3, open_t * 1e3))
        if name == "access+2 photos":
            best_sealed = 1 / seal_t
    if a.sim_records:
        import asyncio
        jpeg = b"\xff\xd8" + os.urandom(a.photo_kb * 1024) + b"\xff\xd9"
        per_s, state = asyncio.run(sim_drain(a.sim_records, 4, jpeg))
        print("drain through simulator process: %d records with 2 x %d KB photos at %.1f records/s "
              "(simulator received %d, duplicates %d)" % (a.sim_records, a.photo_kb, per_s,
                                                           state["accessRecords"], state["accessDuplicates"]))
    base = openssl_rsa2048()
    if base is None:
        print("baseline: openssl speed rsa2048 unavailable")
        return 0
    o_sign, o_verify = base
    print("baseline openssl speed -seconds 1 rsa2048: sign %.0f/s, verify %.0f/s" % (o_sign, o_verify))
    print("ratio pycryptodome sign / openssl sign: %.2f" % ((1 / sign_t) / o_sign))
    print("ratio sealed access requests/s / openssl sign/s: %.2f" % (best_sealed / o_sign))
    return 0


if __name__ == "__main__":
    sys.exit(main())
