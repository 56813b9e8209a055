"""The status page's password: a scrypt hash in <state_dir>/keys/status_password (0600).

`edge provision` sets it; the status page checks a login against it. Only the hash is kept,
so the file is of no use to a reader, and the password itself is never logged or shown.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

N, R, P = 2**14, 8, 1
FILE = "status_password"


def password_path(state_dir) -> Path:
    return Path(state_dir) / "keys" / FILE


def _hash(password: str, salt: bytes, n=N, r=R, p=P) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)


def check_password(state_dir, password: str) -> bool:
    try:
        kind, n, r, p, salt, digest = password_path(state_dir).read_text().strip().split("$")
    except (OSError, ValueError):
        return False
    if kind != "scrypt":
        return False
    got = _hash(password, base64.b64decode(salt), int(n), int(r), int(p))
    return hmac.compare_digest(got, base64.b64decode(digest))


def set_password(state_dir, password: str) -> Path:
    from edge.uplink.yunnan.credentials import write_file
    if len(password) < 8:
        raise ValueError("the status page password needs at least 8 characters")
    salt = os.urandom(16)
    text = "scrypt$%d$%d$%d$%s$%s\n" % (N, R, P, base64.b64encode(salt).decode(),
                                        base64.b64encode(_hash(password, salt)).decode())
    path = password_path(state_dir)
    write_file(path, text, 0o600)
    return path
