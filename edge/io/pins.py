"""One gpiozero pin factory per process, chosen by the board profile.

The gate's pins (edge/io/gpio.py) and the RS-485 driver-enable pin (edge/io/serial485.py)
claim their pins from the same factory, so two parts asking for one pin is an error at
start-up rather than two drivers fighting over a line. Tests call `reset()` between tests,
as gpiozero's own suite resets its MockFactory.
"""
from __future__ import annotations

from edge.errors import EdgeError

_factories: dict = {}

# what to install when a factory's library is missing
_NEEDS = {"lgpio": "python3-lgpio (or pip install lgpio)", "rpigpio": "python3-rpi.gpio (or pip install RPi.GPIO)",
          "native": "nothing (gpiozero's own); is this a Raspberry Pi?"}


def factory(board):
    """The board's pin factory (made on first use)."""
    key = (board.gpio.pin_factory, board.gpio.chip)
    f = _factories.get(key)
    if f is None:
        f = _factories[key] = _make(board.gpio.pin_factory, board.gpio.chip)
    return f


def _make(name: str, chip: int):
    try:
        if name == "mock":
            from gpiozero.pins.mock import MockFactory
            return MockFactory()
        if name == "lgpio":
            from gpiozero.pins.lgpio import LGPIOFactory
            return LGPIOFactory(chip=chip)
        if name == "rpigpio":
            from gpiozero.pins.rpigpio import RPiGPIOFactory
            return RPiGPIOFactory()
        from gpiozero.pins.native import NativeFactory
        return NativeFactory()
    except Exception as e:  # ImportError, PinFactoryFallback, OSError opening the gpiochip
        raise EdgeError("board gpio.pin_factory = %r: gpiozero cannot start it (%s); it needs %s"
                        % (name, str(e) or type(e).__name__, _NEEDS.get(name, "its library"))) from None


def reset() -> None:
    """Forget every factory (tests): a MockFactory's pins and reservations go with it."""
    for f in _factories.values():
        try:
            if hasattr(f, "reset"):
                f.reset()
            f.close()
        except Exception:
            pass
    _factories.clear()
