"""Child process for the uploader crash test: drains STATE_DIR to the HTTP platform at URL
until killed. Usage: python uploader_child.py STATE_DIR URL"""
import asyncio
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", ".."))

from edge.store.outbox import Outbox  # noqa: E402
from edge.uplink.uploader import Uploader  # noqa: E402
from outbox_helpers import HttpDestination  # noqa: E402


async def main():
    box = Outbox(sys.argv[1], ["yunnan"])
    up = Uploader(box, {"yunnan": HttpDestination(sys.argv[2])}, concurrency=4, batch=16, poll_s=0.05,
                  backoff_min_s=0.05, backoff_max_s=0.2)
    os.write(1, b"ready\n")
    await up.run()


asyncio.run(main())
