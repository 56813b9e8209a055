"""Nothing secret leaves the page: the last filter on every JSON answer and every SSE message.

The lane already keeps secrets out of its status (camera URLs come with the password masked),
but the page is the one part reachable from the LAN, so it checks again, three ways:
  1. a value under a key that names a secret (password, secret, token, private key, apiKey…)
     is replaced by "***" (or left empty when empty: "set / not set" is all the page says);
  2. any user:password@ inside a URL in any string is masked;
  3. every secret value the page's process knows (the config's secret fields, the platform's
     apiSecret/apiKey, and any value step 1 masked in the same answer; at least 8 characters
     long) is replaced wherever it appears in the finished text.
"""
from __future__ import annotations

import dataclasses
import json
import re

MASK = "***"
SECRET_KEY = re.compile(r"(?i)(pass(word|wd)?|secret|token|private|api_?key|credential|^pw$|_pw$|psd$)")
# keys that look like secrets but are not: the lane's decision token is a counter; csrf is the
# session's own (sent only to its owner, by /api/session and /api/login)
NOT_SECRET = frozenset({"csrf", "pass_mode", "passMode", "passages", "token_set", "password_set"})
URL_CREDS = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]+):([^@\s/]+)@")
MIN_SCRUB = 8


def config_secrets(obj) -> set[str]:
    """The values of every settings field marked secret=True, anywhere in the config."""
    found: set[str] = set()

    def walk(o):
        if dataclasses.is_dataclass(o):
            for f in dataclasses.fields(o):
                v = getattr(o, f.name)
                if f.metadata.get("secret") and isinstance(v, str) and v:
                    found.add(v)
                else:
                    walk(v)
        elif isinstance(o, (list, tuple)):
            for x in o:
                walk(x)
        elif isinstance(o, dict):
            for x in o.values():
                walk(x)
    walk(obj)
    return found


def platform_secrets(state_dir) -> set[str]:
    from edge.uplink.yunnan.credentials import platform_path
    try:
        d = json.loads(platform_path(state_dir).read_text())
    except (OSError, ValueError):
        return set()
    return {v for k, v in d.items() if k in ("apiSecret", "apiKey") and isinstance(v, str) and v}


class Redactor:
    def __init__(self, secrets=()):
        self._plain: set[str] = set()
        self.secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets) -> None:
        """Also scrub these values (and their JSON-escaped forms) from every answer."""
        for s in secrets:
            if isinstance(s, str) and len(s) >= MIN_SCRUB:
                self._plain.add(s)
        forms = self._plain | {json.dumps(s, ensure_ascii=False)[1:-1] for s in self._plain}
        self.secrets = sorted(forms, key=len, reverse=True)

    def scrub(self, obj, found: set | None = None):
        """A copy of `obj` with secret-named values masked and URL passwords hidden; the
        masked values are added to `found` (so the same value is masked elsewhere too)."""
        if isinstance(obj, dict):
            out = {}
            for k, v in obj.items():
                if isinstance(k, str) and k not in NOT_SECRET and SECRET_KEY.search(k) and \
                        isinstance(v, (str, int, float)) and not isinstance(v, bool):
                    out[k] = MASK if v not in ("", None) else ""
                    if found is not None and isinstance(v, str):
                        found.add(v)
                else:
                    out[k] = self.scrub(v, found)
            return out
        if isinstance(obj, (list, tuple)):
            return [self.scrub(x, found) for x in obj]
        if isinstance(obj, str):
            return mask_url(obj)
        return obj

    def text(self, s: str, extra=()) -> str:
        for secret in self.secrets:
            if secret in s:
                s = s.replace(secret, MASK)
        for secret in extra:
            if len(secret) >= MIN_SCRUB and secret in s:
                s = s.replace(secret, MASK)
        return s

    def dumps(self, obj) -> str:
        found: set = set()
        clean = self.scrub(obj, found)
        return self.text(json.dumps(clean, ensure_ascii=False, default=str, separators=(",", ":")), found)


def mask_url(s: str) -> str:
    return URL_CREDS.sub(r"\1:" + MASK + "@", s) if "@" in s else s
