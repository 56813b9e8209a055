"""Headless Chromium driven over the DevTools protocol (aiohttp's websocket client; no Node).

    async with Browser.launch(tmp_path) as b:
        page = await b.new_page(width=390, height=844, mobile=True)
        await page.goto(url)
        await page.wait_for("document.querySelector('#x') !== null")
        await page.screenshot(path)
        assert page.errors == []       # console errors, uncaught exceptions, failed loads

Chromium is Debian's /usr/bin/chromium (tools/dev installs it). `--remote-debugging-port=0`
lets it pick a free port, which it writes to DevToolsActivePort in its profile folder.
Plain `--screenshot` would capture at the load event, before the page's scripts fetch
anything (/work/shared/notes/references.md), hence the protocol.
"""
from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import shutil
import subprocess
from pathlib import Path

import aiohttp

from tools import procs

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
         "--autoplay-policy=no-user-gesture-required"]


def have_chromium() -> bool:
    return Path(CHROMIUM).exists()


class CDPError(RuntimeError):
    pass


class Page:
    def __init__(self, session: aiohttp.ClientSession, ws, target_id: str):
        self.session, self.ws, self.target_id = session, ws, target_id
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future] = {}
        self._events: dict[str, list] = {}
        self.errors: list[str] = []       # console.error, uncaught exceptions, failed loads
        self.console: list[str] = []      # every console message
        self.failure_dir = None           # where a timed-out wait leaves a screenshot
        self._reader = asyncio.create_task(self._read())

    async def _read(self):
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if "id" in data:
                fut = self._waiting.pop(data["id"], None)
                if fut and not fut.done():
                    if "error" in data:
                        fut.set_exception(CDPError(data["error"].get("message", str(data["error"]))))
                    else:
                        fut.set_result(data.get("result", {}))
                continue
            method, params = data.get("method"), data.get("params", {})
            self._on_event(method, params)
            for fut in self._events.pop(method, []):
                if not fut.done():
                    fut.set_result(params)

    def _on_event(self, method, params):
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            self.console.append("%s: %s" % (params.get("type"), text))
            if params.get("type") in ("error", "assert"):
                self.errors.append("console.%s: %s" % (params["type"], text))
        elif method == "Runtime.exceptionThrown":
            d = params.get("exceptionDetails", {})
            self.errors.append("exception: %s %s" % (d.get("text", ""), d.get("exception", {}).get("description", "")))
        elif method == "Log.entryAdded":
            e = params.get("entry", {})
            self.console.append("log %s: %s %s" % (e.get("level"), e.get("text"), e.get("url", "")))
            if e.get("level") == "error":
                self.errors.append("log: %s %s" % (e.get("text"), e.get("url", "")))

    async def send(self, method: str, params: dict | None = None, timeout: float = 30.0) -> dict:
        i = next(self._ids)
        fut = asyncio.get_running_loop().create_future()
        self._waiting[i] = fut
        await self.ws.send_str(json.dumps({"id": i, "method": method, "params": params or {}}))
        return await asyncio.wait_for(fut, timeout)

    def next_event(self, method: str) -> asyncio.Future:
        fut = asyncio.get_running_loop().create_future()
        self._events.setdefault(method, []).append(fut)
        return fut

    async def setup(self, width: int, height: int, mobile: bool) -> None:
        for domain in ("Page", "Runtime", "Log", "Network"):
            await self.send(domain + ".enable")
        await self.send("Emulation.setDeviceMetricsOverride",
                        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})

    async def goto(self, url: str, timeout: float = 60.0) -> None:
        loaded = self.next_event("Page.loadEventFired")
        await self.send("Page.navigate", {"url": url})
        await asyncio.wait_for(loaded, timeout)

    async def evaluate(self, expression: str, timeout: float = 30.0):
        r = await self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                 "returnByValue": True}, timeout)
        if "exceptionDetails" in r:
            raise CDPError("%s: %s" % (expression[:80], r["exceptionDetails"].get("exception", {}).get("description")))
        return r.get("result", {}).get("value")

    async def wait_for(self, condition: str, timeout: float = 60.0, what: str | None = None):
        """Poll the JS `condition` until it is truthy; returns its value."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            try:
                v = await self.evaluate(condition)
            except CDPError:
                v = None
            if v:
                return v
            if loop.time() > end:
                shot = ""
                if self.failure_dir is not None:  # what the page showed, for the CI log reader
                    try:
                        shot = " (screenshot %s)" % await self.screenshot(
                            Path(self.failure_dir) / ("failed-%d.png" % int(loop.time() * 1000)), full_page=False)
                    except Exception:
                        pass
                banner = await self.evaluate("(document.getElementById('banner') || {}).textContent || ''")
                raise AssertionError("timed out waiting for %s; page errors: %s; banner: %r%s"
                                     % (what or condition, self.errors, banner, shot))
            await asyncio.sleep(0.1)

    async def text(self, selector: str) -> str:
        return await self.evaluate("(document.querySelector(%s) || {}).textContent || ''" % json.dumps(selector))

    async def fill(self, selector: str, value: str) -> None:
        await self.evaluate("(() => { const e = document.querySelector(%s); e.value = %s; "
                            "e.dispatchEvent(new Event('input', {bubbles: true})); "
                            "e.dispatchEvent(new Event('change', {bubbles: true})); })()"
                            % (json.dumps(selector), json.dumps(value)))

    async def click(self, selector: str, timeout: float = 30.0) -> None:
        """A real mouse click at the element's centre (so it goes through the page like a guard's).
        Live updates can move the element between finding it and clicking: the point is taken
        only when the element is what is there, and checked again just before the press."""
        find = ("(() => { const e = document.querySelector(%s); if (!e) return null; "
                "e.scrollIntoView({block: 'center', behavior: 'instant'}); "
                "const r = e.getBoundingClientRect(); const x = r.x + r.width / 2, y = r.y + r.height / 2; "
                "const hit = document.elementFromPoint(x, y); return hit && e.contains(hit) ? [x, y] : null; })()"
                % json.dumps(selector))
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            box = await self.evaluate(find)
            if box and await self.evaluate("(() => { const h = document.elementFromPoint(%f, %f); "
                                           "return !!h && document.querySelector(%s).contains(h); })()"
                                           % (box[0], box[1], json.dumps(selector))):
                break
            if loop.time() > end:
                raise AssertionError("%s: not clickable (missing, hidden or covered) within %g s" % (selector, timeout))
            await asyncio.sleep(0.2)
        for kind in ("mousePressed", "mouseReleased"):
            await self.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1],
                                                         "button": "left", "clickCount": 1})

    async def click_for(self, selector: str, watch: str, tries: int = 3, settle_s: float = 5.0) -> None:
        """Click, and click again if the text of `watch` did not change within `settle_s`: a live
        update that re-renders the button between press and release swallows a click, as it
        would a guard's, who clicks again. A click that did land always changes `watch` at once
        (the form says 提交中…), so a second click never repeats an action."""
        before = await self.text(watch)
        for _ in range(tries):
            await self.click(selector)
            try:
                await self.wait_for("document.querySelector(%s).textContent !== %s" % (json.dumps(watch), json.dumps(before)),
                                    timeout=settle_s, what="%s to answer %s" % (watch, selector))
                return
            except AssertionError:
                continue
        raise AssertionError("%s: %d clicks, %s never changed" % (selector, tries, watch))

    async def screenshot(self, path: Path, full_page: bool = True) -> Path:
        params = {"format": "png"}
        await self.evaluate("window.scrollTo(0, 0)")  # a sticky header stays where it belongs
        if full_page:
            params["captureBeyondViewport"] = True
        r = await self.send("Page.captureScreenshot", params, timeout=60)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(r["data"]))
        return path

    async def close(self) -> None:
        self._reader.cancel()
        await self.ws.close()


class Browser:
    def __init__(self, proc, port: int, session: aiohttp.ClientSession, profile: Path):
        self.proc, self.port, self.session, self.profile = proc, port, session, profile
        self.pages: list[Page] = []

    @classmethod
    def launch(cls, tmp: Path):
        return _Launch(tmp)

    async def new_page(self, width: int = 1280, height: int = 900, mobile: bool = False) -> Page:
        async with self.session.put("http://127.0.0.1:%d/json/new?about:blank" % self.port) as r:
            target = await r.json()
        ws = await self.session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
        page = Page(self.session, ws, target["id"])
        await page.setup(width, height, mobile)
        self.pages.append(page)
        return page

    async def close(self):
        for p in self.pages:
            await p.close()
        await self.session.close()
        procs.stop(self.proc, grace_s=10)


class _Launch:
    def __init__(self, tmp: Path):
        self.tmp = Path(tmp)
        self.browser: Browser | None = None

    async def __aenter__(self) -> Browser:
        profile = self.tmp / "chromium-profile"
        profile.mkdir(parents=True, exist_ok=True)
        port_file = profile / "DevToolsActivePort"
        port_file.unlink(missing_ok=True)  # a previous run's port
        proc = subprocess.Popen([CHROMIUM, *FLAGS, "--user-data-dir=%s" % profile, "--remote-debugging-port=0",
                                 "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env={**os.environ, "LANG": "zh_CN.UTF-8"})
        loop = asyncio.get_running_loop()
        end = loop.time() + 60
        while not port_file.exists() or not port_file.read_text().strip():
            if proc.poll() is not None:
                raise RuntimeError("chromium exited: %s" % proc.stderr.read().decode(errors="replace")[-2000:])
            if loop.time() > end:
                proc.kill()
                raise RuntimeError("chromium did not open its DevTools port within 60 s")
            await asyncio.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        self.browser = Browser(proc, port, aiohttp.ClientSession(), profile)
        return self.browser

    async def __aexit__(self, *exc):
        if self.browser:
            await self.browser.close()
