"""Endpoint names → paths under `base_url` (spec 4.1 and section 6).

The defaults are the section 6 paths ("接口地址"). Where section 4.1's list disagrees
the section 6 name wins and the 4.1 form is noted below; every path can be overridden with
`[uplink.yunnan] paths = { vehicle = "/carDate" }`:
  * vehicle ledger (6.11): section 6 `/vehicleInfo`, 4.1 `/carDate`;
  * exceed verification (6.14): section 6 `/exceedVehicleConfirm`, 4.1 lists `/exceedVehicle`
    a second time (it would collide with the 6.6 pull);
  * alarm confirmation (6.10): 4.1 prints `alarmConfir m` (a line-break typo) → `/alarmConfirm`;
  * init-auth (6.1) is not in 4.1 at all; it is taken to live under the same base URL.
"""
from __future__ import annotations

# name: (default path, spec section, plain?) — "plain" endpoints skip the envelope and token
ENDPOINTS: dict[str, tuple[str, str, bool]] = {
    "init_auth": ("/init-auth", "6.1", True),
    "token": ("/getToken", "6.2", False),
    "enterprise": ("/enterprise", "6.3", False),
    "camera": ("/cameraInfo", "6.4", False),
    "heartbeat": ("/heartBeat", "6.5", False),
    "exceed_vehicle": ("/exceedVehicle", "6.6", False),
    "strategy": ("/basStrategy", "6.7", False),
    "strategy_confirm": ("/strategyConfirm", "6.8", False),
    "alarm_vehicle": ("/alarmVehicle", "6.9", False),
    "alarm_confirm": ("/alarmConfirm", "6.10", False),
    "vehicle": ("/vehicleInfo", "6.11", False),
    "machinery": ("/nonMachinery", "6.12", False),
    "access": ("/vehicleAccess", "6.13", False),
    "exceed_verification": ("/exceedVehicleConfirm", "6.14", False),
}

DEFAULT_PATHS: dict[str, str] = {name: spec[0] for name, spec in ENDPOINTS.items()}

# section 4.1 spellings, for a platform that follows the list rather than section 6
SECTION_4_1_PATHS: dict[str, str] = {"vehicle": "/carDate", "exceed_verification": "/exceedVehicle"}


def paths(overrides: dict[str, str] | None = None) -> dict[str, str]:
    out = dict(DEFAULT_PATHS)
    for name, path in (overrides or {}).items():
        if name not in out:
            raise KeyError("unknown Yunnan endpoint %r (known: %s)" % (name, ", ".join(out)))
        out[name] = path
    return out


def url(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def is_plain(name: str) -> bool:
    return ENDPOINTS[name][2]
