"""SIGKILL the uploader process mid-delivery, again and again: nothing is lost, the DB stays
sound, rows left 'sending' go back to pending on restart, and re-sends are bounded by what
can be in flight or un-committed at a kill (at-least-once; platforms de-duplicate by id)."""
import asyncio
import random
import signal
import sys
from pathlib import Path

import pytest

from edge.store.outbox import DELIVERED, SENDING, Outbox
from outbox_helpers import HttpPlatform, make_record

HERE = Path(__file__).parent
KILLS = 20
N = 3000
BATCH, CONCURRENCY = 16, 4


@pytest.mark.slow
async def test_sigkill_during_uploads(tmp_path):
    # 10 ms per request: at most ~400 records/s over 4 connections, so the 20 short runs
    # (~3.5 s in all) cannot deliver all 3000 and every kill lands mid-work, however fast the machine
    platform = HttpPlatform(delay=0.01)
    await platform.start()
    url = "http://127.0.0.1:%d/access" % platform.port
    box = Outbox(tmp_path, ["yunnan"])
    box.put_many([(make_record(i), {"carImg": b"\xff\xd8%d" % i}) for i in range(N)])
    box.close()
    rng = random.Random(4)

    async def spawn():
        child = await asyncio.create_subprocess_exec(sys.executable, str(HERE / "uploader_child.py"),
                                                     str(tmp_path), url, stdout=asyncio.subprocess.PIPE)
        assert await child.stdout.readline() == b"ready\n"
        return child

    progress = []
    for _ in range(KILLS):
        child = await spawn()
        await asyncio.sleep(rng.uniform(0.05, 0.3))
        child.send_signal(signal.SIGKILL)
        await child.wait()
        box = Outbox(tmp_path, ["yunnan"])
        assert box.integrity_check() == ["ok"]
        done = box.count(state=DELIVERED)
        box.close()
        # delivered in the outbox ⇒ the platform has it
        assert done <= len(set(platform.received))
        progress.append(done)
    assert progress[-1] < N  # the kills landed while there was still work
    child = await spawn()   # a last run without a kill finishes the job
    box = Outbox(tmp_path, ["yunnan"])
    while box.count(state=DELIVERED) < N:
        await asyncio.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    await child.wait()
    box.close()
    await platform.stop()
    box = Outbox(tmp_path, ["yunnan"])
    assert box.count(state=DELIVERED) == N and box.count(state=SENDING) == 0
    assert set(platform.received) == {"REC%012d" % i for i in range(N)}
    dupes = len(platform.received) - N
    print("\n%d uploader SIGKILLs: %d records delivered, %d re-sent after kills" % (KILLS, N, dupes))
    assert dupes <= KILLS * (2 * BATCH + CONCURRENCY)
    box.close()
