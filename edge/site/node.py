"""The lane's part in its site: `edge run`'s "site" job when [mqtt] url is set.

    SiteNode.from_service(service) -> SiteNode | None (None: a single-lane site)
    node.run(stop)                     the job: broker link, election, state, events, caches
    node.while_leader(name, job)       a duty job that runs only while this lane may do the
                                       site duties, and is cancelled the moment it may not
    node.role / node.cache_version / node.status() / node.stale_line()

What goes over the broker is in edge/site/topics.py; the election in election.py; the cache
distribution in replication.py; vehicles inside the site in inside.py; command checks in
command_auth.py. This module wires them to the lane: commands go through the lane's one
LaneControl, events come from the lane's durable event log (a cursor file says how far the
broker has acknowledged them: after an outage the rest is sent again), and what the
decision reads stays in the lane's own SQLite stores.
"""
from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from edge import timeutil
from edge.site import codec
from edge.site.command_auth import Verifier, read_key
from edge.site.election import CANDIDATE, LEADER, SOLO, Election, RENEW
from edge.site.inside import Inside, passage_of
from edge.site.mqtt import MqttLink, NotConnected, read_password
from edge.site.topics import Topics
from edge.store.atomic import write_atomic

log = logging.getLogger("edge.site")

STATE_EVERY_S = 10.0
EVENT_BATCH = 200


class SiteNode:
    def __init__(self, service):
        self.svc = service
        self.config = service.config
        m = self.config.mqtt
        self.settings = m
        self.gate = self.config.site.gate_id
        self.topics = Topics(self.config.site.enterprise_id, self.gate)
        self.lease_s = float(m.leader_lease_s)
        self.election = Election(self.gate, self.lease_s, eligible=self.config.lane.site_duties,
                                 solo_fallback=m.solo_fallback, now=time.monotonic())
        self.state_dir = Path(self.config.paths.state_dir)
        self.link: MqttLink | None = None
        self.repl = None
        self.inside = Inside()
        self.lanes: dict[str, dict] = {}
        self.duty_log: list[dict] = []
        self.cameras: dict[str, list] = {}          # leader: 6.4 bodies from each lane
        self.images: dict[tuple, asyncio.Future] = {}
        self.verifier = None
        self._role_changed = asyncio.Event()
        self._wake = asyncio.Event()
        self._state_due = asyncio.Event()
        self._events_wake = asyncio.Event()
        self._inside_due = False
        self._was_stale = None
        self.started = time.monotonic()

    @classmethod
    def from_service(cls, service) -> "SiteNode | None":
        return cls(service) if service.config.mqtt.url else None

    # ------------------------------------------------------------------ views
    @property
    def role(self) -> str:
        r = self.election.role
        return "follower" if r == CANDIDATE else r

    @property
    def leading(self) -> bool:
        return self.election.duties

    @property
    def connected(self) -> bool:
        return self.link is not None and self.link.connected

    @property
    def cache_version(self) -> int:
        return self.repl.version if self.repl else 0

    def wall(self) -> str:
        return timeutil.fmt_datetime(timeutil.now())

    def cache_state(self) -> dict:
        """Is this lane's copy of the site cache current? The leader's own is (it pulls)."""
        now = time.monotonic()
        if self.leading:
            if self.repl is not None:
                self.repl.synced_at = now       # its own pulls: current until it stops leading
            return {"stale": False, "age_s": 0, "why": None}
        synced = self.repl.synced_at if self.repl else None
        fresh = self.connected and synced is not None and now - synced < max(3 * RENEW * self.lease_s, 5.0)
        why = None
        if not fresh:
            why = ("broker unreachable" if not self.connected else
                   "no leader" if self.election.leader_gate() is None else "behind the leader")
        return {"stale": not fresh, "age_s": None if synced is None else round(now - synced), "why": why}

    def stale_line(self) -> str | None:
        """For the idle display: a lane deciding from a cache that may be out of date says so."""
        c = self.cache_state()
        if not c["stale"]:
            return None
        if c["age_s"] is None:
            return "名单未同步（站点%s）" % ("未连接" if not self.connected else "无主机")
        return "名单 %d 分钟未同步" % max(1, c["age_s"] // 60)

    def status(self) -> dict:
        el = self.election
        return {
            "url": self.settings.url, "connected": self.connected,
            "connects": self.link.connects if self.link else 0, "role": self.role, "term": el.term or None,
            "leader": el.leader_gate(), "eligible": el.eligible, "solo_fallback": el.solo_fallback,
            "solo": el.role == SOLO, "reason": el.reason, "lease_s": self.lease_s,
            "lease_left_s": round(min(el.remaining_s(time.monotonic()), 1e9), 1) if self.leading else None,
            "cache": {**(self.repl.status() if self.repl else {}), **self.cache_state(),
                      "version": self.cache_version},
            "lanes": self.lanes_view(), "duties": self.duty_log[-20:],
            "inside": len(self.inside.inside()), "flags": len(self.inside.flags()),
            "commands": "on" if self.verifier and self.verifier.key else "off",
        }

    def lanes_view(self) -> list[dict]:
        out = []
        for g in sorted(self.lanes):
            d = self.lanes[g]
            st = d.get("state") or {}
            out.append({"gate": g, "online": bool(d.get("online")), "role": st.get("role"),
                        "last_seen": st.get("at"), "cache_version": st.get("cache_version")})
        return out

    # ------------------------------------------------------------------ the job
    async def run(self, stop: asyncio.Event) -> None:
        from edge.site.replication import Replication
        from edge.store.ledger import Ledger
        from edge.store.platform_cache import PlatformCache
        m = self.settings
        password = read_password(m.password_file)
        self.verifier = Verifier(read_key(m.command_key_file) if m.command_key_file else None, m.command_clients,
                                 self.gate)
        cache, ledger = PlatformCache.open(self.state_dir), Ledger.open(self.state_dir)
        self.repl = Replication(self, cache, ledger, self.state_dir)
        await asyncio.to_thread(self.repl.load)
        self.election.max_term = max(self.election.max_term, codec.term_of(self.repl.version))
        will = (self.topics.lane("online"), codec.dumps({"gate": self.gate, "online": False}))
        self.link = MqttLink(m.url, client_id=m.client_id or "edge-%s" % self.gate, username=m.username,
                             password=password, ca_file=m.ca_file, keepalive=m.keepalive_s, will=will,
                             subscriptions=self.topics.subscriptions(), on_message=self._on_message,
                             on_connect=self._on_connect, on_disconnect=self._on_disconnect,
                             reconnect_max_s=max(1.0, min(5.0, self.lease_s * RENEW)))
        unsubscribe = self.svc.bus.subscribe("site/%s/+/event" % self.gate, lambda t, e: self._events_wake.set())
        self.link.start()
        tasks = [asyncio.create_task(c) for c in (
            self._election_loop(stop), self._state_loop(stop), self._events_loop(stop),
            self.repl.apply_loop(stop), self._replication_loop(stop))]
        log.info("site: lane %s joins site %s at %s (lease %.0f s, %s)", self.gate, self.config.site.enterprise_id,
                 m.url, self.lease_s, "may lead" if self.election.eligible else "never leads")
        try:
            await stop.wait()
        finally:
            unsubscribe()
            self._elect(self.election.stop(time.monotonic()))
            await self._flush_leader()
            if self.connected:
                try:
                    await self.link.publish_wait(self.topics.lane("online"),
                                                 codec.dumps({"gate": self.gate, "online": False}),
                                                 retain=True, timeout=2)
                except NotConnected:
                    pass
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.link.close()
            cache.close()
            ledger.close()

    async def _flush_leader(self) -> None:
        """Give the release of the lease a moment to reach the broker."""
        for _ in range(20):
            if not self._pending_lease:
                return
            await asyncio.sleep(0.05)

    _pending_lease = 0

    # ------------------------------------------------------------------ publishing
    async def publish(self, topic: str, payload, *, retain: bool = False, timeout: float = 10.0,
                      leader_only: bool = False) -> None:
        if leader_only and not self.leading:
            raise NotConnected("not leading any more")
        if self.link is None:
            raise NotConnected("no broker link")
        await self.link.publish_wait(topic, payload, retain=retain, timeout=timeout)

    def publish_nowait(self, topic: str, payload, *, retain: bool = False) -> None:
        try:
            fut = self.link.publish(topic, payload, retain=retain)
            fut.add_done_callback(lambda f: f.exception() if not f.cancelled() else None)
        except NotConnected:
            pass

    # ------------------------------------------------------------------ election
    def _elect(self, actions) -> None:
        for a in actions:
            if a[0] == "publish":
                self._publish_lease(a[1])
            elif a[0] == "role":
                self._role(a[1], a[2], a[3])
        self._wake.set()

    def _publish_lease(self, msg: dict) -> None:
        msg = dict(msg, at=self.wall())
        if msg["op"] == "renew" and self.repl is not None:
            msg["cache"] = self.repl.versions
        try:
            fut = self.link.publish(self.topics.leader, codec.dumps(msg), retain=True)
        except NotConnected:
            return
        self._pending_lease += 1

        def done(f):
            self._pending_lease -= 1
            if not f.cancelled() and f.exception() is None:
                self._elect(self.election.acked(msg["seq"], time.monotonic()))
        fut.add_done_callback(done)

    def _role(self, role: str, term: int, reason: str) -> None:
        level = logging.WARNING if role != "leader" or term > 1 else logging.INFO
        log.log(level, "site: %s is now %s (term %d): %s", self.gate, role, term, reason)
        self.svc.event("site_role", role=role, term=term, reason=reason)
        ev, self._role_changed = self._role_changed, asyncio.Event()
        ev.set()
        if role in (LEADER, SOLO) and self.repl is not None:
            if role == LEADER:
                self.repl.takeover(term)
            self._inside_due = True
        self._state_due.set()
        self.cache_changed()

    async def _election_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            now = time.monotonic()
            self._elect(self.election.tick(now))
            self._wake.clear()
            delay = max(0.01, self.election.next_deadline(time.monotonic()) - time.monotonic())
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except asyncio.TimeoutError:
                pass

    # ------------------------------------------------------------------ duties
    def while_leader(self, name: str, job):
        """The duty job `job(stop)`, run only while this lane leads (or is solo); cancelled at
        once when it stops leading (the fence), started again when it leads again."""
        async def gated(stop: asyncio.Event) -> None:
            while not stop.is_set():
                while not self.leading and not stop.is_set():
                    await _first(stop.wait(), self._role_changed.wait())
                if stop.is_set():
                    return
                term, inner = self.election.term, asyncio.Event()
                entry = {"job": name, "role": self.role, "term": term, "start": self.wall(),
                         "start_ts": round(time.time(), 3), "end_ts": None}
                self.duty_log = (self.duty_log + [entry])[-50:]
                task = asyncio.create_task(job(inner))
                try:
                    while self.leading and not stop.is_set() and not task.done():
                        await _first(stop.wait(), self._role_changed.wait(), asyncio.shield(task))
                finally:
                    inner.set()
                    if not task.done():
                        task.cancel()
                    entry["end_ts"] = round(time.time(), 3)
                    entry["end"] = self.wall()
                    results = await asyncio.gather(task, return_exceptions=True)
                err = results[0]
                if isinstance(err, BaseException) and not isinstance(err, asyncio.CancelledError):
                    raise err           # the supervisor logs and restarts it
        gated.__name__ = name
        return gated

    # ------------------------------------------------------------------ broker events
    def _on_connect(self) -> None:
        self._elect(self.election.connect(time.monotonic()))
        self.publish_nowait(self.topics.lane("online"), codec.dumps({"gate": self.gate, "online": True,
                                                                      "at": self.wall()}), retain=True)
        self._state_due.set()
        self._events_wake.set()
        if self.leading and self.repl is not None and self.election.role == LEADER:
            self.repl.ask_snapshot(codec.LISTS)     # the broker may have lost its retained messages
            self._inside_due = True
        self.cache_changed()

    def _on_disconnect(self, reason: str) -> None:
        self._elect(self.election.disconnect(time.monotonic()))
        self.cache_changed()

    def _on_message(self, topic: str, payload: bytes, retained: bool) -> None:
        parts = self.topics.parse(topic)
        if not parts:
            return
        try:
            obj = codec.unpack(payload) if payload else None
        except ValueError as e:
            log.warning("site: %s: %s", topic, e)
            return
        now = time.monotonic()
        if parts == ["leader"]:
            if isinstance(obj, dict):
                self._elect(self.election.message(obj, now, retained))
                if obj.get("op") == "renew" and obj.get("gate") != self.gate and self.repl is not None:
                    self.repl.leader_advertised(obj.get("cache"))
            return
        if parts[0] == "lane" and len(parts) == 3:
            self._lane_message(parts[1], parts[2], obj, retained)
        elif parts[0] == "cache" and len(parts) == 3 and parts[2] in ("snapshot", "delta"):
            if isinstance(obj, dict) and self.repl is not None:
                self.election.max_term = max(self.election.max_term, codec.term_of(obj.get("version") or 0))
                self.repl.received(parts[2], obj)
        elif parts[0] == "cache" and len(parts) == 4 and parts[1] == "img":
            fut = self.images.pop((parts[2], parts[3]), None)
            if fut is not None and not fut.done():
                fut.set_result(obj)
        elif parts == ["site", "inside"]:
            if isinstance(obj, dict) and not self.leading:
                self.inside = Inside.from_json(obj)
        elif parts[0] == "cmd" and len(parts) == 2 and parts[1] == self.gate and not retained:
            asyncio.ensure_future(self._command(obj))

    def _lane_message(self, g: str, what: str, obj, retained: bool) -> None:
        d = self.lanes.setdefault(g, {})
        if what == "online" and isinstance(obj, dict):
            d["online"] = bool(obj.get("online"))
        elif what == "state" and isinstance(obj, dict):
            d["state"] = obj
            v = obj.get("cache_version")
            if isinstance(v, int):
                self.election.max_term = max(self.election.max_term, codec.term_of(v))
        elif what == "event" and isinstance(obj, dict):
            p = passage_of(obj)
            if p is not None:
                flags = self.inside.add(p)
                self._inside_due = True
                if self.leading and flags and flags[-1]["time"] == p["time"]:
                    log.warning("site: %s %s at %s: %s", p["plate"], flags[-1]["kind"], p["gate"], p["time"])
        elif what == "propose" and isinstance(obj, dict) and self.election.role == LEADER and g != self.gate:
            asyncio.ensure_future(self._merge(g, obj))
        elif what == "resync" and isinstance(obj, dict) and self.election.role == LEADER:
            self.repl.ask_snapshot((obj.get("lists") or {}).keys())
        elif what == "cameras" and isinstance(obj, dict) and isinstance(obj.get("cameras"), list):
            self.cameras[g] = obj["cameras"]

    async def _merge(self, g: str, obj: dict) -> None:
        n = await self.repl.merge(obj)
        if n:
            log.info("site: took %d %s entries from %s", n, obj.get("list"), g)

    def cache_changed(self) -> None:
        """Staleness may have changed: the idle display says so."""
        stale = self.cache_state()["stale"]
        if stale != self._was_stale:
            self._was_stale = stale
            self._state_due.set()
            gate = getattr(self.svc, "gate", None)
            if gate is not None and getattr(gate, "machine", None) is not None and gate.machine.state == "idle":
                asyncio.ensure_future(gate.idle_screen())

    # ------------------------------------------------------------------ loops
    async def _replication_loop(self, stop: asyncio.Event) -> None:
        last_propose = 0.0
        last_inside = 0.0
        while not stop.is_set():
            try:
                await asyncio.wait_for(self.repl.wake.wait(), 1.0)
            except asyncio.TimeoutError:
                pass
            self.repl.wake.clear()
            try:
                if self.election.role == LEADER and self.connected:
                    await self.repl.publish_round()
                    if self._inside_due and time.monotonic() - last_inside >= 1.0:
                        self._inside_due = False
                        last_inside = time.monotonic()
                        await self.publish(self.topics.site("inside"), codec.pack(self.inside.to_json()),
                                           retain=True, leader_only=True)
                elif time.monotonic() - last_propose >= 2.0:
                    last_propose = time.monotonic()
                    await self.repl.propose_round()
            except NotConnected:
                pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("site: replication round failed")
                await asyncio.sleep(1.0)

    async def _state_loop(self, stop: asyncio.Event) -> None:
        sent_cameras_to = None
        while not stop.is_set():
            try:
                await asyncio.wait_for(self._state_due.wait(), STATE_EVERY_S)
            except asyncio.TimeoutError:
                pass
            self._state_due.clear()
            self.cache_changed()         # staleness also comes with time alone
            if not self.connected:
                continue
            try:
                state = await asyncio.to_thread(self._state)
                await self.publish(self.topics.lane("state"), codec.dumps(state), retain=True)
                leader = (self.election.term, self.election.leader_gate())
                if leader[1] is not None and leader != sent_cameras_to:
                    from edge.uplink.yunnan.payloads import camera_payloads
                    bodies = camera_payloads(self.config)
                    await self.publish(self.topics.lane("cameras"), codec.dumps({"cameras": bodies}))
                    sent_cameras_to = leader
            except NotConnected:
                pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("site: publishing the lane state failed")

    def _state(self) -> dict:
        from edge import __version__
        st = self.svc.status()
        cams = st.get("cameras") or {}
        barrier = st.get("barrier") or {}
        camera = ("none" if not cams else "ok" if all(c.get("connected") and not c.get("stale") for c in cams.values())
                  else "down")
        relay = "fault" if barrier.get("fault") else ("ok" if barrier.get("relay") is not None else "none")
        el = self.election
        return {"gate": self.gate, "lane": self.config.site.lane_name, "direction": self.config.lane.direction,
                "online": True, "role": self.role, "term": el.term or None, "leader": el.leader_gate(),
                "eligible": el.eligible, "solo": el.role == SOLO, "at": self.wall(), "ts": round(time.time(), 3),
                "cache_version": self.cache_version, "cache": self.cache_state(), "state": st.get("state"),
                "health": {"camera": camera, "relay": relay, "barrier": barrier.get("state"),
                           "uplink": {"pending": (st.get("outbox") or {}).get("pending"),
                                      "rejected": (st.get("outbox") or {}).get("rejected"),
                                      "platform": (st.get("platform") or {}).get("heartbeat_at")}},
                "versions": {"edge": __version__, "board": st.get("board")}}

    async def _events_loop(self, stop: asyncio.Event) -> None:
        """The lane's event log, forwarded in order; the cursor advances only on PUBACKs."""
        path = self.state_dir / "site" / "events.cursor"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            cursor = int(path.read_text().strip())
        except (OSError, ValueError):
            cursor = await asyncio.to_thread(self.svc.eventlog.last_id) if self.svc.eventlog else 0
        direction = self.config.lane.direction
        while not stop.is_set():
            try:
                await asyncio.wait_for(self._events_wake.wait(), 2.0)
            except asyncio.TimeoutError:
                pass
            self._events_wake.clear()
            while self.connected and self.svc.eventlog is not None and not stop.is_set():
                batch = await asyncio.to_thread(self.svc.eventlog.query, after_id=cursor, limit=EVENT_BATCH)
                if not batch:
                    break
                try:
                    futs = [self.link.publish(self.topics.lane("event"),
                                              codec.dumps({**e, "gate": self.gate, "direction": direction}))
                            for e in batch]
                    await asyncio.wait_for(asyncio.gather(*futs), 30)
                except (NotConnected, asyncio.TimeoutError):
                    break
                cursor = batch[-1]["id"]
                write_atomic(path, str(cursor))

    # ------------------------------------------------------------------ commands
    async def _command(self, cmd) -> None:
        from edge.lane.control import ControlError
        why = self.verifier.check(cmd) if self.verifier else "not ready"
        cid = cmd.get("id") if isinstance(cmd, dict) else None
        if why:
            log.warning("site: command refused: %s", why)
            reply = {"id": cid, "gate": self.gate, "ok": False, "error": why}
        else:
            who = "mqtt:%s" % cmd["client"]
            try:
                result = await self.svc.control.call(cmd["op"], cmd.get("args") or {}, who=who)
                reply = {"id": cid, "gate": self.gate, "ok": True, "result": result}
            except ControlError as e:
                reply = {"id": cid, "gate": self.gate, "ok": False, "error": str(e)}
        try:
            await self.publish(self.topics.lane("reply"), codec.dumps(reply))
        except NotConnected:
            pass

    async def uploads_job(self, stop: asyncio.Event) -> None:
        """The duty job "site-uploads" (edge/site/uploads.py); runs under while_leader."""
        from edge.site.uploads import uploads_job
        await uploads_job(self, stop)

    # ------------------------------------------------------------------ photos for the leader's uploads
    async def fetch_images(self, kind: str, oid: str, timeout: float = 5.0) -> dict | None:
        """A ledger entry's photos from the retained cache/img topic ({field: jpeg}), or None."""
        import base64
        topic = self.topics.image(kind, oid)
        fut = asyncio.get_running_loop().create_future()
        self.images[(kind, oid)] = fut
        self.link.subscribe(topic)
        try:
            obj = await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            return None
        finally:
            self.images.pop((kind, oid), None)
            self.link.unsubscribe(topic)
        try:
            return {f: base64.b64decode(b) for f, b in (obj or {}).get("images_b64", {}).items()}
        except (ValueError, AttributeError):
            return None


async def _first(*aws) -> None:
    """Wait until the first of these finishes; cancel the others."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in tasks:
            if not t.done():
                t.cancel()
