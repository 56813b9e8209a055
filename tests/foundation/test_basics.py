"""CLI dispatch, logging redaction, Beijing time."""
import io
import logging
from datetime import datetime, timezone

import pytest

from edge import logsetup, timeutil
from edge.cli import VERBS, main


def test_every_verb_has_a_module_with_the_contract():
    import importlib
    from pathlib import Path
    root = Path(__file__).resolve().parents[2] / "edge" / "commands"
    for verb, (module, _help) in VERBS.items():
        if not (root / (module + ".py")).exists():
            continue  # verbs of later work; the dispatcher only imports on use
        m = importlib.import_module("edge.commands." + module)
        assert callable(m.add_arguments) and callable(m.run), verb


def test_help_and_unknown_verb(capsys):
    assert main([]) == 2
    assert "config" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        main(["frobnicate"])
    assert e.value.code == 2


def test_config_option_after_the_verb_wins(tmp_path, capsys):
    assert main(["--config", str(tmp_path / "a.toml"), "config", "check", "--config", str(tmp_path / "b.toml")]) == 2
    assert "b.toml not found" in capsys.readouterr().err


def test_secrets_are_masked_in_logs():
    stream = io.StringIO()
    logsetup._configured = False
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        logsetup.setup("INFO", stream=stream)
        logsetup.register_secret("apiSecret-XYZ123")
        logging.getLogger("edge.test").info("token fetched with %s for %s", "apiSecret-XYZ123", "A01")
        assert stream.getvalue() == "INFO edge.test: token fetched with *** for A01\n"
    finally:
        for h in root.handlers[:]:
            if h not in before:
                root.removeHandler(h)
        logsetup._configured = False
        logsetup._SECRETS.clear()


def test_beijing_time_whatever_the_zone():
    utc = datetime(2025, 12, 31, 16, 30, 5, 123456, tzinfo=timezone.utc)
    assert timeutil.fmt_datetime(utc) == "2026-01-01 00:30:05"
    assert timeutil.fmt_date(utc) == "20260101"
    assert timeutil.stamp_ms(utc) == "20260101003005123"
    assert timeutil.parse_datetime("2026-01-01 00:30:05").astimezone(timezone.utc).hour == 16
    assert timeutil.now().utcoffset().total_seconds() == 8 * 3600
    with pytest.raises(ValueError, match="naive"):
        timeutil.fmt_datetime(datetime(2025, 1, 1))
