"""The status page's accounts: user name -> salted scrypt hash, in one 0600 file.

    <state_dir>/web_users.json   {"guard": "scrypt$32768$8$1$<salt b64>$<hash b64>", ...}

Set at provisioning (`edge provision`'s status_password, for the user guard) or with
`edge web passwd [--user NAME]` (the password is read from stdin);
the password itself is never stored or logged. The KDF parameters travel inside each hash,
so raising them later leaves existing hashes verifiable. scrypt N=2^15, r=8, p=1 takes
32 MiB and ~0.1 s here (a few times that on a Pi 4): a stolen file costs a guesser that much
per guess; the page runs it off its event loop and the login rate limit caps it at a few a minute.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from pathlib import Path

from edge.errors import EdgeError
from edge.store.atomic import write_atomic

FILENAME = "web_users.json"
DEFAULT_USER = "guard"
N, R, P = 2 ** 15, 8, 1
SALT_BYTES, KEY_BYTES = 16, 32
MIN_LENGTH = 8
USER_RE = re.compile(r"[A-Za-z0-9_.\-\u4e00-\u9fff]{1,32}")


def users_path(state_dir) -> Path:
    return Path(state_dir) / FILENAME


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=KEY_BYTES,
                          maxmem=256 * r * n + (1 << 20))


def hash_password(password: str, *, n: int = N, r: int = R, p: int = P) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    return "scrypt$%d$%d$%d$%s$%s" % (n, r, p, _b64(salt), _b64(_scrypt(password, salt, n, r, p)))


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of `password` against a stored hash; False for a malformed hash."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        got = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def check_new(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_LENGTH:
        return "password: at least %d characters" % MIN_LENGTH
    if password.strip() != password:
        return "password: must not begin or end with spaces"
    if any(ord(c) < 32 for c in password):
        return "password: must not contain control characters"
    return None


def check_user(name: str) -> str | None:
    if not USER_RE.fullmatch(name or ""):
        return "user: 1-32 letters, digits, Chinese characters, '_', '.' or '-'"
    return None


def load_users(state_dir) -> dict[str, str]:
    """The accounts ({} when none was set). EdgeError when the file is unreadable."""
    path = users_path(state_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (ValueError, UnicodeDecodeError):
        raise EdgeError("%s is not valid JSON (set the password again: edge web passwd)" % path) from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise EdgeError("%s must map user names to password hashes (set it again: edge web passwd)" % path)
    return data


def check_password(state_dir, user: str, password: str) -> bool:
    """Whether `user` has this password (False when there is no such account)."""
    stored = load_users(state_dir).get(user)
    return stored is not None and verify_password(password, stored)


def set_password(state_dir, user: str, password: str) -> Path:
    """Store `user`'s new password hash (other users kept)."""
    problem = check_user(user) or check_new(password)
    if problem:
        raise EdgeError(problem)
    users = load_users(state_dir)
    users[user] = hash_password(password)
    return _write(state_dir, users)


def remove_user(state_dir, user: str) -> bool:
    users = load_users(state_dir)
    if user not in users:
        return False
    del users[user]
    _write(state_dir, users)
    return True


def _write(state_dir, users: dict) -> Path:
    """0600 from the first byte (never a moment world-readable), fsynced, renamed into place."""
    path = users_path(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, json.dumps(users, ensure_ascii=False, indent=1) + "\n", mode=0o600)
