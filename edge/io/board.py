"""Board profiles: what differs between a Raspberry Pi 4/5, an RK3588 board and the simulator.

A profile is a TOML file in boards/ checked against `BoardProfile`. It is the one place that
decides which driver each hardware edge gets (real GPIO or gpiozero's mock pins, a real
RS-485 port or a pty pair); nothing else in the code knows which one it got.
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from edge.errors import EdgeError, ValidationError
from edge.settings import load, section, setting

_PIN = r"GPIO\d{1,3}|BOARD\d{1,2}|\d{1,4}"
_PIN_RULE = "GPIO<n>, BOARD<n> or a line number"


_OPT_PIN = r"|" + _PIN
_OPT_RULE = "empty or " + _PIN_RULE


@section
class GpioSettings:
    """The gate's pins. Inputs are dry contacts or open-collector outputs: an input that is
    active low gets the pull-up (contact to GND), one that is active high the pull-down."""
    pin_factory: Literal["lgpio", "rpigpio", "native", "mock"] = setting(
        doc="gpiozero pin factory: lgpio (Pi 5, RK3588 via gpiochip), rpigpio/native (Pi 4), mock (sim).")
    chip: int = setting(0, doc="gpiochip number for lgpio (Pi 4/5: 0, or 4 on older Pi 5 kernels; RK3588: see profile).", min=0)
    relay_pin: str = setting(doc="Barrier open relay output (抬杆): the barrier controller's 开 input, or its hold contact.",
                             pattern=_PIN, rule=_PIN_RULE)
    relay_active_high: bool = setting(True, doc="Relay energises on a high level.")
    relay_mode: Literal["pulse", "hold"] = setting(
        "pulse", doc="pulse: a dry-contact pulse of relay_pulse_s on 开 (and on close_relay_pin to close) -- the usual\n"
                     "道闸控制器; hold: the relay stays energised while the barrier must stay up, released to close.")
    relay_pulse_s: float = setting(0.5, doc="Length of an open/close pulse in pulse mode.", min=0.05, max=10)
    close_relay_pin: str = setting("", doc="Close relay output (落杆) for pulse-type controllers with a 关 input; empty: the\n"
                                           "barrier controller closes by itself (its own loop or timer).",
                                   pattern=_OPT_PIN, rule=_OPT_RULE)
    close_relay_active_high: bool = setting(True, doc="Close relay energises on a high level.")
    loop_pin: str = setting(doc="Vehicle loop detector input (地感).", pattern=_PIN, rule=_PIN_RULE)
    loop_active_high: bool = setting(False, doc="Loop reports a vehicle with a high level (most dry-contact loops pull low).")
    anti_smash_pin: str = setting(doc="Anti-smash (防砸) radar/loop input: the barrier must not close while active.",
                                  pattern=_PIN, rule=_PIN_RULE)
    anti_smash_active_high: bool = setting(False, doc="Anti-smash input is active high.")
    button_pin: str = setting("", doc="Manual-lift push button in the guard house (手动抬杆); empty: none wired.",
                              pattern=_OPT_PIN, rule=_OPT_RULE)
    button_active_high: bool = setting(False, doc="Button reads high while pressed (a contact to GND reads low).")
    feedback_pin: str = setting("", doc="Barrier feedback input: the open limit switch (到位信号), for relay-fault detection;\n"
                                        "empty: none wired.", pattern=_OPT_PIN, rule=_OPT_RULE)
    feedback_active_high: bool = setting(False, doc="Feedback input is active high.")
    feedback_timeout_s: float = setting(5.0, doc="The barrier must report open this long after the open command, or it is a relay fault.",
                                        min=0.5, max=60)
    debounce_s: float = setting(0.05, doc="An input must hold its new level this long before it counts (loop, anti-smash, feedback).",
                                min=0, max=5)
    button_debounce_s: float = setting(0.05, doc="The same for the button.", min=0, max=5)

    def pins(self) -> dict:
        """key -> pin for every wired pin (what each is for is in PURPOSE)."""
        keys = ("relay_pin", "close_relay_pin", "loop_pin", "anti_smash_pin", "button_pin", "feedback_pin")
        return {k: getattr(self, k) for k in keys if getattr(self, k)}

    def validate(self):
        if self.relay_mode == "hold" and self.close_relay_pin:
            yield ("close_relay_pin", "only for relay_mode = \"pulse\" (in hold mode releasing the relay closes)")
        seen: dict[str, str] = {}
        for key, pin in self.pins().items():
            if _pin_id(pin) in seen:
                yield (key, "%s is already %s" % (pin, seen[_pin_id(pin)]))
            seen.setdefault(_pin_id(pin), key)


# What each pin is for, for error messages an installer can act on.
PURPOSE = {
    "relay_pin": "barrier open relay (抬杆)", "close_relay_pin": "barrier close relay (落杆)",
    "loop_pin": "vehicle loop (地感)", "anti_smash_pin": "anti-smash input (防砸)",
    "button_pin": "manual-lift button (手动抬杆)", "feedback_pin": "barrier open feedback (到位信号)",
    "rs485_de_pin": "RS-485 driver enable (DE)",
}


def _pin_id(pin: str) -> str:
    return pin.upper().replace("GPIO", "")


@section
class SerialSettings:
    rs485_device: str = setting(doc="RS-485 port for the LED display and voice (\"pty\" in sim: a pty pair).")
    rs485_baud: int = setting(9600, doc="Baud rate.", min=1200, max=921600)
    rs485_de_pin: str = setting("", doc="Driver-enable GPIO for half-duplex transceivers (\"\": auto-direction).",
                                pattern=r"|" + _PIN, rule="empty or " + _PIN_RULE)


@section
class StorageSettings:
    medium: Literal["emmc", "sd", "nvme", "tmpfs"] = setting(doc="What the state dir sits on (wear and fsync cost differ).")
    state_dir: str = setting(doc="Default state dir (outbox, photos, keys) when the config does not set one.")


@section
class InferenceSettings:
    threads: int = setting(doc="TFLite interpreter threads.", min=1, max=16)
    delegate: str = setting("", doc="TFLite delegate library to load (e.g. an NPU/GPU delegate .so); empty: CPU.")
    note: str = setting("", doc="How to enable this board's accelerator, for installers.")


@section
class BoardProfile:
    name: str = setting(doc="Human name of the board.")
    arch: Literal["aarch64", "x86_64"] = setting(doc="CPU architecture.")
    dt_model: list[str] = setting([], doc="Device-tree model strings of this board (regular expressions, whole match),\n"
                                          "for auto-detection by `edge provision` and `edge doctor`.")
    gpio: GpioSettings = setting(doc="Pins.")
    serial: SerialSettings = setting(doc="Serial ports.")
    storage: StorageSettings = setting(doc="Storage.")
    inference: InferenceSettings = setting(doc="Inference.")
    key: str = ""  # the profile's file stem, filled by load_board

    def validate(self):
        de = self.serial.rs485_de_pin if self.serial else ""
        if de and self.gpio:
            for key, pin in self.gpio.pins().items():
                if _pin_id(pin) == _pin_id(de):
                    yield ("serial.rs485_de_pin", "%s is already gpio.%s" % (de, key))

    @property
    def simulated(self) -> bool:
        return self.gpio.pin_factory == "mock"


def boards_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("EDGE_BOARDS_DIR"):
        dirs.append(Path(os.environ["EDGE_BOARDS_DIR"]))
    dirs.append(Path(__file__).resolve().parents[2] / "boards")  # source checkout / editable install
    dirs.append(Path("/usr/share/edge/boards"))
    return dirs


def available() -> list[str]:
    names = set()
    for d in boards_dirs():
        if d.is_dir():
            names.update(p.stem for p in d.glob("*.toml"))
    return sorted(names)


def find_profile(name: str) -> Path:
    if "/" in name or name.endswith(".toml"):
        p = Path(name)
        if not p.is_file():
            raise EdgeError("board profile file %s not found" % p)
        return p
    for d in boards_dirs():
        p = d / (name + ".toml")
        if p.is_file():
            return p
    raise EdgeError("unknown board profile %r (available: %s)" % (name, ", ".join(available()) or "none"))


def load_board(name: str) -> BoardProfile:
    path = find_profile(name)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ValidationError([("(file)", "not valid TOML: %s" % e)], "board profile %s" % path) from None
    data.pop("key", None)
    prof = load(BoardProfile, data, "board profile %s" % path)
    prof.key = path.stem
    return prof


DT_MODEL_FILES = ("proc/device-tree/model", "sys/firmware/devicetree/base/model")


def read_dt_model(root: str | os.PathLike = "/") -> str | None:
    """The board's device-tree model string ("Raspberry Pi 4 Model B Rev 1.4"), None without one (x86)."""
    for rel in DT_MODEL_FILES:
        try:
            return (Path(root) / rel).read_bytes().rstrip(b"\0\n").decode("utf-8", "replace").strip() or None
        except OSError:
            continue
    return None


def detect(model: str | None) -> list[str]:
    """Profiles whose dt_model matches `model` (the sim profile matches a machine without one)."""
    import re
    out = []
    for name in available():
        try:
            prof = load_board(name)
        except (EdgeError, ValidationError):
            continue
        if model is None and prof.simulated:
            out.append(name)
        elif model is not None and any(re.fullmatch(p, model) for p in prof.dt_model):
            out.append(name)
    return out
