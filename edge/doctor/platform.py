"""The platform: reachable, registered, a token obtainable, the last heartbeat; the MQTT broker."""
from __future__ import annotations

import socket
import time
from datetime import datetime

from edge import timeutil
from edge.doctor import fail, ok, warn
from edge.doctor.clock import http_date, platform_url

FIX_NET = "check the network, DNS and firewall to the platform, and [uplink.yunnan] base_url"


def _tcp(host: str, port: int, timeout: float) -> str | None:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as e:
        return e.strerror or str(e)


def check_platform(env):
    out = []
    url = platform_url(env.config)
    if url is not None:
        d = env.extra.get("platform_probe") or http_date(url, env.timeout_s)
        env.extra["platform_probe"] = d
        if "error" in d:
            out.append(fail("platform", "%s unreachable: %s" % (url, d["error"]), FIX_NET))
        else:
            out.append(ok("platform", "%s answers (HTTP %s in %.0f ms)" % (url, d["status"],
                                                                          (d["received"] - d["sent"]) * 1000)))
    h = env.config.uplink.hj212
    if h is not None and "hj212" in env.config.uplink.destinations:
        err = _tcp(h.host, h.port, env.timeout_s)
        where = "HJ 212 %s:%d" % (h.host, h.port)
        out.append(fail("hj212", "%s unreachable: %s" % (where, err),
                        "check the network and [uplink.hj212] host/port") if err else ok("hj212", where + " accepts TCP"))
    return out or None


def check_registered(env):
    if platform_url(env.config) is None:
        return None
    from edge.errors import EdgeError
    from edge.uplink.yunnan import credentials
    try:
        creds = credentials.load_platform(env.config.state_dir)
    except EdgeError as e:
        return fail("registered", str(e), "register once: edge register (edge provision does)")
    if creds.enterprise_id and creds.enterprise_id != env.config.site.enterprise_id:
        return fail("registered", "registered as %s, the config says %s" % (creds.enterprise_id,
                                                                          env.config.site.enterprise_id),
                    "correct [site] enterprise_id, or register again with the operator's consent (edge register --force)")
    env.extra["registered"] = True
    return ok("registered", "apiKey %s, since %s" % (creds.api_key, creds.registered_at or "?"))


def check_token(env):
    if not env.extra.get("registered") or "error" in env.extra.get("platform_probe", {"error": 1}):
        return None
    from edge.commands._yunnan import run_client
    from edge.errors import EdgeError

    async def go(client):
        t = time.monotonic()
        await client.token(force=True, retry=False)
        return time.monotonic() - t
    try:
        dt = run_client(env.config, go)
    except EdgeError as e:
        return fail("token", str(e), "compare the keys with the platform operator; if the platform reset the "
                                     "registration: edge register --force")
    return ok("token", "getToken ok in %.0f ms" % (dt * 1000))


def _age_s(stamp: str | None) -> float | None:
    if not stamp:
        return None
    try:
        t = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timeutil.BEIJING)
    except ValueError:
        return None
    return (timeutil.now() - t).total_seconds()


def check_heartbeat(env):
    if platform_url(env.config) is None:
        return None
    lane = env.config.lane
    if not lane.site_duties:
        return ok("heartbeat", "not this lane's duty ([lane] site_duties = false)")
    if not env.lane_running:
        return warn("heartbeat", "the lane is not running: no heartbeat", "start the lane (systemctl start edge)")
    p = env.status.get("platform") or {}
    if p.get("registered") is False:
        return fail("heartbeat", "the lane's platform duties are off: not registered", "edge register, then "
                                                                                       "systemctl restart edge")
    age = _age_s(p.get("heartbeat_at"))
    limit = 2 * lane.heartbeat_interval_s + 60
    if age is None:
        if (env.status.get("uptime_s") or 0) < limit:
            return ok("heartbeat", "none yet (lane up %ss; every %.0f s)" % (env.status.get("uptime_s"),
                                                                            lane.heartbeat_interval_s))
        return fail("heartbeat", "no heartbeat since the lane started %ss ago" % env.status.get("uptime_s"),
                    "read `edge logs` for the heartbeat error; check the platform and token lines above")
    found = "last %s (%.0f s ago; every %.0f s)" % (p["heartbeat_at"], age, lane.heartbeat_interval_s)
    if age > limit:
        return fail("heartbeat", found, "read `edge logs` for the heartbeat error; check the platform lines above")
    return ok("heartbeat", found)


def check_mqtt(env):
    m = getattr(env.config, "mqtt", None)
    host = getattr(m, "host", None) if m is not None else None
    if not host:
        return ok("mqtt", "not configured (single lane)")
    port = int(getattr(m, "port", 1883) or 1883)
    err = _tcp(host, port, env.timeout_s)
    if err:
        return fail("mqtt", "broker %s:%d unreachable: %s" % (host, port, err),
                    "start mosquitto on the site's broker host, or correct [mqtt] host/port")
    return ok("mqtt", "broker %s:%d accepts TCP" % (host, port))
