"""edge run [--seconds N]: run the lane controller until SIGTERM/SIGINT (systemd's stop)."""
import asyncio
import os
import signal

from edge import logsetup


def add_arguments(p):
    p.add_argument("--seconds", type=float, default=0, metavar="N",
                   help="stop by itself after N seconds (demos, soak tests); default: run until stopped")


def run(args, ctx):
    config, board = ctx.config, ctx.board
    logsetup.setup(getattr(args, "log_level", None) or config.log.level)
    if "JOURNAL_STREAM" not in os.environ:  # not under journald: keep a log file for `edge logs`
        from edge.commands.logs import log_file
        logsetup.add_file(log_file(config.state_dir))
    if board.simulated:
        os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")
    from edge.lane.service import LaneService
    return asyncio.run(_main(LaneService(config, board), args.seconds))


async def _main(service, seconds: float) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if seconds:
        loop.call_later(seconds, stop.set)
    await service.run(stop)
    return 0
