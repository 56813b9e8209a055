"""The small asyncio subset the pure core uses, on CPython asyncio and MicroPython asyncio.

Core code (domain, policy, codecs, lane state machine) imports asyncio names from here only,
so it runs unchanged on a microcontroller-class runtime. MicroPython's asyncio has tasks,
sleep/sleep_ms, Event, Lock, gather and wait_for, but no Queue, Semaphore or timeout();
this module supplies those on top of Event so both runtimes see the same API.
"""
import sys

try:
    import asyncio as _asyncio
except ImportError:  # pragma: no cover - very old MicroPython ports
    import uasyncio as _asyncio

MICROPYTHON = sys.implementation.name == "micropython"

create_task = _asyncio.create_task
gather = _asyncio.gather
sleep = _asyncio.sleep
Event = _asyncio.Event
Lock = _asyncio.Lock
CancelledError = _asyncio.CancelledError
TimeoutError = _asyncio.TimeoutError
run = _asyncio.run


def sleep_ms(ms):
    if MICROPYTHON:
        return _asyncio.sleep_ms(ms)
    return _asyncio.sleep(ms / 1000)


def wait_for(awaitable, timeout):
    """Await with a timeout in seconds; raises aio.TimeoutError."""
    return _asyncio.wait_for(awaitable, timeout)


def wait_for_ms(awaitable, timeout_ms):
    return _asyncio.wait_for(awaitable, timeout_ms / 1000)


if MICROPYTHON:
    import time as _time

    def ticks_ms():
        return _time.ticks_ms()

    def ticks_diff(a, b):
        return _time.ticks_diff(a, b)

else:
    import time as _time

    def ticks_ms():
        return int(_time.monotonic() * 1000)

    def ticks_diff(a, b):
        return a - b


class QueueEmpty(Exception):
    pass


class QueueFull(Exception):
    pass


class Queue:
    """FIFO queue with the asyncio.Queue API the core uses (put/get/*_nowait/qsize/empty/full).

    On CPython we still use this implementation, not asyncio.Queue, so that both runtimes
    run the same code path and a test on CPython covers what runs on MicroPython.
    """

    def __init__(self, maxsize=0):
        self.maxsize = maxsize
        self._items = []
        self._put_ev = Event()   # set when an item was added
        self._get_ev = Event()   # set when an item was removed

    def qsize(self):
        return len(self._items)

    def empty(self):
        return not self._items

    def full(self):
        return self.maxsize > 0 and len(self._items) >= self.maxsize

    def put_nowait(self, item):
        if self.full():
            raise QueueFull()
        self._items.append(item)
        self._put_ev.set()

    def get_nowait(self):
        if not self._items:
            raise QueueEmpty()
        item = self._items.pop(0)
        self._get_ev.set()
        return item

    async def put(self, item):
        while self.full():
            self._get_ev.clear()
            await self._get_ev.wait()
        self.put_nowait(item)

    async def get(self):
        while not self._items:
            self._put_ev.clear()
            await self._put_ev.wait()
        return self.get_nowait()


class Semaphore:
    """Bounded-concurrency helper (MicroPython has none)."""

    def __init__(self, value=1):
        self._value = value
        self._ev = Event()

    async def acquire(self):
        while self._value <= 0:
            self._ev.clear()
            await self._ev.wait()
        self._value -= 1
        return True

    def release(self):
        self._value += 1
        self._ev.set()

    def locked(self):
        return self._value <= 0

    async def __aenter__(self):
        await self.acquire()
        return self

    async def __aexit__(self, *exc):
        self.release()
        return False


async def to_thread(func, *args):
    """Run blocking work off the event loop where threads exist; inline on MicroPython."""
    if MICROPYTHON:
        return func(*args)
    return await _asyncio.to_thread(func, *args)
