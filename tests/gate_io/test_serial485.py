"""RS485Port over real pty pairs: the sim pty and its published far end, DE timing, an absent
or busy port named in one line, a device that takes no data, reopening after a failure."""
import asyncio
import os
import tty

import pytest
import serial
from gpiozero import OutputDevice
from gpiozero.pins.mock import MockFactory

from edge.errors import EdgeError
from edge.io.serial485 import RS485Port
from tests.gate_io.test_gpio import wait_for


def pty_pair():
    m, s = os.openpty()
    tty.setraw(m)
    tty.setraw(s)
    return m, s, os.ttyname(s)


def read_all(fd, n, timeout=5.0):
    import select
    import time
    got = b""
    end = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            got += os.read(fd, 4096)
    return got


async def test_sim_pty_publishes_its_far_end_and_carries_frames_both_ways(tmp_path):
    heard = []
    port = RS485Port("pty", 9600, state_dir=tmp_path, on_bytes=heard.append)
    await port.open()
    link = tmp_path / "rs485"
    assert link.is_symlink() and os.readlink(link).startswith("/dev/pts/")
    assert port.health()["path"] == os.readlink(link) and port.health()["attached"] is False
    assert await port.write(b"lost")                        # nobody attached: dropped, like a bus
    assert port.health()["unheard"] == 1
    far = os.open(link, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(far)
    await wait_for(lambda: port.attached)
    assert await port.write(b"\xfd\x00\x02\x21\xde")
    assert read_all(far, 5) == b"\xfd\x00\x02\x21\xde"     # the stale frame was not kept
    os.write(far, b"\x41\x4f")
    await wait_for(lambda: b"".join(heard) == b"\x41\x4f")
    os.close(far)
    await port.close()


async def test_de_pin_is_high_only_while_a_frame_is_on_the_wire():
    m, s, path = pty_pair()
    os.close(s)
    de = OutputDevice("GPIO18", pin_factory=MockFactory())
    port = RS485Port(path, 9600, de=de)
    await port.open()
    frame = bytes(96)                                       # 100 ms on the wire at 9600 baud
    assert await port.write(frame)
    assert [st.state for st in de.pin.states] == [False, True, False]
    high = de.pin.states[2].timestamp                       # how long DE stayed high
    assert high >= len(frame) * 10 / 9600
    assert read_all(m, len(frame)) == frame
    await port.close()
    de.close()
    os.close(m)


async def test_an_absent_port_is_one_line_naming_device_and_key():
    port = RS485Port("/dev/ttyNOSUCH7", 9600, name="LED display", key="[display] port")
    with pytest.raises(EdgeError) as e:
        await port.open()
    msg = str(e.value)
    assert msg == "LED display port /dev/ttyNOSUCH7 ([display] port): not found (is the adapter plugged in? check the device name)"
    assert await port.write(b"x") is False                  # never raises
    assert port.health()["error"] == msg and port.health()["open"] is False


async def test_a_busy_port_says_so():
    m, s, path = pty_pair()
    other = serial.Serial(path, 9600, exclusive=True)       # another program holds it
    port = RS485Port(path, 9600, name="voice module", key="[display] voice_port")
    with pytest.raises(EdgeError, match=r"voice module port /dev/pts/\d+ \(\[display\] voice_port\): busy"):
        await port.open()
    other.close()
    await port.open()                                       # free again: opens
    await port.close()
    os.close(s)
    os.close(m)


async def test_a_device_that_takes_no_data_times_out_and_health_says_so(tmp_path):
    port = RS485Port("pty", 115200, state_dir=tmp_path, write_timeout_s=0.3)
    await port.open()
    far = os.open(tmp_path / "rs485", os.O_RDWR | os.O_NOCTTY)   # attached, but never reads
    await wait_for(lambda: port.attached)
    results = []
    for _ in range(40):
        results.append(await port.write(bytes(4096)))
        if not results[-1]:
            break
    assert results[-1] is False and all(results[:-1])
    h = port.health()
    assert "write timed out" in h["error"] and h["write_timeouts"] == 1
    assert h["path"] == os.readlink(tmp_path / "rs485")     # the pty stays where the decoder is
    os.close(far)
    await port.close()


async def test_a_failed_port_is_reopened_on_a_later_write(tmp_path):
    m1, s1, path1 = pty_pair()
    dev = tmp_path / "ttyRS485"                             # like a udev symlink to an adapter
    os.symlink(path1, dev)
    port = RS485Port(str(dev), 9600)
    port.REOPEN_S = 0.1
    await port.open()
    assert await port.write(b"one")
    assert read_all(m1, 3) == b"one"
    os.close(s1)
    os.close(m1)                                            # the adapter goes away
    await wait_for(lambda: port.link is None)               # the read side noticed
    assert port.health()["error"]
    m2, s2, path2 = pty_pair()                              # it comes back (elsewhere)
    dev.unlink()
    os.symlink(path2, dev)
    await asyncio.sleep(0.15)
    assert await port.write(b"two")
    assert read_all(m2, 3) == b"two"
    assert port.health()["opens"] == 2 and port.health()["error"] is None
    await port.close()
    os.close(s2)
    os.close(m2)
