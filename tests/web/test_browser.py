"""The status page in a real browser (headless Chromium) against a running simulated lane.

The lane is `tools/sim_lane.py` — the RTSP feed of rendered trucks, the Yunnan platform
simulator, provisioning, `edge run` — on free ports; its page is the one `edge run` starts.
Screenshots of every page go to var/test-artefacts/web/ (kept after the run, gitignored).
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.lane.rtsp import free_port, has_gstreamer
from tests.web.browser import Browser, have_chromium

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "var" / "test-artefacts" / "web"
sys.path.insert(0, str(ROOT))
from tools.sim_lane import SIM_WEB_PASSWORD  # noqa: E402

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not have_chromium(), reason="chromium not installed (bash tools/dev setup)"),
              pytest.mark.skipif(not has_gstreamer(), reason="GStreamer RTSP server not installed")]

LOGIN_VISIBLE = "!document.getElementById('page-login').classList.contains('hidden')"
LANE_VISIBLE = "!document.getElementById('page-lane').classList.contains('hidden')"


class SimLane:
    def __init__(self, folder: Path):
        self.folder = folder
        self.state = folder / "sim"
        self.config = self.state / "edge.toml"
        self.lane_state = self.state / "lane"
        self.proc = None
        self.url = None
        self.lines: list[str] = []
        self.scenario_done = threading.Event()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            if "the lane keeps running" in line:   # sim_lane drove its five vehicles
                self.scenario_done.set()

    def start(self):
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "tools" / "sim_lane.py"), "--seconds", "600",
                                      "--state", str(self.state), "--rtsp-port", str(free_port()),
                                      "--platform-port", str(free_port()), "--web-port", "0",
                                      "--cargo-hold", "3600"],   # records wait for a cargo entry (HJ 1321 fn 10)
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()
        address = self.lane_state / "web" / "address"
        end = time.time() + 240
        while time.time() < end:
            if address.is_file() and address.read_text().strip():
                self.url = address.read_text().strip()
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("sim lane exited: %s" % "".join(self.lines)[-3000:])
            time.sleep(0.3)
        raise RuntimeError("the status page did not come up within 240 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def edge(self, *args):
        return subprocess.run([sys.executable, "-m", "edge", "--config", str(self.config), *args],
                              capture_output=True, text=True, timeout=60)

    def status(self):
        r = self.edge("status", "--json")
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def wait_state(self, states, timeout=60):
        end = time.time() + timeout
        while True:
            st = self.status()
            if st.get("state") in states:
                return st
            assert time.time() < end, "the lane stayed %s, not %s" % (st.get("state"), states)
            time.sleep(0.3)

    def events(self, types=None):
        args = ["events", "--json"]
        if types:
            args += ["--type", types]
        r = self.edge(*args)
        assert r.returncode == 0, r.stderr
        return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def lane(tmp_path_factory):
    sim = SimLane(tmp_path_factory.mktemp("weblane")).start()
    yield sim
    sim.stop()


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 600))


async def _login(page, password=SIM_WEB_PASSWORD):
    await page.fill("#login-password", password)
    await page.click("#login-submit")


async def _logged_in(browser, lane):
    page = await browser.new_page()
    page.failure_dir = ARTEFACTS
    await page.goto(lane.url)
    await page.wait_for(LOGIN_VISIBLE, what="the login page")
    await _login(page)
    await page.wait_for(LANE_VISIBLE, what="the lane page after login")
    return page


def test_page_loads_without_errors_logs_in_and_shows_a_passage_live(lane, tmp_path):
    async def go():
        async with Browser.launch(tmp_path) as b:
            page = await b.new_page()
            await page.goto(lane.url)
            await page.wait_for(LOGIN_VISIBLE, what="the login page")
            await page.screenshot(ARTEFACTS / "login.png")
            await _login(page)
            await page.wait_for(LANE_VISIBLE, what="the lane page after login")
            await page.wait_for("document.getElementById('conn').className.includes('on')", what="the live stream")
            # a passage as it happens: the newest record changes on the page without a reload
            await page.wait_for("document.getElementById('last-photo').naturalWidth > 0", timeout=120,
                                what="the last vehicle's photo")
            first = await page.text("#last-photo-caption")
            await page.wait_for("document.getElementById('last-photo-caption').textContent !== %s" % json.dumps(first),
                                timeout=120, what="a new passage pushed live (was %s)" % first)
            await page.wait_for("document.getElementById('last-photo').complete", timeout=30)
            plate = await page.text("#decision-plate")
            assert plate and plate != "—"
            await page.screenshot(ARTEFACTS / "lane.png")
            assert page.errors == []
            phone = await b.new_page(width=390, height=844, mobile=True)
            await phone.goto(lane.url)  # the browser keeps the session cookie
            await phone.wait_for(LANE_VISIBLE)
            await phone.wait_for("document.getElementById('last-photo').naturalWidth > 0", timeout=60)
            await phone.screenshot(ARTEFACTS / "lane-phone.png")
            assert phone.errors == []
    run(go())


def test_every_page_renders_and_is_kept_as_a_screenshot(lane, tmp_path):
    async def go():
        async with Browser.launch(tmp_path) as b:
            page = await _logged_in(b, lane)
            checks = {
                "records": "document.querySelectorAll('#rec-list .rec img').length > 0 && "
                           "[...document.querySelectorAll('#rec-list img')].filter(i => i.getBoundingClientRect().top < innerHeight).every(i => i.complete && i.naturalWidth > 0)",
                "report": "document.querySelector('#report-chart svg rect') !== null && "
                          "document.querySelector('#report-chart .line95') !== null",
                "smoke": "document.getElementById('smoke-total').textContent.includes('共')",
                "ledger": "document.querySelectorAll('#register-fields label').length >= 10",
                "platform": "document.getElementById('platform-info').textContent.includes('已注册')",
                "health": "document.getElementById('health-info').textContent.includes('存储')",
            }
            for name, cond in checks.items():
                await page.evaluate("location.hash = '#%s'" % name)
                await page.wait_for(cond, timeout=120, what="the %s page" % name)
                await page.screenshot(ARTEFACTS / ("%s.png" % name))
            # the query: filter by a plate of the first card, then the record's detail
            await page.evaluate("location.hash = '#records'")
            await page.wait_for("[...document.querySelectorAll('#rec-list .rec .plate')].some(p => p.textContent.length > 5)",
                                timeout=120, what="a record with a read plate")
            plate = await page.evaluate("[...document.querySelectorAll('#rec-list .rec .plate')].map(p => p.textContent)"
                                        ".find(t => t.length > 5)")
            await page.fill("#query input[name=plate]", plate[-4:])
            await page.evaluate("document.querySelector('#query').requestSubmit()")
            await page.wait_for("document.querySelectorAll('#rec-list .rec').length > 0 && "
                                "[...document.querySelectorAll('#rec-list .rec .plate')].every(p => p.textContent.includes(%s))"
                                % json.dumps(plate[-4:]), timeout=120, what="the plate query's answer")
            await page.click("#rec-list .rec")
            await page.wait_for("document.getElementById('detail').open && "
                                "document.querySelector('#detail-body img') && document.querySelector('#detail-body img').naturalWidth > 0",
                                timeout=120, what="the record's detail with its photos")
            await page.screenshot(ARTEFACTS / "record-detail.png", full_page=False)
            assert page.errors == []
    run(go())


def test_manual_lift_and_plate_entry_appear_in_the_page_and_in_edge_events(lane, tmp_path):
    assert lane.scenario_done.wait(300), "sim_lane did not finish its vehicles: %s" % "".join(lane.lines)[-2000:]
    lane.wait_state(("idle",))

    async def go():
        async with Browser.launch(tmp_path) as b:
            page = await _logged_in(b, lane)
            await page.fill("#lift-reason", "送货车辆，浏览器测试")
            await page.click_for("#lift-submit", "#act-result")
            await page.wait_for("document.getElementById('act-result').textContent.includes('已人工抬杆')", timeout=60,
                                what="the lift's answer")
            await page.wait_for("[...document.querySelectorAll('#events li')].some(li => li.dataset.type === 'manual_lift'"
                                " && li.textContent.includes('浏览器测试'))", timeout=60, what="the lift on the page")
            # the lifted-for vehicle passes; then one whose plate the camera cannot read waits for the guard
            for active in ("on", "off"):
                assert lane.edge("sim", "loop", active).returncode == 0
                await asyncio.sleep(1.0)
            await asyncio.to_thread(lane.wait_state, ("idle",))
            assert lane.edge("sim", "loop", "on").returncode == 0
            await asyncio.to_thread(lane.wait_state, ("waiting_manual",))
            await page.wait_for("document.getElementById('waiting').textContent.includes('等待人工')", timeout=30,
                                what="the waiting vehicle on the page")
            await page.fill("#plate-input", "云A7B3C9")
            await page.click_for("#plate-submit", "#act-result")
            await page.wait_for("document.getElementById('act-result').textContent.includes('已录入')", timeout=60,
                                what="the plate entry's answer (%s)" % await page.text("#act-result"))
            await page.wait_for("[...document.querySelectorAll('#events li')].some(li => li.dataset.type === 'manual_entry'"
                                " && li.textContent.includes('云A7B3C9'))", timeout=60, what="the plate entry on the page")
            await page.screenshot(ARTEFACTS / "lane-after-actions.png")
            assert page.errors == []
    try:
        run(go())
    finally:
        lane.edge("sim", "loop", "off")
    lifts = [e for e in lane.events("manual_lift") if e.get("reason") == "送货车辆，浏览器测试"]
    assert lifts and "web:guard@127.0.0.1" in lifts[-1]["who"]
    entries = [e for e in lane.events("manual_entry") if e.get("plate") == "云A7B3C9"]
    assert entries and "web:guard@127.0.0.1" in entries[-1]["who"]


@contextlib.asynccontextmanager
async def _api_session(lane):
    """A logged-in HTTP client of the running lane's page (the JSON API a phone app would use)."""
    import aiohttp
    async with aiohttp.ClientSession(base_url=lane.url.rstrip("/"), cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        r = await http.post("/api/login", json={"password": SIM_WEB_PASSWORD})
        assert r.status == 200, await r.text()
        yield http, {"X-CSRF-Token": (await r.json())["csrf"]}


def test_exceed_verification_through_the_page_reaches_the_lane_and_the_platform(lane):
    """6.14 through the page's API against the running lane: the lane's own check refuses a bad
    row (its line is the answer), a good one goes to the platform and is an event naming the guard."""
    assert lane.scenario_done.wait(300)

    async def go():
        async with _api_session(lane) as (http, h):
            exceed = next(v for v in json.loads((lane.state / "vehicles.json").read_text(encoding="utf-8"))
                          if v["vin"] == "LSIM%013d" % 2)                                # the sim's exceed-list truck
            row = {"recordId": "EVSIM00001", "licensePlate": exceed["licensePlate"], "plateColor": exceed["plateColor"],
                   "vin": exceed["vin"], "excessVerifica": "1", "excessVerificadate": time.strftime("%Y%m%d")}
            r = await http.post("/api/verify-exceed", json={**row, "excessVerifica": "9"}, headers=h)
            assert r.status == 400 and "excessVerifica" in (await r.json())["error"]
            r = await http.post("/api/verify-exceed", json=row, headers=h)
            assert r.status == 200, await r.text()
    run(go())
    ver = [e for e in lane.events("action") if e.get("op") == "verify_exceed"]
    assert ver and ver[-1]["who"].endswith("(web:guard@127.0.0.1)")


def test_registering_a_vehicle_through_the_page_reaches_the_lanes_ledger(lane):
    assert lane.scenario_done.wait(300)
    from edge.commands.record import demo_vehicle
    from edge.config import parse
    from tests.web.records import jpeg
    ent = parse(lane.config.read_text(encoding="utf-8")).site.enterprise_id

    async def go():
        async with _api_session(lane) as (http, h):
            r = await http.post("/api/register", json={"entry": {"licensePlate": "云A9X8Y7"}}, headers=h)
            assert r.status == 400 and "vehicle entry" in (await r.json())["error"]     # the lane's own check
            entry = demo_vehicle(ent, 977, "云A9X8Y7", "blue", "LWEB0000000000977")
            for n, field in enumerate(("carImg1", "carImg2")):   # 随车清单 photos as the phone's camera sends them
                entry[field] = "data:image/jpeg;base64," + base64.b64encode(jpeg(n)).decode()
            r = await http.post("/api/register", json={"entry": entry}, headers=h)
            assert r.status == 200, await r.text()
            assert (await r.json())["result"]["plate"] == "云A9X8Y7"
    run(go())
    reg = [e for e in lane.events("register") if e.get("plate") == "云A9X8Y7"]
    assert reg and reg[-1]["who"].endswith("(web:guard@127.0.0.1)")


def test_cargo_entry_through_the_page_changes_the_held_record_and_releases_it(lane):
    """The sim lane holds its records an hour for the cargo entry ([lane] cargo_hold_s): the
    guard's entry through the page changes the lane's record, is an event naming the guard, and
    sends the record at once, with the cargo, to the platform."""
    assert lane.scenario_done.wait(300)

    async def go():
        async with _api_session(lane) as (http, h):
            got = await (await http.get("/api/records", params={"result": "allowed", "delivery": "pending"})).json()
            assert got["records"], "no held access record: [lane] cargo_hold_s did not hold"
            rid = got["records"][0]["recordId"]
            d = await (await http.get("/api/records/" + rid)).json()
            assert d["cargo_editable"] and all(x["state"] == "pending" for x in d["deliveries"])
            r = await http.post("/api/cargo", json={"recordId": rid, "cargoType": "钢材", "cargoWeight": "28.5",
                                                   "cargoUnit": "T"}, headers=h)
            assert r.status == 200, await r.text()
            d = await (await http.get("/api/records/" + rid)).json()
            assert d["record"]["cargoType"] == "钢材" and d["record"]["cargoWeight"] == "28.5"
            for _ in range(120):                      # released: the uploader sends it now, not in an hour
                d = await (await http.get("/api/records/" + rid)).json()
                if d["deliveries"] and all(x["state"] == "delivered" for x in d["deliveries"]):
                    break
                await asyncio.sleep(0.5)
            assert all(x["state"] == "delivered" for x in d["deliveries"]), d["deliveries"]
            assert not d["cargo_editable"]
            r = await http.post("/api/cargo", json={"recordId": rid, "cargoType": "煤炭"}, headers=h)
            assert r.status == 400 and "delivered" in (await r.json())["error"]   # sent: the lane says so
            return rid
    rid = run(go())
    ev = [e for e in lane.events("cargo") if e.get("recordId") == rid]
    assert ev and ev[-1]["cargoType"] == "钢材" and ev[-1]["who"].endswith("(web:guard@127.0.0.1)")


def test_sixth_wrong_password_is_429_and_acting_without_a_session_is_refused(lane, tmp_path):
    async def go():
        async with Browser.launch(tmp_path) as b:
            page = await b.new_page()
            await page.goto(lane.url)
            await page.wait_for(LOGIN_VISIBLE)
            status = await page.evaluate("fetch('/api/lift', {method: 'POST', headers: {'Content-Type': 'application/json'},"
                                         " body: JSON.stringify({reason: 'no session'})}).then(r => r.status)")
            assert status == 401
            for i in range(5):
                await _login(page, "wrong-password-%d" % i)
                await page.wait_for("document.getElementById('login-error').textContent.includes('密码错误')")
                await page.evaluate("document.getElementById('login-error').textContent = ''")
            await _login(page, SIM_WEB_PASSWORD)
            await page.wait_for("document.getElementById('login-error').textContent.includes('过多')",
                                what="the 429 message")
            await page.screenshot(ARTEFACTS / "login-429.png")
            status = await page.evaluate("fetch('/api/login', {method: 'POST', headers: {'Content-Type': 'application/json'},"
                                         " body: JSON.stringify({password: 'x'})}).then(r => r.status)")
            assert status == 429
    run(go())
    assert not [e for e in lane.events("manual_lift") if e.get("reason") == "no session"]


def _h264_clip(path: Path) -> bytes:
    """A short H.264 MP4 like the camera's stream copy, made by GStreamer's x264enc."""
    subprocess.run(["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=30", "!",
                    "video/x-raw,width=320,height=240,framerate=10/1", "!", "x264enc", "!", "h264parse", "!",
                    "mp4mux", "!", "filesink", "location=%s" % path], check=True, timeout=60)
    return path.read_bytes()


@pytest.mark.skipif(shutil.which("gst-launch-1.0") is None, reason="gstreamer1.0-tools not installed")
def test_clips_play_in_the_browser_and_site_peers_show(tmp_path):
    """A passage's and a smoke event's H.264 MP4 clips decode in the page as stored; an old
    MJPEG .avi smoke clip is offered as a download. The lane page shows the site's lanes when
    MQTT is on (the status shape of edge/site's SiteNode.status())."""
    from aiohttp.test_utils import TestServer

    from edge.store.outbox import Outbox
    from edge.web.app import create_app
    from edge.web.passwords import set_password
    from tests.web.helpers import FakeControl, lane_config
    from tests.web.records import access, fill, jpeg
    config, _ = lane_config(tmp_path)
    set_password(config.paths.state_dir, "guard", SIM_WEB_PASSWORD)
    mp4 = _h264_clip(tmp_path / "c.mp4")
    with Outbox.from_config(config) as box:
        fill(box, [access(1)])
        box.put({"recordId": "CLP1", "of": access(1)["recordId"], "clipOf": "passage", "from": "2026-11-01 08:00:00"},
                {"clip": (mp4, "mp4")}, kind="clip")
        box.put({"recordId": "SMK1", "licensePlate": "云A00001", "plateColor": "1", "smokeLevel": 3,
                 "eventTime": "2026-11-01 08:00:05.000"},
                {"smokeImg": (jpeg(2), "jpg"), "smokeClip": (mp4[:-1] + b"\x01", "mp4")}, kind="smoke")
        box.put({"recordId": "SMK2", "licensePlate": "云A00002", "plateColor": "1", "smokeLevel": 2,
                 "eventTime": "2026-11-01 08:01:05.000"},
                {"smokeImg": (jpeg(3), "jpg"), "smokeClip": (b"RIFF\x00\x01\x00\x00AVI " + bytes(64), "avi")},
                kind="smoke")

    control = FakeControl()
    control.status["role"] = "follower"
    control.status["site"] = {"url": "mqtt://127.0.0.1:1883", "connected": True, "role": "follower", "leader": "A02",
                              "cache": {"stale": False, "age_s": 12, "why": None},
                              "lanes": [{"gate": "A02", "online": True, "role": "leader", "last_seen": "2026-11-01 08:00:01"},
                                        {"gate": "B01", "online": False, "role": "follower", "last_seen": "2026-11-01 07:40:00"}]}

    async def go():
        server = TestServer(create_app(config, control), host="127.0.0.1")
        await server.start_server()
        try:
            async with Browser.launch(tmp_path) as b:
                page = await _logged_in(b, SimpleNamespace(url="http://127.0.0.1:%d/" % server.port))
                await page.wait_for("(document.querySelector('#site-lanes li[data-gate=B01]') || {}).textContent?.includes('离线') && "
                                    "document.getElementById('site-peers').textContent.includes('主车道：A02')",
                                    timeout=60, what="the site's lanes on the lane page")
                await page.screenshot(ARTEFACTS / "lane-site.png")
                for rid, shot in ((access(1)["recordId"], "record-clip.png"), ("SMK1", "smoke-clip.png")):
                    await page.evaluate("openDetail(%s)" % json.dumps(rid))
                    await page.wait_for("document.querySelector('#detail-body video') && "
                                        "document.querySelector('#detail-body video').readyState >= 2 && "
                                        "document.querySelector('#detail-body video').videoWidth > 0", timeout=60,
                                        what="the clip of %s decoded in the page" % rid)
                    src = await page.evaluate("document.querySelector('#detail-body video').currentSrc")
                    assert src.endswith(".mp4") and "?" not in src   # the stored file itself
                    await page.screenshot(ARTEFACTS / shot, full_page=False)
                    await page.evaluate("document.getElementById('detail').close()")
                await page.evaluate("openDetail('SMK2')")
                await page.wait_for("document.querySelector('#detail-body .clip-download a[download]') !== null",
                                    timeout=60, what="the .avi clip's download link")
                assert await page.evaluate("document.querySelector('#detail-body video')") is None
                assert page.errors == []
        finally:
            await server.close()
    run(go())
