"""The gate's pins: barrier relay(s) out; loop, anti-smash, manual-lift button and barrier
feedback in. Real pins or gpiozero's mock pins, whichever the board profile names.

Inputs reach the lane as `callback(name, active)` on its asyncio loop, after a settle-and-read
debounce: an edge (re)starts a timer of `debounce_s`, and when it runs out the input's level
is read and reported if it changed. gpiozero's own `bounce_time` is not used: it drops edges
inside the window, so a contact that settles within it can leave the device showing a stale
level (and MockFactory does not implement it); settle-and-read always ends on the real level.
gpiozero calls back from its own threads, so edges are handed over with call_soon_threadsafe.

Second line of defence behind the lane state machine: no close is ever energised while the
anti-smash (防砸) input is active — `close_barrier()` refuses, and a close pulse in progress is
cut in the very callback that sees the anti-smash edge, before any debounce.
"""
from __future__ import annotations

import asyncio
import collections
import logging
import time

from edge.errors import EdgeError
from edge.io import pins
from edge.io.board import PURPOSE

log = logging.getLogger(__name__)

INPUTS = ("loop", "anti_smash", "button", "barrier_feedback")
_INPUT_KEYS = {"loop": "loop", "anti_smash": "anti_smash", "button": "button", "barrier_feedback": "feedback"}


def _spec(pin: str):
    return int(pin) if pin.isdigit() else pin


def _claim(make, key: str, pin: str):
    try:
        return make(_spec(pin))
    except Exception as e:
        text = (str(e) or type(e).__name__).splitlines()[0]
        raise EdgeError("board gpio.%s = %s (%s): cannot claim the pin: %s"
                        % (key, pin, PURPOSE.get(key, key), text)) from None


class GateIO:
    SIM_TRAVEL_S = 0.8  # the simulated barrier's arm takes this long to go up or down

    def __init__(self, board, factory, outputs: dict, inputs: dict, overrides: dict | None = None,
                 simulate_barrier: bool | None = None):
        g = board.gpio
        self.board = board
        self.factory = factory
        self.mode = g.relay_mode
        self.pulse_s = g.relay_pulse_s
        self.feedback_timeout_s = g.feedback_timeout_s
        o = dict(overrides or {})
        self._debounce = {"loop": o.get("debounce_s", g.debounce_s), "anti_smash": o.get("debounce_s", g.debounce_s),
                          "barrier_feedback": o.get("debounce_s", g.debounce_s),
                          "button": o.get("button_debounce_s", g.button_debounce_s)}
        self._out = outputs            # "open" / "close" -> OutputDevice
        self._in = inputs              # input name -> DigitalInputDevice
        self._pin_of = {"open": g.relay_pin, "close": g.close_relay_pin}
        self._stable = {name: dev.is_active for name, dev in inputs.items()}
        self._timers: dict = {}
        self._pulses: dict = {}        # "open"/"close" -> task ending the pulse
        self._callback = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.fault: str | None = None
        self.counts = {"open": 0, "close": 0, "close_refused": 0, "close_cut": 0}
        self.moves: collections.deque = collections.deque(maxlen=50)
        # sim board: a barrier that answers its relays on the feedback input; set False to
        # simulate a stuck barrier (the lane must then report a relay fault)
        self.sim_barrier = board.simulated if simulate_barrier is None else simulate_barrier
        self._travel: asyncio.TimerHandle | None = None
        for name, dev in inputs.items():
            dev.when_activated = self._edge_handler(name)
            dev.when_deactivated = self._edge_handler(name)

    # ------------------------------------------------------------------ making
    @classmethod
    def from_board(cls, board, settings: dict | None = None, *, pin_factory=None,
                   simulate_barrier: bool | None = None) -> "GateIO":
        """Claim every pin the profile wires; EdgeError naming the key, pin and purpose if one fails.
        `settings` may override debounce_s / button_debounce_s (from the lane's config)."""
        from gpiozero import DigitalInputDevice, OutputDevice
        g = board.gpio
        f = pin_factory or pins.factory(board)
        made: list = []

        def out(key, pin, active_high):
            dev = _claim(lambda p: OutputDevice(p, active_high=active_high, initial_value=False, pin_factory=f), key, pin)
            made.append(dev)
            return dev

        def inp(key, pin, active_high):
            # active low: contact to GND, so the pull-up; active high: the pull-down
            dev = _claim(lambda p: DigitalInputDevice(p, pull_up=not active_high, pin_factory=f), key, pin)
            made.append(dev)
            return dev

        try:
            outputs = {"open": out("relay_pin", g.relay_pin, g.relay_active_high)}
            if g.close_relay_pin:
                outputs["close"] = out("close_relay_pin", g.close_relay_pin, g.close_relay_active_high)
            inputs = {"loop": inp("loop_pin", g.loop_pin, g.loop_active_high),
                      "anti_smash": inp("anti_smash_pin", g.anti_smash_pin, g.anti_smash_active_high)}
            if g.button_pin:
                inputs["button"] = inp("button_pin", g.button_pin, g.button_active_high)
            if g.feedback_pin:
                inputs["barrier_feedback"] = inp("feedback_pin", g.feedback_pin, g.feedback_active_high)
        except EdgeError:
            for dev in made:
                dev.close()
            raise
        return cls(board, f, outputs, inputs, settings, simulate_barrier)

    # ------------------------------------------------------------------ inputs
    def on_input(self, callback, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """`callback(name, active)` runs on `loop` (default: the running one) after debounce."""
        self._loop = loop or asyncio.get_running_loop()
        self._callback = callback

    def _edge_handler(self, name):
        def handler():  # gpiozero's thread (or the caller's, on mock pins)
            if name == "anti_smash" and self._raw("anti_smash"):
                self._cut_close("anti-smash edge")
            loop = self._loop
            if loop is None:
                return
            try:
                loop.call_soon_threadsafe(self._edge, name)
            except RuntimeError:  # the loop has closed: the lane is stopping
                pass
        return handler

    def _edge(self, name):
        old = self._timers.pop(name, None)
        if old is not None:
            old.cancel()
        delay = self._debounce[name]
        if delay <= 0:
            self._settle(name)
        else:
            self._timers[name] = self._loop.call_later(delay, self._settle, name)

    def _settle(self, name):
        self._timers.pop(name, None)
        dev = self._in.get(name)
        if dev is None or dev.closed:
            return
        active = dev.is_active
        if active == self._stable.get(name):
            return  # chatter that ended where it began
        self._stable[name] = active
        if name == "anti_smash" and active:
            self._cut_close("anti-smash")
        if self._callback is not None:
            try:
                self._callback(name, active)
            except Exception:
                log.exception("input callback for %s failed", name)

    def _raw(self, name) -> bool:
        dev = self._in.get(name)
        return bool(dev is not None and not dev.closed and dev.is_active)

    def anti_smash_active(self) -> bool:
        """Raw or debounced: either one forbids a close."""
        return self._raw("anti_smash") or bool(self._stable.get("anti_smash"))

    # ------------------------------------------------------------------ outputs
    def _set(self, which: str, on: bool) -> None:
        dev = self._out[which]
        key = "relay_pin" if which == "open" else "close_relay_pin"
        try:
            dev.on() if on else dev.off()
            took = bool(dev.value) == on
        except Exception as e:
            self.fault = "%s on %s: %s" % (PURPOSE[key], self._pin_of[which], e)
            raise EdgeError(self.fault) from None
        if not took:
            self.fault = "%s on %s did not take the %s level" % (PURPOSE[key], self._pin_of[which], "on" if on else "off")
            raise EdgeError(self.fault)
        # what the relays did and what the inputs said at that moment (status, acceptance checks)
        self.moves.append({"t": round(time.time(), 3), "relay": which, "on": on,
                           "anti_smash": self._raw("anti_smash"), "loop": self._raw("loop")})

    def _cut_close(self, why: str) -> None:
        dev = self._out.get("close")
        if dev is not None and not dev.closed and dev.is_active:
            dev.off()
            self.counts["close_cut"] += 1
            log.warning("close relay cut: %s", why)
        task = self._pulses.get("close")
        if task is not None and self._loop is not None:
            try:
                self._loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:
                pass

    def _check_clear(self, what: str) -> None:
        if self.anti_smash_active():
            self.counts["close_refused"] += 1
            raise EdgeError("%s refused: the anti-smash input (防砸, %s) is active"
                            % (what, self.board.gpio.anti_smash_pin))

    async def _pulse(self, which: str) -> None:
        self._stop_pulse(which)
        self._set(which, True)

        async def end():
            try:
                await asyncio.sleep(self.pulse_s)
            finally:
                # only the current pulse may end it: a cancelled older one must not cut a newer pulse
                if self._pulses.get(which) is task:
                    self._pulses.pop(which, None)
                    dev = self._out[which]
                    if not dev.closed:
                        dev.off()
        task = asyncio.get_running_loop().create_task(end())
        self._pulses[which] = task

    def _stop_pulse(self, which: str) -> None:
        task = self._pulses.pop(which, None)
        if task is not None:
            task.cancel()
        dev = self._out.get(which)
        if dev is not None and not dev.closed and dev.is_active:
            dev.off()

    async def open_barrier(self) -> None:
        """Energise the open relay: a pulse (returns once it started) or held until close."""
        self._stop_pulse("close")  # an open always wins over a close in progress
        if self.mode == "hold":
            self._set("open", True)
        else:
            await self._pulse("open")
        self.counts["open"] += 1
        self.fault = None
        self._simulate_travel(True)

    async def close_barrier(self) -> None:
        """Close: release the held relay, or pulse the close relay; refused while anti-smash is active.
        In pulse mode without a close relay the barrier controller closes by itself: nothing to do."""
        self._check_clear("barrier close")
        if self.mode == "hold":
            self._set("open", False)
        else:
            self._stop_pulse("open")
            if "close" in self._out:
                await self._pulse("close")
        self.counts["close"] += 1
        self._simulate_travel(False)

    def _simulate_travel(self, up: bool) -> None:
        if not (self.sim_barrier and "barrier_feedback" in self._in):
            return
        if self._travel is not None:
            self._travel.cancel()

        def arrive():
            self._travel = None
            if self.sim_barrier:
                dev = self._in.get("barrier_feedback")
                if dev is not None and not dev.closed:
                    self.sim_drive("barrier_feedback", up)
        self._travel = asyncio.get_running_loop().call_later(self.SIM_TRAVEL_S, arrive)

    def relay_on(self) -> None:
        """Energise the open relay and leave it (technician's test)."""
        self._stop_pulse("open")
        self._set("open", True)

    def relay_off(self) -> None:
        if self.mode == "hold":
            self._check_clear("relay off (closes the barrier)")
        self._stop_pulse("open")
        self._set("open", False)

    async def relay_test(self) -> dict:
        """Open the barrier as for a vehicle and, with a feedback input, wait for the limit switch."""
        await self.open_barrier()
        result = {"mode": self.mode, "relay": "ok", "feedback": None}
        if "barrier_feedback" in self._in:
            deadline = time.monotonic() + self.feedback_timeout_s
            while time.monotonic() < deadline and not self._raw("barrier_feedback"):
                await asyncio.sleep(0.05)
            result["feedback"] = self._raw("barrier_feedback")
            if not result["feedback"]:
                self.fault = "no open feedback (%s) within %.1f s of the open command" % (
                    self.board.gpio.feedback_pin, self.feedback_timeout_s)
                result["relay"] = "fault"
                result["fault"] = self.fault
        if self.mode == "hold":
            await asyncio.sleep(self.pulse_s)
            if not self.anti_smash_active():
                self._set("open", False)
        return result

    # ------------------------------------------------------------------ sim and status
    def sim_drive(self, name: str, active: bool) -> None:
        """Drive a simulated input's mock pin (honouring its active level). Simulated board only."""
        if not self.board.simulated:
            raise EdgeError("inputs can be driven on the simulated board only (this board: %s)"
                            % (self.board.key or self.board.name))
        dev = self._in.get(name)
        if dev is None:
            raise EdgeError("input %r is not wired on this board (wired: %s)" % (name, ", ".join(self._in)))
        key = _INPUT_KEYS[name]
        high = active == getattr(self.board.gpio, key + "_active_high")
        dev.pin.drive_high() if high else dev.pin.drive_low()

    def state(self) -> dict:
        out = {name: (None if dev.closed else bool(dev.is_active)) for name, dev in self._out.items()}
        return {"mode": self.mode, "relay": bool(out.get("open")), "close_relay": out.get("close"),
                "inputs": {name: (bool(self._stable[name]) if name in self._in else None) for name in INPUTS},
                "fault": self.fault, "counts": dict(self.counts), "moves": list(self.moves)[-20:]}

    def close(self) -> None:
        for task in self._pulses.values():
            task.cancel()
        self._pulses.clear()
        if self._travel is not None:
            self._travel.cancel()
        for h in self._timers.values():
            h.cancel()
        self._timers.clear()
        for dev in list(self._out.values()) + list(self._in.values()):
            try:
                dev.close()
            except Exception:
                pass
