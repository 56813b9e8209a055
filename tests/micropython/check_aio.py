"""MicroPython (and CPython) check of the asyncio shim edge/aio.py.

Run: MICROPYPATH=/work/main:.frozen .venv/bin/micropython tests/micropython/check_aio.py
Prints OK and exits 0, or raises (non-zero exit)."""
from edge import aio

log = []


async def producer(q, n):
    for i in range(n):
        await q.put(i)          # maxsize 2: blocks until the consumer takes one
        log.append(("put", i))
    await q.put(None)


async def consumer(q, got):
    while True:
        item = await q.get()
        if item is None:
            return len(got)
        got.append(item)
        await aio.sleep_ms(1)


async def limited(sem, state, i):
    async with sem:
        state["in"] += 1
        state["max"] = max(state["max"], state["in"])
        await aio.sleep_ms(2)
        state["in"] -= 1
    return i * i


async def locked_inc(lock, box):
    async with lock:
        v = box[0]
        await aio.sleep_ms(1)   # a lost update would show without the lock
        box[0] = v + 1


async def waiter(ev, out):
    await ev.wait()
    out.append("woken")
    return "done"


async def never():
    await aio.sleep(10)


async def main():
    # Queue: FIFO order across a bounded producer/consumer pair
    q = aio.Queue(2)
    got = []
    results = await aio.gather(producer(q, 20), consumer(q, got))
    assert got == list(range(20)), got
    assert results[1] == 20, results
    assert q.empty() and q.qsize() == 0
    q2 = aio.Queue(1)
    q2.put_nowait("a")
    assert q2.full()
    try:
        q2.put_nowait("b")
        raise AssertionError("QueueFull not raised")
    except aio.QueueFull:
        pass
    assert q2.get_nowait() == "a"
    try:
        q2.get_nowait()
        raise AssertionError("QueueEmpty not raised")
    except aio.QueueEmpty:
        pass

    # Semaphore: never more than 3 inside
    sem = aio.Semaphore(3)
    state = {"in": 0, "max": 0}
    squares = await aio.gather(*[limited(sem, state, i) for i in range(10)])
    assert list(squares) == [i * i for i in range(10)], squares
    assert state["max"] == 3, state
    assert state["in"] == 0 and not sem.locked()

    # Lock: 10 read-modify-write tasks lose no update
    lock = aio.Lock()
    box = [0]
    await aio.gather(*[locked_inc(lock, box) for _ in range(10)])
    assert box[0] == 10, box

    # Event + create_task: the waiter runs only after set()
    ev = aio.Event()
    out = []
    t = aio.create_task(waiter(ev, out))
    await aio.sleep_ms(5)
    assert out == [], out
    ev.set()
    assert await t == "done"
    assert out == ["woken"]

    # wait_for: a timeout raises aio.TimeoutError; a fast coroutine returns its value
    try:
        await aio.wait_for(never(), 0.02)
        raise AssertionError("no timeout")
    except aio.TimeoutError:
        pass
    try:
        await aio.wait_for_ms(never(), 20)
        raise AssertionError("no timeout (ms)")
    except aio.TimeoutError:
        pass
    assert await aio.wait_for(waiter(ev, out), 1) == "done"

    # ticks: monotonic, ticks_diff agrees with sleep_ms
    t0 = aio.ticks_ms()
    await aio.sleep_ms(10)
    assert aio.ticks_diff(aio.ticks_ms(), t0) >= 9

    # to_thread: runs the function (inline on MicroPython)
    assert await aio.to_thread(lambda a, b: a + b, 2, 3) == 5
    return True


assert aio.run(main()) is True
print("OK")
