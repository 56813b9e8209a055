"""The page's read-only views: the JSON behind each section of the page, and its files."""
from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from datetime import datetime

from aiohttp import web

from edge import timeutil
from edge.domain import codes
from edge.errors import EdgeError
from edge.store.media import MediaError
from edge.web.app import error, json_response, state

IMMUTABLE = {"Cache-Control": "private, max-age=31536000, immutable"}
MAX_SSE_CLIENTS = 100
REPORT_TTL_S = 15.0
HEALTH_TTL_S = 10.0


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/status", status)
    r.add_get("/api/live", live)
    r.add_get("/api/events", events)
    r.add_get("/api/records", records)
    r.add_get("/api/records.csv", records_csv)
    r.add_get("/api/records/{record_id}", record_detail)
    r.add_get("/api/report/daily", report_daily)
    r.add_get("/api/platform", platform)
    r.add_get("/api/health", health)
    r.add_get("/api/smoke", smoke)
    r.add_get("/api/codes", code_tables)
    r.add_get("/api/forms", forms)
    r.add_get("/media/{day}/{name}", media_file)
    r.add_get("/thumb/{day}/{name}", thumb_file)
    r.add_get("/clip/{day}/{name}", clip_file)


# ---------------------------------------------------------------- the lane now

async def status(request):
    return json_response(request, await state(request).live.current_status())


async def events(request):
    q = request.query
    args = {"limit": _int(q.get("limit"), 50, 1, 500, "limit"), "newest": q.get("newest", "1") != "0"}
    if q.get("after_id"):
        args["after_id"] = _int(q["after_id"], 0, 0, None, "after_id")
        args["newest"] = False
    if q.get("types"):
        args["types"] = q["types"]
    got = await state(request).control.call("events", args, "web")
    return json_response(request, {"events": got.get("events", [])})


async def live(request):
    """Server-sent events: the current status at once, then "status" when it changes and
    "event" for every lane event; a comment every 15 s keeps proxies and phones from idling out."""
    st = state(request)
    if st.sse_clients >= MAX_SSE_CLIENTS:
        return error(request, 503, "too many live pages open (%d)" % MAX_SSE_CLIENTS)
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                       "X-Accel-Buffering": "no"})
    await resp.prepare(request)
    sub = st.live.subscribe()
    st.sse_clients += 1
    red = st.redactor
    token = request.cookies.get("edge_session")
    try:
        await resp.write(_sse("status", red.dumps(await st.live.current_status(max_age_s=5.0))))
        for ev in st.live.events[-20:]:
            await resp.write(_sse("event", red.dumps(ev)))
        while True:
            try:
                kind, data = await asyncio.wait_for(sub.queue.get(), 15.0)
            except asyncio.TimeoutError:
                if not st.settings.public_read and st.sessions.get(token) is None:
                    await resp.write(_sse("logout", "{}"))
                    break
                await resp.write(b": ping\n\n")
                continue
            await resp.write(_sse(kind, red.dumps(data)))
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        st.live.unsubscribe(sub)
        st.sse_clients -= 1
    return resp


def _sse(kind: str, data: str) -> bytes:
    return ("event: %s\ndata: %s\n\n" % (kind, data)).encode("utf-8")


# ---------------------------------------------------------------- records

FILTERS = ("from", "to", "plate", "color", "emission", "fuel", "result", "delivery", "direction", "smoke_min")


def _query_of(request, section="records") -> dict:
    q = {k: request.query.get(k) for k in FILTERS if request.query.get(k)}
    q["section"] = section
    return q


def _int(value, default, lo, hi, name):
    if value in (None, ""):
        return default
    try:
        v = int(value)
    except ValueError:
        raise web.HTTPBadRequest(text=json.dumps({"error": "%s: a whole number" % name}),
                                 content_type="application/json") from None
    if v < lo or (hi is not None and v > hi):
        raise web.HTTPBadRequest(text=json.dumps({"error": "%s: between %s and %s" % (name, lo, hi)}),
                                 content_type="application/json")
    return v


def _url(prefix: str, ref) -> str | None:
    return "/%s/%s" % (prefix, ref) if ref else None


def _name(table: str, code) -> str:
    if code in (None, ""):
        return ""
    return codes.name_of(table, code) or str(code)


def record_view(row: dict) -> dict:
    return {
        "recordId": row["record_id"], "kind": row["kind"], "time": row["at"],
        "plate": row["plate"], "plateColor": row["color"], "plateColorName": _name("yunnan.plate_color", row["color"]),
        "direction": {"0": "in", "1": "out"}.get(row["direction"], ""),
        "result": row["result"], "reason": row["reason"], "cargo": row["cargo"],
        "emissionStandard": row["emission"], "emissionName": _name("yunnan.emission_standard", row["emission"]),
        "fuelType": row["fuel"], "fuelName": _name("yunnan.fuel_type", row["fuel"]),
        "smokeLevel": row["smoke"], "delivery": row["delivery"], "deliveries": row["deliveries"],
        "thumb": _url("thumb", row["photo"]), "photo": _url("media", row["photo"]), "clip": _url("clip", row["clip"]),
    }


async def _synced(st) -> None:
    """Index what the lane recorded since the follower's last pass (the newest passage shows)."""
    await asyncio.to_thread(st.index.sync, 500)


async def records(request, section: str = "records"):
    st = state(request)
    page = _int(request.query.get("page"), 1, 1, None, "page")
    size = _int(request.query.get("page_size"), st.settings.page_size, 1, 500, "page_size")
    q = _query_of(request, section)
    await _synced(st)
    got = await asyncio.to_thread(st.index.query, q, page, size)
    return json_response(request, {"records": [record_view(r) for r in got["rows"]], "total": got["total"],
                                   "page": got["page"], "pages": got["pages"], "page_size": size,
                                   "indexing": st.index.backlog})


CSV_COLUMNS = (("recordId", "记录编号"), ("time", "时间"), ("plate", "车牌号码"), ("plateColorName", "号牌颜色"),
               ("direction", "进出"), ("result", "结果"), ("reason", "原因"), ("emissionName", "排放标准"),
               ("fuelName", "燃料类型"), ("cargo", "货物"), ("smokeLevel", "林格曼黑度"), ("delivery", "上传状态"))
WORDS = {"in": "进厂", "out": "出厂", "allowed": "放行", "refused": "禁行", "manual": "人工放行",
         "delivered": "已上传", "pending": "待上传", "rejected": "被拒收", "local": "仅本地"}


async def records_csv(request):
    """The query's every match as CSV (UTF-8 with BOM: Excel opens it right), streamed."""
    st = state(request)
    q = _query_of(request, request.query.get("section") or "records")
    await _synced(st)
    await asyncio.to_thread(st.index.query, q, 1, 1)  # a bad filter answers 400 before streaming starts
    name = "records-%s.csv" % datetime.now(timeutil.BEIJING).strftime("%Y%m%d-%H%M%S")
    resp = web.StreamResponse(headers={"Content-Type": "text/csv; charset=utf-8",
                                       "Content-Disposition": 'attachment; filename="%s"' % name})
    await resp.prepare(request)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([label for _, label in CSV_COLUMNS])
    await resp.write(("\ufeff" + buf.getvalue()).encode("utf-8"))
    after = None
    while True:
        rows = await asyncio.to_thread(st.index.chunk, q, after, 1000)
        if not rows:
            break
        after = (rows[-1]["at"], rows[-1]["record_id"])
        buf = io.StringIO()
        w = csv.writer(buf)
        for r in rows:
            v = record_view(r)
            w.writerow([WORDS.get(v[k], v[k]) if v[k] is not None else "" for k, _ in CSV_COLUMNS])
        await resp.write(st.redactor.text(buf.getvalue()).encode("utf-8"))
    await resp.write_eof()
    return resp


async def record_detail(request):
    """One stored record as kept (photo fields as URLs), its deliveries, its clip."""
    st = state(request)
    rid = request.match_info["record_id"]
    try:
        got = await asyncio.to_thread(lambda: st.outbox().get(rid))
    except EdgeError:
        got = None
    if got is None:
        return error(request, 404, "no record %s" % rid)
    body = got["record"]
    from edge.web.records_index import _is_ref
    from edge.store.media import kind_of
    media = {k: ("/clip/" if kind_of(v) == "clip" else "/media/") + v for k, v in body.items() if _is_ref(v)}
    await _synced(st)  # a clip or review kept a moment ago
    clip = await asyncio.to_thread(st.index.clip_of, rid)
    review = (await asyncio.to_thread(_reviews, st, [rid])).get(rid) if got["kind"] == "smoke" else None
    age_h = (time.time() * 1000 - got["created_ms"]) / 3.6e6
    delivered = bool(got["deliveries"]) and all(d["state"] == "delivered" for d in got["deliveries"])
    return json_response(request, {
        "recordId": rid, "kind": got["kind"], "record": body, "media": media,
        "clip": _url("clip", clip), "deliveries": got["deliveries"], "review": review,
        "created": timeutil.fmt_datetime(datetime.fromtimestamp(got["created_ms"] / 1000, timeutil.BEIJING)),
        "cargo_editable": got["kind"] == "access" and age_h < 24 and not delivered,
    })


# ---------------------------------------------------------------- report, platform, health, smoke

async def report_daily(request):
    """HJ 1321 function 12: produced / delivered / rate per day (newest first), the 95 % line,
    and the missing-upload alarm, from the outbox itself (edge/store/stats.py)."""
    st = state(request)
    days = _int(request.query.get("days"), 30, 1, 400, "days")
    cached = st.report_cache
    if cached and cached[1]["days_asked"] == days and time.monotonic() - cached[0] < REPORT_TTL_S:
        return json_response(request, cached[1])
    report = await asyncio.to_thread(_daily_report, st, days)
    st.report_cache = (time.monotonic(), report)
    return json_response(request, report)


def _daily_report(st, days: int) -> dict:
    from edge.store import stats
    try:
        box = st.outbox()
    except EdgeError:
        return {"days_asked": days, "days": [], "totals": {}, "required_rate": stats.REQUIRED_RATE,
                "overdue": {"count": 0}, "alarm": None, "destinations": st.config.uplink.destinations}
    rows = stats.daily(box, days)
    hours = st.config.outbox.missing_upload_alarm_h
    overdue = box.overdue(hours)
    alarm = None
    if overdue["count"]:
        oldest = timeutil.fmt_datetime(datetime.fromtimestamp(overdue["oldest_ms"] / 1000, timeutil.BEIJING))
        overdue["oldest"] = oldest
        alarm = "%d 条记录超过 %g 小时未上传（最早 %s）" % (overdue["count"], hours, oldest)
    by_day: dict[str, dict] = {}
    for r in rows:
        d = by_day.setdefault(r["day"], {"day": r["day"], "destinations": {}})
        d["destinations"][r["destination"]] = {k: r[k] for k in ("generated", "uploaded", "rejected", "pending", "rate")}
    return {"days_asked": days, "days": [by_day[k] for k in sorted(by_day, reverse=True)],
            "totals": stats.summary(rows), "required_rate": stats.REQUIRED_RATE,
            "overdue": overdue, "alarm": alarm, "destinations": list(box.destinations),
            "generated_at": timeutil.fmt_datetime(timeutil.now())}


async def platform(request):
    st = state(request)
    status = await st.live.current_status(max_age_s=5.0)
    if "lane_down" in status:
        status = status.get("last") or {}
    info = await asyncio.to_thread(_platform_files, st)
    return json_response(request, {"link": status.get("platform") or {}, "cache": status.get("cache") or info.pop("cache", None),
                                   "site": status.get("site"), "role": status.get("role"), **info})


def _platform_files(st) -> dict:
    """What the platform link's files say (never their secrets): registered when, the cache's
    sizes and strategies in force when the lane's status does not carry them."""
    from edge.uplink.yunnan.credentials import platform_path
    out: dict = {"destinations": st.config.uplink.destinations}
    p = platform_path(st.state_dir)
    try:
        d = json.loads(p.read_text())
        out["credentials"] = {"registered": True, "registered_at": d.get("registeredAt") or "",
                              "api_key_set": bool(d.get("apiKey")), "api_secret_set": bool(d.get("apiSecret"))}
    except (OSError, ValueError):
        out["credentials"] = {"registered": False}
    from edge.store.platform_cache import PlatformCache
    path = st.state_dir / PlatformCache.FILENAME
    if path.is_file():
        cache = PlatformCache(path)
        try:
            out["cache"] = {**cache.counts(), "strategies_in_force": cache.active_strategies(timeutil.now()),
                            "pulls": cache.pull_state()}
        finally:
            cache.close()
    return out


async def health(request):
    st = state(request)
    cached = st.health_cache
    if not cached or time.monotonic() - cached[0] > HEALTH_TTL_S:
        from edge.web.health import board_health
        cached = (time.monotonic(), await asyncio.to_thread(board_health, st.state_dir))
        st.health_cache = cached
    status = await st.live.current_status(max_age_s=5.0)
    lane = status.get("last") if "lane_down" in status else status
    lane = lane or {}
    return json_response(request, {"board": cached[1], "lane_down": status.get("lane_down"),
                                   "cameras": lane.get("cameras"), "jobs": lane.get("jobs"),
                                   "restarts": lane.get("restarts"), "outbox": lane.get("outbox"),
                                   "board_profile": lane.get("board"), "uptime_s": lane.get("uptime_s")})


async def smoke(request):
    """Smoke events (Ningxia 4.5.2-7): plate, colour, place, time, Ringelmann level, photo, clip,
    and their review (4.5.2-8) as the lane recorded it."""
    st = state(request)
    page = _int(request.query.get("page"), 1, 1, None, "page")
    q = _query_of(request, "smoke")
    await _synced(st)
    got = await asyncio.to_thread(st.index.query, q, page, st.settings.page_size)
    rows = [record_view(r) for r in got["rows"]]
    reviews = await asyncio.to_thread(_reviews, st, [r["recordId"] for r in rows])
    for r in rows:
        r["review"] = reviews.get(r["recordId"])
    return json_response(request, {"events": rows, "total": got["total"], "page": got["page"],
                                   "pages": got["pages"]})


def _reviews(st, ids) -> dict:
    """Each smoke event's newest review as the lane recorded it (a "smoke_review" record)."""
    out = {}
    try:
        box = st.outbox()
    except EdgeError:
        return out
    for rid, review_id in st.index.reviews_of(ids).items():
        got = box.get(review_id)
        if got:
            out[rid] = {k: got["record"].get(k) for k in ("recordId", "verdict", "smokeLevel", "cameraLevel",
                                                          "licensePlate", "note", "who", "time")}
    return out


# ---------------------------------------------------------------- code tables and forms

CODE_TABLES = {"plate_color": "yunnan.plate_color", "emission_standard": "yunnan.emission_standard",
               "fuel_type": "yunnan.fuel_type", "cargo_unit": "yunnan.cargo_unit",
               "vehicle_type": "yunnan.vehicle_type", "use_type": "yunnan.use_type",
               "network_status": "yunnan.network_status", "vehicle_use": "yunnan.vehicle_use",
               "excess_verification": "yunnan.excess_verification"}


async def code_tables(request):
    return json_response(request, {k: [{"code": c, "name": n} for c, n in codes.table(t).items()]
                                   for k, t in CODE_TABLES.items()})


# fields the lane fills itself (ids, enterprise) are left out of the forms
FILLED_BY_LANE = ("vehicleId", "enterpriseId")


async def forms(request):
    """The registration and verification forms, built from the spec's own field lists
    (edge/domain/records.py), so the page cannot drift from what validation accepts."""
    from edge.domain import records as spec

    def fields(lst):
        out = []
        for f in lst:
            if f["name"] in FILLED_BY_LANE:
                continue
            item = {"name": f["name"], "label": f["label"], "required": f["required"], "type": f["type"]}
            if f.get("table"):
                item["options"] = [{"code": c, "name": n} for c, n in codes.table(f["table"]).items()]
            for k in ("max", "format"):
                if f.get(k):
                    item[k] = f[k]
            out.append(item)
        return out
    return json_response(request, {"vehicle": fields(spec.VEHICLE),
                                   "exceed_verification": fields(spec.EXCEED_VERIFICATION)})


# ---------------------------------------------------------------- files

def _ref(request) -> str:
    return "%s/%s" % (request.match_info["day"], request.match_info["name"])


async def media_file(request):
    st = state(request)
    try:
        path = st.media.path(_ref(request))
    except MediaError:
        raise web.HTTPNotFound()
    if not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers=IMMUTABLE)


async def thumb_file(request):
    st = state(request)
    try:
        path = await asyncio.to_thread(st.thumbs.get, _ref(request))
    except MediaError:
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={**IMMUTABLE, "Content-Type": "image/jpeg"})


async def clip_file(request):
    """The clip as stored (never re-encoded): MP4 plays in the page, an old MJPEG .avi is a
    download. FileResponse answers Range requests, which the browser's player seeks with."""
    from edge.web import clips
    ref = _ref(request)
    try:
        path = clips.clip_path(state(request).media, ref)
    except MediaError as e:
        return error(request, 404, str(e))
    headers = {**IMMUTABLE, "Content-Type": clips.content_type(ref)}
    if not clips.playable(ref):
        headers["Content-Disposition"] = 'attachment; filename="%s"' % path.name
    return web.FileResponse(path, headers=headers)
