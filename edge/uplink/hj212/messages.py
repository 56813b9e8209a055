"""The three Ningxia messages (guide 001, 7.3) built from our records, and their field rules.

How we read the guide's tables (7.3.1–7.3.3), as an engineer would:
  * QN, ST, CN, MN are the HJ 212 header; ST is 31 and CN 60001/60002/60003. MN carries the
    enterprise's unified social credit code (the table says Varchar(20); HJ 212 allows 24,
    which is what we check). PW is not in the tables but HJ 212 requires it: we send the
    configured PW.
  * The last three rows of every table -- "Flag 默认值为 5", "CP 默认值为&&", "RtdInterval
    默认值为：30&&A9C1" -- are not fields of these messages. They were copied from HJ 212's
    worked example (`...;Flag=5;CP=&&RtdInterval=30&&1C80`): Flag=5 means "HJ 212-2017, answer
    required" (edition.py), CP=&&...&& is the envelope every other row travels in, and
    "RtdInterval=30&&A9C1" is the tail of that example packet (CN 1062's parameter plus a CRC).
    We send Flag per edition.py and no RtdInterval.
  * DATE and every F_* field go inside CP, in table order, as `key=value;...`.
  * "是否可空 否" = required; a required field that we cannot fill is an error naming it.
  * F_CPYS, F_PFBZ, F_JCLX, F_TGFS, F_YSLDW, F_QYMJJKZT, F_SCQK carry the Chinese words the
    table lists (e.g. 黄牌, 国六, 进, 自动, 吨). F_CLLX, F_YLLX, F_SYXZ say "参照 GA/T 16，参考
    8.x": they carry the code (值 column) of chapter 8, e.g. H11, B, F; a Yunnan code that
    chapter 8 lacks becomes Z (其它) -- both tables end in Z.
  * F_JCZP is ONE field for "车头、车身" photos, Base64 (no data: prefix). We send one JPEG
    with the head photo above the body photo (setting `photos = "combine"`), or the head
    photo alone (`photos = "head"`); a receiver needs no convention beyond "Base64 JPEG".
  * F_CLPPXH is brand_model, as the table's example 一汽大众_速腾.
  * Free text (plate, cargo, fleet, place) may hold the HJ 212 separators; we replace ASCII
    `;` `,` `&` by `；` `，` `＆` and drop control characters, so a person's typing cannot
    get a record rejected (codec.py forbids them outright).
"""
from __future__ import annotations

import base64
import io
from urllib.parse import urlsplit, urlunsplit

from edge.errors import ValidationError

ST = "31"
CN_ACCESS = "60001"
CN_VIDEO = "60002"
CN_STATUS = "60003"

PLATE_COLORS = ("蓝牌", "黄牌", "白牌", "黑牌", "新能源绿牌", "新能源绿黄牌", "其他")
EMISSION = ("国零", "国一", "国二", "国三", "国四", "国五", "国六", "电动")
ACCESS_TYPE = {"0": "进", "1": "出"}
PASS_MODE = {"auto": "自动", "manual": "手动"}
CARGO_UNITS = ("吨", "升", "包", "箱")
_YUNNAN_UNIT = {"T": "吨", "L": "升", "P": "包"}
SYSTEM_STATES = ("正常", "故障", "离线", "维护")
PRODUCTION_STATES = ("正常", "停产", "限产")

# (element, kind, required, max length or choices) in table order. Kinds:
#   text: Varchar(n); dt14: yyyyMMddHHmmss; d8: YYYYMMDD; int01: 0/1; float; b64: Base64.
FIELDS = {
    CN_ACCESS: [
        ("DATE", "dt14", True, None),
        ("F_JCZP", "b64", True, None),
        ("F_JCWZ", "text", True, 100),
        ("F_CPHM", "text", True, 100),
        ("F_CPYS", "choice", True, PLATE_COLORS),
        ("F_JCLX", "choice", True, ("进", "出")),
        ("F_CRKBH", "text", True, 20),
        ("F_ZDBH", "text", True, 20),
        ("F_VIN", "text", False, 20),
        ("F_ZCDJRQ", "d8", False, None),
        ("F_CLLX", "text", False, 100),
        ("F_CLPPXH", "text", False, 100),
        ("F_YLLX", "text", False, 50),
        ("F_PFBZ", "choice", False, EMISSION),
        ("F_LWZT", "int01", False, None),
        ("F_SYXZ", "text", False, 100),
        ("F_HWMC", "text", False, 200),
        ("F_YSL", "float", False, None),
        ("F_YSLDW", "choice", False, CARGO_UNITS),
        ("F_CDMC", "text", True, 100),
        ("F_TGFS", "choice", True, ("手动", "自动")),
        ("F_CZZDQRSJ", "int01", False, None),
    ],
    CN_VIDEO: [
        ("DATE", "dt14", True, None),
        ("F_WZ", "text", True, 100),
        ("F_DZ", "text", True, 100),
        ("F_PORT", "text", True, 100),
        ("F_UID", "text", True, 20),
        ("F_PSD", "text", True, 20),
    ],
    CN_STATUS: [
        ("DATE", "dt14", True, None),
        ("F_QYMJJKZT", "choice", True, SYSTEM_STATES),
        ("F_SCQK", "choice", True, PRODUCTION_STATES),
    ],
}
HEADER = ("QN", "ST", "CN", "PW", "MN", "Flag")
_B64 = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


def _is_date(text, n):
    if len(text) != n or not text.isdigit():
        return False
    mo, d = int(text[4:6]), int(text[6:8])
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return False
    if n == 14:
        return int(text[8:10]) < 24 and int(text[10:12]) < 60 and int(text[12:14]) < 60
    return True


def check_fields(cn, fields):
    """Problems [(element, rule)] of a flat field dict against the CN's table (header too)."""
    if cn not in FIELDS:
        return [("CN", "must be one of %s" % ", ".join(FIELDS))]
    problems = []
    mn = fields.get("MN")
    if not mn or not str(mn).isalnum() or len(str(mn)) > 24 or not str(mn).isascii():
        problems.append(("MN", "required: 1–24 letters or digits (unified social credit code)"))
    known = set(HEADER) | {f[0] for f in FIELDS[cn]}
    for k in fields:
        if k not in known:
            problems.append((k, "not a field of CN %s (known: %s)" % (cn, ", ".join(f[0] for f in FIELDS[cn]))))
    for name, kind, required, arg in FIELDS[cn]:
        v = fields.get(name)
        if v is None or v == "":
            if required:
                problems.append((name, "required"))
            continue
        if not isinstance(v, str):
            problems.append((name, "must be text"))
            continue
        if kind == "text" and len(v) > arg:
            problems.append((name, "at most %d characters" % arg))
        elif kind == "choice" and v not in arg:
            problems.append((name, "must be one of %s" % "、".join(arg)))
        elif kind == "dt14" and not _is_date(v, 14):
            problems.append((name, "must be yyyyMMddHHmmss"))
        elif kind == "d8" and not _is_date(v, 8):
            problems.append((name, "must be YYYYMMDD"))
        elif kind == "int01" and v not in ("0", "1"):
            problems.append((name, "must be 0 or 1"))
        elif kind == "float":
            try:
                float(v)
            except ValueError:
                problems.append((name, "must be a number"))
        elif kind == "b64" and (len(v) % 4 or not set(v) <= _B64):
            problems.append((name, "must be Base64 (A–Z a–z 0–9 + / =, length a multiple of 4)"))
    return problems


def clean_text(value):
    """Human free text -> a value HJ 212 can carry (see module doc)."""
    s = str(value).replace(";", "；").replace(",", "，").replace("&", "＆")
    return "".join(ch for ch in s if ord(ch) >= 32 and ord(ch) != 127).strip()


def _dt14(access_time):
    # 'YYYY-MM-DD HH:mm:ss' (Yunnan 6.13, Beijing time) -> yyyyMMddHHmmss
    return "".join(ch for ch in str(access_time) if ch.isdigit())


def _code_or_other(table_name, code):
    if code in (None, ""):
        return None
    try:
        from edge.domain import codes
        tab = codes.TABLES[table_name]
    except (ImportError, KeyError):
        return str(code)
    code = str(code)
    return code if code in tab else ("Z" if "Z" in tab else None)


def plate_color_name(code):
    """Yunnan 7.6 code (or our colour word) -> the Ningxia F_CPYS word."""
    try:
        from edge.domain.codes import ningxia_plate_color
    except ImportError:
        ningxia_plate_color = None
    if ningxia_plate_color is not None:
        try:
            return ningxia_plate_color(code)
        except ValueError:
            return None
    fallback = dict(zip("0123546", ("蓝牌", "黄牌", "白牌", "黑牌", "其他", "新能源绿牌", "新能源绿黄牌")))
    return fallback.get(str(code)) or (str(code) if str(code) in PLATE_COLORS else None)


def emission_name(code):
    if code in (None, ""):
        return None
    try:
        from edge.domain.codes import ningxia_emission_name
        return ningxia_emission_name(code)
    except ImportError:
        return dict(zip("0123456D", EMISSION)).get(str(code))
    except ValueError:
        return None  # 'X' unknown: nullable field, left out


def combine_photos(head, body, mode="combine"):
    """The one JPEG F_JCZP carries: head photo above body photo (or the head photo alone)."""
    if not head and not body:
        raise ValidationError([("F_JCZP", "required: the record has no carHeadImg/carImg photo")], "HJ 212 60001")
    if mode == "head" or not body:
        return head or body
    if not head:
        return body
    from PIL import Image, UnidentifiedImageError
    try:
        a = Image.open(io.BytesIO(head)).convert("RGB")
        b = Image.open(io.BytesIO(body)).convert("RGB")
    except (UnidentifiedImageError, OSError) as e:
        raise ValidationError([("F_JCZP", "carHeadImg/carImg is not a readable image (%s)" % e)],
                              "HJ 212 60001") from None
    out = Image.new("RGB", (max(a.width, b.width), a.height + b.height))
    out.paste(a, (0, 0))
    out.paste(b, (0, a.height))
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def access_fields(record, photos, place="", photo_mode="combine"):
    """CP items (list of pairs) of a 60001 message from one access record.

    `record`: Yunnan 6.13 names + passMode, vehicle (6.11 names), smokeLevel.
    `photos`: {"carHeadImg": bytes, "carImg": bytes}. Raises ValidationError naming the
    Ningxia element when a required one cannot be filled or a value breaks its rule."""
    r = record
    v = r.get("vehicle") or {}
    jpeg = combine_photos(photos.get("carHeadImg"), photos.get("carImg"), photo_mode)
    brand = "_".join(clean_text(x) for x in (v.get("vehicleBrand"), v.get("vehicleModel")) if x)
    unit = r.get("cargoUnit")
    weight = r.get("cargoWeight")
    out = [
        ("DATE", _dt14(r.get("accessTime", ""))),
        ("F_JCZP", base64.b64encode(jpeg).decode("ascii")),
        ("F_JCWZ", clean_text(place or "%s出入口%s道闸" % (r.get("entranceId", ""), r.get("gateId", "")))),
        ("F_CPHM", clean_text(r.get("licensePlate", ""))),
        ("F_CPYS", plate_color_name(r.get("plateColor", ""))),
        ("F_JCLX", ACCESS_TYPE.get(str(r.get("accessType")))),
        ("F_CRKBH", clean_text(r.get("entranceId", ""))),
        ("F_ZDBH", clean_text(r.get("gateId", ""))),
        ("F_VIN", clean_text(r.get("vin") or v.get("vin") or "")),
        ("F_ZCDJRQ", v.get("registrationDate")),
        ("F_CLLX", _code_or_other("ningxia.vehicle_type", v.get("vehicleType"))),
        ("F_CLPPXH", brand),
        ("F_YLLX", _code_or_other("ningxia.fuel_type", v.get("fuelType"))),
        ("F_PFBZ", emission_name(v.get("emissionStandard"))),
        ("F_LWZT", None if v.get("networkStatus") in (None, "") else str(v.get("networkStatus"))),
        ("F_SYXZ", _code_or_other("ningxia.use_type", v.get("useType"))),
        ("F_HWMC", clean_text(r.get("cargoType") or "")),
        ("F_YSL", None if weight in (None, "") else str(weight)),
        ("F_YSLDW", _YUNNAN_UNIT.get(str(unit), None if unit in (None, "") else clean_text(unit))),
        ("F_CDMC", clean_text(v.get("fleetName") or "")),
        ("F_TGFS", PASS_MODE.get(r.get("passMode"))),
    ]
    if r.get("F_CZZDQRSJ") is not None:  # not in our record contract; passed through if a lane adds it
        out.append(("F_CZZDQRSJ", str(r["F_CZZDQRSJ"])))
    return _finish(CN_ACCESS, out, {
        "F_CPYS": "plateColor %r has no Ningxia colour name" % r.get("plateColor"),
        "F_JCLX": "accessType must be 0 (in) or 1 (out), got %r" % r.get("accessType"),
        "F_TGFS": "passMode must be auto or manual, got %r" % r.get("passMode"),
        "F_CDMC": "required: the vehicle's ledger entry (vehicle.fleetName) names no fleet",
    })


def video_fields(camera, date14):
    """CP items of a 60002 message from one camera (Yunnan 6.4 names + rtsp_url)."""
    c = camera if isinstance(camera, dict) else vars(camera)
    url = c.get("rtsp_url") or ""
    user = c.get("cameraUsername") or ""
    password = c.get("cameraPassword") or ""
    port = ""
    if url:
        u = urlsplit(url)
        user = user or (u.username or "")
        password = password or (u.password or "")
        port = str(u.port or "")
        host = u.hostname or ""
        netloc = host + (":%s" % u.port if u.port else "")
        url = urlunsplit((u.scheme, netloc, u.path, u.query, u.fragment))  # credentials go in F_UID/F_PSD
    elif c.get("cameraIp"):
        port = str(c.get("cameraHost") or "554")
        url = "rtsp://%s:%s/" % (c["cameraIp"], port)
    out = [("DATE", date14), ("F_WZ", clean_text(c.get("cameraName") or "")), ("F_DZ", url),
           ("F_PORT", port or str(c.get("cameraHost") or "554")), ("F_UID", user), ("F_PSD", password)]
    return _finish(CN_VIDEO, out, {})


def status_fields(system_state, production, date14):
    """CP items of a 60003 message: 门禁监控系统状态 and 生产情况 (words of the table)."""
    return _finish(CN_STATUS, [("DATE", date14), ("F_QYMJJKZT", system_state), ("F_SCQK", production)], {})


def _finish(cn, items, why):
    items = [(k, v) for k, v in items if v not in (None, "")]
    d = dict(items)
    d["MN"] = "X"  # the header is checked by the caller; only the CP items here
    problems = [(k, why.get(k, rule)) for k, rule in check_fields(cn, d)]
    if problems:
        raise ValidationError(problems, "HJ 212 %s message" % cn)
    return items
