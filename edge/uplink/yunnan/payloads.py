"""Plaintext bodies built from the lane config: enterprise (6.3) and cameras (6.4).

enterpriseId/enterpriseName come from `[site]`, the other 6.3 fields from `[enterprise]`
(spec names). Each `[[cameras]]` entry becomes one 6.4 body: cameraId = enterprise id +
entrance id + 2-digit cameraSeq (edge.domain.ids.camera_id), entranceId/gateId from `[site]`
(every camera configured on a lane board belongs to that lane's gate); `cameraSeq` and
`rtsp_url` are ours and are not sent; `status` (required by 6.4, not in [[cameras]]) is
"1" (in service) for every configured camera. Empty optional strings (industryBranch) are left out.
"""
from __future__ import annotations

import dataclasses

from edge.errors import EdgeError

_NOT_SENT = ("cameraSeq", "rtsp_url", "role")


def enterprise_payload(config) -> dict:
    if config.enterprise is None:
        raise EdgeError("[enterprise] is missing from the config (Yunnan 6.3 fields)")
    out = {"enterpriseId": config.site.enterprise_id, "enterpriseName": config.site.enterprise_name}
    for k, v in dataclasses.asdict(config.enterprise).items():
        if v == "" and k == "industryBranch":
            continue
        out[k] = v
    # spec order puts enterpriseCode second; dicts keep insertion order, the platform doesn't care
    return out


def camera_payloads(config) -> list[dict]:
    from edge.domain import ids
    out = []
    for cam in config.cameras:
        c = dataclasses.asdict(cam)
        try:
            cid = ids.camera_id(config.site.enterprise_id, config.site.entrance_id, cam.cameraSeq)
        except ValueError as e:
            raise EdgeError("camera %s: %s" % (cam.cameraSeq, e)) from None
        body = {"cameraId": cid, "enterpriseId": config.site.enterprise_id,
                "entranceId": config.site.entrance_id, "gateId": config.site.gate_id}
        body.update({k: v for k, v in c.items() if k not in _NOT_SENT})
        body.setdefault("status", "1")  # 6.4 status is required; a configured camera is in service
        out.append(body)
    return out
