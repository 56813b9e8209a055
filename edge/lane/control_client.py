"""Talk to the running lane's control socket (edge/lane/control_socket.py) from a CLI verb."""
from __future__ import annotations

import json
import socket

from edge.errors import EdgeError
from edge.lane.control_socket import MAX_LINE, socket_path


def call(state_dir, op: str, args: dict | None = None, timeout: float = 10.0, who: str | None = None):
    """The op's result; EdgeError with one line when the lane is not running or refuses."""
    path = socket_path(state_dir)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        try:
            s.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError):
            raise EdgeError("the lane is not running (no control socket at %s); start it with `edge run` "
                            "or `systemctl start edge`" % path) from None
        except PermissionError:
            raise EdgeError("not allowed to talk to the lane at %s: run as root or as a member of group "
                            "'edge'" % path) from None
        req = {"op": op, "args": args or {}}
        if who:
            req["who"] = who
        s.sendall(json.dumps(req, ensure_ascii=False).encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            if len(buf) > 64 * MAX_LINE:
                raise EdgeError("the lane's answer to %s is too large" % op)
    except socket.timeout:
        raise EdgeError("the lane did not answer %s within %.0f s" % (op, timeout)) from None
    except OSError as e:
        raise EdgeError("talking to the lane at %s failed: %s" % (path, e.strerror or e)) from None
    finally:
        s.close()
    try:
        answer = json.loads(buf)
    except ValueError:
        raise EdgeError("the lane gave no answer to %s (it may be stopping)" % op) from None
    if not answer.get("ok"):
        raise EdgeError(answer.get("error") or "the lane refused %s" % op)
    return answer.get("result")
