"""edge sim loop on|off, edge sim anti-smash on|off, edge sim button: drive the simulated
board's inputs on the running lane (over its control socket, op `sim`). The lane drives
gpiozero's mock pins (GateIO.sim_drive), so the input goes through the same debounce and
state machine as a real loop detector, radar or push button. Simulated board only."""
from __future__ import annotations

import json
import time

from edge.errors import EdgeError
from edge.lane.control_client import call

INPUTS = {"loop": "loop", "anti-smash": "anti_smash", "button": "button"}


def add_arguments(p):
    sub = p.add_subparsers(dest="input", required=True, metavar="INPUT")
    for name, what in (("loop", "the vehicle loop (地感): a vehicle on it or not"),
                       ("anti-smash", "the anti-smash input (防砸): something under the barrier or not")):
        s = sub.add_parser(name, help=what)
        s.add_argument("state", choices=("on", "off"))
        s.add_argument("--json", action="store_true", help="the lane's answer as JSON")
    s = sub.add_parser("button", help="press and release the manual-lift button (手动抬杆)")
    s.add_argument("--hold", type=float, default=0.3, metavar="S", help="seconds to hold it (default 0.3)")
    s.add_argument("--json", action="store_true", help="the lane's answer as JSON")


def run(args, ctx):
    board = ctx.board
    if not board.simulated:
        raise EdgeError("works on the simulated board only (this board: %s)" % (board.key or board.name))
    name = INPUTS[args.input]
    state_dir = ctx.config.state_dir
    if name == "button":
        answers = [call(state_dir, "sim", {"input": name, "active": True})]
        time.sleep(max(args.hold, board.gpio.button_debounce_s * 2))  # held longer than the debounce
        answers.append(call(state_dir, "sim", {"input": name, "active": False}))
        shown = "button: pressed and released"
    else:
        answers = [call(state_dir, "sim", {"input": name, "active": args.state == "on"})]
        shown = "%s: %s" % (args.input, args.state)
    print(json.dumps(answers[-1], ensure_ascii=False) if args.json else shown)
    return 0
