"""`edge sim loop|anti-smash|button` through the lane's control socket to GateIO's mock pins."""
import asyncio

from edge.cli import main
from edge.config import example
from edge.io.board import load_board
from edge.io.gpio import GateIO
from edge.lane.control import LaneControl
from edge.lane.control_socket import ControlServer
from edge.lane.eventlog import EventLog
from tests.gate_io.test_gpio import wait_for


def config(tmp_path, profile="sim"):
    text = example().replace('state_dir = "/var/lib/edge"', 'state_dir = "%s"' % (tmp_path / "state"))
    text = text.replace('profile = "sim"', 'profile = "%s"' % profile)
    path = tmp_path / "edge.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


class Gate:
    def __init__(self, io):
        self.io = io

    def sim_drive(self, name, active):
        self.io.sim_drive(name, active)


class Service:
    def __init__(self, state, board, io):
        self.eventlog = EventLog.open(state)
        self.board = board
        self.gate = Gate(io)

    def event(self, *a, **k):
        pass


async def test_sim_verbs_drive_the_inputs_through_the_running_lane(tmp_path, capsys):
    conf = config(tmp_path)
    state = tmp_path / "state"
    state.mkdir()
    board = load_board("sim")
    io = GateIO.from_board(board)
    events = []
    io.on_input(lambda name, active: events.append((name, active)))
    service = Service(state, board, io)
    server = await ControlServer(LaneControl(service), state).start()
    try:
        assert await asyncio.to_thread(main, ["sim", "loop", "on", "--config", conf]) == 0
        await wait_for(lambda: events == [("loop", True)])
        assert await asyncio.to_thread(main, ["sim", "anti-smash", "on", "--config", conf]) == 0
        await wait_for(lambda: ("anti_smash", True) in events)
        assert await asyncio.to_thread(main, ["sim", "anti-smash", "off", "--config", conf]) == 0
        assert await asyncio.to_thread(main, ["sim", "loop", "off", "--config", conf]) == 0
        assert await asyncio.to_thread(main, ["sim", "button", "--config", conf]) == 0
        await wait_for(lambda: events[-2:] == [("button", True), ("button", False)])
        assert io.state()["inputs"] == {"loop": False, "anti_smash": False, "button": False, "barrier_feedback": False}
        out = capsys.readouterr().out.splitlines()
        assert out == ["loop: on", "anti-smash: on", "anti-smash: off", "loop: off", "button: pressed and released"]
    finally:
        await server.close()
        io.close()
        service.eventlog.close()


def test_sim_is_refused_on_a_real_board_and_without_a_lane(tmp_path, capsys):
    assert main(["sim", "loop", "on", "--config", config(tmp_path, "rpi4")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "edge sim: works on the simulated board only (this board: rpi4)"
    assert main(["sim", "button", "--config", config(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "lane is not running" in err and "\n" not in err
