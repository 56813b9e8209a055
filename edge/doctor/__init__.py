"""`edge doctor`: one line per check — PASS, WARN or FAIL, what was found and, for WARN/FAIL,
the fix in one sentence. Works with or without the lane running: when it runs, the checks
read the lane's own view (its status over the control socket) instead of probing hardware
the lane holds.

A check is a function `check(env) -> Result | list[Result] | None` in one of the modules
below, grouped by what they look at; `CHECKS` is the order they run and print in. What a
development or simulated machine cannot have (chrony, the installed service, eMMC wear) is a
WARN, never a FAIL.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

PASS, WARN, FAIL = "PASS", "WARN", "FAIL"


@dataclass
class Result:
    status: str
    name: str
    found: str
    fix: str = ""

    def line(self) -> str:
        text = "%s %s: %s" % (self.status, self.name, _one_line(self.found))
        if self.status != PASS and self.fix:
            text += " — " + _one_line(self.fix)
        return text

    def as_dict(self) -> dict:
        return {"status": self.status, "name": self.name, "found": _one_line(self.found),
                "fix": _one_line(self.fix) if self.status != PASS else ""}


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def ok(name, found):
    return Result(PASS, name, found)


def warn(name, found, fix):
    return Result(WARN, name, found, fix)


def fail(name, found, fix):
    return Result(FAIL, name, found, fix)


@dataclass
class Env:
    """What the checks read. Tests build one with their own sysroot; the CLI uses the machine."""
    config_path: str | None = None
    config: object = None              # edge.config.Config, None when it did not load
    config_error: str | None = None
    board: object = None               # BoardProfile, None when it did not load
    status: dict | None = None         # the running lane's status, None when it does not run
    lane_error: str | None = None      # why there is no status
    lane_pid: int | None = None
    actuate: bool = False
    sysroot: str = "/"
    timeout_s: float = 5.0
    extra: dict = field(default_factory=dict)  # values one check hands to a later one

    @property
    def lane_running(self) -> bool:
        return self.status is not None


def checks():
    from edge.doctor import (camera, clock, config_checks, hardware, models, outbox, platform,
                             service, storage)
    return [
        config_checks.check_config, config_checks.check_board, service.check_lane,
        service.check_service, camera.check_cameras, hardware.check_gpio, hardware.check_relay_pulse,
        hardware.check_rs485, clock.check_ntp, clock.check_clock, storage.check_disk,
        storage.check_emmc, storage.check_keys, platform.check_platform, platform.check_registered,
        platform.check_token, platform.check_heartbeat, outbox.check_backlog, outbox.check_rate,
        platform.check_mqtt, models.check_models,
    ]


def run_checks(env: Env, only: list | None = None) -> list[Result]:
    out: list[Result] = []
    for fn in (only or checks()):
        needs_config = getattr(fn, "needs_config", True)
        if needs_config and env.config is None:
            continue
        try:
            got = fn(env)
        except Exception as e:  # a broken check is a finding, not a doctor crash
            log.debug("check %s crashed", fn.__name__, exc_info=True)
            got = fail(fn.__name__.replace("check_", ""), "the check itself failed: %s: %s"
                       % (type(e).__name__, e), "report this to the developers with `edge doctor --json` output")
        if got is None:
            continue
        out.extend(got if isinstance(got, list) else [got])
    return out


def no_config(fn):
    fn.needs_config = False
    return fn
