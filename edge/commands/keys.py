"""edge keys generate | show | export | import — the enterprise RSA-2048 key pair (spec 5.1
step 1) and, for the other lanes of a site, the registration that goes with it.

generate: the private key goes to <state_dir>/keys/client_private.key (mode 0600, Base64
PKCS#8 DER as Java writes it); stdout gets only the public key in the Base64 X.509 form the
platform wants.
export --to FILE / import FILE: every lane of a site uses the one registration (init-auth
succeeds once per enterprise). `export` writes the key pair and platform.json into FILE
(0600), encrypted with a passphrase (scrypt + AES-256-GCM); `import` on another board installs
them. The passphrase comes from --passphrase-file F (its first line) or, on a terminal, a
prompt; the bundle never travels over MQTT.
"""
import getpass
import os
import sys
from pathlib import Path

from edge.errors import EdgeError
from edge.uplink.yunnan import credentials, crypto


def add_arguments(p):
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    g = sub.add_parser("generate", help="create the key pair in the state dir; print the public key")
    g.add_argument("--force", action="store_true", help="replace an existing key pair (then register again)")
    g.add_argument("--bits", type=int, default=2048, choices=(2048, 3072, 4096))
    sub.add_parser("show", help="print the public key (Base64 X.509) of the existing key pair")
    e = sub.add_parser("export", help="write the keys and registration, passphrase-encrypted, for another lane")
    e.add_argument("--to", required=True, metavar="FILE", help="the bundle file to write (mode 0600)")
    e.add_argument("--passphrase-file", metavar="F", help="read the passphrase from F (default: ask on the terminal)")
    e.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    i = sub.add_parser("import", help="install the keys and registration from a bundle made by `edge keys export`")
    i.add_argument("file", metavar="FILE")
    i.add_argument("--passphrase-file", metavar="F", help="read the passphrase from F (default: ask on the terminal)")
    i.add_argument("--force", action="store_true", help="replace keys or a registration this board already has")


def passphrase(path, *, twice: bool) -> str:
    if path:
        from edge.inputs import read_bytes
        try:
            raw = read_bytes(path, "passphrase file", max_bytes=64 << 10)   # a FIFO or device: refused, never read
            text = raw.decode("utf-8").splitlines()[0] if raw.strip() else ""
        except EdgeError as e:
            raise EdgeError("--passphrase-file %s" % e) from None
        except UnicodeDecodeError:
            raise EdgeError("--passphrase-file %s: not UTF-8 text" % path) from None
        if not text:
            raise EdgeError("--passphrase-file %s: the first line is empty" % path)
        return text
    if not sys.stdin.isatty():
        raise EdgeError("a passphrase is needed: --passphrase-file F (there is no terminal to ask on)")
    first = getpass.getpass("bundle passphrase: ")
    if twice and getpass.getpass("again: ") != first:
        raise EdgeError("the two passphrases differ")
    return first


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
    if args.action == "export":
        if os.path.exists(args.to) and not args.force:
            raise EdgeError("%s exists (--force overwrites it)" % args.to)
        text = credentials.export_bundle(state_dir, passphrase(args.passphrase_file, twice=True))
        credentials.write_file(Path(args.to).resolve(), text, 0o600)
        print("keys of enterprise %s written to %s (0600, passphrase-encrypted); on each other lane: "
              "edge keys import %s" % (ctx.config.site.enterprise_id, args.to, os.path.basename(args.to)))
        return 0
    if args.action == "import":
        from edge.inputs import read_bytes
        try:
            text = read_bytes(args.file, "key bundle", max_bytes=1 << 20).decode("utf-8")
        except UnicodeDecodeError:
            raise EdgeError("%s is not an edge key bundle (made by `edge keys export`)" % args.file) from None
        bundle = credentials.read_bundle(text, passphrase(args.passphrase_file, twice=False), args.file)
        done = credentials.import_bundle(state_dir, bundle, ctx.config.site.enterprise_id, force=args.force)
        if done == "unchanged":
            print("this board already has these keys of enterprise %s" % bundle["enterpriseId"])
        else:
            print("installed the keys and registration of enterprise %s in %s" % (
                bundle["enterpriseId"], credentials.keys_dir(state_dir)))
        return 0
    print(credentials.load_client_public_b64(state_dir))
    return 0
