"""Which lane of the site does the site duties: a lease on one retained MQTT topic, with a
fencing term. Pure (no I/O, no clock of its own): the site node feeds it connection changes,
lease messages, PUBACKs and the time, and carries out what it answers.

Why a lease and not "the lowest live gate id": liveness seen through the broker (last wills)
arrives at different lanes at different times and says nothing to the lane that lost the
broker, so "lowest live id" can give two leaders for as long as the views disagree. A lease
is timed on each lane's own monotonic clock from messages it actually sent or received, so
the old leader provably stops before anyone else may start, whatever the others see.

The protocol (L = [mqtt] leader_lease_s; every message retained on edge/<ent>/leader):

  * message = {"gate", "term", "op": claim | renew | release, "seq"}. The broker hands all
    subscribers the messages of one topic in one order, so every connected lane agrees on
    which came first.
  * a higher term always wins. Of the claims of one term, the first in broker order wins;
    a "renew" of a term from a gate says that gate won it (a late joiner whose first message
    was a losing claim — the retained copy is the last writer — is corrected by it).
  * the leader renews every RENEW·L. Its duties are valid until VALID·L after it *sent* the
    last renewal the broker acknowledged (PUBACK); past that it stops them (fencing) — it
    needs no broker to know this.
  * a follower deems the lease expired EXPIRE·L after it *received* the holder's last renewal
    (receipt is never earlier than sending), or at once on a release. It claims term + 1 only
    if it may be elected, is connected and has been for OBSERVE·L (it has seen the retained
    lease or a renewal of a live leader by then), and leads only SETTLE·L after its own claim
    came back first. So a new leader starts at least (EXPIRE - VALID + SETTLE)·L after the
    old one stopped, and at most ~(EXPIRE + SETTLE)·L after the old one died.
  * a lane that sees a live (not retained) claim or renewal in its own name while it does not
    lead (a PUBACK-less message paho re-sent after a reconnect) releases it.
  * with solo_fallback, a lane that has had no broker for a whole lease does the duties alone
    ("solo") until the broker is back.
"""
from __future__ import annotations

RENEW = 0.2     # leader: renew this often
VALID = 0.65    # leader: duties valid this long after sending the last acknowledged renewal
EXPIRE = 0.75   # follower: holder silent this long -> expired
SETTLE = 0.1    # claimant: lead this long after its claim came back first
OBSERVE = 0.4   # a lane connected less than this long never claims

FOLLOWER, CANDIDATE, LEADER, SOLO = "follower", "candidate", "leader", "solo"


class Election:
    def __init__(self, gate: str, lease_s: float, *, eligible: bool = True, solo_fallback: bool = False,
                 now: float = 0.0):
        self.gate = gate
        self.lease_s = float(lease_s)
        self.eligible = eligible
        self.solo_fallback = solo_fallback and eligible
        self.role = FOLLOWER
        self.term = 0                  # the term I lead (or claim)
        self.holder = None             # (term, gate) of the lease as I see it
        self.holder_seen = None        # when the holder last renewed (my clock)
        self.released = False
        self.max_term = 0
        self.connected_at = None
        self.offline_since = now       # no broker since (start counts)
        self.claim_sent = None         # when my pending claim was sent
        self.won_at = None             # when my claim came back first
        self.valid_until = None        # leader: duties allowed until
        self.next_renew = None
        self.seq = 0
        self._sent: dict[int, tuple[float, int]] = {}   # seq -> (sent at, term) awaiting PUBACK
        self.reason = "starting"

    # ------------------------------------------------------------------ views
    @property
    def duties(self) -> bool:
        """Whether this lane may do the site duties now."""
        return self.role in (LEADER, SOLO)

    @property
    def connected(self) -> bool:
        return self.connected_at is not None

    def leader_gate(self) -> str | None:
        if self.role == SOLO:
            return self.gate
        if self.holder is None or self.released:
            return None
        return self.holder[1]

    def remaining_s(self, now: float) -> float:
        """Leader: seconds of validity left (0 when not leading)."""
        if self.role == SOLO:
            return float("inf")
        if self.role != LEADER or self.valid_until is None:
            return 0.0
        return max(0.0, self.valid_until - now)

    def next_deadline(self, now: float) -> float:
        """The latest time tick() must run again (messages and acks also call for a tick)."""
        L = self.lease_s
        times = [now + min(1.0, L * RENEW / 2)]
        for t in (self.valid_until, self.next_renew,
                  self.won_at + SETTLE * L if self.won_at is not None else None,
                  self.holder_seen + EXPIRE * L if self.holder_seen is not None else None,
                  self.connected_at + OBSERVE * L if self.connected_at is not None else None,
                  self.offline_since + L if self.offline_since is not None else None):
            if t is not None and t > now:
                times.append(t)
        return min(times)

    # ------------------------------------------------------------------ inputs
    def connect(self, now: float) -> list:
        self.connected_at = now
        self.offline_since = None
        out = []
        if self.role == SOLO:
            out += self._set(FOLLOWER, "broker reachable again: solo duties stop, election resumes")
        # what I knew of the holder predates this connection: the retained lease (or a live
        # renewal) arrives within OBSERVE and counts from then
        self.holder_seen = None if self.holder is None else now
        return out + self.tick(now)

    def disconnect(self, now: float) -> list:
        self.connected_at = None
        self.offline_since = now
        self._sent.clear()
        out = []
        if self.role == CANDIDATE:
            out += self._set(FOLLOWER, "broker lost while claiming")
        if self.role == FOLLOWER:
            self.reason = "no broker connection"
        # a leader keeps its duties until its validity runs out (tick): short broker blips
        # must not interrupt the heartbeat
        return out + self.tick(now)

    def message(self, msg: dict, now: float, retained: bool = False) -> list:
        try:
            term, gate, op = int(msg["term"]), str(msg["gate"]), str(msg.get("op", "renew"))
        except (KeyError, TypeError, ValueError):
            return []
        if op not in ("claim", "renew", "release") or term < 0:
            return []
        out = []
        self.max_term = max(self.max_term, term)
        mine = gate == self.gate
        if self.holder is None or term > self.holder[0]:
            self.holder, self.holder_seen, self.released = (term, gate), now, op == "release"
            if not mine and self.role in (LEADER, CANDIDATE):
                out += self._set(FOLLOWER, "%s holds term %d" % (gate, term))
            elif mine and self.role == CANDIDATE and term == self.term and op == "claim":
                self.won_at = now
            elif mine and self.role != LEADER and op != "release" and not retained:
                out += self._publish("release", term, now)     # not mine to hold: a stale re-send
        elif term == self.holder[0]:
            if gate == self.holder[1]:
                self.holder_seen = now
                if op == "release":
                    self.released = True
                elif mine and self.role == FOLLOWER and not retained:
                    out += self._publish("release", term, now)   # I no longer lead it: a stale re-send
            elif op == "renew":
                self.holder, self.holder_seen, self.released = (term, gate), now, False
                if self.role in (LEADER, CANDIDATE):
                    out += self._set(FOLLOWER, "%s renewed term %d" % (gate, term))
            # else: a losing claim of this term, or a loser's release: ignored
        if self.role == FOLLOWER and self.holder[1] != self.gate:
            self.reason = ("%s released term %d" if self.released else "%s leads (term %d)") % (
                self.holder[1], self.holder[0])
        return out + self.tick(now)

    def acked(self, seq: int, now: float) -> list:
        sent = self._sent.pop(seq, None)
        if sent is None:
            return []
        at, term = sent
        if term == self.term and self.role in (LEADER, CANDIDATE):
            self.valid_until = max(self.valid_until or 0.0, at + VALID * self.lease_s)
        return self.tick(now)

    def stop(self, now: float) -> list:
        """Orderly shutdown: a leader stops its duties, then releases the lease."""
        if self.role == LEADER:
            term = self.term
            out = self._set(FOLLOWER, "stopping")
            return out + (self._publish("release", term, now) if self.connected else [])
        if self.role != FOLLOWER:
            return self._set(FOLLOWER, "stopping")
        return []

    def tick(self, now: float) -> list:
        L = self.lease_s
        out = []
        if self.role == LEADER:
            if self.valid_until is None or now >= self.valid_until:
                out += self._set(FOLLOWER, "lease not renewed for %.1f s (broker unreachable?): duties "
                                           "stopped (fencing)" % (VALID * L))
            elif self.connected and now >= self.next_renew:
                out += self._publish("renew", self.term, now)
                self.next_renew = now + RENEW * L
            return out
        if self.role == CANDIDATE:
            if self.won_at is not None and now >= self.won_at + SETTLE * L:
                if self.valid_until is not None and now < self.valid_until:
                    out += self._set(LEADER, "won term %d" % self.term)
                    out += self._publish("renew", self.term, now)     # overwrite the retained claim at once
                    self.next_renew = now + RENEW * L
                    return out
            if self.claim_sent is not None and now >= self.claim_sent + EXPIRE * L:
                out += self._set(FOLLOWER, "claim of term %d not confirmed" % self.term)
            return out
        if self.role == SOLO:
            return out
        if not self.eligible:
            return out
        if not self.connected:
            if self.solo_fallback and self.offline_since is not None and now >= self.offline_since + L:
                out += self._set(SOLO, "no broker for %.0f s: doing the site duties alone (solo_fallback)" % L)
            return out
        if now < self.connected_at + OBSERVE * L:
            return out
        expired = (self.holder is None or self.released or self.holder_seen is None
                   or now >= self.holder_seen + EXPIRE * L)
        if expired:
            self.term = self.max_term + 1
            self.role = CANDIDATE
            self.won_at = None
            self.valid_until = None
            self.claim_sent = now
            out += self._publish("claim", self.term, now)
        return out

    # ------------------------------------------------------------------ helpers
    def _set(self, role: str, reason: str) -> list:
        if role == self.role:
            return []
        was = self.role
        self.role, self.reason = role, reason
        if role != LEADER:
            self.valid_until = self.next_renew = None
        if role != CANDIDATE:
            self.won_at = self.claim_sent = None
        shown = lambda r: FOLLOWER if r == CANDIDATE else r  # noqa: E731
        if shown(was) == shown(role):
            return []
        return [("role", shown(role), self.term, reason)]

    def _publish(self, op: str, term: int, now: float) -> list:
        """A lease message for the node to publish at once (retained, QoS 1). Its PUBACK
        (acked(seq)) counts from `now`, never later than the real sending: the safe side."""
        self.seq += 1
        self._sent[self.seq] = (now, term)
        while len(self._sent) > 32:
            del self._sent[next(iter(self._sent))]
        return [("publish", {"gate": self.gate, "term": term, "op": op, "seq": self.seq, "lease_s": self.lease_s})]
