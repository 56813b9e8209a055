"""Commands to a lane over MQTT: signed by the operator, checked by the lane.

The broker's ACL already lets only the operator account publish on cmd/<gate>; the lane does
not rely on that alone (a broker left with allow_anonymous would let anyone lift a barrier):
every command carries an HMAC-SHA256 over its canonical JSON with a key shared by the
operator tool and the lanes ([mqtt] command_key_file, 0600), the client's name (one of
[mqtt] command_clients), the time it was made (at most WINDOW_S old) and a fresh id (a
replayed command is refused). What a command does is decided by LaneControl, the same code
the CLI and the page call; only the ops in OPS may come over MQTT.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import time
import uuid

from edge.errors import EdgeError

OPS = ("lift", "display", "say", "reload", "status")
WINDOW_S = 60.0


def read_key(path: str) -> bytes:
    try:
        st = os.stat(path)
        key = open(path, "rb").read().strip()
    except OSError as e:
        raise EdgeError("mqtt.command_key_file %s: %s" % (path, e.strerror or e)) from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise EdgeError("mqtt.command_key_file %s is readable by others (mode %o): chmod 600 %s"
                        % (path, stat.S_IMODE(st.st_mode), path))
    if len(key) < 16:
        raise EdgeError("mqtt.command_key_file %s: the key must be at least 16 bytes" % path)
    return key


def _body(cmd: dict) -> bytes:
    return json.dumps({k: v for k, v in cmd.items() if k != "mac"}, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def make(key: bytes, client: str, gate: str, op: str, args: dict | None = None, now: float | None = None) -> dict:
    cmd = {"id": uuid.uuid4().hex, "client": client, "gate": gate, "op": op, "args": args or {},
           "at": round(now if now is not None else time.time(), 3)}
    cmd["mac"] = hmac.new(key, _body(cmd), hashlib.sha256).hexdigest()
    return cmd


class Verifier:
    def __init__(self, key: bytes | None, clients, gate: str):
        self.key = key
        self.clients = set(clients)
        self.gate = gate
        self.seen: dict[str, float] = {}

    def check(self, cmd, now: float | None = None) -> str | None:
        """None when the command may run; else the one-line reason it is refused."""
        now = time.time() if now is None else now
        if self.key is None:
            return "this lane accepts no commands over MQTT ([mqtt] command_key_file is empty)"
        if not isinstance(cmd, dict) or not isinstance(cmd.get("mac"), str):
            return "not a signed command"
        if not hmac.compare_digest(hmac.new(self.key, _body(cmd), hashlib.sha256).hexdigest(), cmd["mac"]):
            return "bad signature"
        if cmd.get("client") not in self.clients:
            return "client %r may not command this lane" % (cmd.get("client"),)
        if cmd.get("gate") != self.gate:
            return "command is for gate %r, this is %s" % (cmd.get("gate"), self.gate)
        if cmd.get("op") not in OPS:
            return "%r is not a command lanes take over MQTT (%s)" % (cmd.get("op"), ", ".join(OPS))
        try:
            at = float(cmd.get("at"))
        except (TypeError, ValueError):
            return "at: must be a time"
        if abs(now - at) > WINDOW_S:
            return "command made %.0f s from now (at most %.0f s; check the clocks)" % (now - at, WINDOW_S)
        for k in [k for k, t in self.seen.items() if t < now - 2 * WINDOW_S]:
            del self.seen[k]
        if cmd.get("id") in self.seen:
            return "command %s was already taken (a replay)" % cmd.get("id")
        self.seen[str(cmd.get("id"))] = now
        return None
