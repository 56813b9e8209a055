"""The page's own process: started and stopped by the lane's job, gone when the lane is gone."""
import asyncio
import os
import signal
import subprocess
import sys
import time

import aiohttp
import pytest

from edge.errors import EdgeError
from edge.web.job import WebJob, address_path
from tests.web.helpers import lane_config


async def _wait_file(path, timeout=60):
    end = time.monotonic() + timeout
    while not (path.is_file() and path.read_text().strip()):
        assert time.monotonic() < end, "no %s within %d s" % (path, timeout)
        await asyncio.sleep(0.1)
    return path.read_text().strip()


async def test_web_job_runs_the_page_process_and_stops_it(tmp_path):
    config, path = lane_config(tmp_path, listen="127.0.0.1:0")
    job = WebJob(path)
    stop = asyncio.Event()
    task = asyncio.create_task(job.run(stop))
    url = await _wait_file(address_path(config.paths.state_dir))
    async with aiohttp.ClientSession() as s:
        async with s.get(url + "api/session") as r:
            assert r.status == 200 and (await r.json())["gate"] == "A01"
        async with s.get(url + "api/status") as r:
            assert r.status == 401
    stop.set()
    await asyncio.wait_for(task, 30)
    assert job.proc.returncode is not None
    assert not address_path(config.paths.state_dir).exists()


async def test_a_page_process_that_dies_is_reported_to_the_supervisor(tmp_path):
    config, path = lane_config(tmp_path, listen="127.0.0.1:0")
    job = WebJob(path)
    task = asyncio.create_task(job.run(asyncio.Event()))
    await _wait_file(address_path(config.paths.state_dir))
    job.proc.send_signal(signal.SIGKILL)
    with pytest.raises(EdgeError, match="exited"):  # the supervisor logs one line and restarts the job
        await asyncio.wait_for(task, 30)


def test_the_page_stops_when_the_lane_is_killed(tmp_path):
    config, path = lane_config(tmp_path, listen="127.0.0.1:0")
    # a stand-in lane: starts the page with --parent itself, prints the page's pid, sleeps
    lane = subprocess.Popen([sys.executable, "-c",
                             "import os, subprocess, sys, time\n"
                             "p = subprocess.Popen([sys.executable, '-m', 'edge', '--config', %r, 'web', 'serve', "
                             "'--parent', str(os.getpid())])\n"
                             "print(p.pid, flush=True)\n"
                             "time.sleep(120)\n" % str(path)], stdout=subprocess.PIPE, text=True)
    web_pid = int(lane.stdout.readline())
    asyncio.run(_wait_file(address_path(config.paths.state_dir)))
    lane.send_signal(signal.SIGKILL)   # no clean stop: the page must notice by itself
    lane.wait(10)
    end = time.monotonic() + 30
    while time.monotonic() < end:
        try:
            os.kill(web_pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(web_pid, signal.SIGKILL)
    raise AssertionError("the page process outlived its lane")
