"""`[uplink.hj212]`: the Ningxia platform (HJ 212 over TCP)."""
from typing import Literal

from edge.settings import section, setting


@section
class Hj212Settings:
    host: str = setting(doc="Platform host name or IP.", example="127.0.0.1")
    port: int = setting(doc="Platform TCP port.", example=8712, min=1, max=65535)
    mn: str = setting(doc="MN: for Ningxia the enterprise's unified social credit code (guide 7.3); "
                          "HJ 212 allows up to 24 letters or digits.",
                      example="91640100MA76XYZ12X", pattern=r"[0-9A-Za-z]{1,24}",
                      rule="1–24 letters or digits")
    pw: str = setting("123456", doc="PW access password (6 characters).", pattern=r"[^\s;,&]{6}",
                      rule="exactly 6 characters, none of ; , & or blanks (HJ 212 separators)", secret=True)
    st: str = setting("31", doc="ST system code.", pattern=r"\d{2}", rule="2 digits")
    edition: Literal["2017", "2025"] = setting("2017", doc="HJ 212 edition (Flag version bits). The Ningxia guide names 2017.")
    timeout_s: float = setting(10.0, doc="Seconds to wait for the platform's answer.", min=1, max=300)
    resend: int = setting(3, doc="Resends of one packet without an answer before it counts as failed.", min=0, max=20)
    answer_mode: Literal["packet", "message"] = setting(
        "packet", doc="What the platform answers. \"packet\" (HJ 212-2017 §6.3): every packet whose Flag asks for it,\n"
                      "split packets one by one: each packet is sent, answered (or resent: same QN, same PNO) before\n"
                      "the next, and a record counts as delivered only when all its packets were answered.\n"
                      "\"message\": one answer per message once the platform has it whole; only an answer after the\n"
                      "last packet counts. \"packet\" is safe with either platform (it never delivers to a\n"
                      "once-per-message platform, and says so); \"message\" with a per-packet platform would miss a lost packet.")
    max_segment: int = setting(1024, doc="Largest data segment per packet in bytes; longer messages (photos) are split "
                                          "with PNUM/PNO. HJ 212-2017 allows 1024; the length field allows 9999.",
                               min=256, max=9999)
    photos: Literal["combine", "head"] = setting(
        "combine", doc="F_JCZP holds one Base64 JPEG: \"combine\" = head photo above body photo, \"head\" = head photo only.")
    retry_limit: int = setting(
        20, doc="Answers 2 (执行失败) and 10 (time in the future) are retried as transient until a record has been "
                "tried this many times; after that they count as a rejection.", min=1, max=1000)
    backoff_max_s: float = setting(60.0, doc="Longest wait between reconnect attempts (doubles from 0.5 s).",
                                   min=0.1, max=3600)
