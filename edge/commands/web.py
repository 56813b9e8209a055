"""edge web passwd | serve | reindex: the status page's password, process and records index.

    edge web passwd [--user NAME]   set a page password (read from stdin; asked twice on a terminal)
    edge web passwd --delete NAME   remove an account
    edge web serve                  run the page in the foreground (`edge run` starts it by itself)
    edge web reindex                rebuild the page's records index from the outbox
"""
from __future__ import annotations

import asyncio
import getpass
import os
import signal
import sys

from edge.errors import EdgeError


def add_arguments(p):
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    pw = sub.add_parser("passwd", help="set the status page password of a user (read from stdin)")
    pw.add_argument("--user", default=None, help="account name (default: guard)")
    pw.add_argument("--delete", metavar="NAME", default=None, help="remove this account instead")
    sv = sub.add_parser("serve", help="serve the status page in the foreground")
    sv.add_argument("--parent", type=int, default=None, help="stop when this process (the lane) is gone")
    sub.add_parser("reindex", help="rebuild the page's records index from the outbox")


def run(args, ctx):
    return {"passwd": _passwd, "serve": _serve, "reindex": _reindex}[args.action](args, ctx)


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("New status page password: ")
        if getpass.getpass("Again: ") != first:
            raise EdgeError("the two passwords differ; nothing changed")
        return first
    line = sys.stdin.readline()
    if not line:
        raise EdgeError("no password on stdin (e.g. printf '%s\\n' \"$PW\" | edge web passwd)")
    return line.rstrip("\r\n")


def _passwd(args, ctx):
    from edge.web.passwords import DEFAULT_USER, remove_user, set_password, users_path
    state = ctx.config.paths.state_dir
    if args.delete:
        if not remove_user(state, args.delete):
            raise EdgeError("no account %r in %s" % (args.delete, users_path(state)))
        print("removed %s (logged-in sessions end within the session lifetime; restart the lane to end them now)"
              % args.delete)
        return 0
    user = args.user or DEFAULT_USER
    path = set_password(state, user, _read_password())
    print("password of %s set (%s, mode 0600)" % (user, path))
    return 0


def _serve(args, ctx):
    from edge import logsetup
    from edge.web.job import serve
    config = ctx.config
    logsetup.setup(getattr(args, "log_level", None) or config.log.level)
    if config.web.nice:
        try:
            os.nice(config.web.nice)
        except OSError:
            pass

    async def main():
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(config, stop, parent_pid=args.parent)
    asyncio.run(main())
    return 0


def _reindex(args, ctx):
    from pathlib import Path

    from edge.web.records_index import RecordsIndex
    config = ctx.config
    idx = RecordsIndex.for_state_dir(Path(config.paths.state_dir), config.uplink.destinations)
    try:
        idx.reset()  # in place: a running page's connection sees the rebuilt index
        n = idx.sync_all()
    finally:
        idx.close()
    print("records index rebuilt: %d records (%s)" % (n, idx.path))
    return 0
