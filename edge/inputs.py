"""Reading what a technician hands the `edge` command: files, stdin, JSON, CSV — bounded,
and every failure one line naming the file.

A path may name a folder, a FIFO, /dev/zero or a 40 GB log by mistake; a ledger exported by
Excel on Chinese Windows is GBK/GB18030, one from Excel elsewhere UTF-8 with a BOM. All of it
goes through here so `edge validate`, `edge ledger import`, `edge push` and friends read the
same files the same way.
"""
from __future__ import annotations

import json
import os
import stat
import sys

from edge.errors import EdgeError

MAX_TEXT_BYTES = 64 << 20      # a ledger with photos inline stays well below
MAX_JSON_DEPTH = 64            # records are 2 levels deep; anything much deeper is not ours


def check_regular(path, what: str = "file") -> os.stat_result:
    """stat() a path meant to be a regular file; EdgeError for anything else (never blocks:
    a FIFO or a device is refused before it is opened)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise EdgeError("%s: cannot read %s (no such file)" % (path, what)) from None
    except OSError as e:
        raise EdgeError("%s: cannot read %s (%s)" % (path, what, e.strerror or e)) from None
    if stat.S_ISDIR(st.st_mode):
        raise EdgeError("%s: is a folder, not a %s" % (path, what))
    if not stat.S_ISREG(st.st_mode):
        kind = ("a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode)
                or stat.S_ISBLK(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        raise EdgeError("%s: is %s, not a %s" % (path, kind, what))
    return st


def _read_upto(fh, limit: int, first: int = 1 << 20) -> bytes:
    """At most `limit` bytes, in chunks: read(limit) would allocate the whole limit (64 MB for
    every small image) before reading a byte."""
    parts, got = [], 0
    size = min(first, limit)
    while got < limit:
        b = fh.read(min(size, limit - got))
        if not b:
            break
        parts.append(b)
        got += len(b)
        size = 1 << 20
    return b"".join(parts)


def read_bytes(path, what: str = "file", max_bytes: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of a regular file (or stdin for "-"), at most max_bytes."""
    if str(path) == "-":
        data = _read_upto(sys.stdin.buffer, max_bytes + 1)
        if len(data) > max_bytes:
            raise EdgeError("stdin: more than %d MB" % (max_bytes >> 20))
        return data
    st = check_regular(path, what)
    if st.st_size > max_bytes:
        raise EdgeError("%s: %s is %.1f MB, at most %d MB is read" % (path, what, st.st_size / 1e6, max_bytes >> 20))
    try:
        with open(path, "rb") as fh:
            data = _read_upto(fh, max_bytes + 1, st.st_size + 1)
    except OSError as e:
        raise EdgeError("%s: cannot read %s (%s)" % (path, what, e.strerror or e)) from None
    if len(data) > max_bytes:
        raise EdgeError("%s: %s grew beyond %d MB while being read" % (path, what, max_bytes >> 20))
    return data


def decode_text(raw: bytes, where: str) -> str:
    """UTF-8 (a BOM dropped), else GB18030 (a superset of the GBK Excel writes on Chinese
    Windows); anything else is refused."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise EdgeError("%s: not UTF-8 or GBK/GB18030 text" % where) from None


def read_text(path, what: str = "file", max_bytes: int = MAX_TEXT_BYTES) -> str:
    return decode_text(read_bytes(path, what, max_bytes), "stdin" if str(path) == "-" else str(path))


def _depth(obj, limit: int) -> bool:
    """True when obj nests deeper than limit (iterative: no recursion of our own)."""
    stack = [(obj, 1)]
    while stack:
        o, d = stack.pop()
        if d > limit:
            return True
        if isinstance(o, dict):
            stack.extend((v, d + 1) for v in o.values())
        elif isinstance(o, list):
            stack.extend((v, d + 1) for v in o)
    return False


def parse_json(text: str, where: str, parse_float=None, max_depth: int = MAX_JSON_DEPTH):
    try:
        data = json.loads(text, parse_float=parse_float)
    except json.JSONDecodeError as e:
        raise EdgeError("%s: not valid JSON: %s (line %d column %d)" % (where, e.msg, e.lineno, e.colno)) from None
    except RecursionError:
        raise EdgeError("%s: JSON nested too deeply (at most %d levels)" % (where, max_depth)) from None
    except ValueError as e:   # e.g. an integer with thousands of digits
        raise EdgeError("%s: not valid JSON: %s" % (where, e)) from None
    if _depth(data, max_depth):
        raise EdgeError("%s: JSON nested too deeply (at most %d levels)" % (where, max_depth))
    return data


def read_json(path, what: str = "JSON file", parse_float=None):
    return parse_json(read_text(path, what), "stdin" if str(path) == "-" else str(path), parse_float)
