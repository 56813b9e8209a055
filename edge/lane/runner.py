"""Drive the pure LaneMachine on edge/aio.py: inputs in, actions out to the lane's hooks.

Inputs (GPIO callbacks, plate reads, control requests) are queued with `submit()` from the
event loop; one task feeds them to the machine in arrival order, fires its timers, and carries
out the returned actions one after the other through `hooks` — an object with async methods
named after the actions (open, close, record, refusal, clip, show, say, idle_screen, event,
alarm) and `decide(req) -> decision`. A decision is asked for in its own task so the gate keeps
hearing its inputs meanwhile (a vehicle may back off the loop while the ledger is read).

A hook that fails never stops the gate: a failed `open` is fed back as relay_fault, any other
failure is logged through hooks.alarm. MicroPython-safe (tests/micropython/check_lane.py).
"""
from edge import aio


class LaneRunner:
    def __init__(self, machine, hooks, clock_ms=aio.ticks_ms, max_wait_ms=500):
        self.machine = machine
        self.hooks = hooks
        self.clock_ms = clock_ms
        self.max_wait_ms = max_wait_ms
        self._items = []
        self._wake = aio.Event()
        self._closed = False
        self.handled = 0
        self.loop_ms = None  # when the loop last went round (the systemd watchdog reads it)

    def submit(self, name, *args):
        """Queue one machine input, e.g. submit("loop", True). Never blocks."""
        self._items.append((name, args, None))
        self._wake.set()

    async def request(self, name, *args):
        """Queue an input whose ("reply", ...) action is the answer (manual_plate, manual_lift)."""
        box = [None, aio.Event()]
        self._items.append((name, args, box))
        self._wake.set()
        await box[1].wait()
        return box[0]

    def close(self):
        self._closed = True
        self._wake.set()

    async def run(self):
        while not self._closed:
            while self._items and not self._closed:
                name, args, box = self._items.pop(0)
                now = self.clock_ms()
                try:
                    actions = getattr(self.machine, name)(*(args + (now,)))
                except Exception as e:  # a bad input must not stop the gate
                    actions = [("alarm", "lane", "input %s failed: %s" % (name, e))]
                    if box is not None:
                        actions.append(("reply", {"ok": False, "error": str(e)}))
                self.handled += 1
                await self._do(actions, box)
                if box is not None and not box[1].is_set():
                    box[0] = {"ok": True}
                    box[1].set()
            now = self.clock_ms()
            self.loop_ms = now
            actions = self.machine.tick(now)
            if actions:
                await self._do(actions, None)
                continue
            if self._items:
                continue
            due = self.machine.next_due()
            wait = self.max_wait_ms if due is None else max(0, min(self.max_wait_ms, due - now))
            self._wake.clear()
            if self._items or self._closed:
                continue
            try:
                await aio.wait_for_ms(_wait(self._wake), wait)
            except aio.TimeoutError:
                pass

    async def _do(self, actions, box):
        for action in actions:
            verb, args = action[0], action[1:]
            if verb == "reply":
                if box is not None:
                    box[0] = args[0]
                    box[1].set()
                continue
            if verb == "decide":
                aio.create_task(self._decide(args[0]))
                continue
            try:
                await getattr(self.hooks, verb)(*args)
            except aio.CancelledError:
                raise
            except Exception as e:
                if verb == "open":
                    await self._do(self.machine.relay_fault(str(e), self.clock_ms()), None)
                elif verb != "alarm":
                    try:
                        await self.hooks.alarm("lane", "%s failed: %s" % (verb, e))
                    except Exception:
                        pass

    async def _decide(self, req):
        try:
            decision = await self.hooks.decide(req)
        except Exception as e:
            decision = {"allowed": False, "code": "error", "reason": "判定失败：%s" % e,
                        "display": ["判定失败", "请人工处理"], "voice": "系统故障，请联系门卫"}
        self.submit("decided", req["token"], decision)


async def _wait(ev):
    await ev.wait()
