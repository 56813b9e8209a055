"""The lease election (edge/site/election.py) without a broker: single rules, then many random
schedules of kills, silent partitions and broker restarts in a discrete-event model
(election_sim.py), checking the two properties the site relies on:
  * never two lanes doing the duties at the same moment (fencing);
  * after the leader dies, another lane leads within the lease (EXPIRE + SETTLE of it, plus
    the message delays)."""
import random

import pytest

from edge.site import election as E
from edge.site.election import Election
from tests.site.election_sim import Sim

L = 10.0


def publishes(actions):
    return [a[1] for a in actions if a[0] == "publish"]


def roles(actions):
    return [a[1] for a in actions if a[0] == "role"]


def leading(gate="A01", claim_at=4.0):
    """An Election that claimed at `claim_at`, had the claim acknowledged and echoed at once,
    and leads after settling; returns (election, its claim)."""
    el = Election(gate, L)
    el.connect(0.0)
    claim = publishes(el.tick(claim_at))[0]
    el.acked(claim["seq"], claim_at + 0.01)
    el.message(claim, claim_at + 0.01)
    el.tick(claim_at + 0.01 + E.SETTLE * L)
    assert el.role == "leader" and el.duties
    return el, claim


def test_a_lone_lane_claims_after_observing_and_leads_after_settling():
    el = Election("A01", L)
    assert el.connect(0.0) == []
    assert el.tick(E.OBSERVE * L - 0.01) == []
    claim = publishes(el.tick(E.OBSERVE * L))[0]
    assert claim["op"] == "claim" and claim["term"] == 1
    t = E.OBSERVE * L + 0.01
    el.acked(claim["seq"], t)
    el.message(claim, t)                      # our claim came back first
    assert not el.duties
    out = el.tick(t + E.SETTLE * L)
    assert roles(out) == ["leader"] and el.duties
    assert publishes(out)[0]["op"] == "renew"  # overwrites the retained claim at once


def test_ineligible_lane_never_claims():
    el = Election("A01", L, eligible=False)
    el.connect(0.0)
    assert all(not publishes(el.tick(t)) for t in range(0, 100))
    assert el.role == "follower"


def test_first_claim_of_a_term_in_broker_order_wins_everywhere():
    a, b = Election("A01", L), Election("B01", L)
    for el in (a, b):
        el.connect(0.0)
    ca, cb = publishes(a.tick(5.0))[0], publishes(b.tick(5.0))[0]
    assert ca["term"] == cb["term"] == 1
    order = [cb, ca]                           # the broker got B01's first
    for el in (a, b):
        for m in order:
            el.message(m, 5.1)
    assert a.role == "follower" and a.holder == (1, "B01")
    assert b.role == "candidate" and b.holder == (1, "B01")


def test_a_late_joiner_is_corrected_by_the_winners_renewal():
    j = Election("C01", L)
    j.connect(0.0)
    j.message({"gate": "A01", "term": 4, "op": "claim", "seq": 9}, 0.1, retained=True)  # the loser's retained claim
    assert j.holder == (4, "A01")
    j.message({"gate": "B01", "term": 4, "op": "renew", "seq": 3}, 0.5)
    assert j.holder == (4, "B01")


def test_a_leader_without_acknowledgements_stops_before_anyone_may_start():
    el, _ = leading(claim_at=4.0)      # claim acknowledged at 4.01
    el.disconnect(5.5)                 # broker gone: no more PUBACKs
    assert el.duties                   # a blip does not stop the heartbeat
    stop_at = 4.0 + E.VALID * L        # VALID after sending the last acknowledged message
    assert el.tick(stop_at - 0.01) == [] and el.duties
    assert roles(el.tick(stop_at)) == ["follower"] and not el.duties
    # a follower that received that claim at 4.01 may start no earlier than:
    assert 4.01 + (E.EXPIRE + E.SETTLE) * L > stop_at


def test_a_stale_resend_in_my_name_is_released():
    el = Election("A01", L)
    el.connect(0.0)
    el.message({"gate": "B01", "term": 3, "op": "renew", "seq": 1}, 0.1, retained=True)
    out = el.message({"gate": "A01", "term": 4, "op": "renew", "seq": 7}, 1.0)   # paho re-sent it late
    assert publishes(out) == [{"gate": "A01", "term": 4, "op": "release", "seq": 1, "lease_s": L}]
    # ...but a retained copy seen on subscribing is left to the live leader's renewals
    el2 = Election("A01", L)
    el2.connect(0.0)
    assert publishes(el2.message({"gate": "A01", "term": 4, "op": "claim", "seq": 7}, 0.1, retained=True)) == []


def test_release_lets_a_follower_take_over_at_once():
    f = Election("B01", L)
    f.connect(0.0)
    f.message({"gate": "A01", "term": 2, "op": "renew", "seq": 5}, 4.5)
    assert publishes(f.tick(4.6)) == []
    out = f.message({"gate": "A01", "term": 2, "op": "release", "seq": 6}, 4.7)
    assert publishes(out)[0] == {"gate": "B01", "term": 3, "op": "claim", "seq": 1, "lease_s": L}


def test_higher_term_makes_a_leader_step_down():
    el, _ = leading()
    out = el.message({"gate": "B01", "term": 2, "op": "claim", "seq": 1}, 6.0)
    assert roles(out) == ["follower"] and not el.duties


def test_solo_fallback_only_when_configured_and_stops_when_the_broker_is_back():
    plain = Election("A01", L)
    solo = Election("A01", L, solo_fallback=True)
    assert roles(solo.tick(L)) == ["solo"] and solo.duties
    assert plain.tick(L) == [] and not plain.duties
    out = solo.connect(L + 5)
    assert roles(out) == ["follower"] and not solo.duties
    assert Election("A01", L, eligible=False, solo_fallback=True).tick(2 * L) == []


# ---------------------------------------------------------------------- random schedules
GATES = ["A01", "A02", "B01", "B02"]


def test_leader_killed_another_takes_over_within_the_lease():
    worst = 0.0
    for seed in range(60):
        s = Sim(GATES[:3], lease_s=L, seed=seed)
        s.run(20 + seed % 7)
        (leader,) = s.leaders_at(s.now - 1e-9)
        s.kill(leader)
        k = s.now
        s.run(k + 3 * L)
        took = s.first_start_after(k) - k
        worst = max(worst, took)
        assert took <= (E.EXPIRE + E.SETTLE) * L + 0.5, (seed, took)
        assert s.overlaps() == []
    print("worst takeover in the model: %.2f s of a %.0f s lease" % (worst, L))


@pytest.mark.parametrize("seed", range(20))
def test_random_faults_never_give_two_leaders(seed):
    rng = random.Random(seed)
    s = Sim(GATES, lease_s=L, seed=seed, delay=(0.001, rng.choice([0.01, 0.2, 0.6])))
    t = 0.0
    for _ in range(25):
        t += rng.uniform(0.5, 2.5 * L)
        s.run(t)
        alive = [g for g, lane in s.lanes.items() if lane.alive]
        what = rng.random()
        if what < 0.35:
            g = rng.choice(alive)
            s.cut(g)
            s.at(t + rng.uniform(0.1, 3 * L), s.heal, g)
        elif what < 0.5 and s.broker_up:
            s.broker_down(keep_retained=rng.random() < 0.7)
            s.at(t + rng.uniform(0.1, 2 * L), s.broker_back)
        elif what < 0.6 and len(alive) > 2:
            s.kill(rng.choice(alive))
    s.run(t + 5 * L)
    assert s.overlaps() == [], s.overlaps()[:3]
    if s.broker_up and sum(lane.alive for lane in s.lanes.values()) >= 1:
        # once things are quiet the site has a leader again
        s.broker_back()
        for g in s.lanes:
            s.heal(g)
        s.run(s.now + 5 * L)
        assert len(s.leaders_at(s.now - 1e-9)) == 1


def test_solo_fallback_lane_does_the_duties_through_a_broker_outage():
    s = Sim(GATES[:3], lease_s=L, seed=4, solo=("A02",))
    s.run(30)
    s.broker_down()
    s.run(30 + 3 * L)
    assert s.leaders_at(s.now - 1e-9) == ["A02"]
    assert s.lanes["A02"].el.role == "solo"
    s.broker_back()
    s.run(s.now + 5 * L)
    assert len(s.leaders_at(s.now - 1e-9)) == 1
