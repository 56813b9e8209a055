"""Relay and inputs (claimable GPIO lines; `--actuate` pulses the relay) and the RS-485 port.

When the lane runs a gate it holds these lines and the port: its status says how they are.
Otherwise the doctor claims each line itself through gpiozero with the board's pin factory
(what the lane does at start) and opens the port the way pyserial does.
"""
from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from edge.doctor import fail, ok, warn

PULSE_S = 0.5


def pin_factory(board):
    """gpiozero's factory for the board profile (mock on the sim board)."""
    f = board.gpio.pin_factory
    if f == "mock":
        from gpiozero.pins.mock import MockFactory
        return MockFactory()
    if f == "lgpio":
        from gpiozero.pins.lgpio import LGPIOFactory
        return LGPIOFactory(chip=board.gpio.chip)
    if f == "rpigpio":
        from gpiozero.pins.rpigpio import RPiGPIOFactory
        return RPiGPIOFactory()
    from gpiozero.pins.native import NativeFactory
    return NativeFactory()


def _pin(text: str):
    return int(text) if text.isdigit() else text


def lines(board) -> list[tuple[str, str, str]]:
    """(role, pin, direction) of every line the lane claims."""
    g = board.gpio
    out = [("relay", g.relay_pin, "out"), ("loop", g.loop_pin, "in"), ("anti_smash", g.anti_smash_pin, "in")]
    if board.serial.rs485_de_pin:
        out.append(("rs485_de", board.serial.rs485_de_pin, "out"))
    return out


def claim_all(board, pulse_s: float = 0.0) -> list[tuple[str, str, str | None]]:
    """Claim every line once (and pulse the relay when asked); (role, pin, error or None)."""
    from gpiozero import InputDevice, OutputDevice
    try:
        factory = pin_factory(board)
    except Exception as e:
        return [(role, pin, "no pin factory %s: %s" % (board.gpio.pin_factory, e)) for role, pin, _ in lines(board)]
    out = []
    try:
        for role, pin, direction in lines(board):
            dev = None
            try:
                if direction == "out":
                    active_high = board.gpio.relay_active_high if role == "relay" else True
                    dev = OutputDevice(_pin(pin), active_high=active_high, initial_value=False, pin_factory=factory)
                    if role == "relay" and pulse_s:
                        dev.on()
                        time.sleep(pulse_s)
                        dev.off()
                else:
                    dev = InputDevice(_pin(pin), pull_up=None, active_state=getattr(board.gpio, role + "_active_high"),
                                      pin_factory=factory)
                out.append((role, pin, None))
            except Exception as e:
                out.append((role, pin, "%s: %s" % (type(e).__name__, e)))
            finally:
                if dev is not None:
                    dev.close()
    finally:
        try:
            factory.close()
        except Exception:
            pass
    return out


def _where(board) -> str:
    return "mock pins" if board.simulated else "gpiochip%d" % board.gpio.chip


def check_gpio(env):
    board = env.board
    if board is None:
        return None
    st = env.status or {}
    if env.lane_running and st.get("barrier") is not None:
        b = st["barrier"]
        inputs = st.get("inputs") or {}
        found = "held by the lane: barrier %s, relay %s, inputs %s" % (
            b.get("state"), "on" if b.get("relay") else "off",
            " ".join("%s=%s" % (k, "on" if v else "off") for k, v in sorted(inputs.items())))
        if b.get("fault"):
            return fail("gpio", found + "; fault: %s" % b["fault"],
                        "check the relay wiring and its feedback contact (INSTALL.md, wiring)")
        return ok("gpio", found)
    got = claim_all(board)
    bad = [(r, p, e) for r, p, e in got if e]
    if bad:
        return fail("gpio", "; ".join("%s %s: %s" % b for b in bad),
                    "free the line (another program holds it?) or fix the pin in the board profile; "
                    "the lane user needs group gpio (tools/install.sh sets it)")
    return ok("gpio", "%s claimable on %s" % (", ".join("%s %s" % (r, p) for r, p, _ in got), _where(board)))


def check_relay_pulse(env):
    if not env.actuate or env.board is None:
        return None
    if env.lane_running and (env.status or {}).get("barrier") is not None:
        from edge.errors import EdgeError
        from edge.lane.control_client import call
        try:
            r = call(env.config.state_dir, "relay_test", {}, timeout=30)
        except EdgeError as e:
            return fail("relay", "relay test through the lane failed: %s" % e, "read `edge logs` for the relay error")
        return ok("relay", "pulsed through the lane: %s — did the barrier lift?" % (r or {}))
    got = [g for g in claim_all(env.board, pulse_s=PULSE_S) if g[0] == "relay"]
    if got and got[0][2] is None:
        return ok("relay", "%s pulsed %.1f s on %s — did the barrier lift?" % (got[0][1], PULSE_S, _where(env.board)))
    return fail("relay", "cannot pulse %s: %s" % (env.board.gpio.relay_pin, got[0][2] if got else "no relay"),
                "check the relay pin in the board profile and the lane user's group gpio")


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
