"""The running lane's local control socket: `edge status|lift|plate|…` talk to it.

A Unix socket beside the lane's state (`<state_dir>/lane.sock`, or a short path under /tmp
when that one would pass the 108-byte limit of a socket address), mode 0660 and group `edge`
where that group exists: only root and the edge group (technicians, the status page's
service user) reach the barrier. Who is asking comes from the kernel (SO_PEERCRED), not from
the request: an event says "cli:alice", whatever the client claimed.

Protocol: one JSON line `{"op": "...", "args": {...}, "who": "..."}` in, one JSON line
`{"ok": true, "result": ...}` or `{"ok": false, "error": "one line"}` out, then the
connection closes. Lines are capped (64 KB): a confused client cannot make the lane buffer
without bound.
"""
from __future__ import annotations

import asyncio
import grp
import hashlib
import json
import logging
import os
import pwd
import socket
import struct
import tempfile
from pathlib import Path

from edge.errors import EdgeError

log = logging.getLogger(__name__)

MAX_LINE = 64 * 1024
GROUP = "edge"


def socket_path(state_dir) -> Path:
    """Where the lane of `state_dir` listens (the server and every client use this)."""
    state = Path(state_dir).resolve()
    p = state / "lane.sock"
    if len(str(p).encode()) <= 100:
        return p
    digest = hashlib.sha256(str(state).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / ("edge-lane-%s.sock" % digest)


def peer_name(sock) -> str:
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", creds)
        try:
            return pwd.getpwuid(uid).pw_name
        except KeyError:
            return "uid%d" % uid
    except OSError:
        return "unknown"


class ControlServer:
    def __init__(self, control, state_dir):
        self.control = control
        self.path = socket_path(state_dir)
        self.server: asyncio.AbstractServer | None = None

    async def start(self) -> "ControlServer":
        if self.path.exists() or self.path.is_symlink():
            if _alive(self.path):
                raise EdgeError("another lane is listening on %s" % self.path)
            self.path.unlink()
        self.server = await asyncio.start_unix_server(self._serve, path=str(self.path), limit=MAX_LINE)
        os.chmod(self.path, 0o660)
        try:
            os.chown(self.path, -1, grp.getgrnam(GROUP).gr_gid)
        except (KeyError, PermissionError):
            pass  # no edge group (a development machine): root and the owner only
        return self

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        who = "cli:" + peer_name(writer.get_extra_info("socket"))
        try:
            try:
                line = await asyncio.wait_for(reader.readline(), 10)
                req = json.loads(line)
                if not isinstance(req, dict) or not isinstance(req.get("op"), str):
                    raise ValueError
            except (ValueError, asyncio.LimitOverrunError, asyncio.TimeoutError):
                answer = {"ok": False, "error": "bad request: expected one JSON line {\"op\": ..., \"args\": {...}}"}
            else:
                label = req.get("who")
                if isinstance(label, str) and label and label != who:
                    who = "%s (%s)" % (who, label[:40])
                try:
                    answer = {"ok": True, "result": await self.control.call(req["op"], req.get("args"), who)}
                except EdgeError as e:
                    answer = {"ok": False, "error": str(e)}
                except Exception as e:  # the lane keeps running; the client gets one line
                    log.exception("control request %s failed", req.get("op"))
                    answer = {"ok": False, "error": "internal error in %s: %s" % (req.get("op"), e)}
            writer.write(json.dumps(answer, ensure_ascii=False, default=str).encode() + b"\n")
            await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()


def _alive(path: Path) -> bool:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(1)
    try:
        s.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        s.close()
