"""The page's link to the lane: the lane control, reached over the lane's control socket.

The page runs in a process of its own (edge/web/job.py), so it reaches the lane exactly as
`edge lift` does: `edge.lane.control_client.call` over `<state_dir>/lane.sock`. Whatever the
page asks — status, events, a manual lift — the lane's one LaneControl carries out; the page
never touches the barrier, the ledger or the outbox's writes itself.

`SocketControl.call(op, args, who)` is the async face the app uses (the same signature as
LaneControl.call, so an in-process control plugs in unchanged — the benchmark does that).
"""
from __future__ import annotations

import asyncio

from edge.errors import EdgeError


class LaneDown(EdgeError):
    """The lane is not running (or not answering): the page says so and retries."""


class Refused(EdgeError):
    """The lane refused the request: its one-line reason goes to the guard."""


# the client's wording for "could not reach the lane" (edge/lane/control_client.py)
_UNREACHABLE = ("the lane is not running", "talking to the lane", "the lane did not answer",
                "the lane gave no answer", "not allowed to talk to the lane")


class SocketControl:
    def __init__(self, state_dir, timeout: float = 15.0):
        self.state_dir = state_dir
        self.timeout = timeout

    async def call(self, op: str, args: dict | None = None, who: str = "web") -> dict:
        from edge.lane import control_client
        try:
            return await asyncio.to_thread(control_client.call, self.state_dir, op, args or {},
                                           self.timeout, who)
        except EdgeError as e:
            text = str(e)
            if text.startswith(_UNREACHABLE):
                raise LaneDown(text) from None
            raise Refused(text) from None
