"""A Yunnan platform simulator: the platform side of every endpoint of spec 6.1–6.14.

    python tools/yunnan_sim.py --port 8710 [--seed-exceed 250] [--seed-strategies N]
                               [--seed-alarms N] [--token-life 7200]

binds 127.0.0.1 only and prints its base URL. It does what the spec says the platform does:
init-auth once per enterprise (plain JSON, answers apiKey/apiSecret/platform public key),
verifies every other request's SHA256withRSA signature with the enterprise's registered
public key, unwraps the AES key with its own private key, decrypts, checks the headers
(X-Client-Id = apiKey, Authorization: Bearer <unexpired token of that apiKey>), checks
required fields and code values (edge.domain.validate when present, else the spec tables
below), records what it received, and encrypts the `data` of its answers for the enterprise.
Pulls (exceed vehicles, strategies, alarms) are served in pages of ≤100 with isNew, as
edge/uplink/yunnan/client.py reads 6.6: exceed pages advance a per-client cursor; strategy
and alarm pages hold what is not confirmed yet (6.8/6.10 remove confirmed ids).

Faults, from Python (`platform.inject("500", count=3)`) or over HTTP
(`POST /_sim/faults {"mode": "500", "count": 3, "endpoint": "access"}`), each consumed by one
request (endpoint omitted: any request except init-auth):
    500            HTTP 500 with an HTML body
    timeout        process the request, answer only after `slow_s` seconds (a client that
                   gave up and retried shows up as a duplicate recordId, as on a slow platform)
    garbage        HTTP 200 with a body that is not JSON
    bad_signature  code 500 "✘ 验签失败！签名不匹配！…" (the spec's own example)
    reject         code 400 "参数校验失败: …" (the data is refused)
    auth           code 401 "token无效或已过期"
    duplicate      code 500 "记录已存在" (the record was received before)
    busy           code 500 "请求过于频繁，请勿重复提交" (a rate limit that says 重复)
    redirect       HTTP `arg` (301/302/307/308; default 302) to `location` (default another host);
                   the request is not processed
    huge           HTTP 200 with a body of `arg` MB (default 64) and an honest Content-Length
    huge_chunked   the same without Content-Length (chunked, endless until `arg` MB)
Hostile pulls, from Python: `platform.flood = True` answers every pull page with 100 new
records of ~10 KB and isNew "1", forever; `platform.page_extras[endpoint] = [...]` appends
those (malformed) records to every page of that pull.
Other admin calls: GET /_sim/state (counts; accessDuplicates, confirmDuplicates, heartbeatTimes), GET /_sim/record-ids
({recordId: times received}), POST /_sim/expire-tokens, POST /_sim/seed
{"exceed": N, "strategies": N, "alarms": N, "date": "YYYY-MM-DD"}, DELETE /_sim/faults, POST /_sim/clock
{"offset_s": S} (the platform's clock runs S seconds off: its HTTP Date headers show it).

From Python: `platform.record_ids` (Counter of vehicleAccess recordIds: duplicates visible),
`platform.received[endpoint]` (plaintexts; photos kept only as {"jpegBytes", "sha256"}),
`platform.requests` (endpoint, Authorization, X-Client-Id, Content-Type and verdict of each
request). Cost per access record: one RSA-2048 verify + one private-key unwrap + AES + photo
decoding (see tools/bench_crypto.py for the rate on this machine).
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import email.utils
import hashlib
import json
import random
import secrets
import sys
import time
from pathlib import Path

from aiohttp import web

if __package__ in (None, ""):  # run as a script: make `edge` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edge.uplink.yunnan import crypto, endpoints  # noqa: E402

BASE_PATH = "/access/api/dataReceive"
FAULT_MODES = ("500", "timeout", "garbage", "bad_signature", "reject", "auth", "duplicate", "busy", "redirect",
               "huge", "huge_chunked")
SIGNATURE_FAILED = "✘ 验签失败！签名不匹配！数据可能被篡改或来源不可信。"
MAX_BODY = 64 * 1024 * 1024  # two photos as Base64 in Base64: aiohttp's 1 MiB default is too small

# Spec tables (fallback when edge.domain.validate is not there): required / optional fields
FIELDS = {
    "enterprise": (["enterpriseId", "enterpriseCode", "enterpriseName", "address", "areaCode", "regionCode",
                    "legalPerson", "contactPerson", "contactPhone", "industryType", "longitude", "latitude",
                    "performanceLevel", "entranceNums", "gateNums", "outsideCars", "insideCars", "machinerys",
                    "status"], ["industryBranch"]),
    "camera": (["cameraId", "enterpriseId", "entranceId", "cameraName", "cameraType", "cameraModel",
                "manufacturer", "installDate", "cameraIp", "cameraHost", "cameraUsername", "cameraPassword",
                "cameraChannel", "resolution", "recordingEnabled", "nvrIp", "nvrUsername", "nvrPassword",
                "status"], ["gateId", "nvrPost", "nvrPort"]),
    "vehicle": (["vehicleId", "enterpriseId", "licensePlate", "vehicleUse", "vin", "vehicleType", "vehicleBrand",
                 "vehicleModel", "fuelType", "emissionStandard", "useType", "fleetName", "registrationDate",
                 "networkStatus", "carImg1", "carImg2"], ["plateColor"]),
    "machinery": (["machineryId", "enterpriseId", "machineryCode", "manufactureDate", "emissionStandard",
                   "fuelType", "machineryType", "machineryPin", "machineryBrand", "engineModel", "engineMaker",
                   "engineNumber", "machineryImg1", "machineryImg2", "ownerName"], ["licensePlate", "machineryImg3"]),
    "access": (["recordId", "enterpriseId", "entranceId", "vehicleId", "licensePlate", "plateColor", "vin",
                "accessType", "accessTime", "cargoType", "cargoWeight", "cargoUnit", "carHeadImg", "carImg"],
               ["gateId"]),
    "exceed-verification": (["recordId", "licensePlate", "plateColor", "vin", "excessVerifica",
                             "excessVerificadate"], []),
}
CODE_FIELDS = {"plateColor": "yunnan.plate_color", "fuelType": "yunnan.fuel_type",
               "emissionStandard": "yunnan.emission_standard", "useType": "yunnan.use_type",
               "machineryType": "yunnan.machinery_type", "industryType": "yunnan.industry_type",
               "performanceLevel": "yunnan.performance_level", "areaCode": "yunnan.region",
               "regionCode": "yunnan.region", "accessType": "yunnan.access_type", "cargoUnit": "yunnan.cargo_unit",
               "cameraType": "yunnan.camera_type", "vehicleUse": "yunnan.vehicle_use",
               "networkStatus": "yunnan.network_status", "excessVerifica": "yunnan.excess_verification"}
IMAGE_FIELDS = {"vehicle": ("carImg1", "carImg2"), "machinery": ("machineryImg1", "machineryImg2", "machineryImg3"),
                "access": ("carHeadImg", "carImg")}
KIND_OF = {"enterprise": "enterprise", "camera": "camera", "vehicle": "vehicle", "machinery": "machinery",
           "access": "access", "exceed_verification": "exceed-verification"}


PLATFORM = web.AppKey("platform", object)


class Reject(Exception):
    def __init__(self, message: str, code: int = 400):
        super().__init__(message)
        self.code = code


def _fallback_problems(kind: str, obj: dict) -> list[tuple[str, str]]:
    from edge.domain.codes import TABLES
    required, optional = FIELDS[kind]
    out = [(f, "required") for f in required if obj.get(f) in (None, "")]
    for f, table in CODE_FIELDS.items():
        if f in obj and obj[f] not in (None, "") and str(obj[f]) not in TABLES.get(table, {str(obj[f]): 1}):
            out.append((f, "not a code of %s" % table))
    return out


def field_problems(kind: str, obj: dict, photos: dict | None = None) -> list[tuple[str, str]]:
    """Required fields and codes; unknown fields are refused (6.13 has no lane extras).
    Decoded photos are left in `photos` (field -> JPEG bytes) so they are decoded only once."""
    try:
        from edge.domain.validate import validate
    except ImportError:
        problems = _fallback_problems(kind, obj)
    else:
        problems = list(validate(kind, obj))
    required, optional = FIELDS[kind]
    known = set(required) | set(optional)
    problems += [(f, "unknown field") for f in obj if f not in known]
    for f in IMAGE_FIELDS.get(kind, ()):
        v = obj.get(f)
        if v in (None, ""):
            continue
        if not isinstance(v, str) or not v.startswith("data:image/jpeg;base64,"):
            problems.append((f, "must be data:image/jpeg;base64,..."))
            continue
        try:
            jpeg = base64.b64decode(v.split(",", 1)[1], validate=True)
        except ValueError:
            problems.append((f, "not valid Base64"))
            continue
        if not jpeg.startswith(b"\xff\xd8"):
            problems.append((f, "not a JPEG"))
        elif photos is not None:
            photos[f] = jpeg
    return problems


def _photo_summary(jpeg: bytes) -> dict:
    # what a test needs to recognise the photo, without keeping thousands of them in memory
    return {"jpegBytes": len(jpeg), "sha256": hashlib.sha256(jpeg).hexdigest()}


class Platform:
    """The platform's state; all of it inspectable by tests."""

    def __init__(self, *, key=None, token_life_s: float = 7200, sign_scope: str = "key+content",
                 sign_input: str = "bytes", page_size: int = 100, slow_s: float = 30.0, clock=time.monotonic,
                 rng: random.Random | None = None):
        self.key = key or crypto.generate_keypair(2048)
        self.public_key_b64 = crypto.public_key_b64(self.key)
        self.token_life_s = token_life_s
        self.sign_scope = sign_scope
        self.sign_input = sign_input
        self.page_size = page_size
        self.slow_s = slow_s
        self.clock = clock
        self.rng = rng or random.Random(1)
        self.enterprises: dict[str, dict] = {}      # apiKey -> {enterpriseId, enterpriseName, publicKey, apiSecret}
        self.tokens: dict[str, tuple[str, float]] = {}   # token -> (apiKey, expires at)
        self.received: dict[str, list] = collections.defaultdict(list)   # endpoint -> plaintexts
        self.record_ids: collections.Counter = collections.Counter()     # vehicleAccess recordId -> times
        self.requests: list[dict] = []               # endpoint, headers, verdict per request
        self.heartbeats: dict[str, int] = collections.Counter()
        self.heartbeat_times: list[float] = []       # wall time of each heartbeat (gaps, per site)
        self.exceed: list[tuple[str, dict]] = []     # (date YYYY-MM-DD, record)
        self.strategies: list[tuple[str, dict]] = []
        self.alarms: list[tuple[str, dict]] = []
        self.confirmed_strategies: set[str] = set()
        self.confirmed_alarms: set[str] = set()
        self.confirm_calls: dict[str, list] = collections.defaultdict(list)
        self.cursors: dict[tuple, tuple[str, int]] = {}
        self.faults: list[dict] = []
        self.faults_fired: collections.Counter = collections.Counter()
        self.flood = False
        self.flood_pages = 0
        self.page_extras: dict[str, list] = {}
        self.clock_offset_s = 0.0   # the platform's wall clock minus the real one (its HTTP Date)

    # ------------------------------------------------------------ control (tests, admin API)

    def inject(self, mode: str, count: int = 1, endpoint: str | None = None, arg=None, location: str | None = None) -> None:
        if mode not in FAULT_MODES:
            raise ValueError("fault mode must be one of %s" % ", ".join(FAULT_MODES))
        if endpoint is not None and endpoint not in endpoints.DEFAULT_PATHS:
            raise ValueError("unknown endpoint %r" % endpoint)
        f = {"mode": mode, "count": int(count), "endpoint": endpoint}
        if arg is not None:
            f["arg"] = arg
        if location is not None:
            f["location"] = location
        self.faults.append(f)

    def clear_faults(self) -> None:
        self.faults.clear()

    def expire_tokens(self) -> int:
        n = len(self.tokens)
        self.tokens.clear()
        return n

    def seed_exceed(self, n: int, start_date: str = "2025-08-01") -> list[dict]:
        out = []
        base = len(self.exceed)
        for i in range(n):
            k = base + i
            rec = {"recordId": "EV%06d" % (k + 1), "licensePlate": "云A%05d" % (10000 + k),
                   "plateColor": "1", "vin": "LZZ%014d" % k, "fuelType": "B",
                   "emissionStandard": self.rng.choice("2345"), "exceedlistReason": str(1 + k % 7),
                   "isRemove": "0", "sendTime": start_date.replace("-", ""), "removeTime": ""}
            self.exceed.append((start_date, rec))
            out.append(rec)
        return out

    def seed_strategies(self, n: int, date: str = "2025-08-01") -> list[dict]:
        out = []
        for i in range(n):
            k = len(self.strategies) + 1
            rec = {"strategyId": "ST%05d" % k, "strategyName": "重污染天气应急管控%d" % k,
                   "startdate": "2025-08-04 09:00:00", "enddate": "2099-09-19 22:00:00",
                   "pollutionLevel": "3", "strategyLevel": "1",
                   "controlMeasures": "禁止国四及以下柴油货车凌晨0点至早上7点进出"}
            self.strategies.append((date, rec))
            out.append(rec)
        return out

    def seed_alarms(self, n: int, date: str = "2025-08-01") -> list[dict]:
        out = []
        for i in range(n):
            k = len(self.alarms) + 1
            rec = {"alarmId": "AL%08d" % k, "recordId": "REC%012d" % k, "licensePlate": "云B%05d" % k,
                   "plateColor": "1", "vin": "LZZ%014d" % (900000 + k), "inTime": "2025-08-20 08:30:45",
                   "outTime": "2025-08-20 09:30:45", "alarmType": "1", "alarmTime": "2025-08-20 09:33:45",
                   "alarmReason": "车辆尾气排放超标", "alarmStatus": "0"}
            self.alarms.append((date, rec))
            out.append(rec)
        return out

    def state(self) -> dict:
        return {"enterprises": [{"apiKey": k, "enterpriseId": e["enterpriseId"]} for k, e in self.enterprises.items()],
                "tokens": len(self.tokens),
                "received": {k: len(v) for k, v in self.received.items()},
                "accessRecords": len(self.record_ids),
                "accessDuplicates": sum(n - 1 for n in self.record_ids.values() if n > 1),
                "confirmedStrategies": len(self.confirmed_strategies),
                "confirmedAlarms": len(self.confirmed_alarms),
                # an id confirmed in two calls: two lanes (or one lane twice) confirmed one pull
                "confirmDuplicates": {k: sorted(i for i, n in collections.Counter(
                    i for call in calls for i in call).items() if n > 1) for k, calls in self.confirm_calls.items()},
                "heartbeatTimes": list(self.heartbeat_times),
                "faultsPending": [dict(f) for f in self.faults],
                "faultsFired": dict(self.faults_fired),
                "notOk": sum(1 for r in self.requests if not r["verdict"].startswith("ok"))}

    # ------------------------------------------------------------ request handling

    def _take_fault(self, name: str) -> dict | None:
        for f in self.faults:
            if f["endpoint"] in (None, name) and f["count"] > 0:
                f["count"] -= 1
                if f["count"] <= 0:
                    self.faults.remove(f)
                self.faults_fired[f["mode"]] += 1
                return f
        return None

    def _log(self, name, request, verdict):
        self.requests.append({"endpoint": name, "verdict": verdict,
                              "authorization": request.headers.get("Authorization"),
                              "clientId": request.headers.get("X-Client-Id"),
                              "contentType": request.headers.get("Content-Type")})

    async def handle(self, name: str, request: web.Request) -> web.StreamResponse:
        f = self._take_fault(name) if name != "init_auth" else None
        fault = f["mode"] if f else None
        if fault == "redirect":
            self._log(name, request, "fault:redirect")
            status = int(f.get("arg") or 302)
            loc = f.get("location") or "http://127.0.0.2:9/elsewhere" + request.path
            return web.Response(status=status, headers={"Location": loc}, text="moved")
        if fault in ("huge", "huge_chunked"):
            self._log(name, request, "fault:" + fault)
            size = int(float(f.get("arg") or 64) * (1 << 20))
            resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
            if fault == "huge":
                resp.content_length = size
            await resp.prepare(request)
            chunk = b" " * 65536
            sent = 0
            try:
                while sent < size:
                    await resp.write(chunk[:size - sent])
                    sent += min(len(chunk), size - sent)
            except (ConnectionError, RuntimeError):
                pass       # the client hung up: that is the point
            return resp
        if fault == "500":
            self._log(name, request, "fault:500")
            return web.Response(status=500, text="<html><body>500 Internal Server Error</body></html>",
                                content_type="text/html")
        if fault == "garbage":
            self._log(name, request, "fault:garbage")
            return web.Response(status=200, body=b"\x00<html>not json\xff", content_type="text/html")
        if fault in ("bad_signature", "reject", "auth", "duplicate", "busy"):
            self._log(name, request, "fault:" + fault)
            code, msg = {"bad_signature": (500, SIGNATURE_FAILED), "reject": (400, "参数校验失败: 模拟拒收"),
                         "auth": (401, "token无效或已过期"), "duplicate": (500, "记录已存在"),
                         "busy": (500, "请求过于频繁，请勿重复提交")}[fault]
            return web.json_response({"code": code, "message": msg, "aesKey": None, "data": None})
        body = await request.read()
        if name == "init_auth":
            return self._init_auth(request, body)
        answer = self._sealed(name, request, body)
        if fault == "timeout":  # processed, but the answer comes too late: the client's retry is a duplicate
            self.requests[-1]["verdict"] += " (answered late)"
            await asyncio.sleep(self.slow_s)
        return answer

    def _answer(self, code, message, data=None, client_pub=None):
        if data is not None and client_pub is not None:
            return web.json_response(crypto.seal_response(data, client_pub, code, message))
        return web.json_response({"code": code, "message": message, "aesKey": None, "data": data})

    def _init_auth(self, request, body):
        try:
            obj = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self._log("init_auth", request, "bad json")
            return self._answer(400, "请求数据格式错误")
        missing = [f for f in ("enterpriseId", "enterpriseName", "publicKey") if not obj.get(f)]
        if missing:
            self._log("init_auth", request, "missing")
            return self._answer(400, "%s 不能为空" % ",".join(missing))
        if any(e["enterpriseId"] == obj["enterpriseId"] for e in self.enterprises.values()):
            self._log("init_auth", request, "again")
            return self._answer(500, "企业已注册，注册接口只允许调用成功一次")
        try:
            pub = crypto.load_public_key(obj["publicKey"])
        except crypto.EnvelopeError:
            self._log("init_auth", request, "bad key")
            return self._answer(400, "publicKey 格式不正确")
        api_key = "YN_" + secrets.token_urlsafe(18)
        api_secret = secrets.token_urlsafe(30)
        self.enterprises[api_key] = {"enterpriseId": obj["enterpriseId"], "enterpriseName": obj["enterpriseName"],
                                     "publicKey": pub, "apiSecret": api_secret}
        self.received["init_auth"].append(obj)
        self._log("init_auth", request, "ok")
        return self._answer(200, "获取成功", {"apiKey": api_key, "apiSecret": api_secret,
                                            "publicKey": self.public_key_b64})

    def _sealed(self, name, request, body):
        api_key = request.headers.get("X-Client-Id", "")
        ent = self.enterprises.get(api_key)
        if ent is None:
            self._log(name, request, "unknown client")
            return self._answer(401, "X-Client-Id 未注册, 认证失败")
        if name != "token":
            auth = request.headers.get("Authorization", "")
            tok = auth[7:] if auth.startswith("Bearer ") else ""
            held = self.tokens.get(tok)
            if held is None or held[0] != api_key or held[1] <= self.clock():
                self._log(name, request, "bad token")
                return self._answer(401, "token无效或已过期")
        try:
            env = json.loads(body.decode("utf-8"))
            plain = crypto.open_request(env, ent["publicKey"], self.key, self.sign_scope, self.sign_input)
        except crypto.BadSignature:
            self._log(name, request, "bad signature")
            return self._answer(500, SIGNATURE_FAILED)
        except (UnicodeDecodeError, ValueError, crypto.EnvelopeError) as e:
            self._log(name, request, "undecryptable")
            return self._answer(500, "数据解密失败: %s" % e)
        try:
            obj = json.loads(plain.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self._log(name, request, "bad plaintext")
            return self._answer(400, "业务数据不是合法 JSON")
        if not isinstance(obj, dict):
            self._log(name, request, "bad plaintext")
            return self._answer(400, "业务数据格式不正确")
        try:
            message, data = getattr(self, "_ep_" + name)(api_key, ent, obj)
        except Reject as e:
            self._log(name, request, "rejected")
            return self._answer(e.code, str(e))
        self._log(name, request, "ok")
        return self._answer(200, message, data, ent["publicKey"])

    # ------------------------------------------------------------ endpoints

    @staticmethod
    def _need(obj, *fields):
        missing = [f for f in fields if obj.get(f) in (None, "")]
        if missing:
            raise Reject("参数校验失败: %s 不能为空" % ", ".join(missing))

    def _check(self, kind, ent, obj, photos=None):
        problems = field_problems(kind, obj, photos)
        if "enterpriseId" in FIELDS[kind][0] and obj.get("enterpriseId") not in (None, "", ent["enterpriseId"]):
            problems.append(("enterpriseId", "is not the registered enterprise %s" % ent["enterpriseId"]))
        if problems:
            raise Reject("参数校验失败: " + "; ".join("%s: %s" % p for p in problems))

    def _ep_token(self, api_key, ent, obj):
        self._need(obj, "apiKey", "apiSecret")
        if obj["apiKey"] != api_key or obj["apiSecret"] != ent["apiSecret"]:
            raise Reject("apiKey 或 apiSecret 错误, 认证失败", 401)
        tok = secrets.token_urlsafe(24)
        self.tokens[tok] = (api_key, self.clock() + self.token_life_s)
        self.received["token"].append({"apiKey": obj["apiKey"]})
        return "获取成功", {"token": tok, "expireTime": str(int(self.token_life_s))}

    def _store(self, name, kind, ent, obj, message="上传成功"):
        photos: dict = {}
        self._check(kind, ent, obj, photos)
        self.received[name].append({k: _photo_summary(photos[k]) if k in photos else v for k, v in obj.items()})
        return message, None

    def _ep_enterprise(self, api_key, ent, obj):
        return self._store("enterprise", "enterprise", ent, obj)

    def _ep_camera(self, api_key, ent, obj):
        return self._store("camera", "camera", ent, obj)

    def _ep_vehicle(self, api_key, ent, obj):
        return self._store("vehicle", "vehicle", ent, obj)

    def _ep_machinery(self, api_key, ent, obj):
        return self._store("machinery", "machinery", ent, obj)

    def _ep_exceed_verification(self, api_key, ent, obj):
        return self._store("exceed_verification", "exceed-verification", ent, obj)

    def _ep_access(self, api_key, ent, obj):
        out = self._store("access", "access", ent, obj)
        self.record_ids[obj["recordId"]] += 1
        return out

    def _ep_heartbeat(self, api_key, ent, obj):
        self._need(obj, "enterpriseId")
        if obj["enterpriseId"] != ent["enterpriseId"]:
            raise Reject("enterpriseId 不存在")
        self.heartbeats[obj["enterpriseId"]] += 1
        self.heartbeat_times.append(time.time())
        self.received["heartbeat"].append(obj)
        return "企业联网信息更新成功", None

    @staticmethod
    def _date(ts, field):
        import re
        if not isinstance(ts, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?", ts):
            raise Reject("参数校验失败: %s 格式不正确 (YYYY-MM-DD)" % field)
        return ts[:10]

    def _flood_page(self, endpoint):
        """100 never-seen records of ~10 KB, and "more to come"."""
        self.flood_pages += 1
        base = self.flood_pages * 100
        id_field = {"exceed_vehicle": "recordId", "strategy": "strategyId", "alarm_vehicle": "alarmId"}[endpoint]
        recs = [{id_field: "FLOOD%09d" % (base + i), "licensePlate": "云F%05d" % ((base + i) % 100000),
                 "plateColor": "1", "startdate": "2025-08-04 09:00:00", "enddate": "2099-09-19 22:00:00",
                 "controlMeasures": "洪" * 1900, "isRemove": "0"} for i in range(100)]
        return {"totalRecords": "999999999", "isNew": "1", "records": recs}

    def _page(self, key, ts, eligible, cursor: bool):
        if self.flood:
            return self._flood_page({"exceed": "exceed_vehicle", "strategy": "strategy", "alarm": "alarm_vehicle"}[key[1]])
        offset = 0
        if cursor:
            held = self.cursors.get(key)
            offset = held[1] if held and held[0] == ts else 0
        page = eligible[offset:offset + self.page_size]
        more = offset + len(page) < len(eligible)
        if cursor:
            if more:
                self.cursors[key] = (ts, offset + len(page))
            else:
                self.cursors.pop(key, None)
        extras = self.page_extras.get({"exceed": "exceed_vehicle", "strategy": "strategy", "alarm": "alarm_vehicle"}[key[1]], [])
        return {"totalRecords": str(len(eligible)), "isNew": "1" if more else "0", "records": list(page) + list(extras)}

    def _ep_exceed_vehicle(self, api_key, ent, obj):
        self._need(obj, "vehicleTimestamp")
        ts = self._date(obj["vehicleTimestamp"], "vehicleTimestamp")
        self.received["exceed_vehicle"].append(obj)
        eligible = [r for d, r in self.exceed if d >= ts]
        return "超标车辆查询成功", self._page((api_key, "exceed"), ts, eligible, cursor=True)

    def _ep_strategy(self, api_key, ent, obj):
        self._need(obj, "enterpriseId", "strategyTimestamp")
        ts = self._date(obj["strategyTimestamp"], "strategyTimestamp")
        self.received["strategy"].append(obj)
        eligible = [r for d, r in self.strategies if d >= ts and r["strategyId"] not in self.confirmed_strategies]
        return "企业管控策略获取成功", self._page((api_key, "strategy"), ts, eligible, cursor=False)

    def _ep_alarm_vehicle(self, api_key, ent, obj):
        self._need(obj, "enterpriseId", "alarmTimestamp")
        ts = self._date(obj["alarmTimestamp"], "alarmTimestamp")
        self.received["alarm_vehicle"].append(obj)
        eligible = [r for d, r in self.alarms if d >= ts and r["alarmId"] not in self.confirmed_alarms]
        return "违规通行车辆获取成功", self._page((api_key, "alarm"), ts, eligible, cursor=False)

    def _ep_strategy_confirm(self, api_key, ent, obj):
        self._need(obj, "strategyId", "enterpriseId")
        ids = [i.strip() for i in str(obj["strategyId"]).split(",") if i.strip()]
        known = {r["strategyId"] for _, r in self.strategies}
        unknown = [i for i in ids if i not in known and not (self.flood and i.startswith("FLOOD"))]
        if unknown:
            raise Reject("strategyId 不存在: %s" % ",".join(unknown[:5]))
        self.confirmed_strategies.update(ids)
        self.confirm_calls["strategy"].append(ids)
        self.received["strategy_confirm"].append(obj)
        return "通知成功", None

    def _ep_alarm_confirm(self, api_key, ent, obj):
        self._need(obj, "alarmId")
        ids = [i.strip() for i in str(obj["alarmId"]).split(",") if i.strip()]
        if len(ids) > 100:
            raise Reject("alarmId 超出上限: 最多 100 个")
        known = {r["alarmId"] for _, r in self.alarms}
        unknown = [i for i in ids if i not in known and not (self.flood and i.startswith("FLOOD"))]
        if unknown:
            raise Reject("alarmId 不存在: %s" % ",".join(unknown[:5]))
        self.confirmed_alarms.update(ids)
        self.confirm_calls["alarm"].append(ids)
        self.received["alarm_confirm"].append(obj)
        return "通知成功", None


# ---------------------------------------------------------------- app

def create_app(platform: Platform, base_path: str = BASE_PATH, paths: dict | None = None) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)
    app[PLATFORM] = platform

    async def date_header(request, response):
        # every answer's Date comes from the platform's own clock (edge doctor compares with it)
        response.headers["Date"] = email.utils.formatdate(time.time() + platform.clock_offset_s, usegmt=True)
    app.on_response_prepare.append(date_header)
    for name, path in endpoints.paths(paths).items():
        async def handler(request, name=name):
            return await platform.handle(name, request)
        app.router.add_post(endpoints.url(base_path, path), handler)

    async def faults(request):
        if request.method == "DELETE":
            platform.clear_faults()
            return web.json_response({"ok": True})
        try:
            obj = await request.json()
            platform.inject(obj["mode"], int(obj.get("count", 1)), obj.get("endpoint"), obj.get("arg"),
                            obj.get("location"))
        except (ValueError, KeyError, TypeError) as e:
            return web.json_response({"ok": False, "error": str(e)}, status=400)
        return web.json_response({"ok": True, "faults": platform.faults})

    async def state(request):
        return web.json_response(platform.state())

    async def expire(request):
        return web.json_response({"expired": platform.expire_tokens()})

    async def seed(request):
        obj = await request.json()
        date = obj.get("date", "2025-08-01")      # the day the platform added them (pulls ask "since")
        platform.seed_exceed(int(obj.get("exceed", 0)), date)
        platform.seed_strategies(int(obj.get("strategies", 0)), date)
        platform.seed_alarms(int(obj.get("alarms", 0)), date)
        # whole records too: a scenario puts one given plate on the list, one given alert in force
        for rec in obj.get("exceed_records", ()):
            platform.exceed.append((obj.get("date", "2025-08-01"), rec))
        for rec in obj.get("strategy_records", ()):
            platform.strategies.append((obj.get("date", "2025-08-01"), rec))
        return web.json_response(platform.state())

    async def record_ids(request):
        return web.json_response(dict(platform.record_ids))

    async def clock(request):
        obj = await request.json()
        platform.clock_offset_s = float(obj.get("offset_s", 0))
        return web.json_response({"offset_s": platform.clock_offset_s})

    app.router.add_route("POST", "/_sim/faults", faults)
    app.router.add_route("DELETE", "/_sim/faults", faults)
    app.router.add_get("/_sim/state", state)
    app.router.add_post("/_sim/expire-tokens", expire)
    app.router.add_post("/_sim/seed", seed)
    app.router.add_get("/_sim/record-ids", record_ids)
    app.router.add_post("/_sim/clock", clock)
    return app


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Yunnan platform simulator (binds 127.0.0.1)")
    ap.add_argument("--port", type=int, default=8710)
    ap.add_argument("--seed-exceed", type=int, default=0, metavar="N")
    ap.add_argument("--seed-strategies", type=int, default=0, metavar="N")
    ap.add_argument("--seed-alarms", type=int, default=0, metavar="N")
    ap.add_argument("--token-life", type=float, default=7200, metavar="S")
    ap.add_argument("--sign-scope", choices=crypto.SIGN_SCOPES, default="key+content")
    ap.add_argument("--sign-input", choices=crypto.SIGN_INPUTS, default="bytes")
    ap.add_argument("--slow", type=float, default=30.0, metavar="S", help="delay of the 'timeout' fault")
    ap.add_argument("--clock-offset", type=float, default=0.0, metavar="S",
                    help="the platform's clock runs S seconds ahead (negative: behind) in its Date headers")
    a = ap.parse_args(argv)
    platform = Platform(token_life_s=a.token_life, sign_scope=a.sign_scope, sign_input=a.sign_input, slow_s=a.slow)
    platform.clock_offset_s = a.clock_offset
    platform.seed_exceed(a.seed_exceed)
    platform.seed_strategies(a.seed_strategies)
    platform.seed_alarms(a.seed_alarms)
    app = create_app(platform)

    async def serve():
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", a.port)
        await site.start()
        port = runner.addresses[0][1]
        print("http://127.0.0.1:%d%s" % (port, BASE_PATH), flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
