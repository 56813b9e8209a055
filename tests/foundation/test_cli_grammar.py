"""One CLI grammar (edge/cli.py): --json is JSON lines for every verb, one-line errors for
every exception class, secrets and platform text never forge or leak into the log, and the
console shows our lines only (no TFLite/FFmpeg chatter)."""
import errno
import importlib
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from edge import logsetup
from edge.cli import main
from edge.config import example

ROOT = Path(__file__).resolve().parents[2]
EDGE = [sys.executable, "-m", "edge"]


@pytest.fixture
def conf(tmp_path):
    text = example().replace('state_dir = "/var/lib/edge"', 'state_dir = "%s"' % (tmp_path / "state"))
    p = tmp_path / "edge.toml"
    p.write_text(text, encoding="utf-8")
    return str(p)


def json_lines(text):
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, "no output"
    return [json.loads(line) for line in lines]


@pytest.mark.parametrize("argv", [
    ["codes", "yunnan"], ["board", "list"], ["example", "vehicles"], ["example", "hj212-60003"],
    ["config", "check"], ["record", "demo", "--count", "2"], ["outbox", "list", "--all"], ["outbox", "stats"],
])
def test_json_is_json_lines_for_every_verb(conf, capsys, argv):
    if argv[0] == "outbox":
        assert main(["record", "demo", "--config", conf]) == 0
        capsys.readouterr()
    assert main(argv + ["--config", conf, "--json"]) == 0
    for obj in json_lines(capsys.readouterr().out):
        assert isinstance(obj, dict)


def test_validate_and_errors_with_json(conf, tmp_path, capsys):
    f = tmp_path / "a.json"
    f.write_text(json.dumps({"licensePlate": "云A1"}, ensure_ascii=False), encoding="utf-8")
    assert main(["validate", "access", str(f), "--json"]) == 1
    [res] = json_lines(capsys.readouterr().out)
    assert res["ok"] is False and {"field": "recordId", "rule": "required"} in res["problems"]
    assert main(["validate", "access", str(tmp_path / "nope.json"), "--json"]) == 2
    cap = capsys.readouterr()
    [err] = json_lines(cap.out)
    assert "no such file" in err["error"] and len(cap.err.strip().splitlines()) == 1


class _Boom:
    def __init__(self, exc):
        self.exc = exc

    def add_arguments(self, p):
        pass

    def run(self, args, ctx):
        raise self.exc


@pytest.mark.parametrize("exc,words", [
    (RuntimeError("a bug\nwith a second line"), "internal error: RuntimeError: a bug with a second line"),
    (OSError(errno.ENOSPC, "No space left on device", "/var/lib/edge/x"), "no space left"),
    (OSError(errno.EROFS, "Read-only file system", "/var/lib/edge/x"), "read-only"),
    (MemoryError(), "out of memory"),
    (RecursionError(), "nested too deeply"),
    (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), "internal error"),
    (KeyError("x"), "internal error"),
])
def test_every_exception_is_one_line(monkeypatch, capsys, exc, words):
    real = importlib.import_module
    monkeypatch.setattr(importlib, "import_module",
                        lambda name, *a: _Boom(exc) if name == "edge.commands.codes" else real(name, *a))
    assert main(["codes"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith("edge codes: ") and words.lower() in err.lower(), err


def test_an_internal_error_leaves_its_traceback_in_the_log_at_debug(monkeypatch, caplog):
    real = importlib.import_module
    monkeypatch.setattr(importlib, "import_module",
                        lambda name, *a: _Boom(ValueError("deep")) if name == "edge.commands.codes" else real(name, *a))
    with caplog.at_level(logging.DEBUG, logger="edge.cli"):
        assert main(["codes"]) == 2
    assert any(r.exc_info and r.levelno == logging.DEBUG for r in caplog.records)


def test_a_platform_message_cannot_forge_a_log_line_or_leak_a_password(caplog):
    from edge.uplink.yunnan.client import PlatformError
    e = PlatformError(400, "bad field\nERROR edge.lane.service: ALARM forged\r\x1b[31m")
    assert "\n" not in e.message and "\r" not in e.message and "\x1b" not in e.message
    h = logging.StreamHandler(stream := __import__("io").StringIO())
    h.addFilter(logsetup._Redact())
    log = logging.getLogger("test.forge")
    log.addHandler(h)
    try:
        log.warning("platform said: %s", "line one\nERROR forged line two")
        log.warning("camera %s", "rtsp://admin:p@ss@10.0.0.9:554/live")
    finally:
        log.removeHandler(h)
    out = stream.getvalue().splitlines()
    assert len(out) == 2 and "forged line two" in out[0]
    assert "p@ss" not in out[1] and "admin:***@10.0.0.9" in out[1]


def test_bad_packet_warnings_are_rate_limited(caplog):
    t = [0.0]
    rl = logsetup.RateLimited(logging.getLogger("test.rl"), 60, clock=lambda: t[0])
    with caplog.at_level(logging.WARNING, logger="test.rl"):
        for _ in range(100):
            rl.warning("bad packet")
        t[0] = 61
        rl.warning("bad packet")
    lines = [r.getMessage() for r in caplog.records if r.name == "test.rl"]
    assert lines == ["bad packet", "bad packet (99 similar lines suppressed)"]


def test_the_console_shows_our_lines_only(tmp_path):
    """edge lpr loads TFLite models: its 'INFO: Created TensorFlow Lite XNNPACK delegate' goes to
    the log at DEBUG, not the console."""
    img = next((ROOT / "tests" / "vision" / "fixtures").glob("*.jpg"))
    r = subprocess.run(EDGE + ["lpr", "--crop", str(img)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "XNNPACK" not in r.stderr and "INFO:" not in r.stderr, r.stderr
    r = subprocess.run(EDGE + ["lpr", "--crop", str(img), "--log-level", "DEBUG"], capture_output=True, text=True,
                       timeout=120)
    assert "DEBUG native: INFO: Created TensorFlow Lite XNNPACK delegate" in r.stderr
