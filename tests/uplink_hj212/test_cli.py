"""`edge hj212 encode|decode` and `python tools/hj212_sim.py` as a technician runs them."""
import base64
import json
import socket
import subprocess
import sys

from edge.uplink.hj212 import codec

from .conftest import jpeg

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
VECTOR = (b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;"
          b"MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n")


def edge(*args, stdin=b""):
    return subprocess.run([sys.executable, "-m", "edge", "hj212", *args], input=stdin, capture_output=True,
                          cwd=ROOT, timeout=60)


FIELDS = {"MN": "91640100MA76XYZ12X", "DATE": "20260101080000", "F_JCZP": "", "F_JCWZ": "1号门",
          "F_CPHM": "宁A12345", "F_CPYS": "黄牌", "F_JCLX": "进", "F_CRKBH": "A", "F_ZDBH": "A01",
          "F_CDMC": "自有", "F_TGFS": "自动", "F_YSL": 32.5}


def test_encode_splits_and_decode_reassembles():
    fields = dict(FIELDS, F_JCZP=base64.b64encode(jpeg(5)).decode())
    r = edge("encode", "--cn", "60001", stdin=json.dumps(fields, ensure_ascii=False).encode())
    assert r.returncode == 0, r.stderr.decode()
    lines = r.stdout.split(b"\r\n")[:-1]
    assert len(lines) > 5
    assert all(codec.parse_packet(line + b"\r\n").get("Flag") == "7" for line in lines)
    d = edge("decode", stdin=r.stdout)
    assert d.returncode == 0, d.stderr.decode()
    [out] = [json.loads(x) for x in d.stdout.decode().splitlines()]
    assert out["crc"] == "ok" and out["packets"] == len(lines)
    f = out["fields"]
    assert f["F_JCZP"] == fields["F_JCZP"] and f["F_YSL"] == "32.5" and f["F_CPHM"] == "宁A12345"
    assert (f["ST"], f["CN"], f["Flag"], len(f["QN"])) == ("31", "60001", "5", 17)


def test_decode_published_vector_and_reject_bad_crc():
    d = edge("decode", stdin=VECTOR)
    assert d.returncode == 0
    assert json.loads(d.stdout)["fields"]["RtdInterval"] == "30"
    bad = edge("decode", stdin=VECTOR.replace(b"1C80", b"1C81"))
    assert bad.returncode == 2
    assert b"CRC" in bad.stderr and b"1C81" in bad.stderr and b"1C80" in bad.stderr
    short = edge("decode", stdin=VECTOR[:-20])
    assert short.returncode == 2 and b"inside a packet" in short.stderr


def test_encode_names_every_bad_field():
    r = edge("encode", "--cn", "60001", stdin=json.dumps({"DATE": "today", "F_CPYS": "red"}).encode())
    assert r.returncode == 2
    err = r.stderr.decode()
    for line in ("MN: required", "DATE: must be yyyyMMddHHmmss", "F_CPYS: must be one of", "F_TGFS: required"):
        assert line in err


def test_encode_takes_mn_pw_and_edition_from_config(tmp_path):
    cfg = tmp_path / "lane.toml"
    cfg.write_text("""
[site]
enterprise_id = "91640100MA76XYZ12X001V"
enterprise_name = "宁夏示例"
entrance_id = "A"
gate_id = "A01"
[paths]
state_dir = "%s"
[uplink]
destinations = ["hj212"]
[uplink.hj212]
host = "127.0.0.1"
port = 8712
mn = "640100CONFIGMN"
pw = "abc123"
edition = "2025"
""" % tmp_path, encoding="utf-8")
    fields = {"DATE": "20260101080000", "F_QYMJJKZT": "正常", "F_SCQK": "正常"}
    r = edge("encode", "--cn", "60003", "--config", str(cfg), stdin=json.dumps(fields).encode())
    assert r.returncode == 0, r.stderr.decode()
    p = codec.parse_packet(r.stdout)
    assert (p.get("MN"), p.get("PW"), p.get("Flag")) == ("640100CONFIGMN", "abc123", "9")


def test_simulator_cli_answers_over_tcp(unused_tcp_port):
    proc = subprocess.Popen([sys.executable, "tools/hj212_sim.py", "--port", str(unused_tcp_port)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert b"HJ 212 receiver on 127.0.0.1:%d" % unused_tcp_port in proc.stdout.readline()
        with socket.create_connection(("127.0.0.1", unused_tcp_port), timeout=10) as s:
            s.sendall(VECTOR)
            data = b""
            while not data.endswith(b"\r\n"):
                chunk = s.recv(4096)
                assert chunk
                data += chunk
        answer = codec.decode_all([data])[0]
        assert answer.get("QN") == "20160801085857223" and answer.get("ExeRtn") == "1"
        assert json.loads(proc.stdout.readline())["fields"]["RtdInterval"] == "30"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
