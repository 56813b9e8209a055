"""sd_notify: the lane tells systemd READY, pets WATCHDOG from its live loop, says STOPPING.

systemd is not running here (PID 1 is not systemd), so `systemd-run --user` cannot work: the
NotifyListener stand-in receives the datagrams exactly as systemd's notify socket would.
"""
import asyncio
import os
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from edge.sdnotify import Notifier
from edge.lane.watchdog import Watchdog, gate_problem
from tests.install.helpers import start_lane, stop_lane, wait_status, write_config
from tests.install.notify_listener import NotifyListener


def test_notifier_without_systemd_is_a_no_op():
    n = Notifier({})
    assert not n.enabled and not n.watchdog_armed
    assert n.ready() is False and n.watchdog() is False
    gone = Notifier({"NOTIFY_SOCKET": "/nonexistent/notify.sock", "WATCHDOG_USEC": "30000000"})
    assert gone.watchdog_armed and gone.pet_interval_s() == 15.0
    assert gone.watchdog() is False  # a vanished listener never raises


def test_watchdog_pid_of_another_process_is_not_ours(tmp_path):
    n = Notifier({"NOTIFY_SOCKET": str(tmp_path / "s"), "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"})
    assert not n.watchdog_armed
    assert Notifier({"NOTIFY_SOCKET": "x", "WATCHDOG_USEC": "2000000",
                     "WATCHDOG_PID": str(os.getpid())}).watchdog_armed


def test_abstract_socket_and_multiline_datagram():
    name = "edge-test-%d" % os.getpid()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind("\0" + name)
    s.settimeout(5)
    try:
        assert Notifier({"NOTIFY_SOCKET": "@" + name}).ready("lane A01\nup")
        assert s.recv(1000).decode() == "READY=1\nSTATUS=lane A01 up"
    finally:
        s.close()


def test_edge_run_sends_ready_then_watchdog_and_stops_petting_when_frozen(tmp_path):
    conf = write_config(tmp_path)
    listener = NotifyListener(tmp_path)
    lane = start_lane(conf, env=listener.env(watchdog_usec=1_000_000))  # pet every 0.5 s
    try:
        listener.wait_for("READY")
        ready_at = listener.having("READY")[0][0]
        listener.wait_for("WATCHDOG", count=3, since=ready_at)
        st = wait_status(conf, lambda s: (s.get("watchdog") or {}).get("pets", 0) > 0, proc=lane)
        assert st["watchdog"]["armed"] is True and st["watchdog"]["interval_s"] == 0.5
        assert "watchdog" in st["jobs"]
        # a frozen process (what a hung eMMC or a stuck driver looks like from outside): no WATCHDOG
        os.kill(lane.pid, signal.SIGSTOP)
        time.sleep(0.3)  # a datagram already in flight may still land
        frozen_at = time.monotonic()
        time.sleep(2.5)
        assert listener.having("WATCHDOG", since=frozen_at) == []
        os.kill(lane.pid, signal.SIGCONT)
        listener.wait_for("WATCHDOG", since=time.monotonic())
        lane.send_signal(signal.SIGTERM)
        assert lane.wait(30) == 0
        listener.wait_for("STOPPING")
    finally:
        os.kill(lane.pid, signal.SIGCONT) if lane.poll() is None else None
        stop_lane(lane)
        listener.close()


class _Service:
    """What the watchdog reads of LaneService."""

    def __init__(self):
        self.config = type("C", (), {"site": type("S", (), {"gate_id": "A01"})()})()
        self.supervisor = type("Sup", (), {"names": ["uploader", "watchdog"]})()
        self.gate = None


_WAITERS = ThreadPoolExecutor(max_workers=2)  # the test's own waits: never the lane's default pool


def _wait(listener, *args):
    return asyncio.get_running_loop().run_in_executor(_WAITERS, listener.wait_for, *args)


async def _run_watchdog(tmp_path, service, body):
    listener = NotifyListener(tmp_path)
    wd = Watchdog(service, Notifier(listener.env(watchdog_usec=600_000)))  # pet every 0.3 s
    stop = asyncio.Event()
    task = asyncio.create_task(wd.run(stop))
    try:
        await _wait(listener, "READY")
        await _wait(listener, "WATCHDOG", 2)
        await body(listener, wd)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        listener.close()
    return listener


async def test_blocked_event_loop_sends_no_watchdog(tmp_path):
    async def body(listener, wd):
        t = time.monotonic()
        time.sleep(2.0)  # the lane's event loop stuck in a synchronous call
        assert listener.having("WATCHDOG", since=t + 0.2) == []
        await _wait(listener, "WATCHDOG", 1, time.monotonic())
    await _run_watchdog(tmp_path, _Service(), body)


async def test_stuck_worker_threads_stop_the_watchdog(tmp_path):
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=1)
    loop.set_default_executor(pool)
    release = threading.Event()

    async def body(listener, wd):
        stuck = loop.run_in_executor(None, release.wait)  # the only worker hangs (a frozen camera read)
        t = time.monotonic()
        await _wait(listener, "STATUS", 1, t)
        await asyncio.sleep(1.5)
        assert listener.having("WATCHDOG", since=t + 1.2) == []
        assert "worker threads did not answer" in wd.state["problem"]
        release.set()
        await stuck
        await _wait(listener, "WATCHDOG", 1, time.monotonic())
    try:
        listener = await _run_watchdog(tmp_path, _Service(), body)
    finally:
        release.set()
    assert any(m.get("STATUS", "").startswith("hung: worker threads") for _, m in listener.messages)
    assert listener.having("STOPPING")


async def test_stalled_gate_loop_stops_the_watchdog(tmp_path):
    clock = [100_000]

    class Runner:
        loop_ms = 100_000

        def clock_ms(self):
            return clock[0]

    svc = _Service()
    svc.gate = type("Gate", (), {"runner": Runner()})()
    assert gate_problem(svc.gate) is None

    async def body(listener, wd):
        clock[0] += 30_000   # 30 s since the state machine's loop last went round
        t = time.monotonic()
        await _wait(listener, "STATUS", 1, t)
        await asyncio.sleep(1.0)
        assert listener.having("WATCHDOG", since=t + 0.5) == []
        assert "state machine loop has not run for 30 s" in wd.state["problem"]
        Runner.loop_ms = clock[0]
        await _wait(listener, "WATCHDOG", 1, time.monotonic())
        assert wd.state["problem"] is None
    await _run_watchdog(tmp_path, svc, body)
