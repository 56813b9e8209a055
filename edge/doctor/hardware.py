"""Relay and inputs (claimable GPIO lines; `--actuate` pulses the relay) and the RS-485 port.

When the lane runs a gate it holds these lines and the port: its status says how they are.
Otherwise the doctor claims each line itself through gpiozero with the board's pin factory
(what the lane does at start) and opens the port the way pyserial does.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from edge.doctor import fail, ok

def open_gate_io(board):
    """The lane's own GateIO claims every wired pin (EdgeError naming key, pin and purpose)."""
    from edge.io.gpio import GateIO
    return GateIO.from_board(board)


def claim_de(board) -> str | None:
    """The RS-485 driver-enable line, claimed like the lane's serial driver does; the error or None."""
    pin = board.serial.rs485_de_pin
    if not pin:
        return None
    from gpiozero import OutputDevice

    from edge.io import pins
    try:
        dev = OutputDevice(int(pin) if pin.isdigit() else pin, initial_value=False, pin_factory=pins.factory(board))
    except Exception as e:
        return "serial.rs485_de_pin = %s (RS-485 driver enable): %s" % (pin, str(e) or type(e).__name__)
    dev.close()
    return None


def _where(board) -> str:
    return "mock pins" if board.simulated else "gpiochip%d" % board.gpio.chip


FIX_CLAIM = ("free the line (another program holds it?) or fix the pin in the board profile; "
             "the lane user needs group gpio (tools/install.sh sets it)")


def check_gpio(env):
    from edge.errors import EdgeError
    board = env.board
    if board is None:
        return None
    st = env.status or {}
    if env.lane_running and st.get("barrier") is not None:
        b = st["barrier"]
        inputs = st.get("inputs") or {}
        found = "held by the lane: barrier %s, relay %s, inputs %s" % (
            b.get("state"), "on" if b.get("relay") else "off",
            " ".join("%s=%s" % (k, "on" if v else "off") for k, v in sorted(inputs.items()) if v is not None))
        if b.get("fault"):
            return fail("gpio", found + "; fault: %s" % b["fault"],
                        "check the relay wiring and its feedback contact (INSTALL.md, wiring)")
        return ok("gpio", found)
    try:
        io = open_gate_io(board)
    except EdgeError as e:
        return fail("gpio", str(e), FIX_CLAIM)
    try:
        state = io.state()
    finally:
        io.close()
    de = claim_de(board)
    if de:
        return fail("gpio", de, FIX_CLAIM)
    wired = ", ".join("%s %s" % (k.replace("_pin", ""), v) for k, v in board.gpio.pins().items())
    if board.serial.rs485_de_pin:
        wired += ", rs485_de %s" % board.serial.rs485_de_pin
    return ok("gpio", "%s claimable on %s (%s mode)" % (wired, _where(board), state.get("mode")))


def check_relay_pulse(env):
    import asyncio

    from edge.errors import EdgeError
    if not env.actuate or env.board is None:
        return None
    if env.lane_running and (env.status or {}).get("barrier") is not None:
        from edge.lane.control_client import call
        try:
            r = call(env.config.state_dir, "relay_test", {}, timeout=30)
        except EdgeError as e:
            return fail("relay", "relay test through the lane failed: %s" % e, "read `edge logs` for the relay error")
        result, how = r or {}, "through the lane"
    else:
        async def pulse():
            io = open_gate_io(env.board)
            try:
                return await io.relay_test()
            finally:
                io.close()
        try:
            result, how = asyncio.run(pulse()), "on %s" % _where(env.board)
        except EdgeError as e:
            return fail("relay", str(e), FIX_CLAIM)
    if result.get("relay") == "fault":
        return fail("relay", "opened %s: %s" % (how, result.get("fault")),
                    "check the open relay's contact to the barrier controller and the limit switch wiring")
    fb = result.get("feedback")
    return ok("relay", "open command sent %s (%s mode)%s — did the barrier lift?" % (
        how, result.get("mode"), "" if fb is None else ", feedback %s" % ("open" if fb else "none")))


def holders(device: str, sysroot: str = "/", exclude=(os.getpid(),)) -> list[tuple[int, str]]:
    """Processes with `device` open (pid, name); only those this user may inspect (root: all)."""
    try:
        target = os.path.realpath(device)
    except OSError:
        return []
    out = []
    proc = Path(sysroot) / "proc"
    for p in proc.iterdir() if proc.is_dir() else []:
        if not p.name.isdigit() or int(p.name) in exclude:
            continue
        try:
            for fd in (p / "fd").iterdir():
                try:
                    if os.readlink(fd) == target:
                        out.append((int(p.name), (p / "comm").read_text().strip()))
                        break
                except OSError:
                    continue
        except OSError:
            continue
    return out


def console_on(device: str, sysroot: str = "/") -> bool:
    """The kernel console (console=ttyAMA0 / serial0) is on this port."""
    try:
        cmdline = (Path(sysroot) / "proc/cmdline").read_text()
    except OSError:
        return False
    name = os.path.basename(os.path.realpath(device))
    aliases = {name, os.path.basename(device)}
    for alias in ("serial0", "serial1"):
        link = Path(sysroot) / "dev" / alias
        if link.is_symlink() and os.path.basename(os.path.realpath(link)) == name:
            aliases.add(alias)
    for word in cmdline.split():
        if word.startswith("console=") and word[8:].split(",")[0] in aliases:
            return True
    return False


def check_rs485(env):
    board = env.board
    if board is None:
        return None
    dev = board.serial.rs485_device
    sig = ((env.status or {}).get("signage") or {})
    if dev == "pty":
        return ok("rs485", "simulated port (a pty pair made by the lane)")
    where = "[serial] rs485_device of board profile %s" % board.key
    path = Path(dev)
    if not path.exists():
        return fail("rs485", "%s missing" % dev,
                    "enable the UART (INSTALL.md: overlay per board) or correct %s" % where)
    try:
        mode = os.stat(dev).st_mode
    except OSError as e:
        return fail("rs485", "%s: %s" % (dev, e.strerror), "check the device and its permissions")
    if not stat.S_ISCHR(mode):
        return fail("rs485", "%s is not a character device" % dev, "correct %s" % where)
    if console_on(dev, env.sysroot):
        return fail("rs485", "%s carries the kernel console" % dev,
                    "remove console=serial0,... from /boot/firmware/cmdline.txt and reboot")
    lane = {env.lane_pid} if env.lane_pid else set()
    others = [(pid, name) for pid, name in holders(dev, env.sysroot) if pid not in lane]
    if others:
        return fail("rs485", "%s busy: held by %s" % (dev, ", ".join("%s (pid %d)" % (n, p) for p, n in others)),
                    "stop that program (a login console: systemctl disable --now serial-getty@%s)"
                    % os.path.basename(os.path.realpath(dev)))
    led = sig.get("led") if isinstance(sig, dict) else None
    if env.lane_running and isinstance(led, dict) and led.get("ok") is False:
        return fail("rs485", "%s open by the lane, but the display does not answer: %s" % (dev, led.get("error")),
                    "check RS-485 A/B (swap them if in doubt), the DE pin and the display's address and baud")
    try:
        fd = os.open(dev, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        os.close(fd)
    except PermissionError:
        return fail("rs485", "%s: permission denied" % dev,
                    "the lane user needs group dialout (tools/install.sh sets it); run the doctor as root or edge")
    except OSError as e:
        if not lane:
            return fail("rs485", "%s: %s" % (dev, e.strerror), "check the UART is enabled and not in use")
    held = " (open by the lane)" if lane and holders(dev, env.sysroot, exclude=()) else ""
    return ok("rs485", "%s present, not busy%s, %d baud" % (dev, held, board.serial.rs485_baud))
