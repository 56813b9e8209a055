"""edge uplink check | seal | open

check: getToken + heartBeat against the configured platform, with round-trip times.
seal:  plaintext JSON on stdin → the request envelope {signature, encryptedAesKey,
       encryptedContent} (needs the platform public key and our private key).
open:  a platform answer on stdin → its decrypted `data` (needs our private key); or, with
       --platform-private-key and --client-public-key, a request envelope → its plaintext
       (what the platform does; for checking another implementation's envelopes).
Key files: Base64 DER (Java form) or PEM. Without the key options, seal and open use this
board's own keys from the state dir (client_private.key, platform.json).
"""
import json
import sys
import time

from edge.errors import EdgeError
from edge.uplink.yunnan import crypto


def add_arguments(p):
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("check", help="getToken + heartBeat; print what happened and the round-trip time")
    s = sub.add_parser("seal", help="stdin plaintext JSON → request envelope JSON")
    s.add_argument("--platform-public-key", metavar="FILE", help="default: from <state_dir>/keys/platform.json")
    s.add_argument("--client-private-key", metavar="FILE", help="default: <state_dir>/keys/client_private.key")
    s.add_argument("--sign-scope", choices=crypto.SIGN_SCOPES, default="key+content")
    s.add_argument("--sign-input", choices=crypto.SIGN_INPUTS, default="bytes")
    o = sub.add_parser("open", help="stdin platform answer → decrypted data (or a request, see --platform-private-key)")
    o.add_argument("--client-private-key", metavar="FILE",
                   help="our private key (to open an answer); default: <state_dir>/keys/client_private.key")
    o.add_argument("--platform-private-key", metavar="FILE", help="open a request envelope as the platform would")
    o.add_argument("--client-public-key", metavar="FILE", help="with --platform-private-key: verify with this key")
    o.add_argument("--sign-scope", choices=crypto.SIGN_SCOPES, default="key+content")
    o.add_argument("--sign-input", choices=crypto.SIGN_INPUTS, default="bytes")


def _read_key(path, private):
    from edge import inputs
    try:
        text = inputs.read_bytes(path, "key file", 64 << 10).decode("ascii", "replace")
    except EdgeError as e:
        raise EdgeError("cannot read %s" % str(e)) from None
    try:
        return crypto.load_private_key(text, path) if private else crypto.load_public_key(text, path)
    except crypto.EnvelopeError as e:
        raise EdgeError(str(e)) from None


def _client_private(args, ctx):
    if args.client_private_key:
        return _read_key(args.client_private_key, True)
    from edge.uplink.yunnan import credentials
    return credentials.load_client_private(ctx.config.state_dir)


def _platform_public(args, ctx):
    if args.platform_public_key:
        return _read_key(args.platform_public_key, False)
    from edge.uplink.yunnan import credentials
    try:
        return credentials.load_platform(ctx.config.state_dir).public_key()
    except crypto.EnvelopeError as e:
        raise EdgeError(str(e)) from None


def _stdin_json(what):
    from edge import inputs
    text = inputs.read_text("-")
    try:
        return inputs.parse_json(text, "stdin")
    except EdgeError as e:
        raise EdgeError("stdin is not valid JSON (%s): %s" % (what, str(e).split("JSON: ", 1)[-1].split("stdin: ", 1)[-1])) from None


REQUEST_KEYS = ("signature", "encryptedAesKey", "encryptedContent")


def is_request(obj) -> bool:
    """A request envelope (what the board sends), not a platform answer."""
    return isinstance(obj, dict) and all(k in obj for k in REQUEST_KEYS) and "code" not in obj


def _check(ctx):
    from edge.commands._yunnan import run_client
    config = ctx.config

    async def go(client):
        t0 = time.monotonic()
        await client.token()
        t1 = time.monotonic()
        answer, _ = await client.heartbeat(config.site.enterprise_id)
        t2 = time.monotonic()
        return t1 - t0, t2 - t1, answer

    tt, th, answer = run_client(config, go)
    from edge.logsetup import clean, mask_urls
    url = mask_urls(config.uplink.yunnan.base_url)
    code, msg = clean(answer.get("code"), 40), clean(answer.get("message") or "")
    if ctx.json:
        ctx.emit({"platform": url, "token_ms": round(tt * 1000), "heartbeat_code": code, "heartbeat_message": msg,
                  "heartbeat_ms": round(th * 1000)})
        return 0
    print("platform %s" % url)
    print("getToken: ok in %.0f ms" % (tt * 1000))
    print("heartBeat: code %s %s in %.0f ms" % (code, msg, th * 1000))
    return 0


def run(args, ctx):
    if args.action == "check":
        return _check(ctx)
    if args.action == "seal":
        plain = _stdin_json("plaintext")
        env = crypto.seal(plain, _platform_public(args, ctx), _client_private(args, ctx), args.sign_scope,
                          args.sign_input)
        print(json.dumps(env, indent=None if ctx.json else 2))
        return 0
    obj = _stdin_json("envelope")
    try:
        if args.platform_private_key:
            if not args.client_public_key:
                raise EdgeError("--platform-private-key needs --client-public-key")
            plain = crypto.open_request(obj, _read_key(args.client_public_key, False),
                                        _read_key(args.platform_private_key, True), args.sign_scope, args.sign_input)
            data = plain.decode("utf-8", "replace")
        else:
            key = _client_private(args, ctx)
            if is_request(obj):
                raise EdgeError("stdin is a request envelope (signature, encryptedAesKey, encryptedContent), not a "
                                "platform answer: open it as the platform would, with --platform-private-key FILE "
                                "--client-public-key FILE")
            if not isinstance(obj, dict) or "code" not in obj:
                raise EdgeError("stdin is not a platform answer (no \"code\"; expected {code, message, aesKey, data})")
            if str(obj["code"]) != "200":
                from edge.logsetup import clean
                print("platform code %s: %s" % (clean(obj.get("code"), 40), clean(obj.get("message"))), file=sys.stderr)
            data = crypto.open_response_data(obj, key)
    except crypto.EnvelopeError as e:
        raise EdgeError(str(e)) from None
    if data is None:
        from edge.logsetup import clean
        print("the answer carries no data (code %s, message %s)" % (clean(obj.get("code"), 40),
                                                                   clean(obj.get("message") or "")))
        return 0
    if isinstance(data, str):
        print(data)
    else:
        print(json.dumps(data, ensure_ascii=False, indent=None if ctx.json else 2))
    return 0
