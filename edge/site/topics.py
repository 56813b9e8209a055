"""The site's MQTT topics, all under edge/<enterpriseId>/ (README "One site, many lanes" prints
TABLE). A lane publishes only under lane/<its gate>/ and, when it leads, the site-wide
topics (leader, cache/, site/); commands come only from the operator (the example ACL in
tools/mosquitto/ enforces both). Payloads are UTF-8 JSON objects; cache snapshots and deltas
are JSON compressed with zlib (edge/site/codec.py says how to tell them apart).
"""
from __future__ import annotations

# (topic under edge/<ent>/, retained, QoS, publisher, payload, example)
TABLE = [
    ("lane/<gate>/online", True, 1, "the lane (its last will says false)",
     "the lane is connected", '{"gate": "A01", "online": false}'),
    ("lane/<gate>/state", True, 1, "the lane, every 10 s and on a change",
     "role, health (camera, relay, uplink), versions, cache version and staleness",
     '{"gate": "A01", "role": "leader", "term": 3, "cache_version": 3000012, "health": {"camera": "ok", '
     '"relay": "ok", "uplink": {"pending": 0}}, "versions": {"edge": "0.1.0"}, "at": "2025-08-20 09:30:00"}'),
    ("lane/<gate>/event", False, 1, "the lane (from its durable event log, resent after an outage)",
     "one lane event: decisions, barrier, alarms, refusals, smoke, passages",
     '{"gate": "A01", "direction": "in", "id": 812, "type": "refuse", "plate": "云A12345", '
     '"reason": "超标车辆", "time": "2025-08-20 09:31:02"}'),
    ("lane/<gate>/reply", False, 1, "the lane", "the answer to a command",
     '{"id": "c81f…", "ok": true, "result": {"ok": true}}'),
    ("lane/<gate>/propose", False, 1, "the lane",
     "ledger entries / 6.14 verifications made at this lane, for the leader to merge",
     '{"list": "vehicles", "entries": [{"id": "…00001", "data": {"licensePlate": "云A12345", …}, '
     '"images_b64": {"carImg1": "…"}}]}'),
    ("lane/<gate>/resync", False, 1, "the lane", "asks the leader to publish snapshots again",
     '{"lists": {"exceed": 2000004}}'),
    ("lane/<gate>/cameras", False, 1, "the lane, to each new leader",
     "this lane's 6.4 camera bodies for the leader's upload (passwords: never retained)",
     '{"cameras": [{"cameraId": "…A01", "cameraName": "A口车牌识别", …}]}'),
    ("cmd/<gate>", False, 1, "the operator (edge site command)",
     "a signed command: lift, display, say, reload, status",
     '{"id": "c81f…", "client": "operator", "op": "lift", "args": {"reason": "消防车"}, "at": 1755653462, '
     '"mac": "…"}'),
    ("leader", True, 1, "the leader (any lane may claim)",
     "the site-duty lease: gate, fencing term, claim/renew/release, cache versions",
     '{"gate": "A01", "term": 3, "op": "renew", "seq": 41, "lease_s": 60, "cache": {"exceed": 3000012}}'),
    ("cache/<list>/snapshot", True, 1, "the leader",
     "a whole list (exceed, strategy, alarm, verification, vehicles, machinery) at a version",
     '{"list": "exceed", "version": 3000012, "term": 3, "gate": "A01", "meta": {"pull": {…}}, '
     '"entries": [{"id": "EV000001", "data": {…}}]}'),
    ("cache/<list>/delta", False, 1, "the leader", "the change from version prev to version",
     '{"list": "exceed", "version": 3000013, "prev": 3000012, "upserts": [...], "removes": ["EV000007"]}'),
    ("cache/img/<kind>/<id>", True, 1, "the leader", "a ledger entry's photos, fetched by a new leader",
     '{"images_b64": {"carImg1": "…", "carImg2": "…"}}'),
    ("site/inside", True, 1, "the leader", "vehicles inside the site and the flags of unpaired passages",
     '{"inside": [{"plate": "云A12345", "since": "2025-08-20 09:31:02", "gate": "A01"}], "flags": [...]}'),
]


class Topics:
    def __init__(self, enterprise_id: str, gate: str):
        self.root = "edge/%s" % enterprise_id
        self.gate = gate

    def lane(self, what: str, gate: str | None = None) -> str:
        return "%s/lane/%s/%s" % (self.root, gate or self.gate, what)

    def cmd(self, gate: str | None = None) -> str:
        return "%s/cmd/%s" % (self.root, gate or self.gate)

    @property
    def leader(self) -> str:
        return self.root + "/leader"

    def cache(self, list_name: str, what: str) -> str:
        return "%s/cache/%s/%s" % (self.root, list_name, what)

    def image(self, kind: str, oid: str) -> str:
        return "%s/cache/img/%s/%s" % (self.root, kind, oid)

    def site(self, what: str) -> str:
        return "%s/site/%s" % (self.root, what)

    def subscriptions(self) -> list[tuple[str, int]]:
        r = self.root
        return [(r + "/leader", 1), (r + "/lane/+/+", 1), (r + "/cache/+/snapshot", 1),
                (r + "/cache/+/delta", 1), (r + "/site/+", 1), (self.cmd(), 1)]

    def parse(self, topic: str) -> list[str] | None:
        """The parts after edge/<ent>/, or None for a topic of another site."""
        if not topic.startswith(self.root + "/"):
            return None
        return topic[len(self.root) + 1:].split("/")


def markdown_table() -> str:
    rows = ["| topic (under `edge/<enterpriseId>/`) | retained | QoS | published by | payload | example |",
            "|---|---|---|---|---|---|"]
    for topic, retained, qos, who, what, example in TABLE:
        rows.append("| `%s` | %s | %d | %s | %s | `%s` |" % (topic, "yes" if retained else "no", qos, who, what,
                                                           example.replace("|", "\\|")))
    return "\n".join(rows)
