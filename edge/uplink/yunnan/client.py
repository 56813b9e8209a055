"""aiohttp client for every endpoint of the Yunnan spec (6.1–6.14).

One `YunnanClient` per process holds the HTTP session, the cached token and the keys.
`call(name, payload)` seals the payload (crypto.seal), posts it with
`Authorization: Bearer <token>` and `X-Client-Id: <apiKey>`, opens the answer and returns
its decrypted `data` (or None); a `code` other than 200 raises `PlatformError` carrying the
platform's own message.

Spec readings and decisions (also in the README):
  * init-auth (6.1) is plain JSON both ways and carries no token headers; its answer's `data`
    is taken as plain JSON (it exists before any key exchange). If a platform does answer with
    an `aesKey`, it is decrypted with our private key. A platform refusal (code ≠ 200, e.g.
    "registered already") is not retried: 6.1 allows one successful call only.
  * getToken (6.2) is sealed like every other call (6.1: "包括 token 获取"); it is sent with
    X-Client-Id but no Authorization (there is no token yet). `expireTime` is a lifetime in
    seconds ("7200", unit s); an absolute 'YYYY-MM-DD HH:mm:ss' is tolerated. The token is refreshed `token_margin_s` before it expires
    (capped at half its life) and fetched again once when a call fails for auth reasons.
  * Telling failures apart (`classify`): the spec shows only code 200 and a code 500
    "验签失败" example, so the kind comes from the code *and* the message:
      auth       — code 401/403, or the message talks about token/令牌/认证/授权/过期/登录
                   → fetch a new token once, then transient;
      signature  — 验签/签名/解密/密钥/signature/decrypt → transient (our keys or the
                   platform's config are wrong: an alarm, not the record's fault);
      busy       — 频繁/稍后/限流/请勿重复/too many/rate limit → transient (a rate limit: "请勿重复
                   提交" is not a duplicate answer, whatever it contains);
      duplicate  — 已存在/数据重复/记录重复/重复上传/重复数据/duplicate → the platform already holds it
                   (the destination counts that as delivered: a lost ack must not park a record);
      rejected   — other 4xx codes (not 408/429), or 必填/不能为空/为空/格式/不正确/非法/
                   无效/不合法/校验/缺少/不存在/超出/invalid/required/missing → permanent;
      server     — anything else (500 without a recognised reason, unknown codes) → transient.
    HTTP 5xx, timeouts, connection errors and non-JSON bodies are transient.
  * Redirects are never followed: aiohttp would turn a 301/302 into a body-less GET to
    another host (whose 200 then "delivers" the record) and resend the envelope and
    X-Client-Id with 307/308, https to http included. A 3xx is a transient error naming the
    Location; the fix is the base_url.
  * Answers are bounded: a Content-Length above `max_answer_bytes` is refused unread and a
    body is read in chunks only up to that size (a broken platform once took the lane to
    6–9 GB in one timeout). A pull stops at `max_pull_records` / `max_pull_bytes` (the date is
    not advanced), and pulled records that cannot be used (not an object, no id, a nested
    value where text belongs…) are skipped with a warning (edge/uplink/yunnan/pulled.py).
    Platform text is cleaned before it is logged or raised (a newline in a message forged a log line).
  * Retries inside one call: `retries` more attempts on transient trouble, delay
    backoff_s·2^n capped at backoff_max_s, full jitter (uniform 0..delay) so many lanes
    coming back after an outage do not hit the platform in step. The outbox retries later.
  * Pull paging (6.6/6.7/6.9): the request carries only a date ("2025-08-20"), no page number,
    and the answer says `isNew` = "1" while more remains. So the platform keeps the cursor:
    the client repeats the same request until isNew = "0" (or a page brings nothing new, or
    `max_pages`), and only then advances its persisted date to the day the pull started.
    Strategy and alarm pages are confirmed (6.8/6.10) before the next page is asked for.
    A `records` that is one object instead of a list (the 6.9 example) is read as a list of one.
    The dates are sent as 'YYYY-MM-DD' like the examples. Exceed vehicles (6.6) have no
    confirmation endpoint: 6.14 (exceedVehicleConfirm) is the enterprise's verification
    result for one vehicle, a technician's upload (`edge push exceed-verification`), not an ack.
  * Sealing and opening (RSA private-key operations) run in a worker thread, so a backlog
    drain never stalls the lane's event loop; `timeout_s` bounds each HTTP exchange.
"""
from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import ssl
import time

import aiohttp

from edge.logsetup import RateLimited, clean, mask_urls
from edge.uplink.yunnan import crypto, endpoints

log = logging.getLogger("edge.uplink.yunnan")

USER_AGENT = "edge-gate/yunnan"
PAGE_LIMIT = 100            # 6.6/6.7/6.9: at most 100 records per answer
CONFIRM_LIMIT = 100         # 6.10: at most 100 ids per confirmation
MAX_ANSWER_BYTES = 4 << 20  # a page of 100 records is ~100 KB; an access ack a few hundred bytes
MAX_PULL_RECORDS = 50_000   # per list and pull (a province's exceed list is a few thousand)
MAX_PULL_BYTES = 64 << 20


class YunnanError(Exception):
    transient = True
    kind = "transport"

    def __init__(self, message: str, endpoint: str = ""):
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint


class TransportError(YunnanError):
    """Network, timeout, HTTP 5xx, an answer that is not the platform's JSON."""


class PlatformError(YunnanError):
    """The platform answered with code ≠ 200; `message` is the platform's own text."""

    def __init__(self, code, message: str, endpoint: str = "", http_status: int = 200):
        message = clean(message, 500)
        code = clean(code, 40) if not isinstance(code, int) else code
        self.code = code
        self.http_status = http_status
        self.kind = classify(code, message)
        self.transient = self.kind not in ("rejected", "duplicate")
        super().__init__("platform code %s: %s" % (code, message), endpoint)
        self.message = message


_AUTH = re.compile(r"token|令牌|认证|授权|过期|登录|unauthori[sz]ed|forbidden|expired", re.I)
_SIGNATURE = re.compile(r"验签|签名|解密|密钥|signature|decrypt", re.I)
_BUSY = re.compile(r"频繁|稍后|限流|请勿重复|不要重复|重复请求|重复提交|too many|rate.?limit|try again later|busy", re.I)
_DUPLICATE = re.compile(r"已存在|已经存在|数据重复|记录重复|重复上传|重复数据|重复的记录|duplicate|already exists", re.I)
_REJECTED = re.compile(r"必填|不能为空|为空|格式|不正确|非法|无效|不合法|校验|缺少|不存在|超出|"
                       r"invalid|required|missing", re.I)


def classify(code, message: str) -> str:
    """auth | signature | busy | duplicate | rejected | server (see the module docstring)."""
    try:
        c = int(code)
    except (TypeError, ValueError):
        c = None
    message = message or ""
    if c in (401, 403) or _AUTH.search(message):
        return "auth"
    if _SIGNATURE.search(message):
        return "signature"
    if c == 429 or _BUSY.search(message):
        return "busy"
    if _DUPLICATE.search(message):
        return "duplicate"
    if c is not None and 400 <= c < 500 and c not in (408, 429):
        return "rejected"
    if _REJECTED.search(message):
        return "rejected"
    return "server"


def token_life(expire_time) -> float:
    """Seconds a token lives. 6.2 says expireTime is in seconds ("7200"); an absolute
    'YYYY-MM-DD HH:mm:ss' (Beijing) is accepted too; unreadable → 7200 with a warning."""
    try:
        return max(0.0, float(expire_time))
    except (TypeError, ValueError):
        pass
    try:
        from edge.timeutil import now, parse_datetime
        return max(0.0, (parse_datetime(str(expire_time)) - now()).total_seconds())
    except ValueError:
        log.warning("getToken expireTime %r unreadable; assuming 7200 s", expire_time)
        return 7200.0


def backoff_delay(attempt: int, base: float, cap: float, rand=random.random) -> float:
    """Full jitter: uniform in [0, min(cap, base·2^attempt)]."""
    return rand() * min(cap, base * (2 ** attempt))


class YunnanClient:
    def __init__(self, base_url: str, *, paths: dict | None = None, client_private=None,
                 platform_public=None, api_key: str = "", api_secret: str = "",
                 sign_scope: str = "key+content", sign_input: str = "bytes",
                 timeout_s: float = 15.0, retries: int = 3, backoff_s: float = 0.5,
                 backoff_max_s: float = 10.0, token_margin_s: float = 300.0, ca_file: str = "",
                 max_answer_bytes: int = MAX_ANSWER_BYTES, max_pull_records: int = MAX_PULL_RECORDS,
                 max_pull_bytes: int = MAX_PULL_BYTES, clock=time.monotonic):
        self.base_url = base_url
        self.paths = endpoints.paths(paths)
        self.client_private = client_private
        self.platform_public = platform_public
        self.api_key = api_key
        self.api_secret = api_secret
        self.sign_scope = sign_scope
        self.sign_input = sign_input
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.token_margin_s = token_margin_s
        self.ca_file = ca_file
        self.max_answer_bytes = max_answer_bytes
        self.max_pull_records = max_pull_records
        self.max_pull_bytes = max_pull_bytes
        self.last_answer_bytes = 0
        self._skipped_log = RateLimited(log, 300.0)
        self.clock = clock
        self._session: aiohttp.ClientSession | None = None
        self._token: str | None = None
        self._token_refresh_at = 0.0
        self._token_lock = asyncio.Lock()
        self.token_fetches = 0

    # ------------------------------------------------------------ construction

    @classmethod
    def from_config(cls, config, registered: bool = True, **overrides) -> "YunnanClient":
        """A client for `[uplink.yunnan]` with the keys and credentials from the state dir."""
        from edge.errors import EdgeError
        from edge.uplink.yunnan import credentials
        y = config.uplink.yunnan
        if y is None:
            raise EdgeError("[uplink.yunnan] is missing from the config")
        kw = dict(paths=y.paths, sign_scope=y.sign_scope, sign_input=y.sign_input,
                  timeout_s=y.timeout_s, retries=y.retries, backoff_s=y.backoff_s,
                  backoff_max_s=y.backoff_max_s, token_margin_s=y.token_margin_s, ca_file=y.ca_file,
                  max_answer_bytes=y.max_answer_kb * 1024, max_pull_records=y.max_pull_records,
                  max_pull_bytes=y.max_pull_mb << 20)
        if registered:
            creds = credentials.load_platform(config.state_dir)
            try:
                platform_public = creds.public_key()
            except crypto.EnvelopeError as e:
                raise EdgeError(str(e)) from None
            kw.update(client_private=credentials.load_client_private(config.state_dir),
                      platform_public=platform_public, api_key=creds.api_key,
                      api_secret=creds.api_secret)
        else:  # init-auth: our key only matters if the platform encrypts its answer after all
            try:
                kw["client_private"] = credentials.load_client_private(config.state_dir)
            except EdgeError:
                pass
        kw.update(overrides)
        return cls(y.base_url, **kw)

    def _ssl(self):
        if not self.base_url.startswith("https:"):
            return None
        from edge.errors import EdgeError
        try:
            return ssl.create_default_context(cafile=self.ca_file or None)
        except FileNotFoundError:
            raise EdgeError("[uplink.yunnan] ca_file %s: no such file" % self.ca_file) from None
        except IsADirectoryError:
            raise EdgeError("[uplink.yunnan] ca_file %s: is a folder, not a CA bundle" % self.ca_file) from None
        except (ssl.SSLError, OSError, ValueError) as e:
            raise EdgeError("[uplink.yunnan] ca_file %s: not a usable CA bundle (%s)"
                            % (self.ca_file, clean(getattr(e, "reason", None) or e, 120))) from None

    async def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=self._ssl() if self.base_url.startswith("https:") else False),
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
                headers={"User-Agent": USER_AGENT})
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()

    # ------------------------------------------------------------ transport

    def url(self, name: str) -> str:
        return endpoints.url(self.base_url, self.paths[name])

    async def _post_once(self, name: str, body: bytes, headers: dict) -> dict:
        """One HTTP POST; → the platform's JSON answer (any code). Raises TransportError."""
        sess = await self.session()
        try:
            # allow_redirects=False: see the module docstring (a 302 would "deliver" to a GET elsewhere)
            async with sess.post(self.url(name), data=body, headers=headers, allow_redirects=False,
                                 timeout=aiohttp.ClientTimeout(total=self.timeout_s)) as resp:
                status = resp.status
                if 300 <= status < 400:
                    where = clean(mask_urls(resp.headers.get("Location", "")), 200) or "(no Location)"
                    raise TransportError("HTTP %d redirect to %s not followed (a sealed request is never sent "
                                         "anywhere but [uplink.yunnan] base_url; fix base_url if the platform moved)"
                                         % (status, where), name)
                raw = await self._read_bounded(resp, name)
        except asyncio.TimeoutError:
            raise TransportError("timed out after %.1f s" % self.timeout_s, name) from None
        except aiohttp.ClientError as e:
            raise TransportError("%s: %s" % (type(e).__name__, clean(e, 200)), name) from None
        try:
            answer = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            answer = None
        if not isinstance(answer, dict) or "code" not in answer:
            if status in (401, 403):
                raise PlatformError(status, "HTTP %d" % status, name, status)
            raise TransportError("HTTP %d with a body that is not the platform's JSON (%d bytes)"
                                 % (status, len(raw)), name)
        if status >= 500 and answer.get("code") in (200, "200"):
            raise TransportError("HTTP %d" % status, name)
        return answer

    async def _read_bounded(self, resp, name: str) -> bytes:
        cap = self.max_answer_bytes
        if resp.content_length is not None and resp.content_length > cap:
            raise TransportError("answer of %d bytes refused unread (limit %d: [uplink.yunnan] max_answer_kb)"
                                 % (resp.content_length, cap), name)
        raw = bytearray()
        async for chunk in resp.content.iter_chunked(65536):
            raw += chunk
            if len(raw) > cap:
                raise TransportError("answer larger than %d bytes: stopped reading ([uplink.yunnan] max_answer_kb)"
                                     % cap, name)
        self.last_answer_bytes = len(raw)
        return bytes(raw)

    def _check_code(self, name: str, answer: dict) -> None:
        code = answer.get("code")
        if str(code) != "200":
            raise PlatformError(code, str(answer.get("message") or ""), name)

    async def _with_retries(self, name: str, attempt_fn):
        attempt = 0
        reauthed = False
        while True:
            try:
                return await attempt_fn()
            except PlatformError as e:
                if e.kind == "auth" and not reauthed and name != "token":
                    reauthed = True
                    log.info("%s: auth failure (%s); fetching a new token", name, e.message)
                    used = getattr(e, "token_used", None)
                    if used is None or used == self._token:  # others may have refreshed it already
                        self._token_refresh_at = 0.0
                    continue
                if not e.transient or attempt >= self.retries:
                    raise
                err = e
            except (TransportError, crypto.EnvelopeError) as e:
                if attempt >= self.retries:
                    if isinstance(e, crypto.EnvelopeError):
                        raise TransportError("answer cannot be opened: %s" % e, name) from None
                    raise
                err = e
            delay = backoff_delay(attempt, self.backoff_s, self.backoff_max_s)
            log.warning("%s: %s; retry %d/%d in %.2f s", name, err, attempt + 1, self.retries, delay)
            attempt += 1
            await asyncio.sleep(delay)

    # ------------------------------------------------------------ calls

    async def init_auth(self, enterprise_id: str, enterprise_name: str, public_key_b64: str) -> dict:
        """6.1: plain JSON; → {"apiKey", "apiSecret", "publicKey"}."""
        body = crypto.to_json_bytes({"enterpriseId": enterprise_id, "enterpriseName": enterprise_name,
                                     "publicKey": public_key_b64})
        headers = {"Content-Type": "application/json; charset=utf-8"}

        async def once():
            answer = await self._post_once("init_auth", body, headers)
            try:
                self._check_code("init_auth", answer)
            except PlatformError as e:
                e.transient = False  # a deliberate refusal (e.g. registered already): retrying won't help
                raise
            return answer

        answer = await self._with_retries("init_auth", once)
        data = answer.get("data")
        if answer.get("aesKey") and self.client_private is not None:
            data = crypto.open_response_data(answer, self.client_private)
        if not isinstance(data, dict) or not all(data.get(k) for k in ("apiKey", "apiSecret", "publicKey")):
            raise TransportError("init-auth answer lacks apiKey/apiSecret/publicKey", "init_auth")
        return data

    def _require_keys(self):
        if self.client_private is None or self.platform_public is None or not self.api_key:
            raise TransportError("not registered: keys or apiKey missing (edge keys generate; edge register)")

    async def _sealed(self, name: str, payload, token: str | None) -> tuple[dict, object]:
        self._require_keys()
        # sealing costs an RSA private-key op (~5 ms here, more on a Pi) + AES over the photos:
        # done in a worker thread so the lane's event loop (barrier, camera) never stalls on it
        env = await asyncio.to_thread(crypto.seal, payload, self.platform_public, self.client_private,
                                      self.sign_scope, self.sign_input)
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Client-Id": self.api_key}
        if token:
            headers["Authorization"] = "Bearer " + token
        answer = await self._post_once(name, json.dumps(env).encode("ascii"), headers)
        try:
            self._check_code(name, answer)
        except PlatformError as e:
            e.token_used = token
            raise
        if answer.get("aesKey"):
            return answer, await asyncio.to_thread(crypto.open_response_data, answer, self.client_private)
        return answer, answer.get("data")

    async def token(self, force: bool = False, retry: bool = True) -> str:
        """6.2: the cached access token, fetched when missing, near expiry, or forced.

        retry=False inside call(): its own retry loop already covers the token fetch."""
        async with self._token_lock:
            if not force and self._token and self.clock() < self._token_refresh_at:
                return self._token
            fetch = lambda: self._sealed("token", {"apiKey": self.api_key, "apiSecret": self.api_secret}, None)
            if retry:
                _, data = await self._with_retries("token", fetch)
            else:
                _, data = await fetch()
            if not isinstance(data, dict) or not data.get("token"):
                raise TransportError("getToken answer has no token", "token")
            life = token_life(data.get("expireTime"))
            from edge import logsetup
            logsetup.register_secret(data["token"])
            self._token = data["token"]
            self._token_refresh_at = self.clock() + life - min(self.token_margin_s, life / 2)
            self.token_fetches += 1
            log.info("token fetched, valid %.0f s", life)
            return self._token

    async def call(self, name: str, payload) -> object:
        """Seal `payload`, post it to endpoint `name` with the token; → decrypted data or None."""
        if name in ("init_auth", "token"):
            raise ValueError("use init_auth() / token()")

        async def once():
            tok = await self.token(retry=False)
            _, data = await self._sealed(name, payload, tok)
            return data

        t0 = time.monotonic()
        data = await self._with_retries(name, once)
        log.debug("%s ok in %.0f ms", name, (time.monotonic() - t0) * 1000)
        return data

    async def call_answer(self, name: str, payload) -> tuple[dict, object]:
        """Like call() but also returns the raw answer (code, message) — for acks."""
        async def once():
            tok = await self.token(retry=False)
            return await self._sealed(name, payload, tok)
        return await self._with_retries(name, once)

    # ------------------------------------------------------------ endpoints

    async def upload_enterprise(self, enterprise: dict):            # 6.3
        return await self.call_answer("enterprise", enterprise)

    async def upload_camera(self, camera: dict):                    # 6.4
        return await self.call_answer("camera", camera)

    async def heartbeat(self, enterprise_id: str):                  # 6.5
        return await self.call_answer("heartbeat", {"enterpriseId": enterprise_id})

    async def upload_vehicle(self, vehicle: dict):                  # 6.11
        return await self.call_answer("vehicle", vehicle)

    async def upload_machinery(self, machinery: dict):              # 6.12
        return await self.call_answer("machinery", machinery)

    async def upload_access(self, record: dict):                    # 6.13
        return await self.call_answer("access", record)

    async def upload_exceed_verification(self, item: dict):         # 6.14
        return await self.call_answer("exceed_verification", item)

    async def confirm_strategies(self, enterprise_id: str, ids: list[str]) -> int:   # 6.8
        for i in range(0, len(ids), CONFIRM_LIMIT):
            await self.call("strategy_confirm", {"strategyId": ",".join(ids[i:i + CONFIRM_LIMIT]),
                                                 "enterpriseId": enterprise_id})
        return len(ids)

    async def confirm_alarms(self, ids: list[str]) -> int:          # 6.10
        for i in range(0, len(ids), CONFIRM_LIMIT):
            await self.call("alarm_confirm", {"alarmId": ",".join(ids[i:i + CONFIRM_LIMIT])})
        return len(ids)

    async def pull_pages(self, name: str, payload: dict, max_pages: int = 1000):
        """Yield each page's usable records of a paged pull (6.6/6.7/6.9) until isNew = "0";
        TransportError when the pull outgrows max_pull_records / max_pull_bytes."""
        from edge.uplink.yunnan import pulled
        seen: set = set()
        total_records = total_bytes = skipped = 0
        for page in range(max_pages):
            data = await self.call(name, payload)
            total_bytes += self.last_answer_bytes
            if data is None:
                return
            if not isinstance(data, dict):
                raise TransportError("%s answer data is not an object" % name, name)
            records = data.get("records") or []
            if isinstance(records, dict):
                records = [records]
            if not isinstance(records, list):
                raise TransportError("%s: records is not a list" % name, name)
            if len(records) > PAGE_LIMIT:
                log.warning("%s: page of %d records (spec: at most %d)", name, len(records), PAGE_LIMIT)
            records, bad = pulled.usable(name, records)
            if bad:
                skipped += len(bad)
                self._skipped_log.warning("%s: skipped %d malformed record(s) from the platform (%s)",
                                          name, len(bad), clean("; ".join(bad[:3]), 300))
            total_records += len(records)
            if total_records > self.max_pull_records or total_bytes > self.max_pull_bytes:
                raise TransportError("%s: pull stopped after %d records / %.1f MB, the platform still sending "
                                     "(limits [uplink.yunnan] max_pull_records = %d, max_pull_mb = %d); the pull "
                                     "date is kept" % (name, total_records, total_bytes / 1e6, self.max_pull_records,
                                                       self.max_pull_bytes >> 20), name)
            ids = {pulled.record_key(name, r) for r in records}
            fresh = ids - seen
            seen |= ids
            yield records
            if str(data.get("isNew", "0")) != "1" or not fresh:
                if records and not fresh:
                    log.warning("%s: isNew is 1 but the page repeats the last one; stopping", name)
                return
        log.warning("%s: stopped after %d pages with isNew still 1", name, max_pages)
