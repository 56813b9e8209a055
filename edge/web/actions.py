"""Logging in, and the acts a logged-in guard may do — each one a lane control request.

The page checks only what is its own business (a session, the CSRF token, a JSON object);
what a lift needs, whether a plate is a plate, whether a cargo entry is still allowed — the
lane's LaneControl decides, exactly as for `edge lift` and `edge plate`, and its one-line
refusal is what the guard reads.
"""
from __future__ import annotations

import asyncio
import json
import logging

from aiohttp import web

from edge.web.app import COOKIE, SESSION, error, json_response, session_of, state
from edge.web.passwords import DEFAULT_USER, hash_password, load_users, verify_password

log = logging.getLogger(__name__)

# an always-failing hash, checked when the user is unknown: a wrong user name costs as long
# as a wrong password, so timing does not tell which user names exist
_DUMMY = hash_password("not-a-password-%d" % id(object()))

# page action -> (lane control op, the body keys passed on)
ACTIONS = {
    "lift": ("lift", ("reason",)),
    "plate": ("plate", ("plate", "color")),
    "register": ("register_vehicle", ("entry",)),
    "cargo": ("cargo", ("recordId", "cargoType", "cargoWeight", "cargoUnit")),
    "verify-exceed": ("verify_exceed", None),   # the 6.14 fields, as the form has them
    "smoke/review": ("smoke_review", ("recordId", "verdict", "level", "plate", "note")),
}


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/session", session_info)
    r.add_post("/api/login", login)
    r.add_post("/api/logout", logout)
    for path, (op, keys) in ACTIONS.items():
        r.add_post("/api/" + path, _action(op, keys))


async def _body(request) -> dict:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text=json.dumps({"error": "the body is not valid JSON"}),
                                 content_type="application/json") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text=json.dumps({"error": "the body must be a JSON object"}),
                                 content_type="application/json")
    return body


async def session_info(request):
    st = state(request)
    s = session_of(request)
    users = await asyncio.to_thread(load_users, st.state_dir)
    out = {"user": None, "public_read": st.settings.public_read, "password_set": bool(users),
           "gate": st.config.site.gate_id, "lane": st.config.site.lane_name,
           "enterprise": st.config.site.enterprise_name}
    if s is not None:
        out.update(user=s.user, csrf=s.csrf, expires_in_s=round(s.expires - st.sessions.clock()))
    return json_response(request, out)


async def login(request):
    st = state(request)
    address = request.remote or "unknown"
    wait = st.limiter.retry_after(address)
    if wait:
        log.warning("web: login from %s refused: too many wrong passwords", address)
        resp = error(request, 429, "密码错误次数过多，请 %d 秒后再试 (too many wrong passwords)" % (int(wait) + 1),
                     retry_after_s=int(wait) + 1)
        resp.headers["Retry-After"] = str(int(wait) + 1)
        return resp
    body = await _body(request)
    password = body.get("password")
    user = body.get("user") or DEFAULT_USER
    if not isinstance(password, str) or not isinstance(user, str):
        return error(request, 400, "password: required (text)")
    users = await asyncio.to_thread(load_users, st.state_dir)
    stored = users.get(user)
    ok = await asyncio.to_thread(verify_password, password, stored or _DUMMY)
    if not (ok and stored):
        st.limiter.failed(address)
        log.warning("web: wrong password for %r from %s", user, address)
        msg = "密码错误 (wrong user or password)" if users else \
            "未设置密码：请在板上运行 edge web passwd (no password set)"
        return error(request, 401, msg, password_set=bool(users))
    st.limiter.succeeded(address)
    s = st.sessions.create(user, address)
    log.info("web: %s logged in from %s", user, address)
    resp = json_response(request, {"user": user, "csrf": s.csrf, "expires_in_s": round(s.expires - s.created)})
    resp.set_cookie(COOKIE, s.token, httponly=True, samesite="Strict", path="/",
                    max_age=int(st.settings.session_hours * 3600))
    return resp


async def logout(request):
    st = state(request)
    st.sessions.end(request.cookies.get(COOKIE))
    resp = json_response(request, {"ok": True})
    resp.del_cookie(COOKIE, path="/")
    return resp


def _action(op: str, keys):
    async def handler(request):
        st = state(request)
        s = request[SESSION]  # access_control put it there (or answered 401)
        body = await _body(request)
        args = body if keys is None else {k: body[k] for k in keys if k in body}
        result = await st.control.call(op, args, s.who())
        log.info("web: %s by %s: %s", op, s.who(), json.dumps(args, ensure_ascii=False)[:200])
        if op == "cargo" and isinstance(args.get("recordId"), str):
            st.refresh_ids.add(args["recordId"])
        st.index_wake.set()
        st.live.status_at = -1e9  # the next status read asks the lane again
        return json_response(request, {"ok": True, "result": result})
    handler.__name__ = "action_" + op
    return handler
