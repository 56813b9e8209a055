"""Logging, set up once per process.

Plain `LEVEL logger: message` lines on stderr: journald adds the time and unit, and a
technician on the serial console reads the same lines. Every record that is emitted is
  * masked: known secret values (apiSecret, tokens, camera passwords: register_secret) and
    credentials inside any URL (`user:pw@`, `:pw@`, `?password=`, a password holding a raw `@`:
    mask_urls) become `***`;
  * one line: control characters (a `\\n` in a platform's message would forge a log line) are
    escaped — text from outside should also pass through clean() where it is formatted.
Third-party chatter (FFmpeg, OpenCV, TFLite) is kept off the console: `quiet_native()` routes
it to the log at DEBUG.
"""
from __future__ import annotations

import logging
import re
import sys
import time

_SECRETS: set[str] = set()
_configured = False

# scheme://user:password@host — the password runs to the LAST @ before the host (a raw @ in a
# camera password is common), and may hold ':'
_URL_USERINFO = re.compile(r"(?P<pre>\b[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^\s:/@]*)?):(?P<pw>[^\s/]*?)@"
                           r"(?=[^\s@/?#]*(?:[/?#\s\"',;)\]}]|$))")
_URL_QUERY = re.compile(r"(?P<key>[?&;](?:password|passwd|pwd|pass|secret|token|apisecret|api_secret|key)=)"
                        r"(?P<val>[^&#\s\"']*)", re.I)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def register_secret(value: str | None) -> None:
    """Mask `value` in every log line from now on (ignored when empty or very short)."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def mask_urls(text: str) -> str:
    """Credentials in every URL form inside `text` replaced by ***."""
    if "://" not in text and "=" not in text:
        return text
    text = _URL_USERINFO.sub(lambda m: "%s:***@" % m.group("pre") if m.group("pw") else m.group(0), text)
    return _URL_QUERY.sub(lambda m: m.group("key") + ("***" if m.group("val") else ""), text)


def mask(text: str) -> str:
    """A text with registered secrets and URL credentials masked (for logs, status, dumps)."""
    text = mask_urls(text)
    for s in _SECRETS:
        if s in text:
            text = text.replace(s, "***")
    return text


def clean(value, limit: int = 300) -> str:
    """Text from outside (a platform's message, a packet field) made safe to log: control
    characters escaped, so it stays on its line, and bounded."""
    t = value if isinstance(value, str) else str(value)
    if len(t) > limit:
        t = t[:limit] + "…(%d chars)" % len(t)
    return _CONTROL.sub(lambda m: "\\x%02x" % ord(m.group()) if ord(m.group()) < 0x100 else "\\u%04x" % ord(m.group()), t)


class RateLimited:
    """A logger facade that lets one line through per `period_s` (a broken peer sending bad
    packets must not flood the log) and says how many were held back."""

    def __init__(self, logger: logging.Logger, period_s: float = 60.0, clock=time.monotonic):
        self.logger = logger
        self.period_s = period_s
        self.clock = clock
        self._next = 0.0
        self.suppressed = 0

    def log(self, level: int, msg: str, *args) -> bool:
        now = self.clock()
        if now < self._next:
            self.suppressed += 1
            return False
        if self.suppressed:
            msg += " (%d similar lines suppressed)" % self.suppressed
            self.suppressed = 0
        self._next = now + self.period_s
        self.logger.log(level, msg, *args)
        return True

    def warning(self, msg: str, *args) -> bool:
        return self.log(logging.WARNING, msg, *args)


class _Redact(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:  # a bad format string must not lose the line
            msg = "%s %r" % (record.msg, record.args)
        out = mask(msg)
        if "\n" in out or "\r" in out:
            head, _, rest = out.partition("\n")
            # a traceback (exc_info) is formatted by the handler, not here: only the message
            out = head + (" " + clean(rest, 2000) if rest else "")
        if out != msg:
            record.msg, record.args = out, None
        return True


class _Formatter(logging.Formatter):
    def formatException(self, ei) -> str:   # tracebacks: masked too, kept multi-line (debug only)
        return mask(super().formatException(ei))


def setup(level: str = "INFO", stream=None) -> None:
    global _configured
    stream = stream or sys.stderr
    root = logging.getLogger()
    if not _configured:
        handler = logging.StreamHandler(stream)
        fmt = "%(levelname)s %(name)s: %(message)s"
        if getattr(stream, "isatty", lambda: False)():  # interactive: a technician wants times
            fmt = "%(asctime)s " + fmt
        handler.setFormatter(_Formatter(fmt))
        handler.addFilter(_Redact())
        root.addHandler(handler)
        _configured = True
    root.setLevel(level.upper())
    quiet_native()


_quieted = False


def quiet_native() -> None:
    """FFmpeg (via OpenCV), OpenCV itself and TFLite print to the console on their own;
    a technician should see our lines only. Their levels go down to errors-only and, where the
    library allows a callback, their text goes to our log at DEBUG."""
    global _quieted
    if _quieted:
        return
    _quieted = True
    import os
    os.environ.setdefault("OPENCV_LOG_LEVEL", "OFF")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")      # AV_LOG_QUIET
    os.environ.setdefault("OPENCV_VIDEOIO_DEBUG", "0")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")          # TFLite / XNNPACK "INFO: Created delegate"
    os.environ.setdefault("GLOG_minloglevel", "3")
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("CV_IO_MAX_IMAGE_PIXELS", str(64_000_000))  # OpenCV's own decoder limit (edge/vision/images.py)
    cv2 = sys.modules.get("cv2")
    if cv2 is not None:
        _quiet_cv2(cv2)


def _quiet_cv2(cv2) -> None:
    try:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    except Exception:
        pass


def add_file(path, max_bytes: int = 1 << 20, backups: int = 3) -> None:
    """Also write the log to `path` (rotated: max_bytes x backups) — for `edge logs` where no
    journald keeps it. Same format and secret masking as stderr, plus the time."""
    import logging.handlers
    from pathlib import Path
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(_Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_Redact())
    logging.getLogger().addHandler(handler)


_native_reader = None


def capture_native_stderr() -> bool:
    """Route what C libraries write to file descriptor 2 (FFmpeg's "[rtsp @ 0x…] …", TFLite's
    "INFO: Created … delegate") into our log at DEBUG, for the lane (`edge run`), whose stderr
    is the technician's console or journald. Python's own stderr (our log lines, the CLI's
    error line) keeps writing to the real stderr. Returns False where it cannot be done."""
    global _native_reader
    import io
    import os
    import threading
    if _native_reader is not None:
        return True
    try:
        real = os.dup(2)
        r, w = os.pipe()
        os.dup2(w, 2)
        os.close(w)
    except OSError:
        return False
    stream = io.TextIOWrapper(os.fdopen(real, "wb", buffering=0), encoding="utf-8", errors="replace",
                              line_buffering=True)
    sys.stderr = stream
    for h in logging.getLogger().handlers:
        if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler):
            h.setStream(stream)
    native = logging.getLogger("native")

    def pump():
        with os.fdopen(r, "rb", buffering=0) as src:
            buf = b""
            while True:
                chunk = src.read(4096)
                if not chunk:
                    return
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    text = line.decode("utf-8", "replace").strip()
                    if text:
                        native.debug("%s", clean(text, 500))
    _native_reader = threading.Thread(target=pump, name="native-stderr", daemon=True)
    _native_reader.start()
    return True


class native_to_debug:
    """`with native_to_debug(): ...` — what C code prints on fd 2 meanwhile (TFLite's "INFO:
    Created TensorFlow Lite XNNPACK delegate for CPU.") goes to the log at DEBUG instead of the
    console. A no-op where capture_native_stderr() already runs (the lane)."""

    def __enter__(self):
        import os
        import tempfile
        self.saved = None
        if _native_reader is not None:
            return self
        try:
            sys.stderr.flush()
            self.tmp = tempfile.TemporaryFile()
            self.saved = os.dup(2)
            os.dup2(self.tmp.fileno(), 2)
        except (OSError, ValueError, AttributeError):
            self.saved = None
        return self

    def __exit__(self, *exc):
        import os
        if self.saved is None:
            return False
        os.dup2(self.saved, 2)
        os.close(self.saved)
        self.tmp.seek(0)
        text = self.tmp.read().decode("utf-8", "replace")
        self.tmp.close()
        for line in text.splitlines():
            if line.strip():
                logging.getLogger("native").debug("%s", clean(line.strip(), 500))
        return False
