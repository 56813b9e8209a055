"""The Yunnan envelope (spec section 5), byte-compatible with the Java reference snippets.

Request body (4.3 / 5.1):
    {"signature": B64, "encryptedAesKey": B64, "encryptedContent": B64}
  - a fresh 32-byte AES key per request (Java `KeyGenerator("AES").init(256)`);
  - encryptedContent = AES/ECB/PKCS5Padding(UTF-8 JSON)            (5.1 step 4, 5.2)
  - encryptedAesKey  = RSA/ECB/PKCS1Padding(platform public key, raw AES key bytes)
                       — i.e. PKCS#1 v1.5 type-2 encryption           (5.1 step 5)
  - signature        = SHA256withRSA (PKCS#1 v1.5) with the enterprise private key.
Response body (4.3 / 5.1 step 10):
    {"code": 200, "message": "...", "aesKey": B64 | null, "data": B64 | object | null}
  aesKey is the response's AES key wrapped with the *enterprise* public key; null means no
  encrypted data (data is null or plain).

Spec readings chosen here (also listed in the README):
  * What is signed (`sign_scope`). 5.1 step 6 signs `concatenate(encryptedAesKey,
    encryptedContent)`; 5.3 says the signed range is `encryptedContent`. Default
    "key+content" (5.1: it is the code, and it also binds the key to the content);
    "content" selects 5.3.
  * "Raw bytes" (`sign_input`). In the 5.1 snippet `encryptedAesKey` and `encryptedContent`
    are the `byte[]` results of `Cipher.doFinal`, Base64-encoded only afterwards, so the
    signature covers the *decoded ciphertext bytes* ("bytes", default). "base64" signs the
    UTF-8 bytes of the Base64 texts instead, in case a platform turns out to do that.
  * Base64 is the standard alphabet with padding and no line breaks (java.util.Base64
    getEncoder()); on input, whitespace/line breaks are tolerated (the spec's own samples
    are wrapped) and URL-safe characters are accepted.
  * Keys: Java's `getEncoded()` forms — Base64 of X.509 SubjectPublicKeyInfo DER (public)
    and PKCS#8 DER (private), no PEM armour. PEM (and PKCS#1 "RSA PRIVATE KEY") is
    accepted on input too.
  * The response AES key may be 16, 24 or 32 bytes (Java may use 128-bit keys); anything
    else means the aesKey was not for our key pair.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os

from Crypto.Cipher import AES, PKCS1_v1_5
from Crypto.Hash import SHA256
from Crypto.PublicKey import RSA
from Crypto.Signature import pkcs1_15
from Crypto.Util.Padding import pad, unpad

SIGN_SCOPES = ("key+content", "content")
SIGN_INPUTS = ("bytes", "base64")
AES_KEY_BYTES = 32


class EnvelopeError(Exception):
    """An envelope that cannot be built, verified or opened (bad key, bad signature, garbage)."""


class BadSignature(EnvelopeError):
    pass


# ---------------------------------------------------------------- Base64 and keys

def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str | bytes, what: str = "value") -> bytes:
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    if not isinstance(text, str):
        raise EnvelopeError("%s: must be a Base64 string" % what)
    try:  # fast path: what java.util.Base64 writes (photos make these strings large)
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        pass
    cleaned = "".join(text.split()).replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raise EnvelopeError("%s: not valid Base64" % what) from None


def generate_keypair(bits: int = 2048) -> RSA.RsaKey:
    return RSA.generate(bits)


def public_key_b64(key: RSA.RsaKey) -> str:
    """Java `Base64.getEncoder().encodeToString(publicKey.getEncoded())` (X.509 SPKI DER)."""
    return b64encode(key.publickey().export_key(format="DER"))


def private_key_b64(key: RSA.RsaKey) -> str:
    """Java `privateKey.getEncoded()` as Base64 (PKCS#8 DER)."""
    return b64encode(key.export_key(format="DER", pkcs=8))


def public_key_pem(key: RSA.RsaKey) -> str:
    return key.publickey().export_key(format="PEM").decode("ascii")


def private_key_pem(key: RSA.RsaKey) -> str:
    return key.export_key(format="PEM", pkcs=8).decode("ascii")


def _import(text: str | bytes, what: str) -> RSA.RsaKey:
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            return RSA.import_key(text)
        return RSA.import_key(b64decode(text, what))
    except EnvelopeError:
        raise
    except (ValueError, IndexError, TypeError):
        raise EnvelopeError("%s: not an RSA key (want Base64 X.509/PKCS#8 DER or PEM)" % what) from None


def load_public_key(text: str | bytes, what: str = "public key") -> RSA.RsaKey:
    key = _import(text, what)
    return key.publickey()


def load_private_key(text: str | bytes, what: str = "private key") -> RSA.RsaKey:
    key = _import(text, what)
    if not key.has_private():
        raise EnvelopeError("%s: is a public key, a private key is needed" % what)
    return key


# ---------------------------------------------------------------- AES (ECB, PKCS#5)

def aes_encrypt(key: bytes, plaintext: bytes) -> bytes:
    return AES.new(key, AES.MODE_ECB).encrypt(pad(plaintext, 16))


def aes_decrypt(key: bytes, ciphertext: bytes) -> bytes:
    if not ciphertext or len(ciphertext) % 16:
        raise EnvelopeError("AES ciphertext length %d is not a positive multiple of 16" % len(ciphertext))
    try:
        return unpad(AES.new(key, AES.MODE_ECB).decrypt(ciphertext), 16)
    except ValueError:
        raise EnvelopeError("AES padding is wrong (wrong key or corrupted data)") from None


# ---------------------------------------------------------------- RSA wrap and signature

def rsa_wrap(public_key: RSA.RsaKey, data: bytes) -> bytes:
    return PKCS1_v1_5.new(public_key).encrypt(data)


def rsa_unwrap(private_key: RSA.RsaKey, ciphertext: bytes) -> bytes:
    if len(ciphertext) != private_key.size_in_bytes():
        raise EnvelopeError("wrapped key is %d bytes, the RSA key needs %d"
                            % (len(ciphertext), private_key.size_in_bytes()))
    sentinel = os.urandom(8)  # PKCS#1 v1.5: never tell a padding error apart by timing
    try:
        out = PKCS1_v1_5.new(private_key).decrypt(ciphertext, sentinel)
    except ValueError:  # as an integer the block exceeds our modulus: it was for another key
        raise EnvelopeError("wrapped AES key does not decrypt with this private key") from None
    if out is sentinel or len(out) not in (16, 24, 32):
        raise EnvelopeError("wrapped AES key does not decrypt with this private key")
    return out


def signed_parts(enc_key: bytes, enc_content: bytes, sign_scope: str = "key+content",
                 sign_input: str = "bytes") -> tuple[bytes, ...]:
    """The exact input of SHA256withRSA for one envelope, in pieces to hash one after the
    other (see the module docstring)."""
    if sign_scope not in SIGN_SCOPES:
        raise ValueError("sign_scope must be one of %s" % (SIGN_SCOPES,))
    if sign_input not in SIGN_INPUTS:
        raise ValueError("sign_input must be one of %s" % (SIGN_INPUTS,))
    if sign_input == "base64":
        enc_key, enc_content = b64encode(enc_key).encode(), b64encode(enc_content).encode()
    return (enc_content,) if sign_scope == "content" else (enc_key, enc_content)


def signed_bytes(enc_key: bytes, enc_content: bytes, sign_scope: str = "key+content",
                 sign_input: str = "bytes") -> bytes:
    return b"".join(signed_parts(enc_key, enc_content, sign_scope, sign_input))


class _Sha256:
    """SHA-256 from hashlib (OpenSSL: several times faster than pycryptodome's over photo-sized
    bodies) in the shape pycryptodome's pkcs1_15 expects (oid, digest_size, digest())."""
    oid = SHA256.new().oid          # 2.16.840.1.101.3.4.2.1
    digest_size = 32
    block_size = 64

    def __init__(self, *parts: bytes):
        self._h = hashlib.sha256()
        for p in parts:
            self._h.update(p)

    def digest(self) -> bytes:
        return self._h.digest()


def sign(private_key: RSA.RsaKey, *parts: bytes) -> bytes:
    return pkcs1_15.new(private_key).sign(_Sha256(*parts))


def verify(public_key: RSA.RsaKey, signature: bytes, *parts: bytes) -> bool:
    try:
        pkcs1_15.new(public_key).verify(_Sha256(*parts), signature)
        return True
    except (ValueError, TypeError):
        return False


# ---------------------------------------------------------------- envelopes

def to_json_bytes(obj) -> bytes:
    """Plaintext JSON as the platform reads it: UTF-8, Chinese kept as is, compact."""
    if isinstance(obj, bytes):
        return obj
    if isinstance(obj, str):
        return obj.encode("utf-8")
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def seal(plaintext, platform_public: RSA.RsaKey, client_private: RSA.RsaKey,
         sign_scope: str = "key+content", sign_input: str = "bytes",
         aes_key: bytes | None = None) -> dict:
    """Build the request envelope for `plaintext` (dict/list → JSON, str, or bytes)."""
    key = aes_key or os.urandom(AES_KEY_BYTES)
    enc_content = aes_encrypt(key, to_json_bytes(plaintext))
    enc_key = rsa_wrap(platform_public, key)
    sig = sign(client_private, *signed_parts(enc_key, enc_content, sign_scope, sign_input))
    return {"signature": b64encode(sig), "encryptedAesKey": b64encode(enc_key),
            "encryptedContent": b64encode(enc_content)}


def open_request(envelope: dict, client_public: RSA.RsaKey, platform_private: RSA.RsaKey,
                 sign_scope: str = "key+content", sign_input: str = "bytes") -> bytes:
    """Platform side (5.1 step 8): verify the signature, unwrap the key, decrypt. → plaintext."""
    if not isinstance(envelope, dict):
        raise EnvelopeError("envelope must be a JSON object")
    missing = [k for k in ("signature", "encryptedAesKey", "encryptedContent") if not envelope.get(k)]
    if missing:
        raise EnvelopeError("envelope lacks %s" % ", ".join(missing))
    sig = b64decode(envelope["signature"], "signature")
    enc_key = b64decode(envelope["encryptedAesKey"], "encryptedAesKey")
    enc_content = b64decode(envelope["encryptedContent"], "encryptedContent")
    if not verify(client_public, sig, *signed_parts(enc_key, enc_content, sign_scope, sign_input)):
        raise BadSignature("signature does not match (sign_scope=%s, sign_input=%s)" % (sign_scope, sign_input))
    key = rsa_unwrap(platform_private, enc_key)
    return aes_decrypt(key, enc_content)


def seal_response(data, client_public: RSA.RsaKey, code: int = 200, message: str = "操作成功") -> dict:
    """Platform side: a response whose `data` is encrypted for the enterprise (null when no data)."""
    if data is None:
        return {"code": code, "message": message, "aesKey": None, "data": None}
    key = os.urandom(AES_KEY_BYTES)
    return {"code": code, "message": message, "aesKey": b64encode(rsa_wrap(client_public, key)),
            "data": b64encode(aes_encrypt(key, to_json_bytes(data)))}


def open_response_data(response: dict, client_private: RSA.RsaKey):
    """Decrypt a response's `data` (5.1 step 10). → parsed JSON, plain text, or None.

    aesKey null: `data` is returned as sent (null, or a plain object as in 6.1's answer).
    """
    if not isinstance(response, dict):
        raise EnvelopeError("response must be a JSON object")
    data = response.get("data")
    if response.get("aesKey") in (None, ""):
        return data
    if not isinstance(data, str) or not data:
        raise EnvelopeError("response has aesKey but data is not a Base64 string")
    key = rsa_unwrap(client_private, b64decode(response["aesKey"], "aesKey"))
    plain = aes_decrypt(key, b64decode(data, "data"))
    try:
        text = plain.decode("utf-8")
    except UnicodeDecodeError:
        raise EnvelopeError("decrypted data is not UTF-8") from None
    try:
        return json.loads(text)
    except ValueError:
        return text
