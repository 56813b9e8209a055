"""The leader's uploads for the whole site (Yunnan 6.3, 6.4, 6.11, 6.12): the enterprise, the
cameras of every lane, the ledger entries not uploaded yet.

Enterprise and camera bodies go up once per term (a new leader cannot know what its
predecessor managed; the platform takes them again as updates) and again whenever they
change; each lane sends its camera bodies to every new leader. Ledger entries go up while
pending (new or changed since their upload); their `uploaded_at` then reaches every lane with
the ledger, so the next leader does not send them again. An entry whose photos this leader
does not hold (made at another lane before it led) has them fetched from the retained
cache/img topic first.
"""
from __future__ import annotations

import asyncio
import logging

from edge.lane.supervisor import every
from edge.site import codec

log = logging.getLogger("edge.site.uploads")

KIND_ENDPOINT = {"vehicles": "vehicle", "machinery": "machinery"}


async def uploads_job(node, stop: asyncio.Event) -> None:
    from edge.store.ledger import Ledger
    from edge.uplink.yunnan.client import YunnanClient
    from edge.uplink.yunnan.credentials import platform_path
    config = node.config
    if not platform_path(config.state_dir).is_file():
        await stop.wait()           # the platform job says why (not registered)
        return
    client = YunnanClient.from_config(config)
    ledger = Ledger.open(config.state_dir)
    sent: dict[str, str] = {}       # body id -> digest uploaded in this term
    try:
        async def one_round():
            await _enterprise_and_cameras(node, client, sent)
            for kind in KIND_ENDPOINT:
                await _ledger(node, client, ledger, kind)
        one_round.__name__ = "site uploads"
        await every(min(config.lane.sync_interval_s, 60.0), stop, one_round)
    finally:
        await client.close()
        ledger.close()


def _problems(kind: str, body: dict) -> list:
    from edge.domain.validate import validate
    return list(validate(kind, body))


async def _enterprise_and_cameras(node, client, sent: dict) -> None:
    from edge.uplink.yunnan.payloads import camera_payloads, enterprise_payload
    config = node.config
    bodies = []
    if config.enterprise is not None:
        bodies.append(("enterprise", config.site.enterprise_id, enterprise_payload(config)))
    cams = {b["cameraId"]: b for b in camera_payloads(config)}
    for lane_bodies in node.cameras.values():
        for b in lane_bodies:
            if isinstance(b, dict) and b.get("cameraId"):
                cams.setdefault(b["cameraId"], b)
    bodies += [("camera", cid, b) for cid, b in sorted(cams.items())]
    for kind, ident, body in bodies:
        d = codec.digest(body)
        if sent.get(ident) == d:
            continue
        problems = _problems(kind, body)
        if problems:
            log.warning("site uploads: %s %s not sent: %s", kind, ident, "; ".join("%s: %s" % p for p in problems))
            sent[ident] = d
            continue
        call = client.upload_enterprise if kind == "enterprise" else client.upload_camera
        answer, _ = await call(body)
        sent[ident] = d
        log.info("site uploads: %s %s: code %s", kind, ident, answer.get("code"))


async def _ledger(node, client, ledger, kind: str) -> None:
    from edge.uplink.yunnan.client import PlatformError
    todo = await asyncio.to_thread(ledger.ids, kind, True)
    for oid in todo:
        entry = await asyncio.to_thread(lambda: next((e for e in ledger.site_export(kind) if e["id"] == oid), None))
        if entry is None or entry.get("upload_error"):
            continue                 # refused before: edge push --all after fixing it
        held = await asyncio.to_thread(ledger.images, kind, oid)
        if entry.get("images") and set(entry["images"]) - set(held):
            imgs = await node.fetch_images(kind, oid)
            if imgs:
                await asyncio.to_thread(ledger.site_write, kind, [entry], images={oid: imgs})
        body = await asyncio.to_thread(ledger.payload, kind, oid)
        problems = _problems("vehicle" if kind == "vehicles" else "machinery", body)
        if problems:
            log.warning("site uploads: %s %s not sent: %s", kind, oid, "; ".join("%s: %s" % p for p in problems[:3]))
            continue
        upload = client.upload_vehicle if kind == "vehicles" else client.upload_machinery
        try:
            await upload(body)
        except PlatformError as e:
            if e.transient:
                raise
            await asyncio.to_thread(ledger.mark_uploaded, kind, oid, e.message)
            log.warning("site uploads: %s %s refused: %s", kind, oid, e.message)
            continue
        await asyncio.to_thread(ledger.mark_uploaded, kind, oid)
        log.info("site uploads: %s %s uploaded", kind, oid)
