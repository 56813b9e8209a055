"""edge keys generate | show — the enterprise RSA-2048 key pair (spec 5.1 step 1).

The private key goes to <state_dir>/keys/client_private.key (mode 0600, Base64 PKCS#8 DER as
Java writes it); stdout gets only the public key in the Base64 X.509 form the platform wants.
"""
import sys

from edge.uplink.yunnan import credentials, crypto


def add_arguments(p):
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    g = sub.add_parser("generate", help="create the key pair in the state dir; print the public key")
    g.add_argument("--force", action="store_true", help="replace an existing key pair (then register again)")
    g.add_argument("--bits", type=int, default=2048, choices=(2048, 3072, 4096))
    sub.add_parser("show", help="print the public key (Base64 X.509) of the existing key pair")


def run(args, ctx):
    state_dir = ctx.config.state_dir
    if args.action == "generate":
        key = crypto.generate_keypair(args.bits)
        priv, pub = credentials.write_keypair(state_dir, key, force=args.force)
        print("private key: %s (0600, never leaves this board)" % priv, file=sys.stderr)
        if args.force and credentials.platform_path(state_dir).exists():
            print("warning: %s was registered with the old key; the platform must be given the new "
                  "public key (edge register --force, once the operator allows it)"
                  % credentials.platform_path(state_dir), file=sys.stderr)
        print("public key (Base64 X.509, for the platform):", file=sys.stderr)
        print(crypto.public_key_b64(key))
        return 0
    print(credentials.load_client_public_b64(state_dir))
    return 0
