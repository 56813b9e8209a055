"""The contract between the outbox's uploader and a platform client (a "destination").

The uploader hands a destination one `Delivery` at a time. The destination either returns
(the platform acknowledged it: the record may leave the outbox) or raises:
  - TransientError: network down, timeout, 5xx, token trouble — retry later, forever;
  - PermanentError: the platform refused the data itself (bad field, bad code) — keep the
    record, mark it rejected with the platform's reason, raise an alarm; a technician fixes
    and retries it (`edge outbox retry`).
Each protocol lives in its own package (edge/uplink/yunnan, edge/uplink/hj212) and is picked
by name from `[uplink] destinations`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class DeliveryError(Exception):
    permanent = False

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TransientError(DeliveryError):
    permanent = False


class PermanentError(DeliveryError):
    permanent = True


@dataclass
class Delivery:
    record_id: str
    kind: str                      # "access" (Yunnan 6.13 / HJ 212 CN 60001), later "smoke", ...
    record: dict                   # fields named as in Yunnan 6.13 (+ lane extras, see edge/domain/records.py)
    media: dict[str, bytes] = field(default_factory=dict)  # photo field name -> JPEG bytes, checksum-verified
    attempt: int = 1


class Destination(Protocol):
    name: str

    async def deliver(self, item: Delivery) -> str:
        """Send one record; return the platform's acknowledgement text or raise DeliveryError."""

    async def close(self) -> None:
        ...
