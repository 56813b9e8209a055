"""End to end: `edge record demo` (the lane's recording path) → outbox → uploader →
YunnanDestination → the Yunnan simulator, which validates and stores what it received."""
import asyncio
import hashlib
import subprocess
import sys

from edge.store.outbox import DELIVERED, Outbox
from edge.uplink.uploader import Uploader
from outbox_helpers import wait_until
from yunnan_harness import YunnanSim, registered_destination
from test_outbox_cli import CONFIG


async def test_demo_records_are_accepted_by_the_yunnan_simulator(tmp_path):
    conf = tmp_path / "edge.toml"
    conf.write_text(CONFIG.format(state=tmp_path / "state"), encoding="utf-8")
    r = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "edge", "record", "demo", "--count", "4",
                                                 "--config", str(conf)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    ids = r.stdout.split()
    sim = await YunnanSim().start()
    dest = await registered_destination(sim)
    box = Outbox(tmp_path / "state", ["yunnan"])
    up = Uploader(box, {"yunnan": dest}, poll_s=0.05)
    task = asyncio.create_task(up.run())
    try:
        await wait_until(lambda: box.count(state=DELIVERED) == 4, timeout=60)
    finally:
        await up.stop()
        await task
        await dest.close()
        await sim.stop()
    got = {rec["recordId"]: rec for rec in sim.platform.received["access"]}
    assert sorted(got) == sorted(ids)
    for rid in ids:
        rec = got[rid]
        assert "passMode" not in rec and "vehicle" not in rec       # exactly 6.13 on the wire
        photos = box.load_media(rid)
        for field in ("carHeadImg", "carImg"):
            assert rec[field]["sha256"] == hashlib.sha256(photos[field]).hexdigest()
    box.close()
