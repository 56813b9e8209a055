"""edge logs [--follow] [--lines N]: the lane's log, from journald where it runs, else from the
lane's own log file (<state_dir>/lane.log, written when `edge run` is not under journald).

Plain lines, no pager, no colour: the same over SSH, a serial console or a pipe."""
from __future__ import annotations

import os
import shutil
import sys
import time
from collections import deque
from pathlib import Path

from edge.errors import EdgeError

UNIT = "edge.service"


def add_arguments(p):
    p.add_argument("-f", "--follow", action="store_true", help="keep printing new lines (Ctrl-C stops)")
    p.add_argument("-n", "--lines", type=int, default=100, metavar="N", help="how many of the last lines (default 100)")
    p.add_argument("--file", action="store_true", help="read the lane's log file even where journald runs")


def log_file(state_dir) -> Path:
    return Path(state_dir) / "lane.log"


def journald_runs() -> bool:
    return bool(shutil.which("journalctl")) and Path("/run/systemd/journal/socket").exists()


def tail(path: Path, n: int) -> list[str]:
    with open(path, encoding="utf-8", errors="replace") as f:
        return list(deque(f, maxlen=max(0, n)))


def follow(path: Path, poll_s: float = 0.5) -> None:
    """Print lines appended to path; reopen when the log rotates (a new inode)."""
    f = open(path, encoding="utf-8", errors="replace")
    f.seek(0, os.SEEK_END)
    ino = os.fstat(f.fileno()).st_ino
    while True:
        line = f.readline()
        if line:
            sys.stdout.write(line)
            sys.stdout.flush()
            continue
        try:
            if os.stat(path).st_ino != ino:
                f.close()
                f = open(path, encoding="utf-8", errors="replace")
                ino = os.fstat(f.fileno()).st_ino
                continue
        except FileNotFoundError:
            pass
        time.sleep(poll_s)


def run(args, ctx):
    if journald_runs() and not args.file:
        cmd = ["journalctl", "-u", UNIT, "--no-pager", "-o", "short-iso", "-n", str(args.lines)]
        if args.follow:
            cmd.append("-f")
        os.environ["SYSTEMD_COLORS"] = "0"
        os.execvp(cmd[0], cmd)
    path = log_file(ctx.config.state_dir)
    if not path.exists():
        raise EdgeError("no journald here and no lane log at %s (the lane writes it when it runs)" % path)
    sys.stdout.writelines(tail(path, args.lines))
    sys.stdout.flush()
    if args.follow:
        follow(path)
    return 0
