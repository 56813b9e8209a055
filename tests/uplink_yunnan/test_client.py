"""The client against the simulator over real HTTP on 127.0.0.1: tokens, headers, paging,
platform codes, and every fault the simulator can inject."""
import json
import urllib.request

import pytest

from edge.domain.examples import example
from edge.uplink.yunnan import crypto
from edge.uplink.yunnan.client import PlatformError, TransportError, YunnanClient, classify
from tests.uplink_yunnan.conftest import ENTERPRISE_ID

JPEG = b"\xff\xd8\xff\xe0" + b"\x00JFIF" + bytes(range(256)) * 8 + b"\xff\xd9"


def access_record(seq=1):
    rec = example("access")
    rec["recordId"] = rec["recordId"][:-5] + "%05d" % seq
    for f in ("passMode", "vehicle", "smokeLevel"):
        rec.pop(f, None)
    data_url = "data:image/jpeg;base64," + crypto.b64encode(JPEG)
    rec["carHeadImg"] = rec["carImg"] = data_url
    return rec


async def test_init_auth_once_only(registered, client_key):
    sim, c = registered
    assert c.api_key.startswith("YN_")
    assert sim.platform.received["init_auth"][0]["publicKey"] == crypto.public_key_b64(client_key)
    with pytest.raises(PlatformError) as e:
        await c.init_auth(ENTERPRISE_ID, "again", crypto.public_key_b64(client_key))
    assert "只允许调用成功一次" in e.value.message


async def test_token_cached_and_headers(registered):
    sim, c = registered
    await c.heartbeat(ENTERPRISE_ID)
    await c.heartbeat(ENTERPRISE_ID)
    assert c.token_fetches == 1
    reqs = sim.platform.requests
    tok = [r for r in reqs if r["endpoint"] == "token"]
    hb = [r for r in reqs if r["endpoint"] == "heartbeat"]
    assert len(tok) == 1 and tok[0]["authorization"] is None and tok[0]["clientId"] == c.api_key
    assert len(hb) == 2 and all(r["verdict"] == "ok" for r in hb)
    token = next(iter(sim.platform.tokens))
    assert all(r["authorization"] == "Bearer " + token and r["clientId"] == c.api_key for r in hb)
    assert all(r["contentType"].startswith("application/json") for r in reqs)
    assert sim.platform.heartbeats[ENTERPRISE_ID] == 2


async def test_token_refreshed_before_expiry(make_sim, client_key):
    now = [1000.0]
    sim = make_sim(token_life_s=600, clock=lambda: now[0])
    c = YunnanClient(sim.base_url, client_private=client_key, token_margin_s=60, clock=lambda: now[0],
                     retries=0)
    d = await c.init_auth(ENTERPRISE_ID, "x", crypto.public_key_b64(client_key))
    c.api_key, c.api_secret, c.platform_public = d["apiKey"], d["apiSecret"], crypto.load_public_key(d["publicKey"])
    try:
        await c.heartbeat(ENTERPRISE_ID)
        now[0] += 530            # 70 s left: still outside the 60 s margin
        await c.heartbeat(ENTERPRISE_ID)
        assert c.token_fetches == 1
        now[0] += 20             # 50 s left: inside the margin → fetched before the platform refuses it
        await c.heartbeat(ENTERPRISE_ID)
        assert c.token_fetches == 2
        assert not [r for r in sim.platform.requests if r["verdict"] == "bad token"]
    finally:
        await c.close()


async def test_token_revoked_mid_run_refetched_once(registered):
    sim, c = registered
    await c.heartbeat(ENTERPRISE_ID)
    sim.platform.expire_tokens()          # the platform forgets/expires every token
    await c.heartbeat(ENTERPRISE_ID)
    assert c.token_fetches == 2
    assert [r["verdict"] for r in sim.platform.requests if r["endpoint"] == "heartbeat"] == ["ok", "bad token", "ok"]


async def test_wrong_api_secret_is_auth_error(registered):
    sim, c = registered
    c.api_secret = "wrong"
    with pytest.raises(PlatformError) as e:
        await c.heartbeat(ENTERPRISE_ID)
    assert e.value.kind == "auth" and e.value.transient


async def test_platform_checks_our_signature(registered, other_key):
    sim, c = registered
    c.client_private = other_key          # not the key we registered
    with pytest.raises(PlatformError) as e:
        await c.heartbeat(ENTERPRISE_ID)
    assert e.value.kind == "signature" and e.value.transient and "验签失败" in e.value.message


async def test_sign_scope_must_match_platform(make_sim, client_key):
    sim = make_sim(sign_scope="content")
    for scope, ok in (("key+content", False), ("content", True)):
        c = YunnanClient(sim.base_url, client_private=client_key, sign_scope=scope, retries=0)
        if not sim.platform.enterprises:
            d = await c.init_auth(ENTERPRISE_ID, "x", crypto.public_key_b64(client_key))
            creds = d
        c.api_key, c.api_secret = creds["apiKey"], creds["apiSecret"]
        c.platform_public = crypto.load_public_key(creds["publicKey"])
        try:
            if ok:
                await c.heartbeat(ENTERPRISE_ID)
            else:
                with pytest.raises(PlatformError, match="验签失败"):
                    await c.heartbeat(ENTERPRISE_ID)
        finally:
            await c.close()


async def test_exceed_paging_250_in_3_pages(registered):
    sim, c = registered
    sim.platform.seed_exceed(250)
    pages = [p async for p in c.pull_pages("exceed_vehicle", {"vehicleTimestamp": "2025-08-01"})]
    assert [len(p) for p in pages] == [100, 100, 50]
    assert len({r["recordId"] for p in pages for r in p}) == 250
    reqs = sim.platform.received["exceed_vehicle"]
    assert len(reqs) == 3 and all(r == {"vehicleTimestamp": "2025-08-01"} for r in reqs)
    # a later date than every record: nothing new
    assert [p async for p in c.pull_pages("exceed_vehicle", {"vehicleTimestamp": "2025-09-01"})] == [[]]


async def test_alarm_confirmations_at_most_100_ids(registered):
    sim, c = registered
    ids = [a["alarmId"] for a in sim.platform.seed_alarms(230)]
    await c.confirm_alarms(ids)
    assert [len(x) for x in sim.platform.confirm_calls["alarm"]] == [100, 100, 30]
    assert sim.platform.confirmed_alarms == set(ids)


async def test_access_upload_and_validation(registered):
    sim, c = registered
    answer, data = await c.upload_access(access_record(1))
    assert answer["code"] == 200 and data is None
    assert sim.platform.record_ids[access_record(1)["recordId"]] == 1
    bad = access_record(2)
    bad["plateColor"] = "9"
    bad["passMode"] = "auto"
    with pytest.raises(PlatformError) as e:
        await c.upload_access(bad)
    assert e.value.kind == "rejected" and not e.value.transient
    assert "plateColor" in e.value.message and "passMode" in e.value.message


async def test_path_overrides(make_sim, client_key):
    sim = make_sim(paths={"vehicle": "/carDate"})
    c = YunnanClient(sim.base_url, client_private=client_key, paths={"vehicle": "/carDate"}, retries=0)
    d = await c.init_auth(ENTERPRISE_ID, "x", crypto.public_key_b64(client_key))
    c.api_key, c.api_secret, c.platform_public = d["apiKey"], d["apiSecret"], crypto.load_public_key(d["publicKey"])
    v = example("vehicle")
    v["carImg1"] = v["carImg2"] = "data:image/jpeg;base64," + crypto.b64encode(JPEG)
    try:
        await c.upload_vehicle(v)
    finally:
        await c.close()
    assert c.url("vehicle").endswith("/access/api/dataReceive/carDate")
    assert sim.platform.received["vehicle"][0]["vehicleId"] == v["vehicleId"]


async def test_unreachable_platform_is_transport_error(client_key, platform_key):
    c = YunnanClient("http://127.0.0.1:9/access/api/dataReceive", client_private=client_key,
                     platform_public=platform_key.publickey(), api_key="k", api_secret="s", retries=1,
                     backoff_s=0.01)
    try:
        with pytest.raises(TransportError):
            await c.heartbeat(ENTERPRISE_ID)
    finally:
        await c.close()


# ------------------------------------------------------------ injected faults

@pytest.mark.parametrize("mode", ["500", "garbage", "bad_signature", "timeout"])
async def test_transient_fault_is_retried(registered, mode):
    sim, c = registered
    c.timeout_s = 1.0                              # the simulator's "timeout" answers after 3 s
    await c.token()
    sim.platform.inject(mode, count=1, endpoint="access")
    answer, _ = await c.upload_access(access_record(7))
    assert answer["code"] == 200
    assert sim.platform.faults_fired[mode] == 1
    # a slow answer is still processed by the platform: the retry shows up as a duplicate
    assert sim.platform.record_ids[access_record(7)["recordId"]] == (2 if mode == "timeout" else 1)


@pytest.mark.parametrize("mode,exc,kind", [("500", TransportError, "transport"),
                                           ("garbage", TransportError, "transport"),
                                           ("bad_signature", PlatformError, "signature")])
async def test_persistent_transient_fault_gives_up_transient(registered, mode, exc, kind):
    sim, c = registered
    await c.token()
    sim.platform.inject(mode, count=c.retries + 1)
    with pytest.raises(exc) as e:
        await c.upload_access(access_record(8))
    assert e.value.transient and e.value.kind == kind
    assert sim.platform.faults_fired[mode] == c.retries + 1
    assert not sim.platform.record_ids


async def test_reject_fault_not_retried(registered):
    sim, c = registered
    await c.token()
    sim.platform.inject("reject", count=5)
    with pytest.raises(PlatformError) as e:
        await c.upload_access(access_record(9))
    assert e.value.kind == "rejected" and not e.value.transient and "参数校验失败" in e.value.message
    assert sim.platform.faults_fired["reject"] == 1


async def test_auth_fault_refetches_token_once(registered):
    sim, c = registered
    await c.token()
    sim.platform.inject("auth", count=1, endpoint="heartbeat")
    await c.heartbeat(ENTERPRISE_ID)
    assert c.token_fetches == 2
    sim.platform.inject("auth", count=10, endpoint="heartbeat")
    c.retries = 0
    with pytest.raises(PlatformError) as e:
        await c.heartbeat(ENTERPRISE_ID)
    assert e.value.kind == "auth"
    assert sim.platform.faults_fired["auth"] == 3      # 1 + (first try + one re-fetch retry)
    assert c.token_fetches == 3


async def test_duplicate_fault(registered):
    sim, c = registered
    sim.platform.inject("duplicate", count=1, endpoint="access")
    with pytest.raises(PlatformError) as e:
        await c.upload_access(access_record(10))
    assert e.value.kind == "duplicate" and not e.value.transient


def test_faults_over_admin_http(sim):
    def post(path, obj):
        req = urllib.request.Request(sim.root + path, data=json.dumps(obj).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read())
    assert post("/_sim/faults", {"mode": "500", "count": 2, "endpoint": "access"})["ok"]
    assert sim.platform.faults == [{"mode": "500", "count": 2, "endpoint": "access"}]
    with pytest.raises(urllib.error.HTTPError):
        post("/_sim/faults", {"mode": "nonsense"})
    state = post("/_sim/seed", {"exceed": 3, "alarms": 2})
    assert len(sim.platform.exceed) == 3 and len(sim.platform.alarms) == 2
    assert state["faultsPending"][0]["mode"] == "500"
    req = urllib.request.Request(sim.root + "/_sim/faults", method="DELETE")
    urllib.request.urlopen(req, timeout=5).read()
    assert sim.platform.faults == []


@pytest.mark.parametrize("code,message,kind", [
    (200, "ok", "server"),  # (never classified in practice: 200 is success)
    (500, "✘ 验签失败！签名不匹配！数据可能被篡改或来源不可信。", "signature"),
    (401, "", "auth"), (500, "token已过期", "auth"),
    (500, "licensePlate不能为空", "rejected"), (400, "bad", "rejected"), (422, "x", "rejected"),
    (429, "slow down", "busy"), (500, "系统繁忙", "server"), ("E17", "", "server"),
    (500, "记录已存在", "duplicate"), (500, "数据重复上传", "duplicate"), (200, "duplicate record", "duplicate"),
    # a rate limit that happens to contain 重复 is not the platform's duplicate answer
    (500, "请求过于频繁，请勿重复提交", "busy"), (500, "请稍后重复请求", "busy"), (500, "重复提交", "busy"),
])
def test_classify(code, message, kind):
    assert classify(code, message) == kind


def test_token_life_readings():
    from datetime import timedelta

    from edge.timeutil import fmt_datetime, now
    from edge.uplink.yunnan.client import token_life
    assert token_life("7200") == 7200 and token_life(600) == 600
    assert 3500 < token_life(fmt_datetime(now() + timedelta(hours=1))) <= 3600
    assert token_life("soon") == 7200


def test_backoff_full_jitter_bounds():
    from edge.uplink.yunnan.client import backoff_delay
    assert [backoff_delay(n, 0.5, 10, rand=lambda: 1.0) for n in range(7)] == [0.5, 1, 2, 4, 8, 10, 10]
    assert backoff_delay(3, 0.5, 10, rand=lambda: 0.0) == 0
    import random
    r = random.Random(7)
    delays = [backoff_delay(2, 0.5, 10, rand=r.random) for _ in range(200)]
    assert all(0 <= d <= 2 for d in delays) and len(set(delays)) > 150    # spread, not in step
