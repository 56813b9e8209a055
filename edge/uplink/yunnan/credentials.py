"""The enterprise's keys and the platform's credentials, under `<state_dir>/keys/`.

    keys/                 0700
      client_private.key  0600  Base64 PKCS#8 DER (Java form: what `getPrivateKeyString` prints)
      client_public.key   0644  Base64 X.509 SubjectPublicKeyInfo DER (what init-auth uploads)
      platform.json       0600  {"apiKey", "apiSecret", "platformPublicKey", "enterpriseId",
                                 "registeredAt"} — the answer of init-auth (6.1)

Files holding secrets are created with O_EXCL-free 0600 from the start (never chmod'ed
after being written world-readable) and replaced atomically (write temp, fsync, rename),
so a power cut leaves the old or the new file, never half of one.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from edge import logsetup
from edge.errors import EdgeError
from edge.store.atomic import write_atomic
from edge.uplink.yunnan import crypto

PRIVATE = "client_private.key"
PUBLIC = "client_public.key"
PLATFORM = "platform.json"


def keys_dir(state_dir) -> Path:
    return Path(state_dir) / "keys"


def write_file(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomic(path, text, mode=mode)


def write_keypair(state_dir, key, force: bool = False) -> tuple[Path, Path]:
    d = keys_dir(state_dir)
    priv, pub = d / PRIVATE, d / PUBLIC
    if priv.exists() and not force:
        raise EdgeError("%s already exists (use --force to replace it; the platform then needs "
                        "the new public key: register again)" % priv)
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(d, 0o700)
    write_file(priv, crypto.private_key_b64(key) + "\n", 0o600)
    write_file(pub, crypto.public_key_b64(key) + "\n", 0o644)
    return priv, pub


def load_client_private(state_dir):
    p = keys_dir(state_dir) / PRIVATE
    try:
        text = p.read_text()
    except FileNotFoundError:
        raise EdgeError("no enterprise key pair in %s (run: edge keys generate)" % p.parent) from None
    try:
        return crypto.load_private_key(text, str(p))
    except crypto.EnvelopeError as e:
        raise EdgeError(str(e)) from None


def load_client_public_b64(state_dir) -> str:
    return crypto.public_key_b64(load_client_private(state_dir))


@dataclass
class PlatformCredentials:
    api_key: str
    api_secret: str
    platform_public_key: str      # Base64 X.509 DER as the platform sent it
    enterprise_id: str = ""
    registered_at: str = ""

    def __repr__(self):  # never show the secret in a traceback or log
        return "PlatformCredentials(api_key=%r, api_secret='***')" % self.api_key

    def public_key(self):
        return crypto.load_public_key(self.platform_public_key, "platform public key")


def save_platform(state_dir, creds: PlatformCredentials) -> Path:
    p = keys_dir(state_dir) / PLATFORM
    write_file(p, json.dumps({"apiKey": creds.api_key, "apiSecret": creds.api_secret,
                              "platformPublicKey": creds.platform_public_key,
                              "enterpriseId": creds.enterprise_id,
                              "registeredAt": creds.registered_at}, ensure_ascii=False, indent=1) + "\n",
               0o600)
    logsetup.register_secret(creds.api_secret)
    return p


def platform_path(state_dir) -> Path:
    return keys_dir(state_dir) / PLATFORM


def load_platform(state_dir) -> PlatformCredentials:
    p = platform_path(state_dir)
    try:
        d = json.loads(p.read_text())
    except FileNotFoundError:
        raise EdgeError("not registered with the platform: %s missing (run: edge register)" % p) from None
    except ValueError:
        raise EdgeError("%s is not valid JSON" % p) from None
    missing = [k for k in ("apiKey", "apiSecret", "platformPublicKey") if not d.get(k)]
    if missing:
        raise EdgeError("%s lacks %s (run: edge register --force)" % (p, ", ".join(missing)))
    logsetup.register_secret(d["apiSecret"])
    return PlatformCredentials(d["apiKey"], d["apiSecret"], d["platformPublicKey"],
                               d.get("enterpriseId", ""), d.get("registeredAt", ""))


# ---------------------------------------------------------------- key bundles (edge keys export/import)
# Every lane of a site speaks for the same enterprise registration, so the board that
# registered exports its keys and the other boards import them. The bundle is a JSON file:
# the enterprise id and the KDF parameters in clear (authenticated), the private key and
# platform.json encrypted with AES-256-GCM under a key derived from a passphrase with scrypt.

BUNDLE_FORMAT = "edge-keys/1"
SCRYPT = {"n": 2 ** 15, "r": 8, "p": 1}
MIN_PASSPHRASE = 8


def _bundle_key(passphrase: str, salt: bytes, kdf: dict) -> bytes:
    from Crypto.Protocol.KDF import scrypt
    return scrypt(passphrase.encode("utf-8"), salt, 32, N=int(kdf["n"]), r=int(kdf["r"]), p=int(kdf["p"]))


def _header_aad(header: dict) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")


def export_bundle(state_dir, passphrase: str) -> str:
    """The bundle (JSON text) of this board's enterprise keys and platform registration."""
    import base64

    from Crypto.Cipher import AES
    if len(passphrase) < MIN_PASSPHRASE:
        raise EdgeError("passphrase: at least %d characters" % MIN_PASSPHRASE)
    priv = keys_dir(state_dir) / PRIVATE
    if not priv.is_file():
        raise EdgeError("no enterprise key pair in %s to export (run: edge keys generate)" % priv.parent)
    creds = load_platform(state_dir)   # one line if not registered
    plain = json.dumps({"client_private": priv.read_text().strip(),
                        "platform": json.loads(platform_path(state_dir).read_text())}).encode("utf-8")
    salt, nonce = os.urandom(16), os.urandom(12)
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    header = {"format": BUNDLE_FORMAT, "enterpriseId": creds.enterprise_id,
              "kdf": {"name": "scrypt", **SCRYPT, "salt": b64(salt)}, "cipher": "AES-256-GCM"}
    c = AES.new(_bundle_key(passphrase, salt, header["kdf"]), AES.MODE_GCM, nonce=nonce)
    c.update(_header_aad(header))
    ct, tag = c.encrypt_and_digest(plain)
    return json.dumps({**header, "nonce": b64(nonce), "ciphertext": b64(ct), "tag": b64(tag)}, indent=1) + "\n"


def read_bundle(text: str, passphrase: str, source: str = "bundle") -> dict:
    """{"client_private": str, "platform": dict, "enterpriseId": str}; EdgeError (one line) for a
    wrong passphrase, an altered bundle or a file that is not one."""
    import base64

    from Crypto.Cipher import AES
    try:
        b = json.loads(text)
        if b.get("format") != BUNDLE_FORMAT:
            raise ValueError("format")
        header = {k: b[k] for k in ("format", "enterpriseId", "kdf", "cipher")}
        nonce, ct, tag = (base64.b64decode(b[k], validate=True) for k in ("nonce", "ciphertext", "tag"))
        salt = base64.b64decode(header["kdf"]["salt"], validate=True)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise EdgeError("%s is not an edge key bundle (made by `edge keys export`)" % source) from None
    c = AES.new(_bundle_key(passphrase, salt, header["kdf"]), AES.MODE_GCM, nonce=nonce)
    c.update(_header_aad(header))
    try:
        plain = c.decrypt_and_verify(ct, tag)
    except ValueError:
        raise EdgeError("wrong passphrase for %s (or the file was altered)" % source) from None
    out = json.loads(plain)
    out["enterpriseId"] = header["enterpriseId"]
    return out


def import_bundle(state_dir, bundle: dict, enterprise_id: str, force: bool = False) -> str:
    """Install a read bundle's keys; → "installed" | "unchanged". Existing different keys are
    kept unless `force`."""
    if bundle["enterpriseId"] and bundle["enterpriseId"] != enterprise_id:
        raise EdgeError("the bundle is for enterprise %s, this board's [site] enterprise_id is %s"
                        % (bundle["enterpriseId"], enterprise_id))
    try:
        key = crypto.load_private_key(bundle["client_private"], "bundled private key")
    except crypto.EnvelopeError as e:
        raise EdgeError(str(e)) from None
    d = keys_dir(state_dir)
    priv, plat = d / PRIVATE, d / PLATFORM
    platform_text = json.dumps(bundle["platform"], ensure_ascii=False, indent=1) + "\n"
    if priv.exists() or plat.exists():
        same = (priv.exists() and priv.read_text().strip() == bundle["client_private"].strip()
                and plat.exists() and json.loads(plat.read_text()) == bundle["platform"])
        if same:
            return "unchanged"
        if not force:
            raise EdgeError("%s already holds other enterprise keys or a registration; --force replaces them"
                            % d)
    write_keypair(state_dir, key, force=True)
    write_file(plat, platform_text, 0o600)
    if bundle["platform"].get("apiSecret"):
        logsetup.register_secret(bundle["platform"]["apiSecret"])
    return "installed"
