"""`[lane]`: what this board runs besides recording passages."""
from typing import Literal

from edge.settings import section, setting
from edge.vision.settings import PresenceSettings


@section
class LaneSettings:
    site_duties: bool = setting(
        True, doc="Do the site-wide platform duties (heartbeat, pulls, confirmations) from this board.\n"
                  "Until lanes elect a leader over MQTT, set this true on exactly one lane per site.")
    heartbeat_interval_s: float = setting(900.0, doc="Platform heartbeat period (spec: every 15 minutes).", min=10)
    sync_interval_s: float = setting(300.0, doc="How often to pull exceed vehicles, strategies and alarms.", min=10)
    housekeeping_interval_s: float = setting(3600.0, doc="How often to check retention, disk use and missing uploads.", min=10)
    direction: Literal["in", "out"] = setting("in", doc="This lane's direction: \"in\" (进厂, accessType 0) or \"out\" (出厂, 1).")
    default_cargo_type: str = setting(
        "", doc="Cargo name (cargoType) for a passage when no weighbridge/dispatch system supplies one.\n"
                "The spec requires it; empty leaves such records rejected locally until fixed.", example="生产原料")
    default_cargo_weight: str = setting("", doc="Cargo amount (cargoWeight) when none is supplied.", example="0",
                                        pattern=r"|\d+(\.\d+)?", rule="empty or a number")
    default_cargo_unit: Literal["", "T", "L", "P"] = setting("T", doc="Cargo unit: T tonnes, L litres, P packs.")
    production_state: Literal["正常", "停产", "限产"] = setting(
        "正常", doc="Production state reported in HJ 212 CN 60003 (生产情况): 正常, 停产 or 限产.")
    trigger: Literal["loop", "camera"] = setting(
        "loop", doc="What tells the lane a vehicle is at the gate: \"loop\" (the loop detector input) or\n"
                    "\"camera\" (the plate camera against the empty-lane reference: boards without a loop; it also\n"
                    "notices a vehicle whose plate cannot be read; [lane.presence] says where to look).")
    plate_timeout_s: float = setting(8.0, doc="A vehicle whose plate is not voted within this long waits for a manual entry.",
                                     min=1, max=120)
    close_delay_s: float = setting(1.5, doc="Loop and anti-smash clear this long before the barrier closes.", min=0, max=60)
    pass_timeout_s: float = setting(60.0, doc="Barrier up and nobody passes: close after this long (once clear).",
                                    min=5, max=3600)
    loop_stuck_s: float = setting(300.0, doc="Loop occupied this long: alarm (a parked vehicle or a faulty loop).",
                                  min=10)
    clip_pre_s: float = setting(5.0, doc="A passage clip starts this long before the vehicle arrived.", min=0, max=60)
    clip_post_s: float = setting(5.0, doc="... and ends this long after it left (at least 10 s in all: Ningxia 4.5.3.3).",
                                 min=0, max=60)
    cargo_hold_s: float = setting(
        0.0, doc="Hold each access record this long for a cargo entry on the status page before it is sent\n"
                 "(HJ 1321 function 10; 0: send at once with the default cargo).", min=0, max=86400)
    demo_traffic_interval_s: float = setting(
        0.0, doc="Simulated board only: record a synthetic passage this often (0: off).", min=0)
    presence: PresenceSettings = setting(PresenceSettings, doc="The camera vehicle trigger ([lane] trigger = \"camera\").")
