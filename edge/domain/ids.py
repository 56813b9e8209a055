"""Id builders for the Yunnan records (also used for the Ningxia 出入口/道闸 numbers).

Every builder checks its parts and raises ValueError naming the part and the rule, so a bad
config or counter can never produce an id the platform would accept but mis-file.

Spec rules and the readings chosen where the spec is loose:
  recordId   (6.13) 时间戳(18) + 企业编号(22) + 进厂类型(1) + 5位序列号  -> 46 characters.
             * timestamp: the spec says 18 digits but prints no example. Our clock stamp is the
               17-digit yyyyMMddHHmmsszzz (edge.timeutil.stamp_ms, Beijing time, the same
               stamp HJ 212 QN uses); the 18th digit is appended on the right, default "0"
               (read it as tenths of a millisecond), so the ids still sort by time and the
               first 17 digits read as a time. `stamp_pad="left"` prepends it instead.
               An 18-digit stamp is used as given.
             * enterprise id: 22 is the length of a 排污许可证/登记 number (18-character
               credit code + 3 digits + 1 letter, e.g. the spec's 91110000710934615P001X).
               A shorter id (the spec's other example, 91310101MA1FPX1234, has 18) is padded
               to 22 with "0" on the LEFT: no credit code starts with 0, so the padding is
               unambiguous and stripping leading zeros recovers the id. `enterprise_pad=
               "right"` pads on the right instead. Longer than 22 is an error.
             * access type: "0" in, "1" out (6.13 accessType).
             * sequence 0..99999, zero-padded to 5 (a counter per timestamp, may start at 0).
  vehicleId  (6.11) 企业编号 + 5位序列号: enterprise id as is (no padding) + seq 1..99999.
  machineryId(6.12) "JX" + 企业编号 + 5位顺序号: seq 1..99999.
  cameraId   (6.4)  企业编号 + 出入口编号 + 摄像头2位顺序号: seq 1..99.
  gateId     (6.4/6.13, Ningxia 4.6.1) 出入口编号 + 2位道闸顺序编号 ("A01"): seq 1..99.
  entrance   one upper-case letter A-Z (A, B, C... in order). Lower case is refused, not
             upper-cased: the id is printed on signs and in the platform, it must be exact.
  enterprise 1-22 upper-case letters or digits (credit codes, permit numbers, HJ 608 codes).
顺序号 sequence numbers start at 1 (the spec's examples are 00001 and A01); only the
recordId counter may be 0.
"""

RECORD_ID_LEN = 46
ENTERPRISE_LEN = 22
STAMP_LEN = 18

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = "0123456789"


def _is_digits(s):
    return len(s) > 0 and all(c in _DIGITS for c in s)


def check_enterprise_id(enterprise_id):
    """Return the enterprise id if it is 1-22 upper-case letters/digits, else ValueError."""
    if not isinstance(enterprise_id, str) or not enterprise_id:
        raise ValueError("enterprise id must be a non-empty string, got %r" % (enterprise_id,))
    if len(enterprise_id) > ENTERPRISE_LEN:
        raise ValueError("enterprise id %r is longer than %d characters" % (enterprise_id, ENTERPRISE_LEN))
    for c in enterprise_id:
        if c not in _UPPER and c not in _DIGITS:
            raise ValueError("enterprise id %r may hold only upper-case letters and digits" % (enterprise_id,))
    return enterprise_id


def check_entrance_id(entrance_id):
    """Return the entrance id if it is one upper-case letter A-Z, else ValueError."""
    if not isinstance(entrance_id, str) or len(entrance_id) != 1 or entrance_id not in _UPPER:
        raise ValueError("entrance id must be one upper-case letter A-Z, got %r" % (entrance_id,))
    return entrance_id


def _seq(seq, digits, low, what):
    high = 10 ** digits - 1
    if isinstance(seq, bool) or not isinstance(seq, int):
        raise ValueError("%s must be an integer, got %r" % (what, seq))
    if seq < low or seq > high:
        raise ValueError("%s %d out of range %d..%d" % (what, seq, low, high))
    return ("%0" + str(digits) + "d") % seq


def pad_enterprise_id(enterprise_id, side="left", fill="0"):
    """The enterprise id padded to 22 characters for a recordId (see module doc)."""
    check_enterprise_id(enterprise_id)
    pad = fill * (ENTERPRISE_LEN - len(enterprise_id))
    if side == "left":
        return pad + enterprise_id
    if side == "right":
        return enterprise_id + pad
    raise ValueError("enterprise_pad must be 'left' or 'right', got %r" % (side,))


def record_stamp(timestamp, pad="right", pad_digit="0"):
    """The 18-digit recordId time part from a 17-digit yyyyMMddHHmmsszzz (stamp_ms) or an
    18-digit stamp. pad="right" appends pad_digit, "left" prepends it."""
    if not isinstance(timestamp, str) or not _is_digits(timestamp):
        raise ValueError("timestamp must be a digit string (yyyyMMddHHmmsszzz), got %r" % (timestamp,))
    if len(timestamp) == STAMP_LEN:
        return timestamp
    if len(timestamp) != STAMP_LEN - 1:
        raise ValueError("timestamp must have 17 digits (yyyyMMddHHmmsszzz) or 18, got %d: %r"
                         % (len(timestamp), timestamp))
    if len(pad_digit) != 1 or pad_digit not in _DIGITS:
        raise ValueError("pad_digit must be one digit, got %r" % (pad_digit,))
    if pad == "right":
        return timestamp + pad_digit
    if pad == "left":
        return pad_digit + timestamp
    raise ValueError("stamp_pad must be 'left' or 'right', got %r" % (pad,))


def record_id(timestamp, enterprise_id, access_type, seq, stamp_pad="right", enterprise_pad="left"):
    """recordId (6.13) = stamp(18) + enterprise id padded to 22 + access type + seq(5).

    timestamp: edge.timeutil.stamp_ms(dt) (17 digits) or an 18-digit stamp.
    access_type: "0"/0 in, "1"/1 out.  seq: 0..99999.
    """
    stamp = record_stamp(timestamp, stamp_pad)
    ent = pad_enterprise_id(enterprise_id, enterprise_pad)
    at = str(access_type) if not isinstance(access_type, bool) else ""
    if at not in ("0", "1"):
        raise ValueError("access type must be '0' (in) or '1' (out), got %r" % (access_type,))
    return stamp + ent + at + _seq(seq, 5, 0, "record sequence")


def parse_record_id(rid, enterprise_pad="left"):
    """Split a recordId built by record_id() into {stamp, enterpriseId, accessType, seq}."""
    if not isinstance(rid, str) or len(rid) != RECORD_ID_LEN:
        raise ValueError("recordId must be %d characters, got %r" % (RECORD_ID_LEN, rid))
    stamp, ent, at, seq = rid[:18], rid[18:40], rid[40], rid[41:]
    if not _is_digits(stamp) or not _is_digits(seq) or at not in ("0", "1"):
        raise ValueError("recordId %r is not stamp(18)+enterprise(22)+type(1)+seq(5)" % (rid,))
    ent = ent.lstrip("0") if enterprise_pad == "left" else ent.rstrip("0")
    return {"stamp": stamp, "enterpriseId": ent, "accessType": at, "seq": int(seq)}


def vehicle_id(enterprise_id, seq):
    """vehicleId (6.11) = enterprise id + 5-digit sequence 1..99999."""
    return check_enterprise_id(enterprise_id) + _seq(seq, 5, 1, "vehicle sequence")


def machinery_id(enterprise_id, seq):
    """machineryId (6.12) = "JX" + enterprise id + 5-digit sequence 1..99999."""
    return "JX" + check_enterprise_id(enterprise_id) + _seq(seq, 5, 1, "machinery sequence")


def camera_id(enterprise_id, entrance_id, seq):
    """cameraId (6.4) = enterprise id + entrance letter + 2-digit camera sequence 1..99."""
    return (check_enterprise_id(enterprise_id) + check_entrance_id(entrance_id)
            + _seq(seq, 2, 1, "camera sequence"))


def gate_id(entrance_id, seq):
    """gateId (6.4, 6.13; Ningxia 4.6.1) = entrance letter + 2-digit gate sequence 1..99: "A01"."""
    return check_entrance_id(entrance_id) + _seq(seq, 2, 1, "gate sequence")
