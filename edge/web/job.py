"""The status page beside the lane: a process of its own, started and kept by `edge run`.

Why a process and not a task on the lane's event loop: a page hammered by fifty phones must
not make the gate's decision wait for the event loop or the GIL (tools/bench_web.py measures
both ways). The page's process is niced, reaches the lane only through its control socket
(one status and one events request a second at most, however many pages are open — see
edge/web/live.py), reads the SQLite files in WAL mode beside the lane's writer, and dies with
the lane (it watches its parent), so a killed lane never leaves it holding the port.

    WebJob(config_path).run(stop)      the lane's supervised job ("web")
    serve(config, stop, ...)           the page's process (`edge web serve`)
"""
from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

from edge.errors import EdgeError
from edge.store.atomic import write_atomic

log = logging.getLogger(__name__)

ADDRESS_FILE = "address"   # <state_dir>/web/address: the URL the page is served at


def address_path(state_dir) -> Path:
    return Path(state_dir) / "web" / ADDRESS_FILE


class WebJob:
    def __init__(self, config_path, log_level: str | None = None):
        self.config_path = str(config_path)
        # the lane's own level (`edge --log-level DEBUG run` reaches the page too)
        self.log_level = log_level or logging.getLevelName(logging.getLogger().getEffectiveLevel())
        self.proc = None

    async def run(self, stop: asyncio.Event) -> None:
        cmd = [sys.executable, "-m", "edge", "--config", self.config_path]
        if self.log_level:
            cmd += ["--log-level", self.log_level]
        cmd += ["web", "serve", "--parent", str(os.getpid())]
        self.proc = proc = await asyncio.create_subprocess_exec(*cmd, stdin=asyncio.subprocess.DEVNULL)
        waiter = asyncio.create_task(proc.wait())
        stopper = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if waiter in done and not stop.is_set():
                raise EdgeError("status page process exited with status %s" % proc.returncode)
        finally:
            stopper.cancel()
            if proc.returncode is None:
                proc.terminate()
                try:
                    await asyncio.wait_for(asyncio.shield(waiter), 5)
                except asyncio.TimeoutError:
                    proc.kill()
                    await waiter
            waiter.cancel()


def split_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


async def serve(config, stop: asyncio.Event, *, control=None, parent_pid: int | None = None) -> None:
    """Serve the page until `stop` (or until the lane that started us is gone)."""
    from aiohttp import web

    from edge.web.app import create_app
    from edge.web.lane_link import SocketControl
    state_dir = Path(config.paths.state_dir)
    app = create_app(config, control or SocketControl(state_dir))
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    host, port = split_listen(config.web.listen)
    site = web.TCPSite(runner, host, port, reuse_address=True)
    try:
        await site.start()
    except OSError as e:
        await runner.cleanup()
        raise EdgeError("web: cannot listen on %s: %s ([web] listen)" % (config.web.listen, e.strerror or e)) from None
    bound = runner.addresses[0]
    url = "http://%s:%d/" % (bound[0] if ":" not in bound[0] else "[%s]" % bound[0], bound[1])
    path = address_path(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, url + "\n", fsync=False)
    log.info("web: status page at %s", url)
    watch = asyncio.create_task(_watch_parent(parent_pid, stop)) if parent_pid else None
    try:
        await stop.wait()
    finally:
        if watch:
            watch.cancel()
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        await runner.cleanup()


async def _watch_parent(pid: int, stop: asyncio.Event) -> None:
    while not stop.is_set():
        if os.getppid() != pid:
            log.warning("web: the lane (pid %d) is gone; stopping the page", pid)
            stop.set()
            return
        await asyncio.sleep(1.0)
