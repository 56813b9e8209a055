"""One site, three lanes: a real mosquitto on 127.0.0.1, the Yunnan platform simulator and three
`edge run` processes (sim board, no camera), each behind its own TCP proxy to the broker so a
test can partition one lane. The scenarios run in order on one site (starting a site costs
a minute on a loaded machine):

  election      exactly one leader; `edge status --json` has gate, role, cache_version; all
                lanes converge to one cache version; `edge site --json` lists them
  ledger        a vehicle registered at one lane is used by another lane's decision (refused
                before, allowed after); entry at A01, exit at B01 pair up in `edge site`, an
                exit without an entry is flagged; the leader uploads the new vehicle (6.11)
  partition     the leader's broker connection is cut: it stops its duties (its own status
                says so), another lane takes over, and after healing it catches up as a follower
  broker        mosquitto restarted: every lane reconnects and resyncs
  kill          the leader SIGKILLed: the takeover time is printed
and, over all of it, the platform saw no duplicate confirmation, heartbeat gaps never longer
than heartbeat interval + lease, and no two lanes' duty spans overlap. Durations are printed,
never asserted; the bounds asserted are the issue's, from the configured values. B01 has
[lane] site_duties = false: with a broker that means "never leader", and it never is."""
import base64
import io
import json
import time

import pytest

from edge.errors import EdgeError

from tests.site.site_harness import Site, edge, max_gap, overlaps, wait_for

LEASE = 5.0
HEARTBEAT = 10.0
GATES = ("A01", "A02", "B01")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    # B01 may never lead ([lane] site_duties = false with a broker): A01 and A02 hand over between them
    s = Site(tmp_path_factory.mktemp("site"), GATES, lease_s=LEASE, heartbeat_s=HEARTBEAT, sync_s=10.0,
             gated=GATES, directions={"B01": "out"}, extra={"B01": {"site_duties = true": "site_duties = false"}})
    s.start()
    s.t0 = time.time()
    try:
        yield s
    except BaseException:
        raise
    finally:
        for g in GATES:
            print("---- %s log tail ----\n%s" % (g, s.logs(g)[-2500:]))
        s.close()


def today() -> str:
    from edge import timeutil
    return timeutil.now().strftime("%Y-%m-%d")


def seed(site, **counts):
    """New platform records dated today (a pull asks for what was added since its last day)."""
    site.sim_post("/_sim/seed", dict(counts, date=today()))


def same_versions(site, gates):
    vs = {g: site.status(g)["cache_version"] for g in gates}
    return vs if len(set(vs.values())) == 1 and 0 not in vs.values() else None


def test_one_leader_is_elected_and_every_lane_converges(site):
    leader = site.wait_leader(120)
    for g in GATES:
        st = site.cli_status(g)                      # the real verb: `edge status --json`
        assert st["gate"] == g
        assert st["role"] in ("leader", "follower")
        assert isinstance(st["cache_version"], int)
    assert [g for g in GATES if site.cli_status(g)["role"] == "leader"] == [leader]
    versions = wait_for(lambda: same_versions(site, GATES), 60, what="one cache version on every lane")
    print("leader %s; cache version on every lane: %s" % (leader, versions))
    # the leader pulled the platform's lists; the followers hold them from the site
    for g in GATES:
        assert site.status(g)["site"]["cache"]["versions"]["exceed"] > 0
    out = json.loads(edge(site.configs["A02"], "site", "--json").stdout)
    lanes = {x["gate"]: x for x in out["lanes"]}
    assert set(lanes) == set(GATES)
    assert all(x["online"] for x in lanes.values())
    assert [g for g, x in lanes.items() if x["role"] == "leader"] == [leader]
    text = edge(site.configs["B01"], "site").stdout
    assert leader in text and "leader" in text


# ---------------------------------------------------------------------- driving a lane
def drive(site, g, plate, *, leave=True):
    """A vehicle on the loop, its plate typed by the guard (no camera): → its decision event."""
    cfg = site.configs[g]
    seen = max([e["id"] for e in site_events(site, g)] or [0])
    edge(cfg, "sim", "loop", "on")
    wait_for(lambda: site.status(g)["state"] in ("waiting_manual", "reading"), 30, what="%s sees the vehicle" % g)
    edge(cfg, "plate", plate)
    ev = wait_for(lambda: next((e for e in site_events(site, g, seen) if e["type"] in ("allow", "refuse")), None),
                  30, what="%s decides on %s" % (g, plate))
    if leave:
        edge(cfg, "sim", "loop", "off")
        wait_for(lambda: any(e["type"] == "vehicle_leave" for e in site_events(site, g, seen)), 30,
                 what="%s: the vehicle leaves" % g)
        wait_for(lambda: site.status(g)["state"] == "idle", 30, what="%s idle again" % g)
    return ev


def site_events(site, g, after=0):
    from edge.lane import control_client
    return control_client.call(site.state_dir(g), "events", {"after_id": after, "limit": 500})["events"]


def jpeg() -> str:
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 180, 40)).save(buf, "JPEG")
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def test_a_vehicle_registered_at_one_lane_is_used_by_another_lanes_decision(site):
    from edge.commands.record import demo_vehicle
    from edge.lane import control_client
    site.wait_leader(90)
    plate = "云A8K765"
    refused = drive(site, "A01", plate)
    assert refused["type"] == "refuse", refused        # not in the ledger yet: [policy] unregistered = refuse
    from edge.config import load_config
    ent = load_config(site.configs["A02"]).site.enterprise_id
    entry = demo_vehicle(ent, 501, plate, "yellow", "LSITE000000000501")
    entry.update(emissionStandard="6", carImg1=jpeg(), carImg2=jpeg())
    entry.pop("vehicleId", None)
    try:
        answer = control_client.call(site.state_dir("A02"), "register_vehicle", {"entry": entry}, who="guard")
        assert answer["ok"], answer
    except EdgeError as e:
        # the gate stores the entry, then releases records awaiting it through edge.store.repair
        # (helper h12's, not on main yet): the entry is in A02's ledger either way
        if "repair" not in str(e):
            raise
    # the entry reaches A01 through the site (A02 proposes, the leader merges and publishes)
    allowed = wait_for(lambda: (lambda ev: ev if ev["type"] == "allow" else None)(drive(site, "A01", plate)),
                       90, step=1.0, what="A01 allows the vehicle registered at A02")
    print("A01's decision for %s after A02 registered it: %s (%s)" % (plate, allowed["type"], allowed.get("reason")))
    # the passage at A01 (in) and, later, at B01 (out) pair up across lanes
    inside = wait_for(lambda: [v for v in json.loads(edge(site.configs["B01"], "site", "--json").stdout)["inside"]
                               if v["plate"] == plate], 30, what="%s inside the site" % plate)
    assert inside[0]["gate"] == "A01"
    out = drive(site, "B01", plate)
    assert out["type"] == "allow"
    wait_for(lambda: not [v for v in json.loads(edge(site.configs["A01"], "site", "--json").stdout)["inside"]
                          if v["plate"] == plate], 30, what="%s no longer inside" % plate)
    stray = "云A3M210"
    drive(site, "B01", stray)                          # leaves without having entered
    flags = wait_for(lambda: [f for f in json.loads(edge(site.configs["A02"], "site", "--json").stdout)["flags"]
                              if f["plate"] == stray], 30, what="the stray exit flagged")
    assert flags[0]["kind"] == "exit_without_entry" and flags[0]["gate"] == "B01"
    # the leader uploads the vehicle made at A02 (with its photos) to the platform once
    def uploaded():
        st = site.sim_state()
        return st["received"].get("vehicle", 0) >= 1 or None
    wait_for(uploaded, 60, what="the new vehicle uploaded by the leader")
    for g in GATES:
        wait_for(lambda g=g: site.status(g)["site"]["cache"]["versions"]["vehicles"]
                 == site.status(site.wait_leader(30))["site"]["cache"]["versions"]["vehicles"], 30,
                 what="%s has the site's ledger" % g)


def took_over(site, g, since: float) -> float:
    """When g's platform duties started after `since` (its role shows a moment before)."""
    return wait_for(lambda: next((d["start_ts"] for d in reversed(site.status(g)["site"]["duties"])
                                  if d["job"] == "platform" and d["start_ts"] >= since), None), 30,
                    what="%s's platform duties start" % g)


def test_a_partitioned_leader_stops_its_duties_and_catches_up(site):
    old = site.wait_leader(90)
    before = site.status(old)["cache_version"]
    site.proxies[old].cut()
    t_cut = time.time()
    new = site.wait_leader(60, exclude=(old,))
    # the partitioned lane knows by itself that it must not lead (it cannot hear the new leader)
    st = wait_for(lambda: (lambda s: s if s["role"] != "leader" else None)(site.status(old)), 30,
                  what="%s gives up its duties" % old)
    assert not [d for d in st["site"]["duties"] if d["end_ts"] is None]
    print("partition of %s: %s took over %.1f s after the cut; %s says: %s"
          % (old, new, took_over(site, new, t_cut) - t_cut, old, st["site"]["reason"]))
    # the platform changes meanwhile; the new leader pulls and publishes it
    seed(site, alarms=2, strategies=1)
    # ... and says its cache may be out of date, with its age, once it notices (keepalive)
    cache = wait_for(lambda: (lambda c: c if c["stale"] and c["why"] == "broker unreachable" else None)(
        site.status(old)["site"]["cache"]), 30, what="%s says its cache is stale" % old)
    assert cache["age_s"] is not None
    wait_for(lambda: any("未同步" in line for line in site.status(old)["signage"]["lines"] or ()), 30,
             what="%s's idle display says its list is not in step" % old)
    wait_for(lambda: site.status(new)["cache_version"] > before, 60, what="the new leader publishes a new version")
    site.proxies[old].heal()
    wait_for(lambda: same_versions(site, GATES), 90, what="%s catches up after the partition" % old)
    assert site.status(old)["role"] == "follower"
    assert len(site.leaders()) == 1
    assert overlaps(site.duties()) == []


def test_broker_restart_every_lane_reconnects_and_resyncs(site):
    leader = site.wait_leader(90)
    connects = {g: site.status(g)["site"]["connects"] for g in GATES}
    site.broker.restart()
    wait_for(lambda: all(site.status(g)["site"]["connects"] > connects[g] and site.status(g)["site"]["connected"]
                         for g in GATES), 60, what="every lane reconnected")
    seed(site, alarms=1)
    wait_for(lambda: same_versions(site, GATES), 90, what="every lane resynced after the broker restart")
    print("broker restarted: leader before %s, after %s" % (leader, site.wait_leader(60)))


def test_leader_killed_another_takes_over(site):
    old = site.wait_leader(90)
    t_kill = time.time()
    site.kill(old)
    rest = [g for g in GATES if g != old]
    new = site.wait_leader(60)
    start = took_over(site, new, t_kill)
    print("leader %s SIGKILLed; %s took over after %.2f s (lease %.0f s)" % (old, new, start - t_kill, LEASE))
    # its last will: the broker tells the site it is gone
    wait_for(lambda: [x for x in json.loads(edge(site.configs[new], "site", "--json").stdout)["lanes"]
                      if x["gate"] == old and not x["online"]], 60, what="%s offline by its last will" % old)
    seed(site, alarms=2)
    wait_for(lambda: same_versions(site, rest), 60, what="the rest of the site on one version")
    site.run(old)                                 # it comes back as a follower and catches up
    wait_for(lambda: same_versions(site, GATES), 90, what="%s back in the site" % old)
    assert site.status(old)["role"] == "follower"


def test_the_platform_saw_one_leader_at_a_time(site):
    st = site.sim_state()
    assert not any(st["confirmDuplicates"].values()), st["confirmDuplicates"]
    assert st["confirmedAlarms"] >= 5
    times = st["heartbeatTimes"]
    gap = max_gap(times, time.time())
    print("heartbeats: %d; longest gap %.1f s (bound: interval %.0f + lease %.0f)" % (len(times), gap, HEARTBEAT,
                                                                                     LEASE))
    assert gap <= HEARTBEAT + LEASE
    assert overlaps(site.duties(), jobs=("platform", "hj212-status", "site-uploads")) == []
    b01 = site.status("B01")
    assert b01["site"]["eligible"] is False and b01["site"]["duties"] == []      # never led
