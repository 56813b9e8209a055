"""`[uplink]`: which platforms this lane reports to."""
from typing import Literal

from edge.settings import section, setting
from edge.uplink.hj212.settings import Hj212Settings
from edge.uplink.yunnan.settings import YunnanSettings


@section
class UplinkSettings:
    destinations: list[Literal["yunnan", "hj212"]] = setting(
        ["yunnan"], doc="Platforms that receive every access record: \"yunnan\", \"hj212\" or both.")
    yunnan: YunnanSettings | None = setting(None, doc="Yunnan platform (HTTP/JSON).")
    hj212: Hj212Settings | None = setting(None, doc="Ningxia platform (HJ 212-2017 over TCP).")

    def validate(self):
        for d in self.destinations:
            if getattr(self, d) is None:
                yield ("destinations", "names %r but [uplink.%s] is missing" % (d, d))
