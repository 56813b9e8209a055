"""The lane's in-process event bus: topics, filters, never blocking or failing the publisher."""
import asyncio
import logging
import threading

import pytest

from edge.lane.events import EventBus, matches, topic


def test_topic_names_and_their_rules():
    assert topic("A01", "in", "smoke") == "site/A01/in/smoke"
    for bad in (("A/01", "in", "smoke"), ("A01", "", "smoke"), ("A01", "in", "sm+oke"), ("A01", "#", "x")):
        with pytest.raises(ValueError):
            topic(*bad)


@pytest.mark.parametrize("pattern,name,want", [
    ("site/A01/in/smoke", "site/A01/in/smoke", True),
    ("site/+/in/smoke", "site/A02/in/smoke", True),
    ("site/+/+/smoke", "site/A02/out/passage", False),
    ("site/#", "site/A02/out/passage", True),
    ("site/A01/#", "site/A01", True),
    ("site/A01/in", "site/A01/in/smoke", False),
    ("site/A01/in/smoke/x", "site/A01/in/smoke", False),
])
def test_mqtt_style_filters(pattern, name, want):
    assert matches(pattern, name) is want


async def test_publish_reaches_matching_sync_and_async_subscribers_later():
    bus = EventBus()
    got = []

    def sync_sub(t, p):
        got.append(("sync", t, p["n"]))

    async def async_sub(t, p):
        await asyncio.sleep(0.01)
        got.append(("async", t, p["n"]))

    bus.subscribe("site/+/in/smoke", sync_sub)
    bus.subscribe("site/#", async_sub)
    bus.subscribe("site/A01/in/passage", sync_sub)
    n = bus.publish("site/A01/in/smoke", {"n": 1})
    assert n == 2
    assert got == []          # nothing runs inside publish(): the publisher is never held up
    await bus.drain()
    assert sorted(got) == [("async", "site/A01/in/smoke", 1), ("sync", "site/A01/in/smoke", 1)]


async def test_a_failing_subscriber_is_logged_and_others_still_get_the_message(caplog):
    bus = EventBus()
    got = []

    def broken(t, p):
        raise RuntimeError("subscriber bug")

    async def broken_async(t, p):
        raise RuntimeError("async subscriber bug")

    bus.subscribe("#", broken)
    bus.subscribe("#", broken_async)
    bus.subscribe("#", lambda t, p: got.append(p))
    with caplog.at_level(logging.ERROR, logger="edge.lane.events"):
        bus.publish("site/A01/in/passage", "x")   # does not raise
        await bus.drain()
    assert got == ["x"]
    assert "subscriber bug" in caplog.text and "async subscriber bug" in caplog.text


async def test_a_slow_subscriber_loses_messages_beyond_its_backlog_not_the_publisher():
    bus = EventBus(max_pending=3)
    gate = asyncio.Event()
    seen = []

    async def slow(t, p):
        await gate.wait()
        seen.append(p)

    bus.subscribe("#", slow)
    counts = [bus.publish("t", i) for i in range(10)]
    assert counts == [1, 1, 1] + [0] * 7
    gate.set()
    await bus.drain()
    assert sorted(seen) == [0, 1, 2]
    assert bus.publish("t", 99) == 1  # the backlog is gone: delivered again
    await bus.drain()
    assert seen[-1] == 99


async def test_publish_from_another_thread_runs_on_the_loop():
    bus = EventBus()
    loop_thread = threading.get_ident()
    where = []
    bus.subscribe("#", lambda t, p: where.append(threading.get_ident()))
    bus.publish("warm/up", 0)      # the bus learns its loop
    await bus.drain()
    await asyncio.to_thread(bus.publish, "from/thread", 1)
    await bus.drain()
    assert where == [loop_thread, loop_thread]


async def test_unsubscribe():
    bus = EventBus()
    got = []
    off = bus.subscribe("#", lambda t, p: got.append(p))
    bus.publish("a", 1)
    off()
    bus.publish("a", 2)
    await bus.drain()
    assert got == [1]
