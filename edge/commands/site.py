"""edge site [--json] | edge site command GATE OP [ARGS_JSON]

`edge site` asks the site broker ([mqtt] of this config) what every lane last said — online,
role, when it was last seen, its cache version — and which vehicles are inside the site
(paired entries and exits across lanes, with the flags of unpaired ones). It works whether or
not this board's lane is running.

`edge site command` sends one signed command to a lane (lift, display, say, reload, status)
and prints its answer: the operator's tool. It signs with [mqtt] command_key_file (or
--key-file) as client --client (default "operator"); with the example ACL only the operator
broker account may publish commands (--username/--password-file override [mqtt]'s).
"""
from __future__ import annotations

import asyncio
import json
import time

from edge.errors import EdgeError


def add_arguments(p):
    p.add_argument("--json", action="store_true", help="one JSON object: lanes, inside, flags, leader")
    p.add_argument("--wait", type=float, default=5.0, metavar="S", help="how long to wait for the broker")
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    c = sub.add_parser("command", help="send a signed command to a lane (lift, display, say, reload, status)")
    c.add_argument("gate", help="the lane's gate id, e.g. A02")
    c.add_argument("op", help="lift | display | say | reload | status")
    c.add_argument("args", nargs="?", default="{}", help='the arguments as JSON, e.g. \'{"reason": "消防车"}\'')
    c.add_argument("--client", default="operator", help="the client name the lane must know (default operator)")
    c.add_argument("--key-file", help="the command key (default: [mqtt] command_key_file)")
    c.add_argument("--username", help="broker user (default: [mqtt] username)")
    c.add_argument("--password-file", help="broker password file (default: [mqtt] password_file)")
    c.add_argument("--timeout", type=float, default=15.0, metavar="S")


def _link(config, topics, on_message, *, username=None, password_file=None):
    from edge.site.mqtt import MqttLink, read_password
    m = config.mqtt
    if not m.url:
        raise EdgeError("[mqtt] url is empty: this is a single-lane site (no broker to ask)")
    import os
    return MqttLink(m.url, client_id="edge-cli-%s-%d" % (config.site.gate_id, os.getpid()),
                    username=username if username is not None else m.username,
                    password=read_password(password_file if password_file is not None else m.password_file),
                    ca_file=m.ca_file, keepalive=10, subscriptions=[(t, 1) for t in topics],
                    on_message=on_message)


async def _connected(link, wait: float) -> None:
    deadline = time.monotonic() + wait
    while not link.connected:
        if time.monotonic() > deadline:
            raise EdgeError("cannot reach the site broker at %s within %.0f s (%s)"
                            % (link.url, wait, link.last_error or "no answer"))
        await asyncio.sleep(0.05)


def gather_site(config, wait: float = 5.0) -> dict:
    """What the broker holds about the site: {"lanes", "inside", "flags", "leader"}."""
    from edge.site import codec
    from edge.site.topics import Topics
    t = Topics(config.site.enterprise_id, config.site.gate_id)
    got: dict = {"lanes": {}, "inside": None, "leader": None}
    last = [time.monotonic()]

    def on_message(topic, payload, retained):
        last[0] = time.monotonic()
        parts = t.parse(topic)
        try:
            obj = codec.unpack(payload)
        except ValueError:
            return
        if parts and parts[0] == "lane" and len(parts) == 3 and parts[2] in ("online", "state"):
            got["lanes"].setdefault(parts[1], {})[parts[2]] = obj
        elif parts == ["site", "inside"]:
            got["inside"] = obj
        elif parts == ["leader"]:
            got["leader"] = obj

    async def main():
        link = _link(config, [t.lane("online", "+"), t.lane("state", "+"), t.site("inside"), t.leader], on_message)
        link.start()
        try:
            await _connected(link, wait)
            last[0] = time.monotonic()
            # retained messages follow the SUBACK at once: done when the broker falls quiet
            while time.monotonic() - last[0] < 0.4:
                await asyncio.sleep(0.05)
        finally:
            await link.close()
    asyncio.run(main())
    lanes = []
    for g in sorted(got["lanes"]):
        d = got["lanes"][g]
        st = d.get("state") or {}
        online = d.get("online") or {}
        lanes.append({"gate": g, "online": bool(online.get("online")), "role": st.get("role"),
                      "last_seen": st.get("at"), "cache_version": st.get("cache_version"),
                      "cache_stale": (st.get("cache") or {}).get("stale"), "health": st.get("health")})
    inside = got["inside"] or {}
    leader = got["leader"] or {}
    return {"lanes": lanes, "inside": inside.get("inside") or [], "flags": inside.get("flags") or [],
            "leader": {"gate": leader.get("gate"), "term": leader.get("term"), "op": leader.get("op"),
                       "at": leader.get("at")} if leader else None}


def run(args, ctx):
    config = ctx.config
    if args.action == "command":
        return _command(args, config)
    site = gather_site(config, args.wait)
    if args.json:
        print(json.dumps(site, ensure_ascii=False))
        return 0
    ld = site["leader"] or {}
    state = ("leader %s (term %s)" % (ld["gate"], ld["term"]) if ld.get("gate") and ld.get("op") != "release"
             else "no leader")
    print("site %s: %s" % (config.site.enterprise_id, state))
    print("%-5s %-7s %-9s %-20s %s" % ("lane", "online", "role", "last seen", "cache version"))
    for x in site["lanes"]:
        print("%-5s %-7s %-9s %-20s %s%s" % (x["gate"], "yes" if x["online"] else "NO", x["role"] or "-",
                                            x["last_seen"] or "-", x["cache_version"],
                                            " (stale)" if x.get("cache_stale") else ""))
    print("inside the site: %d" % len(site["inside"]))
    for v in site["inside"]:
        print("  %s since %s (in at %s)" % (v["plate"], v["since"], v["gate"]))
    for f in site["flags"][-10:]:
        what = {"exit_without_entry": "left without having entered",
                "entered_twice": "entered again without leaving"}.get(f["kind"], f["kind"])
        print("  FLAG %s %s at %s: %s" % (f["time"], f["plate"], f["gate"], what))
    return 0


def _command(args, config):
    from edge.site import codec
    from edge.site.command_auth import make, read_key
    from edge.site.topics import Topics
    try:
        cmd_args = json.loads(args.args)
    except ValueError:
        raise EdgeError("ARGS_JSON: not valid JSON: %s" % args.args) from None
    if not isinstance(cmd_args, dict):
        raise EdgeError("ARGS_JSON: must be a JSON object")
    key_file = args.key_file or config.mqtt.command_key_file
    if not key_file:
        raise EdgeError("no command key: --key-file F or [mqtt] command_key_file")
    key = read_key(key_file)
    t = Topics(config.site.enterprise_id, args.gate)
    cmd = make(key, args.client, args.gate, args.op, cmd_args)
    answer: dict = {}
    got = None

    def on_message(topic, payload, retained):
        try:
            obj = codec.unpack(payload)
        except ValueError:
            return
        if isinstance(obj, dict) and obj.get("id") == cmd["id"]:
            answer.update(obj)
            got.set()

    async def main():
        nonlocal got
        got = asyncio.Event()
        link = _link(config, [t.lane("reply", args.gate)], on_message, username=args.username,
                     password_file=args.password_file)
        link.start()
        try:
            await _connected(link, 5.0)
            await asyncio.sleep(0.2)          # the reply subscription is in place
            await link.publish_wait(t.cmd(args.gate), codec.dumps(cmd))
            try:
                await asyncio.wait_for(got.wait(), args.timeout)
            except asyncio.TimeoutError:
                raise EdgeError("lane %s did not answer within %.0f s (is it running and connected? the broker's "
                                "ACL may refuse commands from this account)" % (args.gate, args.timeout)) from None
        finally:
            await link.close()
    asyncio.run(main())
    if not answer.get("ok"):
        raise EdgeError("lane %s refused %s: %s" % (args.gate, args.op, answer.get("error")))
    print(json.dumps(answer.get("result"), ensure_ascii=False))
    return 0
