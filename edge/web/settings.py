"""`[web]`: the status page on the board (guard house PC, a phone at the gate)."""
from edge.settings import section, setting


def _listen(value: str):
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        return "must be HOST:PORT, e.g. 127.0.0.1:8080 or 0.0.0.0:8080 (port 0: any free port)"
    return None


@section
class WebSettings:
    enabled: bool = setting(True, doc="Serve the status page from `edge run` (a process of its own beside the lane).")
    listen: str = setting("127.0.0.1:8080", doc="Address the page listens on. The installer sets 0.0.0.0:8080 to open\n"
                                                "it to the site LAN; keep it off any network the public reaches.",
                          check=_listen)
    public_read: bool = setting(False, doc="Let anyone on the LAN read the page without logging in (actions always\n"
                                           "need a login). Off: an anonymous visitor sees the login page, the API answers 401.")
    session_hours: float = setting(12.0, doc="A login lasts this long (one guard shift), then the page asks again.",
                                   min=0.05, max=168)
    idle_minutes: float = setting(60.0, doc="A session unused this long ends earlier.", min=1, max=10080)
    login_attempts_per_minute: int = setting(5, doc="Wrong passwords allowed per client address per minute;\n"
                                                    "the next attempt answers 429 until the minute has passed.",
                                             min=1, max=100)
    page_size: int = setting(50, doc="Records per page of the records query.", min=10, max=500)
    thumb_width: int = setting(320, doc="Width in pixels of the record thumbnails (made once, kept in <state_dir>/web).",
                               min=80, max=960)
    nice: int = setting(5, doc="Scheduling niceness of the page's process: the gate's decision runs first.",
                        min=0, max=19)
