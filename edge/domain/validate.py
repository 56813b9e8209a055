"""Validate a record against its kind (edge.domain.records): every problem, one line each.

    validate(kind, obj, platform="yunnan") -> [(field, rule), ...]   (empty: valid)
    check(kind, obj, platform="yunnan")    raises edge.errors.ValidationError

Rules read as `field: rule` lines, e.g.
    licensePlate: required
    plateColor: '9' is not a plate colour code (appendix 7.6)
    accessTime: must be YYYY-MM-DD HH:mm:ss
    cargoType: longer than 32 characters
platform="ningxia" checks vehicleType/fuelType/useType/emissionStandard against the Ningxia
data dictionary (chapter 8) instead of the Yunnan appendix. Pure, I/O-free, and written for
MicroPython too (no datetime, no re): dates are checked by hand.
"""
from edge.domain.codes import TABLES, SOURCES
from edge.domain.records import kind as _kind, PASS_MODES
from edge.domain.sanitize import find_sql_words
from edge.domain import ids

# What a value of each table is called in an error line.
NOUNS = {
    "yunnan.vehicle_type": "vehicle type code", "yunnan.region": "region code",
    "yunnan.plate_kind": "plate kind code", "yunnan.use_type": "use type code",
    "yunnan.fuel_type": "fuel type code", "yunnan.plate_color": "plate colour code",
    "yunnan.emission_standard": "emission standard code",
    "yunnan.machinery_type": "machinery type code", "yunnan.industry_type": "industry type code",
    "yunnan.industry_branch": "industry branch code",
    "yunnan.performance_level": "performance level code",
    "ningxia.vehicle_type": "vehicle type code", "ningxia.fuel_type": "fuel type code",
    "ningxia.use_type": "use type code", "ningxia.emission_standard": "emission standard code",
    "ningxia.plate_color": "plate colour code",
}

_DIGITS = "0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _digits(s):
    return len(s) > 0 and all(c in _DIGITS for c in s)


def _real_date(y, m, d):
    if y < 1900 or m < 1 or m > 12 or d < 1:
        return False
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    days = 29 if (m == 2 and leap) else _DAYS[m - 1]
    return d <= days


def date_problem(s):
    """None if s is a real YYYYMMDD date, else the rule it breaks."""
    if not isinstance(s, str) or len(s) != 8 or not _digits(s):
        return "must be YYYYMMDD"
    if not _real_date(int(s[:4]), int(s[4:6]), int(s[6:])):
        return "%r is not a real date (YYYYMMDD)" % s
    return None


def datetime_problem(s):
    """None if s is a real 'YYYY-MM-DD HH:mm:ss' (24-hour) time, else the rule it breaks."""
    if (not isinstance(s, str) or len(s) != 19 or s[4] != "-" or s[7] != "-" or s[10] != " "
            or s[13] != ":" or s[16] != ":"):
        return "must be YYYY-MM-DD HH:mm:ss"
    parts = (s[:4], s[5:7], s[8:10], s[11:13], s[14:16], s[17:])
    if not all(_digits(p) for p in parts):
        return "must be YYYY-MM-DD HH:mm:ss"
    y, mo, d, h, mi, se = [int(p) for p in parts]
    if not _real_date(y, mo, d) or h > 23 or mi > 59 or se > 59:
        return "%r is not a real time (YYYY-MM-DD HH:mm:ss)" % s
    return None


def _is_number(v):
    # decimal.Decimal (what `edge validate` parses JSON floats into) counts too
    return not isinstance(v, bool) and (isinstance(v, (int, float)) or hasattr(v, "as_tuple"))


def _decimals_text(v):
    """The decimal text of a coordinate: str as given, Decimal keeps its trailing zeros,
    a float has lost them (JSON 102.500000 parses as 102.5), so '%.6f' is its best text."""
    if isinstance(v, str):
        return v
    if hasattr(v, "as_tuple"):            # decimal.Decimal (CPython JSON parse_float=Decimal)
        return str(v)
    return None


def _coord_problems(name, v, f):
    text = _decimals_text(v)
    if text is not None:
        body = text[1:] if text[:1] == "-" else text
        head, dot, tail = body.partition(".")
        if not (_digits(head) and dot and _digits(tail)):
            return [(name, "must be a number in degrees with 6 decimals")]
        if len(tail) != 6:
            return [(name, "must have exactly 6 decimals (%s has %d)" % (text, len(tail)))]
        value = float(text)
    elif _is_number(v):
        value = float(v)
        # trailing zeros are gone; more than 6 decimals is still detectable
        if abs(round(value, 6) - value) > 1e-9:
            return [(name, "must have exactly 6 decimals (%r has more)" % v)]
    else:
        return [(name, "must be a number in degrees with 6 decimals")]
    lo, hi = f.get("min_value"), f.get("max_value")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        return [(name, "%s is outside %s..%s" % (text or repr(v), lo, hi))]
    return []


def _ip_ok(s):
    parts = s.split(".")
    return len(parts) == 4 and all(_digits(p) and len(p) <= 3 and int(p) <= 255 for p in parts)


def _format_problem(fmt, v, obj):
    if fmt == "date":
        return date_problem(v)
    if fmt == "datetime":
        return datetime_problem(v)
    if fmt == "date_any":
        if len(v) == 10 and v[4:5] == "-" and v[7:8] == "-":
            p = date_problem(v[:4] + v[5:7] + v[8:])
            return None if p is None else "%r is not a real date (YYYYMMDD or YYYY-MM-DD)" % v
        return date_problem(v)
    if fmt == "enterprise":
        try:
            ids.check_enterprise_id(v)
        except ValueError:
            return "must be 1-22 upper-case letters or digits"
        return None
    if fmt == "entrance":
        return None if (len(v) == 1 and v in _UPPER) else "must be one upper-case letter A-Z"
    if fmt == "gate":
        if not (len(v) == 3 and v[0] in _UPPER and _digits(v[1:])):
            return "must be the entrance letter + 2 digits, e.g. A01"
        ent = obj.get("entranceId")
        if isinstance(ent, str) and ent and v[0] != ent:
            return "must start with entranceId %r" % ent
        return None
    if fmt == "ip":
        return None if _ip_ok(v) else "must be an IPv4 address like 192.168.1.10"
    if fmt == "port":
        return None if (_digits(v) and 0 < int(v) < 65536) else "must be a port number 1-65535"
    if fmt == "pass_mode":
        return None if v in PASS_MODES else "must be one of %s" % ", ".join(PASS_MODES)
    if fmt == "prefecture":
        if v in TABLES["yunnan.region"] and (not v.endswith("00") or v == "530000"):
            return "%r is a county, not a prefecture (州市) code (appendix 7.2)" % v
        return None
    if fmt == "county":
        if v.endswith("00"):
            return "%r is a prefecture, not a county (区县) code (appendix 7.2)" % v
        area = obj.get("areaCode")
        if isinstance(area, str) and len(area) == 6 and v[:4] != area[:4]:
            return "%r is not in areaCode %r (appendix 7.2)" % (v, area)
        return None
    ent = obj.get("enterpriseId")
    ent = ent if isinstance(ent, str) else ""
    if fmt == "vehicle_id":
        if not (len(v) > 5 and _digits(v[-5:]) and v[:-5] == ent):
            return "must be enterpriseId followed by 5 digits (6.11)"
        return None
    if fmt == "machinery_id":
        if not (v[:2] == "JX" and len(v) > 7 and _digits(v[-5:]) and v[2:-5] == ent):
            return "must be JX + enterpriseId + 5 digits (6.12)"
        return None
    if fmt == "camera_id":
        entrance = obj.get("entranceId")
        entrance = entrance if isinstance(entrance, str) else ""
        if not (len(v) > 3 and _digits(v[-2:]) and v[:-2] == ent + entrance):
            return "must be enterpriseId + entranceId + 2 digits (6.4)"
        return None
    if fmt == "record_id":
        return _record_id_problem(v, obj)
    raise ValueError("unknown format %r" % fmt)


def _record_id_problem(v, obj):
    rule = "must be timestamp(18) + enterpriseId padded to 22 + accessType(1) + 5 digits (6.13)"
    try:
        parts = ids.parse_record_id(v)
    except ValueError:
        return rule
    if date_problem(parts["stamp"][:8]) is not None:
        return rule + ": %r does not start with a date" % v
    ent = obj.get("enterpriseId")
    if isinstance(ent, str) and ent and parts["enterpriseId"] != ent:
        return "enterprise part %r does not match enterpriseId %r" % (parts["enterpriseId"], ent)
    at = obj.get("accessType")
    if at is not None and str(at) in ("0", "1") and parts["accessType"] != str(at):
        return "type digit %r does not match accessType %r" % (parts["accessType"], str(at))
    return None


def _code_text(v):
    """Codes may come as JSON numbers (the spec's own examples do that); compare as text."""
    if isinstance(v, str):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return None


def _table_rule(table_name, value):
    noun = NOUNS.get(table_name, "valid code")
    src = SOURCES.get(table_name, table_name)
    known = TABLES[table_name]
    article = "an" if noun[0] in "aeio" else "a"   # "a use type code"
    if len(known) <= 8:
        return "%r is not %s %s (%s: %s)" % (value, article, noun, src, ", ".join(
            "%s=%s" % (c, known[c]) for c in sorted(known)))
    return "%r is not %s %s (%s)" % (value, article, noun, src)


def _field_problems(f, v, obj, platform, prefix):
    name = prefix + f["name"]
    t = f["type"]
    if t == "media":
        if not isinstance(v, str) or not v:
            return [(name, "must be an image: a data:image/...;base64, URL or a photo reference")]
        if v[:5] == "data:" and not (v[:11] == "data:image/" and ";base64," in v
                                      and v.split(";base64,", 1)[1]):
            return [(name, "data URL must be data:image/<type>;base64,<data>")]
        return []
    if t == "coord":
        return _coord_problems(name, v, f)
    if t == "int":
        if isinstance(v, bool) or not isinstance(v, int):
            return [(name, "must be a whole number")]
        hi = f.get("max_value")
        if v < 0 or (hi is not None and v > hi):
            return [(name, "must be between 0 and %s" % hi if hi is not None else "must be >= 0")]
        return []
    if t == "number":
        num = None
        if _is_number(v):
            num = float(v)
        elif isinstance(v, str):     # the spec's example sends cargoWeight as "2.5"
            try:
                num = float(v)
            except ValueError:
                num = None
        if num is not None and (num != num or num in (float("inf"), float("-inf"))):
            num = None
        if num is None:
            return [(name, "must be a number")]
        if num < 0:
            return [(name, "must be >= 0")]
        return []
    if t == "vehicle":
        if not isinstance(v, dict):
            return [(name, "must be an object with the vehicle ledger fields (6.11)")]
        # The ledger entry rides along for its facts (VIN, emission standard, ...); its
        # document photos go up with the ledger upload (6.11), not with every passage.
        photos = [name + "." + g["name"] for g in _kind("vehicle")["fields"] if g["type"] == "media"]
        return [p for p in validate("vehicle", v, platform, prefix=name + ".")
                if not (p[0] in photos and p[1] == "required")]
    # "str"
    table_name = f.get("table")
    if platform == "ningxia" and "ningxia_table" in f:
        table_name = f["ningxia_table"]
    if table_name:
        code = _code_text(v)
        if code is None:
            return [(name, "must be a code (text)")]
        v = code
    elif not isinstance(v, str):
        return [(name, "must be text (a JSON string)")]
    if f.get("required") and not v.strip():
        return [(name, "required (empty)")]
    if table_name and v not in TABLES[table_name]:
        return [(name, _table_rule(table_name, v))]
    out = []
    if "size" in f and len(v) != f["size"]:
        out.append((name, "must be exactly %d characters (has %d)" % (f["size"], len(v))))
    if "max" in f and len(v) > f["max"]:
        out.append((name, "longer than %d characters" % f["max"]))
    if "format" in f:
        p = _format_problem(f["format"], v, obj)
        if p:
            out.append((name, p))
    if not table_name and "format" not in f:
        for w in find_sql_words(v):
            out.append((name, "contains the SQL word %r, which the Ningxia platform refuses (6.2.5)" % w))
    return out


def _cross_problems(kind_name, obj, prefix):
    out = []
    if kind_name == "enterprise":
        b, t = obj.get("industryBranch"), _code_text(obj.get("industryType"))
        if isinstance(b, str) and b in TABLES["yunnan.industry_branch"] and t and b[:2] != t:
            out.append((prefix + "industryBranch", "%r is not a branch of industryType %r (appendix 7.9)" % (b, t)))
    if kind_name == "machinery":
        d = obj.get("manufactureDate")
        if (isinstance(d, str) and date_problem(d) is None and d >= "20170701"
                and not obj.get("machineryImg3")):
            out.append((prefix + "machineryImg3", "required for machines made from 2017-07-01 on (6.12)"))
    if kind_name == "strategy":
        s, e = obj.get("startdate"), obj.get("enddate")
        if datetime_problem(s) is None and datetime_problem(e) is None and e < s:
            out.append((prefix + "enddate", "is before startdate"))
    return out


def validate(kind_name, obj, platform="yunnan", prefix=""):
    """Every problem of `obj` as a `kind_name` record, as [(field, rule)] in spec field order."""
    k = _kind(kind_name)
    if platform not in ("yunnan", "ningxia"):
        raise ValueError("platform must be 'yunnan' or 'ningxia', got %r" % (platform,))
    if not isinstance(obj, dict):
        return [(prefix + "(record)" if prefix else "(record)", "must be a JSON object")]
    problems = []
    known = {}
    for f in k["fields"] + list(k.get("extras", ())):
        known[f["name"]] = f
        if "alias" in f:
            known[f["alias"]] = f
    for f in k["fields"] + list(k.get("extras", ())):
        v = obj.get(f["name"])
        if v is None and "alias" in f:
            v = obj.get(f["alias"])
        if v is None or (isinstance(v, str) and v == ""):
            if f["required"]:
                problems.append((prefix + f["name"], "required"))
            continue
        problems += _field_problems(f, v, obj, platform, prefix)
    if k["strict"]:
        for key in obj:
            if key not in known:
                problems.append((prefix + str(key), "unknown field (not in Yunnan %s %s)" % (k["section"], k["title"])))
    problems += _cross_problems(kind_name, obj, prefix)
    return problems


def check(kind_name, obj, platform="yunnan"):
    """Raise edge.errors.ValidationError listing every problem; return obj when valid."""
    problems = validate(kind_name, obj, platform)
    if problems:
        from edge.errors import ValidationError
        raise ValidationError(problems, "%s record" % kind_name)
    return obj
