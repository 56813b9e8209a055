"""YunnanDestination: the outbox contract (Delivery → ack | TransientError | PermanentError)."""
import pytest

from edge.domain.examples import example
from edge.uplink.base import Delivery, PermanentError, TransientError
from edge.uplink.yunnan.destination import YunnanDestination, access_payload
from tests.uplink_yunnan.helpers import jpeg

HEAD, BODY = jpeg((9, 9, 9)), jpeg((99, 99, 99))


def delivery(seq=1, **changes):
    rec = example("access")
    rec["recordId"] = rec["recordId"][:-5] + "%05d" % seq
    rec.update(changes)
    return Delivery(rec["recordId"], "access", rec, {"carHeadImg": HEAD, "carImg": BODY})


def test_payload_is_exactly_6_13():
    item = delivery(smokeLevel=2)
    out = access_payload(item.record, item.media)
    assert not {"passMode", "vehicle", "smokeLevel"} & set(out)
    assert out["carHeadImg"].startswith("data:image/jpeg;base64,/9j/")
    assert item.record["carHeadImg"].startswith("photos/")     # the outbox's record is not modified


def test_missing_photo_is_transient():
    item = delivery()
    del item.media["carImg"]
    with pytest.raises(TransientError, match="carImg"):
        access_payload(item.record, item.media)


@pytest.fixture
async def dest(registered):
    sim, c = registered
    d = YunnanDestination(c)
    yield sim, d
    await d.close()


async def test_deliver_ok_and_duplicate_ack(dest):
    sim, d = dest
    assert (await d.deliver(delivery(1))).startswith("yunnan 200")
    sim.platform.inject("duplicate", endpoint="access")
    assert (await d.deliver(delivery(1))).startswith("yunnan duplicate")
    assert sim.platform.record_ids[delivery(1).record_id] == 1


async def test_bad_data_is_permanent(dest):
    sim, d = dest
    with pytest.raises(PermanentError, match="plateColor"):
        await d.deliver(delivery(2, plateColor="9"))
    sim.platform.inject("reject", endpoint="access")
    with pytest.raises(PermanentError, match="参数校验失败"):
        await d.deliver(delivery(3))


@pytest.mark.parametrize("mode", ["500", "garbage", "bad_signature", "auth"])
async def test_platform_trouble_is_transient(dest, mode):
    sim, d = dest
    sim.platform.inject(mode, count=10, endpoint="access")
    with pytest.raises(TransientError):
        await d.deliver(delivery(4))
    assert not sim.platform.record_ids


async def test_timeout_is_transient(dest):
    sim, d = dest
    d.client.timeout_s, d.client.retries = 1.0, 0
    sim.platform.inject("timeout", endpoint="access")
    with pytest.raises(TransientError, match="timed out"):
        await d.deliver(delivery(5))


async def test_unknown_kind_is_permanent(dest):
    _, d = dest
    with pytest.raises(PermanentError):
        await d.deliver(Delivery("x", "smoke", {}, {}))
