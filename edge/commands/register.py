"""edge register — init-auth (spec 6.1): enterprise id/name + our public key → apiKey,
apiSecret and the platform's public key, stored in <state_dir>/keys/platform.json (0600).

init-auth may succeed only once per enterprise, so a second run is refused unless --force
(use it only when the platform operator has reset the registration). The apiSecret is never
printed.
"""
import re
import sys

from edge.errors import EdgeError
from edge.commands._yunnan import run_client
from edge.uplink.yunnan import credentials, crypto


# the platform's refusal of a second init-auth (the simulator: "企业已注册，注册接口只允许调用成功一次")
ALREADY = re.compile(r"已注册|已经注册|重复注册|already registered", re.I)


def add_arguments(p):
    p.add_argument("--force", action="store_true",
                   help="register again although platform.json exists (the platform must allow it)")


def run(args, ctx):
    config = ctx.config
    state_dir = config.state_dir
    if credentials.platform_path(state_dir).exists() and not args.force:
        raise EdgeError("enterprise %s is already registered on this board (%s); init-auth succeeds only once "
                        "— for another lane of the site use `edge keys export` here and `edge keys import` "
                        "there; --force only if the platform operator reset the registration"
                        % (config.site.enterprise_id, credentials.platform_path(state_dir)))
    public_b64 = credentials.load_client_public_b64(state_dir)

    async def go(client):
        from edge.uplink.yunnan.client import PlatformError
        try:
            return await client.init_auth(config.site.enterprise_id, config.site.enterprise_name, public_b64)
        except PlatformError as e:
            if ALREADY.search(e.message or ""):
                raise EdgeError("the platform says enterprise %s is already registered (%s): copy the keys "
                                "from the board that registered it — `edge keys export --to FILE` there, "
                                "`edge keys import FILE` here" % (config.site.enterprise_id, e.message)) from None
            raise

    data = run_client(config, go, registered=False)
    try:
        crypto.load_public_key(data["publicKey"], "platform public key")
    except crypto.EnvelopeError as e:
        raise EdgeError("the platform's answer: %s" % e) from None
    from edge.timeutil import fmt_datetime, now
    creds = credentials.PlatformCredentials(data["apiKey"], data["apiSecret"], data["publicKey"],
                                            config.site.enterprise_id, fmt_datetime(now()))
    path = credentials.save_platform(state_dir, creds)
    print("registered enterprise %s: apiKey %s; credentials in %s (0600)"
          % (config.site.enterprise_id, creds.api_key, path))
    print("next: edge uplink check", file=sys.stderr)
    return 0
