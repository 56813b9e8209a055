"""Passwords (salted slow hash, 0600 file), sessions that expire, the login rate limit."""
import json
import os
import stat

import pytest

from edge.errors import EdgeError
from edge.web import passwords
from edge.web.sessions import LoginLimiter, Sessions


class Clock:
    def __init__(self, t=1000.0):
        self.t = t

    def __call__(self):
        return self.t


def test_hash_is_salted_slow_and_verifies():
    a, b = passwords.hash_password("correct horse"), passwords.hash_password("correct horse")
    assert a != b                                   # salted
    scheme, n, r, p, salt, key = a.split("$")
    assert scheme == "scrypt" and int(n) >= 2 ** 14 and int(r) >= 8
    assert "correct horse" not in a
    assert passwords.verify_password("correct horse", a)
    assert not passwords.verify_password("correct hors", a)
    assert not passwords.verify_password("correct horse", "garbage")
    assert not passwords.verify_password("x", "md5$1$2$3$4$5")


def test_password_file_is_0600_and_never_holds_the_password(tmp_path):
    path = passwords.set_password(tmp_path, "guard", "gate-house-2026")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text()
    assert "gate-house-2026" not in text
    users = json.loads(text)
    assert passwords.verify_password("gate-house-2026", users["guard"])
    passwords.set_password(tmp_path, "officer", "another-one-9")
    assert set(passwords.load_users(tmp_path)) == {"guard", "officer"}
    assert passwords.remove_user(tmp_path, "officer")
    assert set(passwords.load_users(tmp_path)) == {"guard"}


@pytest.mark.parametrize("pw, word", [("short", "at least"), (" padded-password", "spaces"), ("tab\there12", "control")])
def test_weak_or_odd_passwords_are_refused_with_one_line(tmp_path, pw, word):
    with pytest.raises(EdgeError) as e:
        passwords.set_password(tmp_path, "guard", pw)
    assert word in str(e.value) and "\n" not in str(e.value)
    assert not passwords.users_path(tmp_path).exists()


def test_damaged_users_file_is_one_line(tmp_path):
    passwords.users_path(tmp_path).write_text("{not json")
    with pytest.raises(EdgeError) as e:
        passwords.load_users(tmp_path)
    assert "edge web passwd" in str(e.value)


def test_sessions_expire_by_lifetime_and_by_idleness():
    clock = Clock()
    s = Sessions(lifetime_s=3600, idle_s=600, clock=clock)
    a = s.create("guard", "10.0.0.5")
    assert a.who() == "web:guard@10.0.0.5"
    clock.t += 500
    assert s.get(a.token) is a              # used: idle clock restarts
    clock.t += 500
    assert s.get(a.token) is a
    clock.t += 601
    assert s.get(a.token) is None           # idle too long
    b = s.create("guard", "10.0.0.5")
    for _ in range(7):              # 3500 s of use
        clock.t += 500
        assert s.get(b.token) is b
    clock.t += 500
    assert s.get(b.token) is None           # lifetime over, however busy
    assert s.get("forged") is None and s.get(None) is None
    c = s.create("guard", "x")
    assert s.end(c.token) and s.get(c.token) is None


def test_csrf_token_is_per_session_and_compared_whole():
    s = Sessions(3600, 600)
    a, b = s.create("guard", "x"), s.create("guard", "x")
    assert a.csrf != b.csrf and a.token != b.token
    assert a.csrf_ok(a.csrf) and not a.csrf_ok(b.csrf) and not a.csrf_ok("") and not a.csrf_ok(None)
    assert not a.csrf_ok(a.csrf[:-1])


def test_sixth_wrong_password_within_a_minute_is_refused_then_allowed_again():
    clock = Clock()
    lim = LoginLimiter(5, 60, clock=clock)
    for _ in range(5):
        assert lim.retry_after("10.0.0.9") == 0
        lim.failed("10.0.0.9")
        clock.t += 1
    wait = lim.retry_after("10.0.0.9")
    assert 0 < wait <= 60
    assert lim.retry_after("10.0.0.10") == 0     # per address
    clock.t += wait + 0.01
    assert lim.retry_after("10.0.0.9") == 0      # the oldest failure left the window
    lim.failed("10.0.0.9")
    lim.succeeded("10.0.0.9")
    assert lim.retry_after("10.0.0.9") == 0


def test_limiter_memory_is_bounded():
    lim = LoginLimiter(5, 60, max_addresses=100)
    for i in range(1000):
        lim.failed("10.0.%d.%d" % (i // 256, i % 256))
    assert len(lim._fails) <= 100
