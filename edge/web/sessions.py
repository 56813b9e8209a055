"""Logins of the status page: sessions in memory, and the wrong-password rate limit.

A session is a random token in an HttpOnly, SameSite=Strict cookie, plus its own CSRF token
that the page sends back in `X-CSRF-Token` with every action. Sessions live in the page's
process only: a restart of the lane logs everyone out, which is the safe direction. A session
ends `session_hours` after login, or earlier after `idle_minutes` unused, or at logout.

The limiter counts wrong passwords per client address in a sliding minute; once `limit` are
counted, every attempt from that address (even with the right password: a guesser must not
learn it was right) is refused until the oldest falls out of the window.
"""
from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class Session:
    token: str
    user: str
    address: str
    csrf: str
    created: float
    expires: float
    last_used: float = field(default=0.0)

    def who(self) -> str:
        """How the lane's event log names the person behind an action."""
        return "web:%s@%s" % (self.user, self.address)

    def csrf_ok(self, sent: str | None) -> bool:
        return bool(sent) and hmac.compare_digest(sent.encode(), self.csrf.encode())


class Sessions:
    def __init__(self, lifetime_s: float, idle_s: float, clock=time.monotonic, max_sessions: int = 200):
        self.lifetime_s, self.idle_s, self.clock = lifetime_s, idle_s, clock
        self.max_sessions = max_sessions
        self._by_token: dict[str, Session] = {}

    def create(self, user: str, address: str) -> Session:
        self._expire()
        if len(self._by_token) >= self.max_sessions:  # drop the least recently used
            oldest = min(self._by_token.values(), key=lambda s: s.last_used)
            self._by_token.pop(oldest.token, None)
        now = self.clock()
        s = Session(secrets.token_urlsafe(32), user, address, secrets.token_urlsafe(24), now,
                    now + self.lifetime_s, now)
        self._by_token[s.token] = s
        return s

    def get(self, token: str | None) -> Session | None:
        """The live session of `token` (its idle clock restarted), or None."""
        if not token:
            return None
        s = self._by_token.get(token)
        if s is None:
            return None
        now = self.clock()
        if now >= s.expires or now - s.last_used >= self.idle_s:
            self._by_token.pop(token, None)
            return None
        s.last_used = now
        return s

    def end(self, token: str | None) -> bool:
        return self._by_token.pop(token or "", None) is not None

    def _expire(self) -> None:
        now = self.clock()
        for t, s in list(self._by_token.items()):
            if now >= s.expires or now - s.last_used >= self.idle_s:
                del self._by_token[t]

    def __len__(self) -> int:
        self._expire()
        return len(self._by_token)


class LoginLimiter:
    def __init__(self, limit: int, window_s: float = 60.0, clock=time.monotonic, max_addresses: int = 10000):
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self.max_addresses = max_addresses
        self._fails: dict[str, deque] = {}

    def _recent(self, address: str) -> deque:
        q = self._fails.get(address)
        if q is None:
            return deque()
        cutoff = self.clock() - self.window_s
        while q and q[0] <= cutoff:
            q.popleft()
        if not q:
            del self._fails[address]
        return q

    def retry_after(self, address: str) -> float:
        """0 when `address` may try a password now, else seconds until it may."""
        q = self._recent(address)
        if len(q) < self.limit:
            return 0.0
        return max(0.1, q[0] + self.window_s - self.clock())

    def failed(self, address: str) -> None:
        if address not in self._fails and len(self._fails) >= self.max_addresses:
            for a in list(self._fails):  # forget addresses whose minute has passed
                self._recent(a)
            if len(self._fails) >= self.max_addresses:
                self._fails.pop(next(iter(self._fails)))
        self._fails.setdefault(address, deque()).append(self.clock())

    def succeeded(self, address: str) -> None:
        self._fails.pop(address, None)
