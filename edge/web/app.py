"""The status page's aiohttp application: `create_app(config, control)`.

    GET  /                      the page (static; it shows the login when reading needs one)
    GET  /api/session           who is logged in, the CSRF token, whether a password is set
    POST /api/login  /api/logout
    GET  /api/status            the lane now (LaneControl "status", secrets scrubbed)
    GET  /api/live              server-sent events: "status" and "event" messages
    GET  /api/events            the lane's recent events
    GET  /api/records[.csv]     the HJ 1321 multi-condition query; /api/records/{id} one record
    GET  /api/report/daily      transmission rate per day, the 95 % line, the missing-upload alarm
    GET  /api/platform /api/health /api/smoke /api/codes /api/forms
    GET  /media/… /thumb/… /clip/…   photos, thumbnails, clips (content-addressed: cached for good)
    POST /api/lift /api/plate /api/register /api/cargo /api/verify-exceed /api/smoke/review

Reading needs a session unless `[web] public_read`; acting always needs one, sends the
session's CSRF token in X-CSRF-Token and a JSON body. Every act is `control.call(op, args,
who)` — the lane's one implementation — with who = "web:<user>@<address>".
"""
from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

from aiohttp import web

from edge.errors import EdgeError
from edge.web.redact import Redactor, config_secrets, platform_secrets
from edge.web.sessions import LoginLimiter, Sessions

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
COOKIE = "edge_session"

# reachable without a session even when reading needs one (the login page and its assets)
OPEN_PATHS = ("/", "/index.html", "/api/session", "/api/login", "/api/logout", "/favicon.ico")

CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; "
       "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")

STATE = web.AppKey("state", object)
SESSION = web.RequestKey("session", object)


class WebState:
    """What the handlers share (one per app)."""

    def __init__(self, config, control, settings, state_dir: Path):
        from edge.store.media import MediaStore
        from edge.store.outbox import MEDIA_DIR
        from edge.web.records_index import RecordsIndex
        from edge.web.thumbs import Thumbs
        from edge.web.live import LiveFeed
        self.config, self.control, self.settings, self.state_dir = config, control, settings, state_dir
        self.sessions = Sessions(settings.session_hours * 3600, settings.idle_minutes * 60)
        self.limiter = LoginLimiter(settings.login_attempts_per_minute)
        self.redactor = Redactor(config_secrets(config) | platform_secrets(state_dir))
        self.index = RecordsIndex.for_state_dir(state_dir, config.uplink.destinations)
        media = MediaStore(state_dir / MEDIA_DIR)
        self.media = media
        self.thumbs = Thumbs(media, state_dir / "web" / "thumbs", settings.thumb_width)
        self.live = LiveFeed(control, on_event=self._on_event)
        self._outbox = None
        self.report_cache: tuple[float, dict] | None = None
        self.health_cache: tuple[float, dict] | None = None
        self.tasks: list[asyncio.Task] = []
        self.sse_clients = 0
        self.index_wake = asyncio.Event()
        self.refresh_ids: set[str] = set()
        self.refresh_plates: set[str] = set()

    def outbox(self):
        """The lane's outbox, opened for reading once it exists (the lane creates it)."""
        if self._outbox is None:
            from edge.store.outbox import DB_NAME, Outbox
            if not (self.state_dir / DB_NAME).is_file():
                raise EdgeError("no records yet: the lane has not created its outbox")
            self._outbox = Outbox.from_config(self.config)
        return self._outbox

    def _on_event(self, ev: dict) -> None:
        """Lane events that change what the records index holds."""
        t = ev.get("type")
        rid = ev.get("recordId") or ev.get("record_id")
        if t in ("cargo", "action", "smoke") and isinstance(rid, str):
            self.refresh_ids.add(rid)
        if t == "register" and ev.get("plate"):
            self.refresh_plates.add(ev["plate"])
        self.index_wake.set()

    def close(self):
        self.index.close()
        if self._outbox is not None:
            self._outbox.close()


# ---------------------------------------------------------------- helpers for handlers

def state(request) -> WebState:
    return request.app[STATE]


def json_response(request, obj, status: int = 200, headers=None) -> web.Response:
    """Every JSON answer goes through the redactor."""
    return web.Response(text=state(request).redactor.dumps(obj), status=status,
                        content_type="application/json", headers=headers)


def error(request, status: int, message: str, **extra) -> web.Response:
    return json_response(request, {"error": message, **extra}, status=status)


def session_of(request):
    return state(request).sessions.get(request.cookies.get(COOKIE))


# ---------------------------------------------------------------- middlewares

@web.middleware
async def security_headers(request, handler):
    try:
        resp = await handler(request)
    except web.HTTPException as e:
        resp = e
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "no-referrer")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith("/api/"):
        resp.headers.setdefault("Cache-Control", "no-store")
    if isinstance(resp, web.HTTPException):
        raise resp
    return resp


@web.middleware
async def access_control(request, handler):
    """Reading: a session, or public_read. Acting (POST): a session + CSRF + a JSON body."""
    st = state(request)
    path = request.path
    if request.method == "POST":
        if path == "/api/login":
            return await handler(request)
        if path != "/api/logout":
            if request.content_type != "application/json":
                return error(request, 415, "send a JSON body (Content-Type: application/json)")
            s = session_of(request)
            if s is None:
                return error(request, 401, "请先登录 (log in first)", login=True)
            if not s.csrf_ok(request.headers.get("X-CSRF-Token")):
                return error(request, 403, "CSRF token missing or wrong: reload the page and try again")
            request[SESSION] = s
        return await handler(request)
    if path in OPEN_PATHS or path.startswith("/static/"):
        return await handler(request)
    s = session_of(request)
    if s is None and not st.settings.public_read:
        return error(request, 401, "请先登录 (log in first)", login=True)
    request[SESSION] = s
    return await handler(request)


@web.middleware
async def one_line_errors(request, handler):
    """A fault in a handler answers one line, never a traceback; the lane is unaffected."""
    from edge.web.lane_link import LaneDown, Refused
    from edge.web.records_index import QueryError
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except QueryError as e:
        return error(request, 400, str(e))
    except LaneDown as e:
        return error(request, 503, "车道程序未运行或无响应：%s" % e, lane_down=True)
    except Refused as e:
        return error(request, 400, str(e))
    except EdgeError as e:  # an in-process LaneControl's ControlError, a missing file
        return error(request, 400, str(e).splitlines()[0])
    except Exception as e:
        log.exception("web: %s %s failed", request.method, request.path)
        return error(request, 500, "internal error: %s" % type(e).__name__)


# ---------------------------------------------------------------- the app

def create_app(config, control, *, state_dir=None, settings=None, background: bool = True) -> web.Application:
    """The page for the lane of `config`, acting through `control` (anything with
    `async call(op, args, who) -> dict`: the socket client in production, an in-process
    LaneControl in benchmarks, a fake in unit tests)."""
    from edge.web import actions, views
    settings = settings or config.web
    state_dir = Path(state_dir or config.paths.state_dir)
    app = web.Application(middlewares=[security_headers, one_line_errors, access_control],
                          client_max_size=8 << 20)  # a phone photo of the 随车清单 as a data URL
    st = WebState(config, control, settings, state_dir)
    app[STATE] = st
    views.add_routes(app)
    actions.add_routes(app)
    app.router.add_get("/", _index)
    app.router.add_get("/index.html", _index)
    app.router.add_static("/static/", STATIC, append_version=False)

    async def start(app):
        if background:
            from edge.web.follower import follow_records
            st.tasks.append(asyncio.create_task(st.live.run(), name="web-live"))
            st.tasks.append(asyncio.create_task(follow_records(st), name="web-index"))

    async def stop(app):
        for t in st.tasks:
            t.cancel()
        await asyncio.gather(*st.tasks, return_exceptions=True)
        st.close()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    return app


async def _index(request):
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)
