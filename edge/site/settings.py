"""`[mqtt]`: the site broker this lane coordinates with (README "One site, many lanes").

An empty `url` is a single-lane site: no broker, `[lane] site_duties` alone says whether this
board does the site duties. With a `url`, site_duties means "may be elected leader".
"""
from __future__ import annotations

import re

from edge.settings import section, setting

_URL = re.compile(r"(mqtts?)://([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:]+\])(?::(\d{1,5}))?/?")


def parse_url(url: str) -> tuple[bool, str, int]:
    """"mqtt://host:port" / "mqtts://host:port" -> (tls, host, port); ValueError otherwise."""
    m = _URL.fullmatch(url)
    if not m:
        raise ValueError(url)
    tls = m.group(1) == "mqtts"
    port = int(m.group(3)) if m.group(3) else (8883 if tls else 1883)
    if not 0 < port < 65536:
        raise ValueError(url)
    return tls, m.group(2).strip("[]"), port


def _url_problem(url: str) -> str | None:
    if not url:
        return None
    try:
        parse_url(url)
    except ValueError:
        return "must be mqtt://host:port or mqtts://host:port (empty: a single-lane site, no broker)"
    return None


@section
class MqttSettings:
    url: str = setting("", doc="Site broker: mqtt://host:port or mqtts://host:port (TLS). Empty: a single-lane\n"
                               "site without a broker.", check=_url_problem)
    username: str = setting("", doc="Broker user of this lane (the example ACL expects the gate id, e.g. A01).")
    password_file: str = setting("", doc="File (mode 0600) holding the broker password of `username`.")
    ca_file: str = setting("", doc="CA certificate (PEM) that signed the broker's TLS certificate (mqtts://).\n"
                                   "Empty: the system's trusted CAs.")
    client_id: str = setting("", doc="MQTT client id. Empty: edge-<gate id> (unique in the site).",
                             pattern=r"|[A-Za-z0-9_.\-]{1,64}", rule="1-64 letters, digits, _ . -")
    leader_lease_s: float = setting(
        60.0, doc="Site-duty lease: a leader that cannot renew it stops its duties, and another lane takes\n"
                  "over, within this long (the platform warns after 30 minutes without a heartbeat).",
        min=5, max=1800)
    solo_fallback: bool = setting(
        False, doc="With no broker reachable for a whole lease, do the site duties on this lane anyway\n"
                   "(and say so in the status). Set it on at most one lane of a site: two lanes in\n"
                   "fallback both send heartbeats and confirmations.")
    keepalive_s: int = setting(10, doc="MQTT keepalive: the broker marks a silent lane offline after 1.5 x this.",
                               min=2, max=300)
    command_key_file: str = setting(
        "", doc="File (mode 0600) with the shared key that signs commands to this lane (lift, display,\n"
                "reload) from `edge site command`. Empty: this lane accepts no commands over MQTT.")
    command_clients: list[str] = setting(
        ["operator"], doc="Names of the clients whose signed commands this lane accepts.")
