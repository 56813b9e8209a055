"""Cache distribution, the pure part: payload packing, entry digests, diffs, and the rules by
which a lane applies a snapshot or a delta of one list.

A list (exceed, strategy, alarm, verification, vehicles, machinery) is a set of entries
`{"id": ..., "data": {spec fields}, ...meta}` (meta: confirmed_at of a strategy, uploaded_at
of a ledger entry, the digests of its photos). The leader publishes a list as

    snapshot {"list", "version", "term", "gate", "meta", "entries": [...]}           retained
    delta    {"list", "version", "prev", "term", "gate", "meta", "upserts", "removes"}

Versions are site-wide and only grow: term * 1_000_000 + n, n counting the changes the
leader of that term published (a new leader starts a new term, so two leaders can never
give the same version different content). A lane applies a delta only on top of the version
it names as `prev` (else it has missed one: it asks for the snapshot again), and a snapshot
only if it is newer than what it has.
"""
from __future__ import annotations

import hashlib
import json
import zlib

PLATFORM_LISTS = ("exceed", "strategy", "alarm")          # pulled by the leader only
LOCAL_LISTS = ("verification", "vehicles", "machinery")   # made at any lane, merged by the leader
LISTS = PLATFORM_LISTS + LOCAL_LISTS
TERM_SPAN = 1_000_000

ZLIB = b"\x00Z"   # not valid JSON: a packed payload starts with it


def version(term: int, n: int) -> int:
    return int(term) * TERM_SPAN + int(n)


def term_of(v: int) -> int:
    return int(v) // TERM_SPAN


def dumps(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def pack(obj, *, min_zip: int = 2048) -> bytes:
    """JSON; zlib-compressed behind a 2-byte marker when that is worth it (lists: ~6x)."""
    raw = dumps(obj)
    if len(raw) < min_zip:
        return raw
    return ZLIB + zlib.compress(raw, 6)


def unpack(payload: bytes):
    """The object of a payload; ValueError for one that is neither JSON nor packed JSON."""
    if payload.startswith(ZLIB):
        try:
            payload = zlib.decompress(payload[len(ZLIB):])
        except zlib.error as e:
            raise ValueError("packed payload does not decompress: %s" % e) from None
    try:
        return json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError("payload is not JSON: %s" % e) from None


def digest(entry: dict) -> str:
    return hashlib.sha1(dumps(entry)).hexdigest()


def fields_digest(entry: dict) -> str:
    """The digest of an entry without its photo digests (a lane may hold the fields only)."""
    return digest({k: v for k, v in entry.items() if k != "images"})


def stamp(entry: dict) -> str:
    """When the entry was last changed where it was made ("" when unknown): newest wins."""
    return str(entry.get("changed_at") or entry.get("stored_at") or "")


def entry_index(entry: dict) -> dict:
    return {"d": digest(entry), "f": fields_digest(entry), "i": entry.get("images") or {}, "c": stamp(entry)}


def diff(index: dict[str, dict], entries: list[dict]) -> tuple[list[dict], list[str]]:
    """(entries new or changed since `index` {id: entry_index}, ids gone)."""
    now = {str(e["id"]): e for e in entries}
    upserts = [e for i, e in now.items() if (index.get(i) or {}).get("d") != digest(e)]
    removes = sorted(i for i in index if i not in now)
    return upserts, removes


def local_changes(index: dict[str, dict], local: list[dict]) -> tuple[list[dict], list[str]]:
    """Of a lane's own entries of a list made at lanes: (those the site should take — new ones,
    or changed here no earlier than the site's copy, or with photos the site lacks — and the
    ids where the site holds a newer copy than this lane). A lane holding an entry's fields
    without its photos has not changed it."""
    changes, older = [], []
    for e in local:
        s = index.get(str(e["id"]))
        if s is None:
            changes.append(e)
        elif s["f"] != fields_digest(e):
            if stamp(e) >= s.get("c", ""):
                changes.append(e)
            else:
                older.append(str(e["id"]))
        elif e.get("images") and e["images"] != s.get("i"):
            changes.append(e)
    return changes, older


def newer_or_equal(entry: dict, held: dict | None) -> bool:
    """The leader's merge rule for a proposed entry against the copy it holds."""
    return held is None or stamp(entry) >= stamp(held)


class ListReplica:
    """What a lane holds of one list: its site version and an index of the entries by id."""

    def __init__(self, name: str, version: int = 0, index: dict | None = None):
        self.name = name
        self.version = int(version)
        self.index: dict[str, dict] = dict(index or {})

    @classmethod
    def of(cls, name: str, version: int, entries) -> "ListReplica":
        return cls(name, version, {str(e["id"]): entry_index(e) for e in entries})

    def check_snapshot(self, msg: dict) -> str:
        """"apply" | "old" (not newer than what we hold)."""
        return "apply" if int(msg["version"]) > self.version else "old"

    def check_delta(self, msg: dict) -> str:
        """"apply" | "old" (already have it) | "gap" (a delta is missing: resync)."""
        v, prev = int(msg["version"]), int(msg["prev"])
        if v <= self.version:
            return "old"
        if prev != self.version:
            return "gap"
        return "apply"

    def took_snapshot(self, msg: dict) -> None:
        self.version = int(msg["version"])
        self.index = {str(e["id"]): entry_index(e) for e in msg["entries"]}

    def took_delta(self, msg: dict) -> None:
        self.version = int(msg["version"])
        for e in msg.get("upserts") or ():
            self.index[str(e["id"])] = entry_index(e)
        for i in msg.get("removes") or ():
            self.index.pop(str(i), None)

    def to_json(self) -> dict:
        return {"version": self.version, "index": self.index}


def check_message(msg, kind: str) -> str | None:
    """A problem with a snapshot/delta message, or None."""
    if not isinstance(msg, dict):
        return "not an object"
    if msg.get("list") not in LISTS:
        return "unknown list %r" % (msg.get("list"),)
    for k in ("version",) + (("prev",) if kind == "delta" else ()):
        if not isinstance(msg.get(k), int) or msg[k] < 0:
            return "%s must be a whole number" % k
    for k in (("entries",) if kind == "snapshot" else ("upserts", "removes")):
        if not isinstance(msg.get(k, []), list):
            return "%s must be a list" % k
    for e in msg.get("entries" if kind == "snapshot" else "upserts") or ():
        if not isinstance(e, dict) or "id" not in e or not isinstance(e.get("data"), dict):
            return "entries need an id and a data object"
    return None
