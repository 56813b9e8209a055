"""What a technician types, as processes: one verb's output feeds the next, singular and
plural kinds both work, `board show` says where the data goes, and the package metadata
is what current setuptools accepts."""
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from edge.config import example

ROOT = Path(__file__).resolve().parents[2]
EDGE = [sys.executable, "-m", "edge"]


def edge(*args, stdin=None, check=True):
    r = subprocess.run(EDGE + list(args), input=stdin, capture_output=True, timeout=120, cwd=ROOT)
    if check:
        assert r.returncode == 0, r.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in r.stderr
    return r


@pytest.fixture
def conf(tmp_path):
    text = example().replace('state_dir = "/var/lib/edge"', 'state_dir = "%s"' % (tmp_path / "state")) \
        .replace("127.0.0.1:8710", "127.0.0.1:9")
    p = tmp_path / "edge.toml"
    p.write_text(text, encoding="utf-8")
    return str(p)


@pytest.mark.parametrize("cn", ["60001", "60002", "60003"])
def test_example_hj212_is_an_input_for_hj212_encode(cn):
    fields = edge("example", "hj212-%s" % cn).stdout
    packets = edge("hj212", "encode", "--cn", cn, stdin=fields).stdout
    assert packets.startswith(b"##") and packets.endswith(b"\r\n")
    [msg] = [json.loads(line) for line in edge("hj212", "decode", stdin=packets).stdout.splitlines()]
    assert msg["crc"] == "ok" and msg["fields"]["CN"] == cn
    sent = json.loads(fields)
    assert {k: msg["fields"][k] for k in sent} == {k: str(v) for k, v in sent.items()}


def test_board_show_prints_the_resolved_state_dir(conf, tmp_path):
    state = tmp_path / "state"
    out = edge("board", "show", "--config", conf).stdout.decode()
    assert "resolved_state_dir:" in out and "%s (not created yet)" % state in out
    state.mkdir()
    [obj] = [json.loads(line) for line in edge("board", "show", "--config", conf, "--json").stdout.splitlines()]
    assert obj["resolved_state_dir"] == str(state)


def test_singular_and_plural_kinds_are_the_same_verb(conf, tmp_path):
    assert edge("example", "vehicle").stdout == edge("example", "vehicles").stdout
    f = tmp_path / "v.json"
    f.write_bytes(edge("example", "camera").stdout)
    assert edge("validate", "camera", str(f)).stdout == edge("validate", "cameras", str(f)).stdout
    one, many = edge("push", "vehicle", "--config", conf), edge("push", "vehicles", "--config", conf)
    assert one.stdout == many.stdout and b"nothing pending" in one.stdout
    bad = edge("push", "vehicl", "--config", conf, check=False)
    assert bad.returncode == 2 and b"'vehicl': one of enterprise, cameras, vehicles" in bad.stderr


def test_pyproject_licence_is_a_plain_spdx_string():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert isinstance(project["license"], str) and project["license"].strip()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_validate_reads_what_windows_editors_write(tmp_path, encoding):
    text = edge("example", "vehicle").stdout.decode("utf-8")
    f = tmp_path / "v.json"
    f.write_bytes(text.encode(encoding))
    r = edge("validate", "vehicle", str(f))
    assert r.stdout.decode().strip() == "%s: ok" % f
    f.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))      # UTF-16 is refused, in one line
    r = edge("validate", "vehicle", str(f), check=False)
    assert r.returncode == 2 and b"not UTF-8 or GBK/GB18030" in r.stderr and len(r.stderr.splitlines()) == 1
