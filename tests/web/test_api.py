"""The page's JSON API over a real socket (aiohttp test server), with a scripted lane control."""
import asyncio
import json
import os
from pathlib import Path

import pytest

from edge.store.outbox import Outbox
from edge.web.app import create_app
from edge.web.lane_link import LaneDown
from edge.web.passwords import set_password
from tests.web.helpers import SECRET_CAMERA_PW, SECRET_NVR_PW, FakeControl, lane_config
from tests.web.records import access, fill, jpeg

PASSWORD = "gate-house-2026"


@pytest.fixture
def lane(tmp_path):
    config, _ = lane_config(tmp_path)
    set_password(config.paths.state_dir, "guard", PASSWORD)
    return config


async def _client(aiohttp_client, config, control=None, background=False):
    control = control or FakeControl()
    client = await aiohttp_client(create_app(config, control, background=background))
    return client, control


async def _login(client, password=PASSWORD, user=None):
    body = {"password": password}
    if user:
        body["user"] = user
    r = await client.post("/api/login", json=body)
    return r, (await r.json())


async def test_anonymous_sees_the_login_page_and_the_api_answers_401(aiohttp_client, lane):
    client, _ = await _client(aiohttp_client, lane)
    r = await client.get("/")
    assert r.status == 200 and "登录" in await r.text()
    r = await client.get("/api/session")
    assert r.status == 200 and (await r.json())["user"] is None
    for path in ("/api/status", "/api/records", "/api/report/daily", "/api/platform", "/api/health", "/api/smoke",
                 "/api/events", "/api/live", "/api/records.csv", "/media/20261101/" + "a" * 64 + ".jpg"):
        r = await client.get(path)
        assert r.status == 401, path
    r = await client.get("/static/app.js")
    assert r.status == 200


async def test_public_read_opens_reading_but_not_acting(aiohttp_client, tmp_path):
    config, _ = lane_config(tmp_path, public_read=True)
    client, control = await _client(aiohttp_client, config)
    r = await client.get("/api/status")
    assert r.status == 200 and (await r.json())["gate"] == "A01"
    r = await client.post("/api/lift", json={"reason": "送货"})
    assert r.status == 401
    assert not [c for c in control.calls if c[0] == "lift"]


async def test_login_wrong_password_401_sixth_429_then_right_password_still_429(aiohttp_client, lane):
    client, _ = await _client(aiohttp_client, lane)
    for _ in range(5):
        r, body = await _login(client, "wrong-password")
        assert r.status == 401 and "密码" in body["error"]
    r, body = await _login(client, "wrong-password")
    assert r.status == 429 and int(r.headers["Retry-After"]) > 0
    r, body = await _login(client, PASSWORD)
    assert r.status == 429                         # a guesser does not learn it was right


async def test_unknown_user_is_just_a_wrong_password(aiohttp_client, lane):
    client, _ = await _client(aiohttp_client, lane)
    r, body = await _login(client, PASSWORD, user="nobody")
    assert r.status == 401


async def test_login_sets_a_strict_httponly_cookie_and_returns_csrf(aiohttp_client, lane):
    client, _ = await _client(aiohttp_client, lane)
    r, body = await _login(client)
    assert r.status == 200 and body["user"] == "guard" and len(body["csrf"]) >= 20
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    r = await client.get("/api/session")
    s = await r.json()
    assert s["user"] == "guard" and s["csrf"] == body["csrf"]
    r = await client.get("/api/status")
    assert r.status == 200


async def test_actions_need_a_session_a_csrf_token_and_json(aiohttp_client, lane):
    client, control = await _client(aiohttp_client, lane)
    r = await client.post("/api/lift", json={"reason": "送货"})
    assert r.status == 401
    _, body = await _login(client)
    csrf = body["csrf"]
    r = await client.post("/api/lift", json={"reason": "送货"})
    assert r.status == 403                                            # no CSRF header
    r = await client.post("/api/lift", json={"reason": "送货"}, headers={"X-CSRF-Token": "forged"})
    assert r.status == 403
    r = await client.post("/api/lift", data="reason=送货", headers={"X-CSRF-Token": csrf,
                                                                   "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 415                                            # a cross-site form cannot send JSON
    assert not [c for c in control.calls if c[0] == "lift"]
    r = await client.post("/api/lift", json={"reason": "送货"}, headers={"X-CSRF-Token": csrf})
    assert r.status == 200 and (await r.json())["ok"]
    lift = [c for c in control.calls if c[0] == "lift"]
    assert lift == [("lift", {"reason": "送货"}, "web:guard@127.0.0.1")]


async def test_every_action_is_one_lane_control_op_with_who(aiohttp_client, lane):
    client, control = await _client(aiohttp_client, lane)
    _, body = await _login(client)
    h = {"X-CSRF-Token": body["csrf"]}
    cases = [("/api/plate", {"plate": "云A12345", "color": "1", "extra": "dropped"}, "plate", {"plate": "云A12345", "color": "1"}),
             ("/api/register", {"entry": {"licensePlate": "云A12345"}}, "register_vehicle", {"entry": {"licensePlate": "云A12345"}}),
             ("/api/cargo", {"recordId": "R1", "cargoType": "煤炭", "cargoWeight": "30", "cargoUnit": "T"}, "cargo",
              {"recordId": "R1", "cargoType": "煤炭", "cargoWeight": "30", "cargoUnit": "T"}),
             ("/api/verify-exceed", {"recordId": "X1", "excessVerifica": "1"}, "verify_exceed", {"recordId": "X1", "excessVerifica": "1"}),
             ("/api/smoke/review", {"recordId": "SMK1", "verdict": "confirmed", "level": 3}, "smoke_review",
              {"recordId": "SMK1", "verdict": "confirmed", "level": 3})]
    for path, payload, op, args in cases:
        r = await client.post(path, json=payload, headers=h)
        assert r.status == 200, path
        assert control.calls[-1] == (op, args, "web:guard@127.0.0.1")


async def test_the_lanes_refusal_is_the_guards_message_and_a_down_lane_is_503(aiohttp_client, lane):
    control = FakeControl()
    control.refuse["lift"] = "reason: required"
    client, _ = await _client(aiohttp_client, lane, control)
    _, body = await _login(client)
    r = await client.post("/api/lift", json={"reason": ""}, headers={"X-CSRF-Token": body["csrf"]})
    assert r.status == 400 and (await r.json())["error"] == "reason: required"

    async def down(op, args=None, who=""):
        raise LaneDown("the lane is not running (no control socket at /x)")
    control.call = down
    r = await client.post("/api/plate", json={"plate": "云A12345"}, headers={"X-CSRF-Token": body["csrf"]})
    assert r.status == 503 and (await r.json())["lane_down"]
    r = await client.get("/api/status")
    assert r.status == 200 and "lane_down" in await r.json()


async def test_bad_bodies_answer_one_line(aiohttp_client, lane):
    client, _ = await _client(aiohttp_client, lane)
    _, body = await _login(client)
    h = {"X-CSRF-Token": body["csrf"], "Content-Type": "application/json"}
    r = await client.post("/api/lift", data="{not json", headers=h)
    assert r.status == 400 and "JSON" in (await r.json())["error"]
    r = await client.post("/api/lift", data="[1, 2]", headers=h)
    assert r.status == 400
    r = await client.post("/api/login", data="nope", headers={"Content-Type": "application/json"})
    assert r.status == 400
    r = await client.get("/api/records?page=zero")
    assert r.status == 400 and "page" in (await r.json())["error"]
    r = await client.get("/api/records?result=maybe")
    assert r.status == 400 and "result" in (await r.json())["error"]


async def test_logout_ends_the_session(aiohttp_client, lane):
    client, _ = await _client(aiohttp_client, lane)
    _, body = await _login(client)
    r = await client.post("/api/logout")
    assert r.status == 200
    r = await client.get("/api/status")
    assert r.status == 401
    r = await client.post("/api/lift", json={"reason": "x"}, headers={"X-CSRF-Token": body["csrf"]})
    assert r.status == 401


async def test_no_secret_is_ever_served(aiohttp_client, lane):
    from edge.uplink.yunnan.credentials import PlatformCredentials, save_platform
    state = lane.paths.state_dir
    save_platform(state, PlatformCredentials("key-VISIBLE-NOT-0001", "apiSecret-NEVER-SHOWN-42", "MIIB", "E1", "2026-11-01"))
    control = FakeControl()
    control.status["platform"]["hj212_password"] = "123456"
    control.status["note"] = "token is tok-SECRET-123456 and key apiSecret-NEVER-SHOWN-42"
    control.add_event("action", who="cli:root", text="camera at rtsp://admin:%s@10.0.0.2/ch1" % SECRET_CAMERA_PW)
    with Outbox.from_config(lane) as box:
        fill(box, [access(1)])
    client, _ = await _client(aiohttp_client, lane, control)
    _, body = await _login(client)
    texts = []
    for path in ("/api/status", "/api/events", "/api/platform", "/api/health", "/api/records", "/api/records.csv",
                 "/api/report/daily", "/api/smoke", "/api/session", "/api/records/" + access(1)["recordId"]):
        r = await client.get(path)
        assert r.status == 200, path
        texts.append(await r.text())
    blob = "\n".join(texts)
    for secret in (SECRET_CAMERA_PW, SECRET_NVR_PW, "apiSecret-NEVER-SHOWN-42", "key-VISIBLE-NOT-0001",
                   "tok-SECRET-123456", "123456\""):
        assert secret not in blob, secret
    assert "rtsp://admin:***@127.0.0.1:8554/lane" in blob
    plat = json.loads(texts[2])
    assert plat["credentials"] == {"registered": True, "registered_at": "2026-11-01", "api_key_set": True,
                                   "api_secret_set": True}


async def test_records_json_shape_paging_and_csv(aiohttp_client, lane):
    with Outbox.from_config(lane) as box:
        fill(box, [access(i, hour=8 + i % 10, emission="6" if i % 2 else "5") for i in range(23)])
    client, _ = await _client(aiohttp_client, lane)
    await _login(client)
    r = await client.get("/api/records?page_size=10&page=3")
    got = await r.json()
    assert set(got) >= {"records", "total", "page"} and got["total"] == 23 and got["page"] == 3
    assert len(got["records"]) == 3
    rec = got["records"][0]
    assert {"recordId", "time", "plate", "result", "emissionStandard", "fuelType", "delivery", "thumb", "photo"} <= set(rec)
    assert rec["thumb"].startswith("/thumb/") and rec["emissionName"] in ("国五", "国六")
    r = await client.get("/api/records?emission=6&plate=A0001")
    got = await r.json()
    assert {x["plate"] for x in got["records"]} == {"云A00011", "云A00013", "云A00015", "云A00017", "云A00019"}
    r = await client.get("/api/records.csv?emission=6")
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in r.headers["Content-Disposition"]
    text = (await r.read()).decode("utf-8")
    assert text.startswith("\ufeff记录编号,时间,车牌号码")
    lines = text.strip().splitlines()
    assert len(lines) == 1 + 11 and all("国六" in line for line in lines[1:])
    assert "待上传" in lines[1] and "进厂" in lines[1]


async def test_record_detail_photos_thumbs_made_once(aiohttp_client, lane):
    with Outbox.from_config(lane) as box:
        fill(box, [access(7)])
    client, _ = await _client(aiohttp_client, lane)
    await _login(client)
    r = await client.get("/api/records/" + access(7)["recordId"])
    d = await r.json()
    assert d["kind"] == "access" and d["record"]["licensePlate"] == "云A00007"
    photo = d["media"]["carHeadImg"]
    r = await client.get(photo)
    assert r.status == 200 and (await r.read())[:2] == b"\xff\xd8" and "immutable" in r.headers["Cache-Control"]
    thumb = photo.replace("/media/", "/thumb/")
    r = await client.get(thumb)
    assert r.status == 200 and (await r.read())[:2] == b"\xff\xd8"
    state = lane.paths.state_dir
    made = list((os.path.join(state, "web", "thumbs", d, f) for d in os.listdir(os.path.join(state, "web", "thumbs"))
                 for f in os.listdir(os.path.join(state, "web", "thumbs", d))))
    assert len(made) == 1
    mtime = os.stat(made[0]).st_mtime_ns
    await client.get(thumb)
    assert os.stat(made[0]).st_mtime_ns == mtime          # made once
    for bad in ("/media/20261101/../../web_users.json", "/media/20261101/" + "z" * 64 + ".jpg",
                "/thumb/x/y.jpg", "/media/20261101/%2e%2e%2fweb_users.json"):
        r = await client.get(bad)
        assert r.status == 404, bad
    r = await client.get("/api/records/NOPE")
    assert r.status == 404


async def test_clips_are_served_as_stored_mp4_plays_and_an_avi_downloads(aiohttp_client, lane):
    state = lane.paths.state_dir
    mp4 = b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 40   # the bytes as stored: nothing decodes them
    avi = b"RIFF\x00\x10\x00\x00AVI LIST" + bytes(1000)
    with Outbox(state, ["yunnan"], routes={"smoke": []}) as box:
        fill(box, [access(1)])
        box.put({"recordId": "CLP1", "of": access(1)["recordId"], "clipOf": "passage", "from": "2026-11-01 08:00:00"},
                {"clip": (mp4, "mp4")}, kind="clip")
        box.put({"recordId": "SMK1", "licensePlate": "云A12345", "plateColor": "1", "smokeLevel": 3,
                 "eventTime": "2026-11-01 08:00:00.000"},
                {"smokeImg": (jpeg(1), "jpg"), "smokeClip": (avi, "avi")}, kind="smoke")
    client, _ = await _client(aiohttp_client, lane)
    await _login(client)
    d = await (await client.get("/api/records/" + access(1)["recordId"])).json()
    assert d["clip"].endswith(".mp4")
    r = await client.get(d["clip"])
    assert r.status == 200 and r.headers["Content-Type"] == "video/mp4" and await r.read() == mp4
    assert "Content-Disposition" not in r.headers
    r = await client.get(d["clip"], headers={"Range": "bytes=100-199"})   # the player seeks
    assert r.status == 206 and await r.read() == mp4[100:200]
    got = await (await client.get("/api/smoke")).json()
    ev = got["events"][0]
    assert got["total"] == 1 and ev["smokeLevel"] == 3 and ev["clip"].endswith(".avi") and ev["review"] is None
    r = await client.get(ev["clip"])
    assert r.status == 200 and r.headers["Content-Type"] == "video/x-msvideo" and await r.read() == avi
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert not Path(state, "web", "clips").exists()                   # nothing re-encoded, nothing cached
    r = await client.get("/clip/20261101/" + "0" * 64 + ".mp4")
    assert r.status == 404


async def test_smoke_review_is_the_lanes_own_record_and_an_event_with_who(aiohttp_client, lane):
    """复核确认 (Ningxia 4.5.2-8) through the page's API and the lane's real LaneControl: a
    "smoke_review" record beside the event (which stays as the camera made it), a
    smoke_review event naming the guard, and the page's smoke list showing the verdict."""
    from edge.lane.control import LaneControl
    from edge.lane.eventlog import EventLog
    from edge.lane.service import LaneService
    state = lane.paths.state_dir
    svc = LaneService(lane, None)
    svc.outbox, svc.eventlog = Outbox.from_config(lane), EventLog.open(state)
    try:
        svc.outbox.put({"recordId": "SMK1", "licensePlate": "云A12345", "plateColor": "2", "smokeLevel": 3,
                        "eventTime": "2026-11-01 08:00:00.000"}, {"smokeImg": (jpeg(1), "jpg")}, kind="smoke")
        client, _ = await _client(aiohttp_client, lane, LaneControl(svc))
        _, s = await _login(client)
        h = {"X-CSRF-Token": s["csrf"]}
        for body, word in (({"recordId": "SMK1", "verdict": "maybe"}, "verdict"),
                           ({"recordId": "SMK1", "verdict": "confirmed", "level": 9}, "level"),
                           ({"recordId": "NOPE", "verdict": "confirmed"}, "no smoke event")):
            r = await client.post("/api/smoke/review", json=body, headers=h)
            assert r.status == 400 and word in (await r.json())["error"]
        r = await client.post("/api/smoke/review", headers=h,
                              json={"recordId": "SMK1", "verdict": "confirmed", "level": 4, "note": "复看视频，黑度更深"})
        assert r.status == 200, await r.text()
        review = (await r.json())["result"]["review"]
        assert review["of"] == "SMK1" and review["smokeLevel"] == 4 and review["cameraLevel"] == 3
        assert svc.outbox.get("SMK1")["record"]["smokeLevel"] == 3          # the event as made
        assert svc.outbox.get(review["recordId"])["kind"] == "smoke_review"
        assert svc.outbox.get(review["recordId"])["deliveries"] == []       # kept locally, never sent
        ev = svc.eventlog.query(types=["smoke_review"])[-1]
        assert ev["who"] == "web:guard@127.0.0.1" and ev["recordId"] == "SMK1" and ev["verdict"] == "confirmed"
        got = await (await client.get("/api/smoke")).json()
        assert got["total"] == 1                                             # a review is not an event of its own
        assert got["events"][0]["review"]["verdict"] == "confirmed" and got["events"][0]["review"]["smokeLevel"] == 4
        d = await (await client.get("/api/records/SMK1")).json()
        assert d["review"]["who"] == "web:guard@127.0.0.1"
        r = await client.post("/api/smoke/review", headers=h, json={"recordId": "SMK1", "verdict": "rejected"})
        assert r.status == 200
        got = await (await client.get("/api/smoke")).json()
        assert got["events"][0]["review"]["verdict"] == "rejected"          # the newest review counts
    finally:
        svc.outbox.close()
        svc.eventlog.close()


async def test_daily_report_rate_95_line_and_missing_upload_alarm(aiohttp_client, lane):
    from datetime import datetime, timedelta

    from edge import timeutil
    today = datetime.now(timeutil.BEIJING)
    old = (today - timedelta(days=2)).strftime("%Y-%m-%d 08:00:00")
    with Outbox.from_config(lane, clock=lambda: (today - timedelta(days=2)).timestamp()) as box:
        recs = [dict(access(i), accessTime=old) for i in range(20)]
        fill(box, recs, photos=False)
        claims = box.claim("yunnan", 20, now_ms=int((today - timedelta(days=2)).timestamp() * 1000))
        box.mark_delivered([(c.id, "ok") for c in claims[:18]])
    client, _ = await _client(aiohttp_client, lane)
    await _login(client)
    r = await client.get("/api/report/daily?days=30")
    rep = await r.json()
    assert rep["required_rate"] == 0.95 and rep["destinations"] == ["yunnan"]
    day = (today - timedelta(days=2)).strftime("%Y%m%d")
    row = next(d for d in rep["days"] if d["day"] == day)
    assert row["destinations"]["yunnan"]["generated"] == 20 and row["destinations"]["yunnan"]["uploaded"] == 18
    assert row["destinations"]["yunnan"]["rate"] == 0.9
    assert rep["totals"]["yunnan"]["meets_requirement"] is False
    assert rep["overdue"]["count"] == 2 and "未上传" in rep["alarm"]
    assert len(rep["days"]) == 30


async def test_many_readers_share_one_status_request(aiohttp_client, lane):
    client, control = await _client(aiohttp_client, lane)
    await _login(client)
    rs = await asyncio.gather(*(client.get("/api/status") for _ in range(30)))
    assert all(r.status == 200 for r in rs)
    assert len([c for c in control.calls if c[0] == "status"]) <= 2


async def test_live_stream_sends_status_then_lane_events(aiohttp_client, lane):
    client, control = await _client(aiohttp_client, lane, background=True)
    await _login(client)
    async with client.get("/api/live") as r:
        assert r.status == 200 and r.headers["Content-Type"] == "text/event-stream"
        first = await _next_sse(r)
        assert first[0] == "status" and first[1]["gate"] == "A01"
        await asyncio.sleep(0.2)
        control.add_event("allow", plate="云A12345", reason="台账车辆，放行")
        while True:
            kind, data = await asyncio.wait_for(_next_sse(r), 30)
            if kind == "event":
                break
        assert data["plate"] == "云A12345" and data["type"] == "allow"


async def _next_sse(resp):
    kind, data = None, None
    while True:
        line = (await resp.content.readline()).decode().rstrip("\n")
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data = json.loads(line[6:])
        elif line == "" and kind:
            return kind, data


async def test_security_headers(aiohttp_client, lane):
    client, _ = await _client(aiohttp_client, lane)
    r = await client.get("/")
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    r = await client.get("/api/session")
    assert r.headers["Cache-Control"] == "no-store"


def test_page_fetches_nothing_from_outside_the_board():
    import re
    from edge.web.app import STATIC
    for f in STATIC.iterdir():
        text = f.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", text), f.name
        assert "cdn" not in text.lower(), f.name
        assert " style=\"" not in text, f.name        # CSP: no inline styles


async def test_a_status_the_lane_fails_to_build_does_not_say_the_lane_is_down(aiohttp_client, lane):
    client, control = await _client(aiohttp_client, lane)
    await _login(client)
    assert (await (await client.get("/api/status")).json())["gate"] == "A01"
    control.refuse["status"] = "internal error in status: concurrent poll() invocation"
    st = state_of(client)
    st.live.status_at = -1e9
    got = await (await client.get("/api/status")).json()
    assert "lane_down" not in got and got["gate"] == "A01"


def state_of(client):
    from edge.web.app import STATE
    return client.server.app[STATE]
