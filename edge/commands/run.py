"""edge run [--seconds N] [--models-dir DIR]: run the lane controller until SIGTERM/SIGINT (systemd's stop).

One lane per state dir: a second `edge run` on the same state dir refuses with one line
(edge/lane/lock.py). A storage fault at start (read-only or full disk, a damaged or missing
outbox.db beside its photos) is an alarm and a refusal; a full disk while running is an alarm
and a clean stop (outbox closed, no torn temp files), exit status 2 with the reason.
"""
import asyncio
import logging
import os
import signal

from edge import logsetup


def add_arguments(p):
    from edge.cli import float_range
    p.add_argument("--seconds", type=float_range(0, 10 * 365 * 86400), default=0, metavar="N",
                   help="stop by itself after N seconds (demos, soak tests); default: run until stopped")
    p.add_argument("--models-dir", metavar="DIR", help="TFLite models (default: [vision] models_dir, else models/)")


def run(args, ctx):
    config, board = ctx.config, ctx.board
    logsetup.setup(getattr(args, "log_level", None) or config.log.level)
    logsetup.capture_native_stderr()   # FFmpeg / TFLite chatter to the log at DEBUG, not the console
    if args.models_dir:
        config.vision.models_dir = args.models_dir
    from edge.lane.lock import LaneLock
    lock = LaneLock.acquire(config.state_dir)    # before anything is opened for writing
    try:
        if "JOURNAL_STREAM" not in os.environ:  # not under journald: keep a log file for `edge logs`
            from edge.commands.logs import log_file
            try:
                logsetup.add_file(log_file(config.state_dir))
            except OSError as e:  # a read-only or full disk: the storage check names it
                logging.getLogger("edge.run").warning("no log file: %s", e)
        if board.simulated:
            os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")
        from edge.config import find_path
        from edge.lane.service import LaneService
        path = find_path(getattr(args, "config", None)).resolve()   # the page's process reads the same file
        return asyncio.run(_main(LaneService(config, board, config_path=path), args.seconds))
    finally:
        lock.release()


async def _main(service, seconds: float) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if seconds:
        loop.call_later(seconds, stop.set)
    await service.run(stop)
    return 0
