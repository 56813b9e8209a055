import dataclasses

import pytest

from edge.io import pins
from edge.io.board import load_board


@pytest.fixture(autouse=True)
def fresh_pins():
    """A clean pin factory per test, as gpiozero's own tests reset MockFactory."""
    pins.reset()
    yield
    pins.reset()


def board_with(name="sim", **gpio):
    """A shipped profile with some gpio keys changed."""
    b = load_board(name)
    return dataclasses.replace(b, gpio=dataclasses.replace(b.gpio, **gpio), key=b.key)
