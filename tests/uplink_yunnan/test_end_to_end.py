"""Done-when of issue 3, over real HTTP on 127.0.0.1 with the technician's verbs:
keys → register → token → heartbeat → push enterprise/cameras/ledger → sync 250 exceed
vehicles over 3 pages (+ strategies and alarms, confirmed) → an access record with two photos
through the outbox's destination, the token expiring mid-run; then check that the simulator
saw only valid, signed, decryptable requests with the right headers."""
import asyncio
import csv
import hashlib
import json
import os
import stat

from edge.cli import main
from edge.config import load_config
from edge.domain.examples import example
from edge.store.platform_cache import PlatformCache
from edge.uplink.base import Delivery
from edge.uplink.yunnan.destination import open_destination
from tests.uplink_yunnan.conftest import ENTERPRISE_ID
from tests.uplink_yunnan.helpers import jpeg, write_config


def edge(capsys, *argv):
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_field_technician_flow(sim, tmp_path, capsys):
    cfg = write_config(tmp_path, sim.base_url)
    p = sim.platform
    p.seed_exceed(250)
    p.seed_strategies(3)
    p.seed_alarms(120)

    # keys: private key 0600 in the state dir; stdout is only the Base64 X.509 public key
    rc, out, err = edge(capsys, "keys", "generate", "--config", cfg)
    assert rc == 0
    keys = tmp_path / "state" / "keys"
    assert stat.S_IMODE(os.stat(keys / "client_private.key").st_mode) == 0o600
    pub_b64 = out.strip()
    assert pub_b64.startswith("MIIBIjAN") and "\n" not in pub_b64
    assert (keys / "client_private.key").read_text().strip() not in out + err
    rc, _, err = edge(capsys, "keys", "generate", "--config", cfg)
    assert rc == 2 and "already exists" in err

    # register: once; apiSecret stored 0600, never printed
    rc, out, err = edge(capsys, "register", "--config", cfg)
    assert rc == 0, err
    creds = json.loads((keys / "platform.json").read_text())
    assert stat.S_IMODE(os.stat(keys / "platform.json").st_mode) == 0o600
    assert creds["apiSecret"] not in out + err and creds["apiKey"] in out
    assert p.received["init_auth"][0] == {"enterpriseId": ENTERPRISE_ID, "enterpriseName": "云南示例钢铁有限公司",
                                          "publicKey": pub_b64}
    rc, _, err = edge(capsys, "register", "--config", cfg)
    assert rc == 2 and "already registered" in err
    rc, _, err = edge(capsys, "register", "--force", "--config", cfg)       # the platform refuses too
    assert rc == 2 and "只允许调用成功一次" in err
    assert json.loads((keys / "platform.json").read_text()) == creds      # and nothing was overwritten

    # token + heartbeat
    rc, out, err = edge(capsys, "uplink", "check", "--config", cfg)
    assert rc == 0, err
    assert "getToken: ok" in out and "heartBeat: code 200" in out
    assert p.heartbeats[ENTERPRISE_ID] == 1

    # enterprise and cameras from the config
    rc, out, err = edge(capsys, "push", "enterprise", "--config", cfg)
    assert rc == 0, err
    assert p.received["enterprise"][0]["enterpriseCode"] == "91530100MA6K5XYZ1P"
    rc, out, err = edge(capsys, "push", "cameras", "--config", cfg)
    assert rc == 0, err
    assert [c["cameraId"] for c in p.received["camera"]] == [ENTERPRISE_ID + "A01", ENTERPRISE_ID + "A02"]
    assert "cam-secret-1" not in out + err

    # ledger: CSV with photo paths, validated, then pushed
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "list.jpg").write_bytes(jpeg((10, 10, 200)))
    (tmp_path / "img" / "license.jpg").write_bytes(jpeg((10, 200, 10)))
    v = example("vehicle")
    del v["vehicleId"]
    v["carImg1"], v["carImg2"] = "img/list.jpg", "img/license.jpg"
    with open(tmp_path / "vehicles.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(v))
        w.writeheader()
        w.writerow(v)
        w.writerow(dict(v, licensePlate="云A66666", vin="LFWSRXSJ5M1A12346"))
    rc, out, err = edge(capsys, "ledger", "import", "vehicles", str(tmp_path / "vehicles.csv"), "--config", cfg)
    assert rc == 0, err
    rc, out, err = edge(capsys, "push", "vehicles", "--config", cfg)
    assert rc == 0, err
    got = p.received["vehicle"]
    assert [g["vehicleId"] for g in got] == [ENTERPRISE_ID + "00001", ENTERPRISE_ID + "00002"]
    assert got[0]["carImg1"]["sha256"] == hashlib.sha256((tmp_path / "img" / "list.jpg").read_bytes()).hexdigest()
    rc, out, _ = edge(capsys, "push", "vehicles", "--config", cfg)
    assert rc == 0 and "nothing pending" in out

    m = example("machinery")
    for i, f in enumerate(("machineryImg1", "machineryImg2", "machineryImg3")):
        (tmp_path / "img" / ("m%d.jpg" % i)).write_bytes(jpeg((i * 60, 0, 0)))
        m[f] = "img/m%d.jpg" % i
    (tmp_path / "machinery.json").write_text(json.dumps([m], ensure_ascii=False), encoding="utf-8")
    rc, out, err = edge(capsys, "ledger", "import", "machinery", str(tmp_path / "machinery.json"), "--config", cfg)
    assert rc == 0, err
    rc, out, err = edge(capsys, "push", "machinery", "--config", cfg)
    assert rc == 0, err
    assert p.received["machinery"][0]["machineryId"] == m["machineryId"]

    # sync: 250 exceed vehicles in 3 pages, strategies and alarms confirmed
    rc, out, err = edge(capsys, "sync", "--config", cfg)
    assert rc == 0, err
    assert "exceed vehicles: 250 received in 3 page(s)" in out
    assert len(p.received["exceed_vehicle"]) == 3
    assert p.confirmed_strategies == {s["strategyId"] for _, s in p.strategies}
    assert p.confirmed_alarms == {a["alarmId"] for _, a in p.alarms}
    assert all(len(ids) <= 100 for ids in p.confirm_calls["alarm"])
    with PlatformCache.open(tmp_path / "state") as cache:
        assert cache.counts()["exceed"] == 250
        assert cache.is_exceed("云A10000") and cache.is_exceed("云 a10249", "1")
        assert not cache.is_exceed("云A99999")
        assert len(cache.active_strategies("2025-09-01 12:00:00")) == 3
        resumed_from = cache.pull_state()["exceed"]["timestamp"]
    # a second sync (a restart) resumes from the persisted date, not from pull_start
    rc, out, err = edge(capsys, "sync", "--config", cfg)
    assert rc == 0, err
    assert p.received["exceed_vehicle"][-1] == {"vehicleTimestamp": resumed_from} != p.received["exceed_vehicle"][0]

    # the outbox's destination: a record with two photos; the token expires mid-run
    config = load_config(cfg)
    head, body = jpeg((1, 2, 3)), jpeg((4, 5, 6), (80, 60))

    async def deliver_two():
        dest = await open_destination(config)
        try:
            rec = example("access")
            assert {"passMode", "vehicle"} <= set(rec)
            ack1 = await dest.deliver(Delivery(rec["recordId"], "access", rec, {"carHeadImg": head, "carImg": body}))
            p.expire_tokens()
            rec2 = dict(rec, recordId=rec["recordId"][:-5] + "00002", accessType="1")
            rec2["recordId"] = rec2["recordId"][:40] + "1" + rec2["recordId"][41:]
            ack2 = await dest.deliver(Delivery(rec2["recordId"], "access", rec2, {"carHeadImg": head, "carImg": body}))
            return ack1, ack2, dest.client.token_fetches
        finally:
            await dest.close()

    ack1, ack2, fetches = asyncio.run(deliver_two())
    assert ack1.startswith("yunnan 200") and ack2.startswith("yunnan 200")
    assert fetches == 2
    got = p.received["access"]
    assert len(got) == 2 and len(p.record_ids) == 2
    assert not {"passMode", "vehicle", "smokeLevel"} & set(got[0])
    assert got[0]["carHeadImg"] == {"jpegBytes": len(head), "sha256": hashlib.sha256(head).hexdigest()}
    assert got[0]["carImg"]["sha256"] == hashlib.sha256(body).hexdigest()

    # every request the platform saw: right headers; all accepted except the expired-token one
    api_key = creds["apiKey"]
    sealed = [r for r in p.requests if r["endpoint"] != "init_auth"]
    assert all(r["clientId"] == api_key for r in sealed)
    assert all(r["authorization"] is None for r in sealed if r["endpoint"] == "token")
    assert all(r["authorization"].startswith("Bearer ") for r in sealed if r["endpoint"] != "token")
    assert [r["verdict"] for r in p.requests if r["verdict"] != "ok"] == ["again", "bad token"]
