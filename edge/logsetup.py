"""Logging, set up once per process.

Plain `LEVEL logger: message` lines on stderr: journald adds the time and unit, and a
technician on the serial console reads the same lines. Known secret values (apiSecret,
tokens, camera passwords) are registered here and masked in every record that is emitted.
"""
import logging
import sys

_SECRETS: set[str] = set()
_configured = False


def register_secret(value: str | None) -> None:
    """Mask `value` in every log line from now on (ignored when empty or very short)."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


class _RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if _SECRETS:
            msg = record.getMessage()
            masked = msg
            for s in _SECRETS:
                if s in masked:
                    masked = masked.replace(s, "***")
            if masked != msg:
                record.msg, record.args = masked, None
        return True


def setup(level: str = "INFO", stream=None) -> None:
    global _configured
    stream = stream or sys.stderr
    root = logging.getLogger()
    if not _configured:
        handler = logging.StreamHandler(stream)
        fmt = "%(levelname)s %(name)s: %(message)s"
        if stream.isatty():  # interactive: a technician wants times; journald adds its own
            fmt = "%(asctime)s " + fmt
        handler.setFormatter(logging.Formatter(fmt))
        handler.addFilter(_RedactSecrets())
        root.addHandler(handler)
        _configured = True
    root.setLevel(level.upper())


def add_file(path, max_bytes: int = 1 << 20, backups: int = 3) -> None:
    """Also write the log to `path` (rotated: max_bytes x backups) — for `edge logs` where no
    journald keeps it. Same format and secret masking as stderr, plus the time."""
    import logging.handlers
    from pathlib import Path
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_RedactSecrets())
    logging.getLogger().addHandler(handler)
