"""Destinations by name, Frigate-style: `[uplink] destinations = ["yunnan", "hj212"]`.

Each protocol package provides `destination.py` with `open_destination(config) -> Destination`
(an async function); adding a protocol means adding a package, not editing the uploader.
"""
from __future__ import annotations

import importlib

from edge.uplink.base import Destination

PROTOCOLS = {
    "yunnan": "edge.uplink.yunnan.destination",
    "hj212": "edge.uplink.hj212.destination",
}


async def open_destinations(config) -> dict[str, Destination]:
    out: dict[str, Destination] = {}
    for name in config.uplink.destinations:
        module = importlib.import_module(PROTOCOLS[name])
        out[name] = await module.open_destination(config)
    return out
