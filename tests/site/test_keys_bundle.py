"""One registration for every lane of a site: `edge keys export --to FILE` on the board that
registered, `edge keys import FILE` on the others (passphrase-encrypted), and `edge register`
saying the enterprise is registered already — on the board itself and from the platform."""
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.site.site_harness import EDGE, ROOT

PASS = "a long site passphrase"


def write_config(d: Path, platform_url: str, enterprise="91530100MA6K5XYZ1P001V") -> Path:
    from edge.config import example
    t = example().replace('state_dir = "/var/lib/edge"', 'state_dir = "%s"' % (d / "state"))
    t = t.replace('base_url = "http://127.0.0.1:8710/access/api/dataReceive"', 'base_url = "%s"' % platform_url)
    t = t.replace('enterprise_id = "91530100MA6K5XYZ1P001V"', 'enterprise_id = "%s"' % enterprise)
    d.mkdir(parents=True, exist_ok=True)
    (d / "edge.toml").write_text(t, encoding="utf-8")
    return d / "edge.toml"


def edge(cfg, *args, input=None):
    return subprocess.run([EDGE, "--config", str(cfg), *args], capture_output=True, text=True, input=input,
                          timeout=120)


@pytest.fixture
def platform():
    p = subprocess.Popen([sys.executable, str(ROOT / "tools" / "yunnan_sim.py"), "--port", "0"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = p.stdout.readline().strip()
    yield url
    p.terminate()
    p.wait(10)


def one_line_error(r, *words):
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    for w in words:
        assert w in lines[0], lines[0]


def test_keys_move_to_another_lane_in_an_encrypted_bundle(tmp_path, platform):
    a = write_config(tmp_path / "A01", platform)
    b = write_config(tmp_path / "A02", platform)
    pf = tmp_path / "pass"
    pf.write_text(PASS + "\n")
    assert edge(a, "keys", "generate").returncode == 0
    assert edge(a, "register").returncode == 0
    bundle = tmp_path / "site.keys"
    r = edge(a, "keys", "export", "--to", str(bundle), "--passphrase-file", str(pf))
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(os.stat(bundle).st_mode) == 0o600
    text = bundle.read_text()
    secret = json.loads((tmp_path / "A01/state/keys/platform.json").read_text())["apiSecret"]
    private = (tmp_path / "A01/state/keys/client_private.key").read_text().strip()
    assert secret not in text and private[:40] not in text        # nothing in clear
    # a wrong passphrase: one line, non-zero, nothing written
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase\n")
    one_line_error(edge(b, "keys", "import", str(bundle), "--passphrase-file", str(wrong)), "wrong passphrase")
    assert not (tmp_path / "A02/state/keys").exists()
    r = edge(b, "keys", "import", str(bundle), "--passphrase-file", str(pf))
    assert r.returncode == 0, r.stderr
    for name, mode in (("client_private.key", 0o600), ("platform.json", 0o600)):
        got = tmp_path / "A02/state/keys" / name
        assert got.read_text().strip() == (tmp_path / "A01/state/keys" / name).read_text().strip() or \
            json.loads(got.read_text()) == json.loads((tmp_path / "A01/state/keys" / name).read_text())
        assert stat.S_IMODE(os.stat(got).st_mode) == mode
    assert "already has these keys" in edge(b, "keys", "import", str(bundle), "--passphrase-file", str(pf)).stdout
    # the imported registration works: the second lane talks to the platform as the enterprise
    r = edge(b, "uplink", "check")
    assert r.returncode == 0, r.stderr
    # registering again says so, on either board, and points at the bundle
    one_line_error(edge(b, "register"), "already registered", "edge keys export")


def test_existing_other_keys_are_not_overwritten_without_force(tmp_path, platform):
    a = write_config(tmp_path / "A01", platform)
    c = write_config(tmp_path / "B01", platform)
    pf = tmp_path / "pass"
    pf.write_text(PASS)
    edge(a, "keys", "generate")
    assert edge(a, "register").returncode == 0
    bundle = tmp_path / "k"
    assert edge(a, "keys", "export", "--to", str(bundle), "--passphrase-file", str(pf)).returncode == 0
    one_line_error(edge(a, "keys", "export", "--to", str(bundle), "--passphrase-file", str(pf)), "exists", "--force")
    assert edge(c, "keys", "generate").returncode == 0                # B01 made its own pair by mistake
    before = (tmp_path / "B01/state/keys/client_private.key").read_text()
    one_line_error(edge(c, "keys", "import", str(bundle), "--passphrase-file", str(pf)), "--force")
    assert (tmp_path / "B01/state/keys/client_private.key").read_text() == before
    assert edge(c, "keys", "import", str(bundle), "--passphrase-file", str(pf), "--force").returncode == 0
    assert (tmp_path / "B01/state/keys/client_private.key").read_text() != before
    # its own registration attempt would have been refused by the platform: say why and what to do
    d = write_config(tmp_path / "B02", platform)
    edge(d, "keys", "generate")
    one_line_error(edge(d, "register"), "already registered", "edge keys import")


def test_bundle_problems_are_one_line(tmp_path, platform):
    a = write_config(tmp_path / "A01", platform)
    other = write_config(tmp_path / "X01", platform, enterprise="91530100MA6K5XYZ1P002V")
    pf = tmp_path / "pass"
    pf.write_text(PASS)
    short = tmp_path / "short"
    short.write_text("abc")
    edge(a, "keys", "generate")
    one_line_error(edge(a, "keys", "export", "--to", str(tmp_path / "k"), "--passphrase-file", str(pf)),
                   "not registered")
    assert edge(a, "register").returncode == 0
    one_line_error(edge(a, "keys", "export", "--to", str(tmp_path / "k"), "--passphrase-file", str(short)),
                   "at least 8")
    one_line_error(edge(a, "keys", "export", "--to", str(tmp_path / "k"), input=""), "--passphrase-file")
    assert edge(a, "keys", "export", "--to", str(tmp_path / "k"), "--passphrase-file", str(pf)).returncode == 0
    one_line_error(edge(other, "keys", "import", str(tmp_path / "k"), "--passphrase-file", str(pf)),
                   "91530100MA6K5XYZ1P001V", "91530100MA6K5XYZ1P002V")
    (tmp_path / "junk").write_text("{}")
    one_line_error(edge(other, "keys", "import", str(tmp_path / "junk"), "--passphrase-file", str(pf)),
                   "not an edge key bundle")
    tampered = json.loads((tmp_path / "k").read_text())
    tampered["enterpriseId"] = "91530100MA6K5XYZ1P002V"              # the header is authenticated too
    (tmp_path / "t").write_text(json.dumps(tampered))
    one_line_error(edge(other, "keys", "import", str(tmp_path / "t"), "--passphrase-file", str(pf)), "altered")


def _on_a_terminal(cfg, *args, answers=()):
    """`edge ARGS` with a pty as its terminal, typing each answer after its own prompt."""
    import pty
    import select
    import time
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(EDGE, [EDGE, "--config", str(cfg), *args])
    out, todo, answered = b"", list(answers), 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if select.select([fd], [], [], 1.0)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:       # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
            # a prompt written since the last answer (getpass's own newline is not one)
            if todo and out[answered:].rstrip().endswith(b":"):
                os.write(fd, todo.pop(0).encode() + b"\n")
                answered = len(out)
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def test_the_passphrase_is_asked_on_a_terminal_twice(tmp_path, platform):
    a = write_config(tmp_path / "A01", platform)
    b = write_config(tmp_path / "A02", platform)
    assert edge(a, "keys", "generate").returncode == 0
    assert edge(a, "register").returncode == 0
    bundle = tmp_path / "site.keys"
    rc, out = _on_a_terminal(a, "keys", "export", "--to", str(bundle), answers=[PASS, PASS + "x"])
    assert rc != 0 and "the two passphrases differ" in out and "Traceback" not in out
    assert not bundle.exists()
    rc, out = _on_a_terminal(a, "keys", "export", "--to", str(bundle), answers=[PASS, PASS])
    assert rc == 0, out
    assert PASS not in out                                          # not echoed
    pf = tmp_path / "pass"
    pf.write_text(PASS + "\n")
    r = edge(b, "keys", "import", str(bundle), "--passphrase-file", str(pf))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "A02/state/keys/client_private.key").read_text() == \
        (tmp_path / "A01/state/keys/client_private.key").read_text()
