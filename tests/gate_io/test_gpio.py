"""GateIO on gpiozero's mock pins: active levels, debounce, pulse/hold, the anti-smash interlock,
claim failures, callbacks handed over from other threads."""
import asyncio
import threading

import pytest
from gpiozero import OutputDevice

from edge.errors import EdgeError
from edge.io import pins
from edge.io.gpio import GateIO
from tests.gate_io.conftest import board_with

FAST = {"debounce_s": 0.03, "button_debounce_s": 0.03}


async def wait_for(cond, timeout=5.0):
    """Poll a condition; generous timeout (tests must not be flaky on a loaded machine)."""
    end = asyncio.get_running_loop().time() + timeout
    while not cond():
        if asyncio.get_running_loop().time() > end:
            raise AssertionError("condition not met within %.1f s" % timeout)
        await asyncio.sleep(0.01)


def make(board=None, **kw):
    board = board or board_with()
    io = GateIO.from_board(board, FAST, **kw)
    events = []
    io.on_input(lambda name, active: events.append((name, active)))
    return io, events


def pin(board, key):
    return pins.factory(board).pin(getattr(board.gpio, key))


async def test_active_low_inputs_report_active_on_low_level():
    board = board_with()
    io, events = make(board)
    assert io.state()["inputs"]["loop"] is False          # pulled up, contact open: no vehicle
    pin(board, "loop_pin").drive_low()
    await wait_for(lambda: events == [("loop", True)])
    pin(board, "loop_pin").drive_high()
    await wait_for(lambda: events == [("loop", True), ("loop", False)])
    assert io.state()["inputs"]["loop"] is False
    io.close()


async def test_active_high_input_and_sim_drive_honour_the_level():
    board = board_with(anti_smash_active_high=True)
    io, events = make(board)
    p = pin(board, "anti_smash_pin")
    assert p.state == 0                                    # pulled down
    io.sim_drive("anti_smash", True)
    assert p.state == 1
    await wait_for(lambda: events == [("anti_smash", True)])
    io.sim_drive("anti_smash", False)
    assert p.state == 0
    await wait_for(lambda: events[-1] == ("anti_smash", False))
    io.close()


async def test_chatter_inside_the_debounce_window_is_one_event_or_none():
    board = board_with()
    io, events = make(board)
    p = pin(board, "loop_pin")
    for _ in range(5):                                     # contact bounce that ends where it began
        p.drive_low()
        p.drive_high()
    await asyncio.sleep(0.2)
    assert events == []
    for _ in range(5):                                     # bounce that ends closed: one event
        p.drive_high()
        p.drive_low()
    await wait_for(lambda: events == [("loop", True)])
    await asyncio.sleep(0.2)
    assert events == [("loop", True)]
    io.close()


async def test_a_level_shorter_than_the_debounce_is_not_reported():
    board = board_with()
    io, events = make(board)
    io._debounce["loop"] = 0.3
    p = pin(board, "loop_pin")
    p.drive_low()
    await asyncio.sleep(0.05)
    p.drive_high()
    await asyncio.sleep(0.5)
    assert events == []
    io.close()


async def test_callbacks_from_another_thread_arrive_on_the_loop_thread():
    board = board_with()
    io, _ = make(board)
    seen = []
    io.on_input(lambda name, active: seen.append((name, active, threading.get_ident())))
    t = threading.Thread(target=pin(board, "button_pin").drive_low)
    t.start()
    t.join()
    await wait_for(lambda: seen)
    assert seen[0][:2] == ("button", True)
    assert seen[0][2] == threading.get_ident()             # the loop's thread, not the driver's
    io.close()


async def test_pulse_mode_opens_and_closes_with_pulses():
    board = board_with(relay_pulse_s=0.1)
    io, _ = make(board)
    relay, close = pin(board, "relay_pin"), pin(board, "close_relay_pin")
    await io.open_barrier()
    assert relay.state == 1 and io.state()["relay"] is True
    await wait_for(lambda: relay.state == 0)
    await io.close_barrier()
    assert close.state == 1
    await wait_for(lambda: close.state == 0)
    assert [s.state for s in relay.states] == [False, True, False]
    assert [s.state for s in close.states] == [False, True, False]
    io.close()


async def test_an_open_cuts_a_close_pulse_and_a_new_pulse_is_not_cut_by_the_old_one():
    board = board_with(relay_pulse_s=0.3)
    io, _ = make(board)
    relay, close = pin(board, "relay_pin"), pin(board, "close_relay_pin")
    await io.close_barrier()
    assert close.state == 1
    await io.open_barrier()
    assert close.state == 0 and relay.state == 1
    await asyncio.sleep(0.15)
    await io.open_barrier()                                # a second open restarts the pulse
    await asyncio.sleep(0.2)                               # the first pulse's end has passed
    assert relay.state == 1
    await wait_for(lambda: relay.state == 0)
    io.close()


async def test_hold_mode_keeps_the_relay_until_close():
    board = board_with(relay_mode="hold", close_relay_pin="")
    io, _ = make(board)
    relay = pin(board, "relay_pin")
    await io.open_barrier()
    await asyncio.sleep(0.7)                               # longer than any pulse
    assert relay.state == 1
    await io.close_barrier()
    assert relay.state == 0
    assert io.state()["close_relay"] is None
    io.close()


async def test_no_close_while_anti_smash_is_active_pulse_mode():
    board = board_with()
    io, events = make(board)
    close = pin(board, "close_relay_pin")
    pin(board, "anti_smash_pin").drive_low()               # raw edge: refused even before debounce
    with pytest.raises(EdgeError, match="anti-smash"):
        await io.close_barrier()
    await wait_for(lambda: ("anti_smash", True) in events)
    with pytest.raises(EdgeError, match="防砸"):
        await io.close_barrier()
    assert [s.state for s in close.states] == [False]      # never energised
    assert io.state()["counts"]["close_refused"] == 2
    io.close()


async def test_no_close_while_anti_smash_is_active_hold_mode():
    board = board_with(relay_mode="hold", close_relay_pin="")
    io, _ = make(board)
    relay = pin(board, "relay_pin")
    await io.open_barrier()
    io.sim_drive("anti_smash", True)
    with pytest.raises(EdgeError):
        await io.close_barrier()
    with pytest.raises(EdgeError):
        io.relay_off()                                     # releasing the hold is a close too
    assert relay.state == 1
    io.sim_drive("anti_smash", False)
    await asyncio.sleep(0.1)
    await io.close_barrier()
    assert relay.state == 0
    io.close()


async def test_anti_smash_edge_cuts_a_close_pulse_at_once():
    board = board_with(relay_pulse_s=2.0)
    io, _ = make(board)
    close = pin(board, "close_relay_pin")
    await io.close_barrier()
    assert close.state == 1
    pin(board, "anti_smash_pin").drive_low()               # in the driving call itself, no await
    assert close.state == 0
    assert io.state()["counts"]["close_cut"] == 1
    await asyncio.sleep(0.05)
    assert close.state == 0
    io.close()


def test_a_pin_in_use_names_the_key_the_pin_and_its_purpose():
    board = board_with()
    squatter = OutputDevice("GPIO27", pin_factory=pins.factory(board))
    with pytest.raises(EdgeError) as e:
        GateIO.from_board(board)
    msg = str(e.value)
    assert "gpio.loop_pin = GPIO27" in msg and "地感" in msg and "\n" not in msg
    squatter.close()
    io = GateIO.from_board(board)                          # the relay claimed before the failure was released
    io.close()


def test_an_unknown_pin_is_a_clear_error():
    board = board_with(button_pin="GPIO99")
    with pytest.raises(EdgeError, match=r"gpio.button_pin = GPIO99 \(manual-lift button"):
        GateIO.from_board(board)


def test_sim_drive_is_refused_on_a_real_board():
    from gpiozero.pins.mock import MockFactory
    board = board_with("rpi4")
    io = GateIO.from_board(board, pin_factory=MockFactory())
    with pytest.raises(EdgeError, match="simulated board only.*rpi4"):
        io.sim_drive("loop", True)
    io.close()


async def test_relay_test_reports_feedback_or_a_fault():
    board = board_with(relay_pulse_s=0.05, feedback_timeout_s=0.5)
    io, _ = make(board, simulate_barrier=False)            # a barrier that never reports open
    result = await io.relay_test()
    assert result["relay"] == "fault" and result["feedback"] is False
    assert "GPIO25" in io.state()["fault"]

    async def barrier_rises():
        await asyncio.sleep(0.1)
        io.sim_drive("barrier_feedback", True)
    asyncio.get_running_loop().create_task(barrier_rises())
    result = await io.relay_test()
    assert result == {"mode": "pulse", "relay": "ok", "feedback": True}
    assert io.state()["fault"] is None
    io.close()


def test_bad_profiles_name_the_field():
    import dataclasses
    from edge.errors import ValidationError
    from edge.io.board import BoardProfile
    from edge.settings import load, redacted
    data = redacted(board_with())
    data.pop("key")
    data["gpio"] = dict(data["gpio"], relay_mode="hold", button_pin="GPIO17")
    data["serial"] = dict(data["serial"], rs485_de_pin="GPIO27")
    with pytest.raises(ValidationError) as e:
        load(BoardProfile, data, "board")
    p = dict(e.value.problems)
    assert "only for relay_mode" in p["gpio.close_relay_pin"]
    assert p["gpio.button_pin"] == "GPIO17 is already relay_pin"
    assert dataclasses.is_dataclass(BoardProfile)


async def test_the_sim_barrier_answers_its_relays_on_the_feedback_input():
    board = board_with(relay_pulse_s=0.05)
    io, events = make(board)
    io.SIM_TRAVEL_S = 0.1
    await io.open_barrier()
    await wait_for(lambda: ("barrier_feedback", True) in events)
    assert (await io.relay_test())["relay"] == "ok"
    await io.close_barrier()
    await wait_for(lambda: events[-1] == ("barrier_feedback", False))
    io.sim_barrier = False                                 # stuck: no feedback any more
    await io.open_barrier()
    await asyncio.sleep(0.4)
    assert io.state()["inputs"]["barrier_feedback"] is False
    io.close()
