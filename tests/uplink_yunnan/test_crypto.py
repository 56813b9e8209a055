"""Envelope crypto: round trips, key formats, tamper detection, sign_scope/sign_input."""
import base64
import json

import pytest

from edge.uplink.yunnan import crypto

PLAIN = {"enterpriseId": "91530100MA6K5XYZ1P001V", "enterpriseName": "云南示例钢铁有限公司", "n": 1}


def test_seal_open_round_trip(client_key, platform_key):
    env = crypto.seal(PLAIN, platform_key.publickey(), client_key)
    assert set(env) == {"signature", "encryptedAesKey", "encryptedContent"}
    plain = crypto.open_request(env, client_key.publickey(), platform_key)
    assert json.loads(plain) == PLAIN
    assert "云南" in plain.decode("utf-8")  # UTF-8, not \\u escapes (5.2 CHARSET)


def test_envelope_shapes_match_java(client_key, platform_key):
    env = crypto.seal(PLAIN, platform_key.publickey(), client_key)
    enc_key = base64.b64decode(env["encryptedAesKey"], validate=True)
    enc_content = base64.b64decode(env["encryptedContent"], validate=True)
    assert len(enc_key) == 256                       # RSA-2048 block
    assert len(enc_content) % 16 == 0                 # AES block, PKCS#5 padded
    assert len(base64.b64decode(env["signature"])) == 256
    assert "\n" not in env["signature"]               # java.util.Base64 basic encoder: one line
    assert len(crypto.rsa_unwrap(platform_key, enc_key)) == 32   # AES-256 key


def test_fresh_key_per_request(client_key, platform_key):
    a = crypto.seal(PLAIN, platform_key.publickey(), client_key)
    b = crypto.seal(PLAIN, platform_key.publickey(), client_key)
    assert a["encryptedContent"] != b["encryptedContent"]
    assert a["encryptedAesKey"] != b["encryptedAesKey"]


@pytest.mark.parametrize("field", ["signature", "encryptedAesKey", "encryptedContent"])
def test_tampering_is_detected(client_key, platform_key, field):
    env = crypto.seal(PLAIN, platform_key.publickey(), client_key)
    raw = bytearray(base64.b64decode(env[field]))
    raw[len(raw) // 2] ^= 0x01
    env[field] = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(crypto.BadSignature):
        crypto.open_request(env, client_key.publickey(), platform_key)


def test_wrong_sender_key_fails_signature(client_key, platform_key, other_key):
    env = crypto.seal(PLAIN, platform_key.publickey(), other_key)
    with pytest.raises(crypto.BadSignature):
        crypto.open_request(env, client_key.publickey(), platform_key)


@pytest.mark.parametrize("scope", crypto.SIGN_SCOPES)
@pytest.mark.parametrize("sign_input", crypto.SIGN_INPUTS)
def test_sign_variants_verify_only_with_same_variant(client_key, platform_key, scope, sign_input):
    env = crypto.seal(PLAIN, platform_key.publickey(), client_key, scope, sign_input)
    assert json.loads(crypto.open_request(env, client_key.publickey(), platform_key, scope, sign_input)) == PLAIN
    for other_scope in crypto.SIGN_SCOPES:
        for other_input in crypto.SIGN_INPUTS:
            if (other_scope, other_input) != (scope, sign_input):
                with pytest.raises(crypto.BadSignature):
                    crypto.open_request(env, client_key.publickey(), platform_key, other_scope, other_input)


def test_signed_bytes_definition():
    k, c = b"K" * 4, b"C" * 5
    assert crypto.signed_bytes(k, c) == k + c
    assert crypto.signed_bytes(k, c, "content") == c
    assert crypto.signed_bytes(k, c, "key+content", "base64") == b"S0tLSw==Q0NDQ0M="


def test_response_round_trip_and_null(client_key):
    resp = crypto.seal_response({"token": "abc", "expireTime": "7200"}, client_key.publickey(), 200, "获取成功")
    assert crypto.open_response_data(resp, client_key) == {"token": "abc", "expireTime": "7200"}
    assert crypto.open_response_data({"code": 200, "message": "ok", "aesKey": None, "data": None}, client_key) is None


def test_response_for_someone_else_fails(client_key, other_key):
    resp = crypto.seal_response({"x": 1}, other_key.publickey())
    with pytest.raises(crypto.EnvelopeError):
        crypto.open_response_data(resp, client_key)


def test_key_formats_java_and_pem(client_key):
    pub_b64, priv_b64 = crypto.public_key_b64(client_key), crypto.private_key_b64(client_key)
    assert pub_b64.startswith("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A")   # X.509 SPKI of RSA-2048, as in spec 6.1
    assert priv_b64.startswith("MIIE")                                # PKCS#8 SEQUENCE
    assert crypto.load_public_key(pub_b64) == client_key.publickey()
    assert crypto.load_private_key(priv_b64) == client_key
    assert crypto.load_public_key(crypto.public_key_pem(client_key)) == client_key.publickey()
    assert crypto.load_private_key(crypto.private_key_pem(client_key)) == client_key
    assert crypto.load_private_key(client_key.export_key(pkcs=1).decode()) == client_key   # PKCS#1 PEM
    wrapped = "\n".join(pub_b64[i:i + 64] for i in range(0, len(pub_b64), 64))   # as the spec prints keys
    assert crypto.load_public_key(wrapped) == client_key.publickey()


@pytest.mark.parametrize("text", ["", "not base64 !!", "QUJD", "-----BEGIN PUBLIC KEY-----\nQUJD\n-----END PUBLIC KEY-----"])
def test_bad_keys_are_clear_errors(text):
    with pytest.raises(crypto.EnvelopeError):
        crypto.load_public_key(text)


def test_public_key_is_not_a_private_key(client_key):
    with pytest.raises(crypto.EnvelopeError, match="private key is needed"):
        crypto.load_private_key(crypto.public_key_b64(client_key))


@pytest.mark.parametrize("env", [None, [], {}, {"signature": "a", "encryptedAesKey": "b"},
                                 {"signature": "@@@", "encryptedAesKey": "AAAA", "encryptedContent": "AAAA"}])
def test_garbage_envelopes(client_key, platform_key, env):
    with pytest.raises(crypto.EnvelopeError):
        crypto.open_request(env, client_key.publickey(), platform_key)


def test_aes_pkcs5_padding_full_block():
    key = bytes(range(32))
    ct = crypto.aes_encrypt(key, b"0123456789abcdef")
    assert len(ct) == 32            # PKCS#5: a whole padding block after a full block
    assert crypto.aes_decrypt(key, ct) == b"0123456789abcdef"
    with pytest.raises(crypto.EnvelopeError):
        crypto.aes_decrypt(bytes(32), ct)


def test_unwrap_block_larger_than_modulus(client_key):
    with pytest.raises(crypto.EnvelopeError):
        crypto.rsa_unwrap(client_key, b"\xff" * client_key.size_in_bytes())


from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                     max_leaves=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(obj=st.dictionaries(st.text(max_size=10), _json, max_size=6))
def test_any_json_round_trips(client_key, platform_key, obj):
    env = crypto.seal(obj, platform_key.publickey(), client_key)
    assert json.loads(crypto.open_request(env, client_key.publickey(), platform_key)) == obj
    resp = crypto.seal_response(obj, client_key.publickey())
    assert crypto.open_response_data(resp, client_key) == obj
