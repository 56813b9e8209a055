"""A discrete-event model of lanes running edge.site.election against one broker: the broker
orders the messages of the lease topic, keeps the retained one, delivers with per-lane delays
and PUBACKs the sender; lanes can be killed, partitioned (silently: both sides notice only by
keepalive) and healed. Used by test_election.py to check the safety and takeover properties
over many random schedules — what a real broker test can only sample a few times."""
from __future__ import annotations

import heapq
import itertools
import random

from edge.site.election import Election


def overlapping(spans) -> list:
    """Pairs of (start, end, gate) duty spans of different lanes that overlap in time
    (the simulated election here, the real site in site_harness)."""
    s = sorted(spans)
    bad = []
    for i, (a, b, g) in enumerate(s):
        for a2, b2, g2 in s[i + 1:]:
            if a2 >= b:
                break
            if g2 != g:
                bad.append(((g, a, b), (g2, a2, b2)))
    return bad


class Lane:
    def __init__(self, gate, lease_s, eligible=True, solo=False):
        self.gate = gate
        self.el = Election(gate, lease_s, eligible=eligible, solo_fallback=solo, now=0.0)
        self.alive = True
        self.link = False          # broker connection believed up (by the lane)
        self.cut = False           # the network between lane and broker is cut
        self.duty_since = None
        self.intervals = []        # (start, end) of this lane's duties
        self.down_t = 0.0          # broker -> lane and lane -> broker are TCP streams: in order
        self.up_t = 0.0


class Sim:
    def __init__(self, gates, lease_s=10.0, seed=1, delay=(0.001, 0.05), keepalive=2.0, solo=()):
        self.rng = random.Random(seed)
        self.lease_s = lease_s
        self.delay = delay
        self.keepalive = keepalive
        self.lanes = {g: Lane(g, lease_s, solo=g in solo) for g in gates}
        self.q = []
        self.n = itertools.count()
        self.now = 0.0
        self.retained = None
        self.broker_up = True
        self.order = []            # every lease message in broker order
        for g in gates:
            self.at(self.rng.uniform(0, 0.5), self._connect, g)
            self.at(0.0, self._tick, g)

    # ------------------------------------------------------------------ scheduling
    def at(self, t, fn, *args):
        heapq.heappush(self.q, (t, next(self.n), fn, args))

    def run(self, until):
        while self.q and self.q[0][0] <= until:
            t, _, fn, args = heapq.heappop(self.q)
            self.now = t
            fn(*args)
        self.now = until

    def d(self):
        return self.rng.uniform(*self.delay)

    def down(self, g):
        """When the next thing the broker sends lane g arrives: later than anything before it."""
        lane = self.lanes[g]
        lane.down_t = max(lane.down_t, self.now + self.d())
        return lane.down_t

    # ------------------------------------------------------------------ lane side
    def _apply(self, g, actions):
        lane = self.lanes[g]
        for a in actions:
            if a[0] == "publish":
                if lane.link and not lane.cut and self.broker_up:
                    lane.up_t = max(lane.up_t, self.now + self.d())
                    self.at(lane.up_t, self._arrive, g, dict(a[1]))
            elif a[0] == "role":
                duties = lane.el.duties
                if duties and lane.duty_since is None:
                    lane.duty_since = self.now
                elif not duties and lane.duty_since is not None:
                    lane.intervals.append((lane.duty_since, self.now))
                    lane.duty_since = None
        self._schedule_tick(g)

    def _schedule_tick(self, g):
        lane = self.lanes[g]
        if lane.alive:
            self.at(lane.el.next_deadline(self.now), self._tick, g)

    def _tick(self, g):
        lane = self.lanes[g]
        if lane.alive:
            self._apply(g, lane.el.tick(self.now))

    def _connect(self, g):
        lane = self.lanes[g]
        if not lane.alive or lane.cut or not self.broker_up or lane.link:
            if lane.alive and not lane.link:
                self.at(self.now + 1.0, self._connect, g)   # paho's reconnect delay
            return
        lane.link = True
        self._apply(g, lane.el.connect(self.now))
        if self.retained is not None:
            self.at(self.down(g), self._deliver, g, dict(self.retained), True)

    def _lost(self, g):
        lane = self.lanes[g]
        if lane.alive and lane.link:
            lane.link = False
            self._apply(g, lane.el.disconnect(self.now))
            self.at(self.now + 1.0, self._connect, g)

    # ------------------------------------------------------------------ broker side
    def _arrive(self, g, msg):
        lane = self.lanes[g]
        if not self.broker_up or lane.cut:
            return
        self.retained = msg
        self.order.append((self.now, msg))
        for h, other in self.lanes.items():
            if other.alive and other.link and not other.cut:
                self.at(self.down(h), self._deliver, h, dict(msg), False)
        self.at(self.down(g), self._ack, g, msg["seq"])

    def _deliver(self, g, msg, retained):
        lane = self.lanes[g]
        if lane.alive and lane.link and not lane.cut:
            self._apply(g, lane.el.message(msg, self.now, retained))

    def _ack(self, g, seq):
        lane = self.lanes[g]
        if lane.alive and lane.link and not lane.cut:
            self._apply(g, lane.el.acked(seq, self.now))

    # ------------------------------------------------------------------ faults
    def kill(self, g):
        lane = self.lanes[g]
        lane.alive = False
        if lane.duty_since is not None:
            lane.intervals.append((lane.duty_since, self.now))
            lane.duty_since = None
        # the broker publishes nothing for the lease on a death: the lease simply runs out

    def cut(self, g):
        lane = self.lanes[g]
        lane.cut = True
        # a silent cut: the lane notices by keepalive (1.5 x)
        self.at(self.now + 1.5 * self.keepalive, self._lost, g)

    def heal(self, g):
        self.lanes[g].cut = False

    def broker_down(self, keep_retained=True):
        self.broker_up = False
        if not keep_retained:
            self.retained = None
        for g, lane in self.lanes.items():
            if lane.alive and lane.link:
                self.at(self.now + self.rng.uniform(0, 0.01), self._lost, g)   # TCP reset: at once

    def broker_back(self):
        self.broker_up = True

    # ------------------------------------------------------------------ results
    def spans(self, g):
        lane = self.lanes[g]
        out = list(lane.intervals)
        if lane.duty_since is not None:
            out.append((lane.duty_since, self.now))
        return out

    def leaders_at(self, t):
        return [g for g in self.lanes if any(a <= t < b for a, b in self.spans(g))]

    def overlaps(self):
        return overlapping((a, b, g) for g in self.lanes for a, b in self.spans(g) if b > a)

    def first_start_after(self, t):
        starts = [a for g in self.lanes for a, b in self.spans(g) if a >= t]
        return min(starts) if starts else None
