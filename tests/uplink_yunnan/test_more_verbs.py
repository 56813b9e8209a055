"""Settings checks, the 6.14 verification push, and the lane's site duties."""
import json

import pytest

from edge.cli import main
from edge.config import load_config
from edge.domain.examples import example
from edge.errors import ValidationError
from edge.uplink.yunnan.duties import YunnanDuties
from tests.uplink_yunnan.conftest import ENTERPRISE_ID
from tests.uplink_yunnan.helpers import write_config


def test_unknown_endpoint_override_is_a_config_error(tmp_path):
    cfg = write_config(tmp_path, "http://127.0.0.1:9/x", 'paths = { vehicles = "/carDate", access = "noslash" }')
    with pytest.raises(ValidationError) as e:
        load_config(cfg)
    assert any(f == "uplink.yunnan.paths" and "unknown endpoint vehicles" in r for f, r in e.value.problems)


def _setup(sim, tmp_path, capsys):
    cfg = write_config(tmp_path, sim.base_url)
    assert main(["keys", "generate", "--config", cfg]) == 0
    assert main(["register", "--config", cfg]) == 0
    capsys.readouterr()
    return cfg


def test_push_exceed_verification(sim, tmp_path, capsys):
    cfg = _setup(sim, tmp_path, capsys)
    rows = [example("exceed-verification"), dict(example("exceed-verification"), recordId="EV002")]
    (tmp_path / "ver.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    assert main(["push", "exceed-verification", str(tmp_path / "ver.json"), "--config", cfg]) == 0
    assert [r["recordId"] for r in sim.platform.received["exceed_verification"]] == ["EV001", "EV002"]
    (tmp_path / "bad.json").write_text(json.dumps([dict(rows[0], excessVerifica="7")]), encoding="utf-8")
    assert main(["push", "exceed-verification", str(tmp_path / "bad.json"), "--config", cfg]) == 2
    assert "row 1 excessVerifica" in capsys.readouterr().err
    assert len(sim.platform.received["exceed_verification"]) == 2


def test_site_duties(sim, tmp_path, capsys):
    import asyncio
    cfg = _setup(sim, tmp_path, capsys)
    sim.platform.seed_exceed(5)
    sim.platform.seed_alarms(2)

    async def go():
        d = YunnanDuties(load_config(cfg))
        try:
            hb = await d.heartbeat()
            out = await d.sync()
            return hb, out, d.cache.is_exceed("云A10003")
        finally:
            await d.close()

    hb, out, exceed = asyncio.run(go())
    assert hb.startswith("200") and sim.platform.heartbeats[ENTERPRISE_ID] == 1
    assert out["exceed"]["records"] == 5 and out["alarm"]["confirmed"] == 2 and exceed


def test_push_vehicles_refused_entry_stays_pending(sim, tmp_path, capsys):
    from tests.uplink_yunnan.helpers import jpeg
    cfg = _setup(sim, tmp_path, capsys)
    (tmp_path / "a.jpg").write_bytes(jpeg())
    rows = []
    for plate in ("云A11111", "云A22222"):
        v = example("vehicle")
        del v["vehicleId"]
        v.update(licensePlate=plate, vin="LFWSRXSJ5M1A" + plate[-5:], carImg1="a.jpg", carImg2="a.jpg")
        rows.append(v)
    (tmp_path / "v.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    assert main(["ledger", "import", "vehicles", str(tmp_path / "v.json"), "--config", cfg]) == 0
    sim.platform.inject("reject", count=1, endpoint="vehicle")
    assert main(["push", "vehicles", "--config", cfg]) == 1
    out = capsys.readouterr()
    assert "refused: 参数校验失败" in out.err and "1 uploaded, 1 refused" in out.out
    assert main(["ledger", "list", "vehicles", "--config", cfg]) == 0
    listing = capsys.readouterr().out
    assert listing.count("pending (refused") == 1 and listing.count("uploaded ") == 1
    assert main(["push", "vehicles", "--config", cfg]) == 0          # fixed on the platform side: goes up
    assert len(sim.platform.received["vehicle"]) == 2
    # a platform outage is not a refusal: one line, exit 2, nothing marked
    sim.platform.inject("500", count=10, endpoint="vehicle")
    assert main(["push", "vehicles", "--all", "--config", cfg]) == 2
    assert "platform" in capsys.readouterr().err


def test_pushed_verification_clears_the_exceed_entry_at_the_gate(sim, tmp_path, capsys):
    """6.14 pushed by `edge push exceed-verification` is kept once the platform took it, and the
    gate's facts then say the exceed entry is cleared (不超标) or still stands (超标)."""
    from edge.lane.facts import gather
    from edge.policy import decide
    from edge.store.platform_cache import PlatformCache
    cfg = _setup(sim, tmp_path, capsys)
    config = load_config(cfg)
    entry = dict(example("exceed-vehicle"), sendTime="20250704")           # recordId EV001, 云A12345
    with PlatformCache.open(config.state_dir) as cache:
        cache.upsert_exceed([entry])
        before = gather("云A12345", "yellow", ledger=None, cache=cache, config=config, now="2025-09-26 08:00:00")
    assert before["exceed"]["recordId"] == "EV001" and before["exceed_cleared"] is False
    assert decide(before, config.policy)["code"] == "exceed"
    (tmp_path / "ver.json").write_text(json.dumps([example("exceed-verification")], ensure_ascii=False),
                                       encoding="utf-8")                   # excessVerifica 1 不超标
    assert main(["push", "exceed-verification", str(tmp_path / "ver.json"), "--config", cfg]) == 0
    with PlatformCache.open(config.state_dir) as cache:
        after = gather("云A12345", "yellow", ledger=None, cache=cache, config=config, now="2025-09-26 08:00:00")
    assert after["exceed_cleared"] is True
    assert decide(after, dict(unregistered="allow"))["allowed"] is True
    # a later 超标 finding the platform refuses is not kept: the entry stays cleared
    sim.platform.inject("reject", count=1, endpoint="exceed_verification")
    (tmp_path / "ver.json").write_text(json.dumps([dict(example("exceed-verification"), excessVerifica="0",
                                                        excessVerificadate="20251001")]), encoding="utf-8")
    assert main(["push", "exceed-verification", str(tmp_path / "ver.json"), "--config", cfg]) != 0
    with PlatformCache.open(config.state_dir) as cache:
        assert len(cache.verifications(plate="云A12345")) == 1
        again = gather("云A12345", "yellow", ledger=None, cache=cache, config=config, now="2025-10-02 08:00:00")
    assert again["exceed_cleared"] is True
