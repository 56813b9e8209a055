"""The outbox's Yunnan destination: one access record → one sealed vehicleAccess call (6.13).

The record arrives in the shared contract (6.13 names + lane extras). Here it becomes exactly
the 6.13 fields: the lane extras `passMode`, `vehicle`, `smokeLevel` are dropped (6.13 has no
such fields), and `carHeadImg`/`carImg` — media references in the outbox — are replaced by the
photo bytes from `Delivery.media` as "data:image/jpeg;base64,...". A photo named by the record
but missing from the media is a transient error (the uploader hands photos over with their
checksum verified; a missing one is the store's trouble, not the platform's).

Spec reading: 6.13's "调用说明" says "图片不在 json 数据体内" (photos are not in the JSON body),
yet its parameter list and example carry carHeadImg/carImg as "data:image/jpeg;base64,****"
and no other channel for photos is defined anywhere. The photos therefore travel inside the
JSON as data URLs, like 6.11's carImg1/2 and 6.12's machineryImg1–3.

Outcome (see client.classify for how platform answers are told apart):
  code 200                              → ack "yunnan <code> <message>"
  duplicate (已存在/重复)                → ack "yunnan duplicate: <message>" (already delivered)
  rejected (field/code problems)        → PermanentError(platform message)
  anything else (network, 5xx, auth, signature, unknown codes) → TransientError
"""
from __future__ import annotations

import base64

from edge.uplink.base import Delivery, PermanentError, TransientError
from edge.uplink.yunnan import crypto
from edge.uplink.yunnan.client import PlatformError, YunnanClient, YunnanError

LANE_EXTRAS = ("passMode", "vehicle", "smokeLevel", "plateCheck")
PHOTO_FIELDS = ("carHeadImg", "carImg")
DATA_URL_PREFIX = "data:image/jpeg;base64,"


def access_payload(record: dict, media: dict) -> dict:
    """The 6.13 plaintext for one record; raises TransientError if a photo is missing."""
    out = {k: v for k, v in record.items() if k not in LANE_EXTRAS}
    for f in PHOTO_FIELDS:
        if f in media:
            out[f] = DATA_URL_PREFIX + base64.b64encode(media[f]).decode("ascii")
        elif isinstance(out.get(f), str) and out[f].startswith("data:image/"):
            pass  # already inline (a record made by hand)
        else:
            raise TransientError("photo %s of record %s is not in the delivery" % (f, record.get("recordId")))
    return out


class YunnanDestination:
    name = "yunnan"

    def __init__(self, client: YunnanClient):
        self.client = client

    async def deliver(self, item: Delivery) -> str:
        if item.kind != "access":
            raise PermanentError("yunnan: no endpoint for record kind %r" % item.kind)
        payload = access_payload(item.record, item.media)
        try:
            answer, _ = await self.client.upload_access(payload)
        except PlatformError as e:
            if e.kind == "duplicate":
                return "yunnan duplicate: %s" % e.message
            if e.kind == "rejected":
                raise PermanentError("platform code %s: %s" % (e.code, e.message)) from None
            raise TransientError("platform code %s (%s): %s" % (e.code, e.kind, e.message)) from None
        except YunnanError as e:
            raise TransientError(str(e)) from None
        except crypto.EnvelopeError as e:
            raise TransientError("envelope: %s" % e) from None
        return "yunnan %s %s" % (answer.get("code"), answer.get("message") or "")

    async def close(self) -> None:
        await self.client.close()


async def open_destination(config) -> YunnanDestination:
    return YunnanDestination(YunnanClient.from_config(config))
