"""The Ningxia platform as an outbox destination (HJ 212 over TCP, `[uplink.hj212]`).

Kinds: "access" -> CN 60001 (photos from Delivery.media), "camera" -> CN 60002 (record = one
[[cameras]] entry, Yunnan 6.4 names + rtsp_url), "status" -> CN 60003 (record holds
F_QYMJJKZT and F_SCQK). Any other kind has no Ningxia message: it is acknowledged as
"not applicable" so it does not sit in this destination's queue forever.

The platform's answer (any packet with our QN) carries its result in CP `ExeRtn` (or
`QnRtn`); a bare HJ 212 data answer (CN 9014, no code) counts as received. Result codes of
Ningxia 7.4 and how we treat them (RESULTS below):
    1   数据接收成功              -> delivered
    2   执行失败                  -> transient until the record was tried `retry_limit` times,
                                    then permanent: the platform gives no reason and a platform-
                                    side hiccup must not cost a record, but a record it always
                                    refuses must surface for a technician.
    3   数据格式错误，解析失败       -> permanent: the same bytes will be refused again.
    4   MN错误                    -> permanent: [uplink.hj212] mn is wrong; fix it, then
                                    `edge outbox retry`.
    10  进出厂时间大于当前时间       -> transient until `retry_limit`, then permanent: a clock a
                                    little ahead of the platform's stops being "future" as time
                                    passes; a grossly wrong timestamp never does.
    100 当前企业还未备案            -> transient: registration is paperwork done at the platform;
                                    records recorded before it must flow once it is done.
    9   (HJ 212 QnRtn: CRC error) -> transient (damaged in transit: send again).
    other                         -> permanent, with the code in the reason.
"""
from __future__ import annotations

import logging

from edge import timeutil
from edge.errors import EdgeError, ValidationError
from edge.logsetup import clean, register_secret
from edge.uplink.base import Delivery, PermanentError, TransientError
from edge.uplink.hj212 import codec, edition, messages
from edge.uplink.hj212.client import Hj212Client

log = logging.getLogger(__name__)

OK, RETRY_THEN_REJECT, REJECT, RETRY = "ok", "retry-then-reject", "reject", "retry"
RESULTS = {
    1: (OK, "数据接收成功"),
    2: (RETRY_THEN_REJECT, "执行失败"),
    3: (REJECT, "数据格式错误，解析失败"),
    4: (REJECT, "MN错误"),
    9: (RETRY, "CRC校验错误"),
    10: (RETRY_THEN_REJECT, "进出厂（场）时间大于当前时间"),
    100: (RETRY, "当前企业还未备案"),
}
ANSWER_CN = "9014"   # HJ 212 数据应答


def answer_code(answer):
    """Result code of an answer message (int), or None when it carries none."""
    for key in ("ExeRtn", "QnRtn"):
        v = answer.get(key)
        if v is not None:
            try:
                return int(v)
            except ValueError:
                return -1
    return 1 if answer.get("CN") == ANSWER_CN else None


def judge(code, attempt, retry_limit):
    """Map a result code to None (delivered) or the error to raise."""
    kind, text = RESULTS.get(code, (REJECT, "unknown result code"))
    reason = "platform answered %s (%s)" % (code, text)
    if kind == OK:
        return None
    if kind == RETRY or (kind == RETRY_THEN_REJECT and attempt < retry_limit):
        return TransientError(reason)
    if kind == RETRY_THEN_REJECT:
        reason += " on attempt %d of %d" % (attempt, retry_limit)
    return PermanentError(reason)


class Hj212Destination:
    name = "hj212"

    def __init__(self, settings, place="", client=None):
        self.s = settings
        self.place = place
        self.client = client or Hj212Client(settings.host, settings.port, timeout_s=settings.timeout_s,
                                            resend=settings.resend, backoff_max_s=settings.backoff_max_s,
                                            answer_mode=settings.answer_mode)
        self._last_qn = ""
        register_secret(settings.pw)

    def next_qn(self):
        """QN = yyyyMMddHHmmsszzz, Beijing time, strictly increasing (unique per message)."""
        qn = timeutil.stamp_ms(timeutil.now())
        if qn <= self._last_qn:
            qn = "%017d" % (int(self._last_qn) + 1)
        self._last_qn = qn
        return qn

    def header(self, cn, qn):
        return [("QN", qn), ("ST", self.s.st or messages.ST), ("CN", cn), ("PW", self.s.pw), ("MN", self.s.mn),
                ("Flag", str(edition.flag(self.s.edition, answer=True)))]

    def build(self, item: Delivery):
        """(CN, CP items) for a delivery, or None when the kind has no Ningxia message."""
        now14 = timeutil.now().strftime("%Y%m%d%H%M%S")
        if item.kind == "access":
            return messages.CN_ACCESS, messages.access_fields(item.record, item.media, self.place, self.s.photos)
        if item.kind in ("camera", "video"):
            return messages.CN_VIDEO, messages.video_fields(item.record, now14)
        if item.kind == "status":
            r = item.record
            return messages.CN_STATUS, messages.status_fields(r.get("F_QYMJJKZT"), r.get("F_SCQK"), r.get("DATE") or now14)
        return None

    async def deliver(self, item: Delivery) -> str:
        try:
            built = self.build(item)
        except ValidationError as e:
            raise PermanentError("; ".join(e.lines())) from None
        if built is None:
            return "hj212: kind %r has no Ningxia message; not applicable" % item.kind
        cn, items = built
        qn = self.next_qn()
        try:
            packets = codec.encode(self.header(cn, qn) + items, self.s.max_segment)
        except codec.Hj212Error as e:
            raise PermanentError("HJ 212 %s: %s" % (cn, e)) from None
        answer = await self.client.request(packets, qn)
        code = answer_code(answer)
        if code is None:
            raise TransientError("platform answered QN=%s with CN=%s and no result code"
                                 % (qn, clean(answer.get("CN"), 20)))
        err = judge(code, item.attempt, self.s.retry_limit)
        if err is not None:
            log.warning("HJ 212 %s record %s: %s", cn, item.record_id, err.reason)
            raise err
        answered = getattr(answer, "packets_answered", None)
        how = ("%d packets, each answered" % answered if answered else
               "%d packet%s, answered after the last" % (len(packets), "" if len(packets) == 1 else "s"))
        return "hj212 CN=%s QN=%s result=%d (%s)" % (cn, qn, code, how)

    async def close(self):
        await self.client.close()


async def open_destination(config) -> Hj212Destination:
    s = config.uplink.hj212
    if s is None:
        raise EdgeError("[uplink.hj212] is missing from the config")
    site = config.site
    place = site.lane_name or "%s出入口%s道闸" % (site.entrance_id, site.gate_id)
    return Hj212Destination(s, place)
