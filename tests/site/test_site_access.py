"""Who may say what on the site broker, against a real mosquitto with the example ACL
(tools/mosquitto/acl.example) and TLS; signed commands to a running lane through
`edge site command` and the lane's one LaneControl; and a lane with no broker at all, with
and without [mqtt] solo_fallback."""
import asyncio
import json
import os
import time

import pytest

from edge.site.mqtt import MqttLink
from tests.site.site_harness import Site, edge, wait_for
from tools.mosquitto.broker import Broker

ENT = "91530100MA6K5XYZ1P001V"
USERS = {"A01": "pw-a01", "A02": "pw-a02", "operator": "pw-op"}


async def connect(url, user, password, subs=(), ca_file=""):
    got = []
    link = MqttLink(url, client_id="t-%s-%d" % (user, time.monotonic_ns() % 10**6), username=user, password=password,
                    ca_file=ca_file, subscriptions=[(s, 1) for s in subs],
                    on_message=lambda t, p, r: got.append((t, p)))
    link.start()
    for _ in range(200):
        if link.connected:
            break
        await asyncio.sleep(0.05)
    return link, got


def test_the_example_acl_keeps_each_lane_under_its_own_gate_id_and_commands_to_the_operator(tmp_path):
    b = Broker(tmp_path / "b", users=USERS, enterprise_id=ENT, tls=True).start()

    async def main():
        ca = str(b.ca_file)
        watch, seen = await connect(b.url, "operator", "pw-op", ["edge/%s/#" % ENT], ca)
        a01, _ = await connect(b.url, "A01", "pw-a01", (), ca)
        bad, _ = await connect(b.url, "A01", "wrong", (), ca)
        assert watch.connected and a01.connected and not bad.connected
        await asyncio.sleep(0.3)
        root = "edge/%s/" % ENT
        await a01.publish_wait(root + "lane/A01/state", b'{"ok": 1}')          # its own: allowed
        await a01.publish_wait(root + "lane/A02/state", b'{"forged": 1}')      # another lane's: dropped
        await a01.publish_wait(root + "cmd/A02", b'{"op": "lift"}')            # a command: dropped
        await a01.publish_wait(root + "leader", b'{"gate": "A01"}')            # the lease: any lane
        await watch.publish_wait(root + "cmd/A02", b'{"op": "status"}')        # the operator's command
        await asyncio.sleep(0.5)
        for link in (watch, a01, bad):
            await link.close()
        return [t[len(root):] for t, _ in seen]
    try:
        topics = asyncio.run(main())
    finally:
        b.stop()
    assert "lane/A01/state" in topics and "leader" in topics and "cmd/A02" in topics
    assert "lane/A02/state" not in topics
    assert topics.count("cmd/A02") == 1          # only the operator's got through


@pytest.fixture(scope="module")
def lane(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lane")
    key = tmp / "command.key"
    key.write_bytes(os.urandom(32).hex().encode())
    os.chmod(key, 0o600)
    pw = tmp / "a01.pw"
    pw.write_text("pw-a01\n")
    os.chmod(pw, 0o600)
    site = Site(tmp, ("A01",), lease_s=5.0, broker_users=USERS, extra={"A01": {
        'username = ""': 'username = "A01"', 'password_file = ""': 'password_file = "%s"' % pw,
        'command_key_file = ""': 'command_key_file = "%s"' % key}})
    site.start()
    site.key = key
    op = tmp / "op.pw"
    op.write_text("pw-op\n")
    os.chmod(op, 0o600)
    site.op_pw = op
    try:
        wait_for(lambda: site.status("A01")["site"]["connected"], 60, what="A01 connected with its account")
        yield site
    finally:
        print(site.logs("A01")[-2000:])
        site.close()


def command(site, *args, user="operator", pw=None, key=None):
    return edge(site.configs["A01"], "site", "command", "A01", *args, "--username", user,
                "--password-file", str(pw or site.op_pw), "--key-file", str(key or site.key), "--timeout", "8",
                check=False)


def test_signed_operator_commands_go_through_the_lanes_control(lane):
    r = command(lane, "display", json.dumps({"text": "请稍候"}))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["lines"] == ["请稍候"]
    r = command(lane, "lift", json.dumps({"reason": "消防车"}))
    assert r.returncode == 0, r.stderr
    events = edge(lane.configs["A01"], "events", "--json", check=False).stdout
    who = [json.loads(x).get("who") for x in events.splitlines() if x.strip()]
    assert who.count("mqtt:operator") >= 2          # the display act and the manual lift, by the operator
    st = json.loads(command(lane, "status").stdout)
    assert st["gate"] == "A01" and st["site"]["commands"] == "on"


def test_commands_from_anyone_else_are_refused(lane, tmp_path):
    other = tmp_path / "other.key"
    other.write_bytes(b"x" * 40)
    os.chmod(other, 0o600)
    r = command(lane, "lift", json.dumps({"reason": "x"}), key=other)
    assert r.returncode == 2 and "bad signature" in r.stderr
    r = command(lane, "sim", json.dumps({"input": "loop"}))
    assert r.returncode == 2 and "not a command lanes take over MQTT" in r.stderr
    # a lane's account may not publish commands at all: the broker drops them, nothing answers
    lanepw = lane.tmp / "a01.pw"
    r = command(lane, "lift", json.dumps({"reason": "x"}), user="A01", pw=lanepw)
    assert r.returncode == 2 and "did not answer" in r.stderr


def test_no_broker_a_lane_does_the_duties_alone_only_with_solo_fallback(tmp_path):
    site = Site(tmp_path, ("A01", "A02"), lease_s=5.0, broker=False,
                extra={"A01": {"solo_fallback = false": "solo_fallback = true"}})
    site.start()
    try:
        st = wait_for(lambda: (lambda s: s if s["role"] == "solo" else None)(site.status("A01")), 60,
                      what="A01 alone (solo_fallback)")
        assert st["site"]["solo"] and "solo_fallback" in st["site"]["reason"]
        assert site.status("A02")["role"] == "follower"
        wait_for(lambda: site.sim_state()["heartbeatTimes"], 30, what="the solo lane's heartbeat")
        assert site.status("A02")["site"]["cache"]["stale"]
        assert any(d["job"] == "platform" for d in site.status("A01")["site"]["duties"])
        assert not site.status("A02")["site"]["duties"]
    finally:
        site.close()
