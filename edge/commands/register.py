"""edge register — init-auth (spec 6.1): enterprise id/name + our public key → apiKey,
apiSecret and the platform's public key, stored in <state_dir>/keys/platform.json (0600).

init-auth may succeed only once per enterprise, so a second run is refused unless --force
(use it only when the platform operator has reset the registration). The apiSecret is never
printed.
"""
import sys

from edge.errors import EdgeError
from edge.commands._yunnan import run_client
from edge.uplink.yunnan import credentials, crypto


def add_arguments(p):
    p.add_argument("--force", action="store_true",
                   help="register again although platform.json exists (the platform must allow it)")


def run(args, ctx):
    config = ctx.config
    state_dir = config.state_dir
    if credentials.platform_path(state_dir).exists() and not args.force:
        raise EdgeError("already registered (%s exists); init-auth succeeds only once — use --force only "
                        "if the platform operator reset the registration" % credentials.platform_path(state_dir))
    public_b64 = credentials.load_client_public_b64(state_dir)

    async def go(client):
        return await client.init_auth(config.site.enterprise_id, config.site.enterprise_name, public_b64)

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
