"""Board profiles: every shipped profile resolves; bad profiles are named precisely."""
import json

import pytest

from edge.cli import main
from edge.errors import EdgeError, ValidationError
from edge.io.board import available, load_board

SHIPPED = {"sim", "rpi4", "rpi5", "orangepi5", "rock5b"}


def test_every_shipped_profile_loads():
    assert SHIPPED <= set(available())
    for name in SHIPPED:
        p = load_board(name)
        assert p.key == name
        assert p.inference.threads >= 1
        assert p.gpio.relay_pin and p.gpio.loop_pin and p.gpio.anti_smash_pin
        assert p.simulated == (name == "sim")


def test_rk3588_profiles_document_the_npu():
    for name in ("orangepi5", "rock5b"):
        assert "NPU" in load_board(name).inference.note


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(EdgeError) as e:
        load_board("rpi3")
    assert "rpi4" in str(e.value) and "sim" in str(e.value)


def test_bad_profile_names_every_field(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('name = "x"\narch = "riscv"\n[gpio]\npin_factory = "mock"\nrelay_pin = "P17"\n'
                 'loop_pin = "GPIO1"\nanti_smash_pin = "GPIO2"\nextra = 1\n', encoding="utf-8")
    with pytest.raises(ValidationError) as e:
        load_board(str(f))
    p = dict(e.value.problems)
    assert p["arch"] == "must be one of 'aarch64', 'x86_64'"
    assert p["gpio.relay_pin"] == "GPIO<n>, BOARD<n> or a line number"
    assert p["gpio.extra"].startswith("unknown key")
    assert p["serial"] == "required"


def test_board_show_cli(capsys):
    assert main(["board", "show", "--profile", "rpi5", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["gpio"]["pin_factory"] == "lgpio"
    assert data["serial"]["rs485_de_pin"] == "GPIO18"
    assert data["source"].endswith("boards/rpi5.toml")
    assert main(["board", "list"]) == 0
    listing = capsys.readouterr().out
    assert "orangepi5" in listing and "Radxa ROCK 5B" in listing
