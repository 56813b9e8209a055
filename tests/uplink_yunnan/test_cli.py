"""The technician verbs as processes: seal/open through stdin, one-line failures, the simulator CLI."""
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from edge.uplink.yunnan import crypto
from tests.uplink_yunnan.helpers import write_config

ROOT = Path(__file__).resolve().parents[2]


def edge(*args, input=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "edge", *args], input=input, capture_output=True, env=env,
                          cwd=ROOT, timeout=60)


@pytest.fixture
def keyfiles(tmp_path, client_key, platform_key):
    f = {"client_priv": tmp_path / "client_priv.key", "client_pub": tmp_path / "client_pub.key",
         "platform_priv": tmp_path / "platform_priv.pem", "platform_pub": tmp_path / "platform_pub.pem"}
    f["client_priv"].write_text(crypto.private_key_b64(client_key))          # Java form
    f["client_pub"].write_text(crypto.public_key_b64(client_key))
    f["platform_priv"].write_text(crypto.private_key_pem(platform_key))       # PEM
    f["platform_pub"].write_text(crypto.public_key_pem(platform_key))
    return {k: str(v) for k, v in f.items()}


def test_seal_then_open_as_platform(keyfiles):
    plain = {"enterpriseId": "91530100MA6K5XYZ1P001V", "名": "值"}
    r = edge("uplink", "seal", "--platform-public-key", keyfiles["platform_pub"],
             "--client-private-key", keyfiles["client_priv"], input=json.dumps(plain).encode())
    assert r.returncode == 0, r.stderr
    env = json.loads(r.stdout)
    assert set(env) == {"signature", "encryptedAesKey", "encryptedContent"}
    r = edge("uplink", "open", "--platform-private-key", keyfiles["platform_priv"],
             "--client-public-key", keyfiles["client_pub"], input=r.stdout)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == plain
    # the wrong sign scope is a one-line failure
    r = edge("uplink", "open", "--platform-private-key", keyfiles["platform_priv"], "--sign-scope", "content",
             "--client-public-key", keyfiles["client_pub"], input=json.dumps(env).encode())
    assert r.returncode == 2 and b"signature does not match" in r.stderr and b"Traceback" not in r.stderr


def test_open_response(keyfiles, client_key):
    resp = crypto.seal_response({"token": "t", "expireTime": "7200"}, client_key.publickey(), 200, "获取成功")
    r = edge("uplink", "open", "--client-private-key", keyfiles["client_priv"], input=json.dumps(resp).encode())
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"token": "t", "expireTime": "7200"}


def test_open_of_a_request_or_an_answer_without_data_says_so(keyfiles, client_key, platform_key):
    # a technician pastes what the board SENT into `open`: not `null`, but what it is and how to open it
    env = crypto.seal({"a": 1}, platform_key.publickey(), client_key)
    r = edge("uplink", "open", "--client-private-key", keyfiles["client_priv"], input=json.dumps(env).encode())
    assert r.returncode == 2 and b"null" not in r.stdout
    assert b"is a request envelope" in r.stderr and b"--platform-private-key" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and b"Traceback" not in r.stderr
    # an answer without data (a heartbeat's) says so, with the platform's code and message
    resp = crypto.seal_response(None, client_key.publickey(), 200, "操作成功\nforged line")
    r = edge("uplink", "open", "--client-private-key", keyfiles["client_priv"], input=json.dumps(resp).encode())
    assert r.returncode == 0, r.stderr
    [line] = r.stdout.decode().splitlines()          # the platform's \n cannot start a line of its own
    assert line.startswith("the answer carries no data (code 200, message 操作成功") and "forged line)" in line


@pytest.mark.parametrize("stdin,args,needle", [
    (b"not json", ["--client-private-key", "K"], b"stdin is not valid JSON"),
    (b"{}", ["--client-private-key", "/nonexistent/key"], b"cannot read /nonexistent/key"),
    (b"{}", ["--client-private-key", "PUB"], b"private key is needed"),
])
def test_open_failures_are_one_line(keyfiles, stdin, args, needle):
    args = [keyfiles["client_priv"] if a == "K" else keyfiles["client_pub"] if a == "PUB" else a for a in args]
    r = edge("uplink", "open", *args, input=stdin)
    assert r.returncode == 2 and needle in r.stderr
    assert b"Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_verbs_fail_in_one_line_without_keys_or_platform(tmp_path):
    cfg = write_config(tmp_path, "http://127.0.0.1:9/access/api/dataReceive")
    r = edge("register", "--config", cfg)
    assert r.returncode == 2 and b"no enterprise key pair" in r.stderr and b"Traceback" not in r.stderr
    r = edge("uplink", "check", "--config", cfg)
    assert r.returncode == 2 and b"not registered" in r.stderr
    r = edge("keys", "generate", "--config", cfg)
    assert r.returncode == 0
    r = edge("register", "--config", cfg)            # nobody listens on port 9
    assert r.returncode == 2 and b"platform" in r.stderr and b"Traceback" not in r.stderr
    assert not (tmp_path / "state" / "keys" / "platform.json").exists()


def test_ledger_import_rejects_bad_rows(tmp_path):
    cfg = write_config(tmp_path, "http://127.0.0.1:9/x")
    (tmp_path / "v.csv").write_text("licensePlate,plateColor\n云A12345,9\n", encoding="utf-8")
    r = edge("ledger", "import", "vehicles", str(tmp_path / "v.csv"), "--config", cfg)
    assert r.returncode == 2
    err = r.stderr.decode()
    assert "row 1 plateColor:" in err and "row 1 vin: required" in err and "Traceback" not in err


def test_simulator_cli_prints_url_and_serves(tmp_path):
    p = subprocess.Popen([sys.executable, str(ROOT / "tools" / "yunnan_sim.py"), "--port", "0", "--seed-exceed", "7"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    try:
        url = p.stdout.readline().decode().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/access/api/dataReceive")
        root = url.split("/access/")[0]
        with urllib.request.urlopen(root + "/_sim/state", timeout=10) as r:
            state = json.loads(r.read())
        assert state["enterprises"] == [] and state["accessRecords"] == 0
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(10)


def test_seal_with_the_boards_own_keys(sim, tmp_path):
    cfg = write_config(tmp_path, sim.base_url)
    assert edge("keys", "generate", "--config", cfg).returncode == 0
    assert edge("register", "--config", cfg).returncode == 0
    r = edge("uplink", "seal", "--config", cfg, input=b'{"enterpriseId": "X"}')
    assert r.returncode == 0, r.stderr
    env = json.loads(r.stdout)
    # the platform (simulator) can open it with its private key and our registered public key
    ent = next(iter(sim.platform.enterprises.values()))
    assert json.loads(crypto.open_request(env, ent["publicKey"], sim.platform.key)) == {"enterpriseId": "X"}
    resp = crypto.seal_response({"ok": 1}, ent["publicKey"])
    r = edge("uplink", "open", "--config", cfg, input=json.dumps(resp).encode())
    assert r.returncode == 0 and json.loads(r.stdout) == {"ok": 1}
