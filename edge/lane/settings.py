"""`[lane]`: what this board runs besides recording passages."""
from edge.settings import section, setting


@section
class LaneSettings:
    site_duties: bool = setting(
        True, doc="Do the site-wide platform duties (heartbeat, pulls, confirmations) from this board.\n"
                  "Until lanes elect a leader over MQTT, set this true on exactly one lane per site.")
    heartbeat_interval_s: float = setting(900.0, doc="Platform heartbeat period (spec: every 15 minutes).", min=10)
    sync_interval_s: float = setting(300.0, doc="How often to pull exceed vehicles, strategies and alarms.", min=10)
    housekeeping_interval_s: float = setting(3600.0, doc="How often to check retention, disk use and missing uploads.", min=10)
    demo_traffic_interval_s: float = setting(
        0.0, doc="Simulated board only: record a synthetic passage this often (0: off).", min=0)
