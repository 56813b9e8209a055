"""Cache distribution over MQTT: the leader publishes every list as versioned snapshots and
deltas; every other lane writes them into its own platform cache and ledger — the stores the
gate decision reads (edge/lane/facts.py), so the decision does not know where they came from.

Leader: the lists change under the sync job (pulls), `edge sync`/`edge ledger import`, the
gate (a registration) and merged proposals. Changes by other connections show in SQLite's
data_version, so the leader exports a list only when its file changed, diffs it against what
it last published, and publishes a delta at once and a retained snapshot shortly after (a lane
that reconnects needs only the retained snapshots). A new leader starts a new term and
publishes every list as a snapshot first, so all lanes take its content.

Other lanes: snapshots and deltas are applied in arrival order, a delta only on the version it
was made from (else: resync request). Entries of the lists made at lanes (ledger, 6.14
verifications) that the site does not have as this lane has them — a vehicle a guard
registered here during a broker outage, an `edge ledger import` on this board — are kept
through snapshots and proposed to the leader, which merges them (the newest wins) and
publishes them to all.
"""
from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from pathlib import Path

from edge.site import codec
from edge.site.codec import LISTS, LOCAL_LISTS, PLATFORM_LISTS, ListReplica
from edge.site.mqtt import NotConnected
from edge.store.atomic import write_atomic

log = logging.getLogger("edge.site.replication")

LEDGER_LISTS = ("vehicles", "machinery")
SNAPSHOT_DELAY_S = 1.0       # a retained snapshot follows a burst of deltas after this long
PROPOSE_EVERY_S = 10.0       # a proposal not merged yet is sent again after this long
PROPOSE_BATCH = 20           # entries (with their photos) per proposal message


class Replication:
    def __init__(self, node, cache, ledger, state_dir: Path):
        self.node = node
        self.cache = cache            # this module's own connections: their writes do not
        self.ledger = ledger          # bump their own data_version, other writers' do
        self.dir = Path(state_dir) / "site"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.replicas: dict[str, ListReplica] = {}
        self.queue: asyncio.Queue = asyncio.Queue()
        self.leader_versions: dict[str, int] = {}
        self.synced_at: float | None = None
        self.applied = 0
        self.resyncs = 0
        self._n = 0                   # changes this leader published in its term
        self._term = None
        self._dv = None
        self._dirty: set[str] = set()
        self._snapshot_due: dict[str, float] = {}
        self._meta: dict[str, dict] = {}
        self._proposed: dict[tuple, float] = {}
        self._resync_asked: dict[str, float] = {}
        self.wake = asyncio.Event()
        self._exports: dict[str, tuple] = {}

    # ------------------------------------------------------------------ stores
    def store(self, name: str):
        return self.ledger if name in LEDGER_LISTS else self.cache

    def export(self, name: str) -> list[dict]:
        """The list as this lane's store holds it (worker thread). Cached until the file changes:
        another connection's commit bumps data_version, our own writes drop the cache."""
        st = self.store(name)
        dv = st.data_version()
        held = self._exports.get(name)
        if held is not None and held[0] == dv:
            return held[1]
        entries = st.site_export(name)
        self._exports[name] = (dv, entries)
        return entries

    def wrote(self, name: str) -> None:
        self._exports.pop(name, None)

    def load(self) -> None:
        """At start: the versions held and an index of the entries (worker thread)."""
        versions = {**self.cache.site_versions(), **self.ledger.site_versions()}
        saved = self._read_saved()
        for name in LISTS:
            if name in LOCAL_LISTS and name in saved:
                # what the site had: local changes made since are then told apart
                self.replicas[name] = ListReplica(name, saved[name].get("version", 0), saved[name].get("index"))
            elif name in LOCAL_LISTS:
                self.replicas[name] = ListReplica(name, versions.get(name, 0), {})
            else:
                self.replicas[name] = ListReplica.of(name, versions.get(name, 0), self.export(name))

    def _saved_path(self) -> Path:
        return self.dir / "replica.json"

    def _read_saved(self) -> dict:
        try:
            return json.loads(self._saved_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _save(self) -> None:
        data = {n: self.replicas[n].to_json() for n in LOCAL_LISTS if n in self.replicas}
        write_atomic(self._saved_path(), json.dumps(data, ensure_ascii=False))

    @property
    def versions(self) -> dict[str, int]:
        return {n: r.version for n, r in self.replicas.items()}

    @property
    def version(self) -> int:
        return max(self.versions.values(), default=0)

    # ------------------------------------------------------------------ leader
    def takeover(self, term: int) -> None:
        """A new term: the next publish round sends every list as a snapshot."""
        self._term, self._n = term, 0
        self._dirty = set(LISTS)
        self._snapshot_due = {n: 0.0 for n in LISTS}
        self._meta = {}
        self.wake.set()

    def _next_version(self) -> int:
        self._n += 1
        return codec.version(self._term, self._n)

    def ask_snapshot(self, names) -> None:
        for n in names:
            if n in LISTS:
                self._snapshot_due.setdefault(n, time.monotonic())
        self.wake.set()

    async def publish_round(self) -> None:
        """Leader: publish what changed (deltas), then the snapshots that are due."""
        node = self.node
        dv = await asyncio.to_thread(lambda: (self.cache.data_version(), self.ledger.data_version()))
        if self._dv is None or dv[0] != self._dv[0]:
            self._dirty |= set(PLATFORM_LISTS) | {"verification"}
        if self._dv is None or dv[1] != self._dv[1]:
            self._dirty |= set(LEDGER_LISTS)
        self._dv = dv
        for name in sorted(self._dirty):
            self._dirty.discard(name)
            entries, meta = await asyncio.to_thread(self._export_with_meta, name)
            rep = self.replicas[name]
            fresh = name in self._snapshot_due and self._snapshot_due[name] == 0.0
            upserts, removes = codec.diff(rep.index, entries)
            if fresh:
                v = self._next_version()
                await self._publish_snapshot(name, v, entries, meta)
                self._snapshot_due.pop(name, None)
                continue
            if not upserts and not removes and meta == self._meta.get(name):
                continue
            v = self._next_version()
            msg = {"list": name, "version": v, "prev": rep.version, "term": self._term, "gate": node.gate,
                   "meta": meta, "upserts": upserts, "removes": removes}
            await node.publish(node.topics.cache(name, "delta"), codec.pack(msg), leader_only=True)
            rep.took_delta(msg)
            self._meta[name] = meta
            await asyncio.to_thread(self.store(name).set_site_version, name, v)
            self._snapshot_due.setdefault(name, time.monotonic() + SNAPSHOT_DELAY_S)
            if name in LEDGER_LISTS:
                await self._publish_images(name, upserts)
        now = time.monotonic()
        for name, due in sorted(self._snapshot_due.items()):
            if due <= now:
                entries, meta = await asyncio.to_thread(self._export_with_meta, name)
                rep = self.replicas[name]
                upserts, removes = codec.diff(rep.index, entries)
                v = self._next_version() if (upserts or removes or meta != self._meta.get(name)) else rep.version
                await self._publish_snapshot(name, v, entries, meta)
                del self._snapshot_due[name]
        self._save_soon()

    def _export_with_meta(self, name: str):
        entries = self.export(name)
        meta = {"pull": self.cache.site_pull(name)} if name in PLATFORM_LISTS else {}
        return entries, meta

    async def _publish_snapshot(self, name, v, entries, meta) -> None:
        node = self.node
        msg = {"list": name, "version": v, "term": self._term, "gate": node.gate, "meta": meta,
               "at": node.wall(), "entries": entries}
        await node.publish(node.topics.cache(name, "snapshot"), codec.pack(msg), retain=True, timeout=30,
                           leader_only=True)
        self.replicas[name].took_snapshot(msg)
        self._meta[name] = meta
        await asyncio.to_thread(self.store(name).set_site_version, name, v)

    async def _publish_images(self, kind: str, entries) -> None:
        """Photos of changed ledger entries, retained one message per entry: a later leader
        fetches those it needs for the upload, no lane gets them all."""
        for e in entries:
            if not e.get("images"):
                continue
            imgs = await asyncio.to_thread(self.ledger.images, kind, e["id"])
            if imgs:
                payload = codec.dumps({"images_b64": {f: base64.b64encode(j).decode("ascii") for f, j in imgs.items()}})
                await self.node.publish(self.node.topics.image(kind, e["id"]), payload, retain=True, timeout=30,
                                        leader_only=True)

    async def merge(self, msg: dict) -> int:
        """Leader: take a lane's proposal (newest wins); → entries taken."""
        name = msg.get("list")
        entries = [e for e in msg.get("entries") or () if isinstance(e, dict) and "id" in e
                   and isinstance(e.get("data"), dict)]
        if name not in LOCAL_LISTS or not entries:
            return 0

        def write():
            held = {str(e["id"]): e for e in self.export(name)}
            take = [e for e in entries if codec.newer_or_equal(e, held.get(str(e["id"])))]
            if not take:
                return 0
            clean, images = [], {}
            for e in take:
                c = {k: v for k, v in e.items() if k != "images_b64"}
                if e.get("images_b64"):
                    images[str(e["id"])] = {f: base64.b64decode(b) for f, b in e["images_b64"].items()}
                elif str(e["id"]) in held:
                    c["images"] = held[str(e["id"])].get("images") or {}   # no photos sent: keep ours
                clean.append(c)
            if name in LEDGER_LISTS:
                self.ledger.site_write(name, clean, images=images)
            else:
                self.cache.site_write(name, clean)
            self.wrote(name)
            return len(take)
        n = await asyncio.to_thread(write)
        if n:
            self._dirty.add(name)
            self.wake.set()
        return n

    # ------------------------------------------------------------------ other lanes
    def received(self, kind: str, msg) -> None:
        self.queue.put_nowait((kind, msg))

    async def apply_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            kind, msg = await self.queue.get()
            try:
                await self._apply(kind, msg)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("site: applying a %s of %s failed", kind, msg.get("list") if isinstance(msg, dict) else "?")

    async def _apply(self, kind: str, msg) -> None:
        node = self.node
        problem = codec.check_message(msg, kind)
        if problem:
            log.warning("site: %s ignored: %s", kind, problem)
            return
        if node.leading:
            return                      # the leader's own stores are the site's content
        name = msg["list"]
        rep = self.replicas[name]
        verdict = rep.check_snapshot(msg) if kind == "snapshot" else rep.check_delta(msg)
        if verdict == "gap":
            self.request_resync([name])
            return
        if verdict != "apply":
            return
        keep = []
        if name in LOCAL_LISTS:
            local = await asyncio.to_thread(self.export, name)
            changes, _older = codec.local_changes(rep.index, local)
            keep = [str(e["id"]) for e in changes]
        meta = msg.get("meta") or {}

        def write():
            st = self.store(name)
            if kind == "snapshot":
                args = dict(replace=True, version=msg["version"], keep=keep)
                upserts, removes = msg["entries"], ()
            else:
                args = dict(version=msg["version"], keep=keep)
                upserts, removes = msg.get("upserts") or [], msg.get("removes") or []
            if name in PLATFORM_LISTS:
                args["pull"] = meta.get("pull")
            st.site_write(name, upserts, removes, **args)
            self.wrote(name)
        await asyncio.to_thread(write)
        (rep.took_snapshot if kind == "snapshot" else rep.took_delta)(msg)
        self.applied += 1
        if name in LOCAL_LISTS:
            await asyncio.to_thread(self._save)
            if keep:
                self.wake.set()         # propose what we kept
        self.check_synced()
        node.cache_changed()

    def leader_advertised(self, versions) -> None:
        if isinstance(versions, dict):
            self.leader_versions = {k: v for k, v in versions.items() if k in LISTS and isinstance(v, int)}
            self.check_synced()

    def check_synced(self) -> None:
        if not self.leader_versions:
            return
        behind = [n for n, v in self.leader_versions.items() if self.replicas[n].version < v]
        if not behind:
            self.synced_at = time.monotonic()
            self.node.cache_changed()
        else:
            # a delta may still be on its way: ask only when we stay behind
            asyncio.get_running_loop().call_later(3.0, self._still_behind, dict(self.leader_versions))

    def _still_behind(self, advertised: dict) -> None:
        behind = [n for n, v in advertised.items() if self.replicas[n].version < v]
        if behind and not self.node.leading:
            self.request_resync(behind)

    def request_resync(self, names) -> None:
        now = time.monotonic()
        names = [n for n in names if now - self._resync_asked.get(n, -1e9) > 5.0]
        if not names or not self.node.connected:
            return
        for n in names:
            self._resync_asked[n] = now
        self.resyncs += 1
        log.info("site: asking the leader for snapshots of %s", ", ".join(names))
        self.node.publish_nowait(self.node.topics.lane("resync"),
                                 codec.dumps({"lists": {n: self.replicas[n].version for n in names}}))

    async def propose_round(self) -> None:
        """A lane that does not lead: offer the leader what was made here."""
        node = self.node
        if node.leading or not node.connected or node.election.leader_gate() is None:
            return
        now = time.monotonic()
        for name in LOCAL_LISTS:
            rep = self.replicas[name]
            local = await asyncio.to_thread(self.export, name)
            changes, older = codec.local_changes(rep.index, local)
            if older:
                self.request_resync([name])    # the site has newer copies: take them
            todo = [e for e in changes if now - self._proposed.get((name, str(e["id"]), codec.digest(e)), -1e9)
                    > PROPOSE_EVERY_S]
            for i in range(0, len(todo), PROPOSE_BATCH):
                batch = todo[i:i + PROPOSE_BATCH]
                if name in LEDGER_LISTS:
                    batch = await asyncio.to_thread(self._with_images, name, batch)
                try:
                    await node.publish(node.topics.lane("propose"), codec.pack({"list": name, "entries": batch}),
                                       timeout=30)
                except NotConnected:
                    return
                for e in batch:
                    self._proposed[(name, str(e["id"]), codec.digest({k: v for k, v in e.items()
                                                                      if k != "images_b64"}))] = now
                log.info("site: proposed %d %s entries to the leader", len(batch), name)

    def _with_images(self, kind, entries):
        out = []
        for e in entries:
            imgs = self.ledger.images(kind, e["id"])
            e = dict(e)
            if imgs:
                e["images_b64"] = {f: base64.b64encode(j).decode("ascii") for f, j in imgs.items()}
            out.append(e)
        return out

    def _save_soon(self) -> None:
        try:
            self._save()
        except OSError as e:
            log.warning("site: cannot save %s: %s", self._saved_path(), e)

    def status(self) -> dict:
        return {"versions": self.versions, "leader_versions": self.leader_versions, "applied": self.applied,
                "resyncs": self.resyncs}
