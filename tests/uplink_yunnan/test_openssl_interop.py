"""Interop with an independent implementation: the openssl command line.

Both directions, with keys in the Java forms (Base64 DER) converted by openssl itself:
  ours → openssl: openssl verifies our signature, unwraps our AES key, decrypts our content;
  openssl → ours: openssl builds an envelope (enc -aes-256-ecb, pkeyutl pkcs1, dgst -sha256
  -sign) that we verify and open; the same for a platform answer (aesKey + data).
"""
import base64
import json
import shutil
import subprocess

import pytest

from edge.uplink.yunnan import crypto

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed")

PLAIN = {"recordId": "2025082008304500000091530100MA6K5XYZ1P001V000001", "licensePlate": "云A12345",
         "cargoType": "生产原料", "cargoWeight": "2.5"}


def ossl(*args, input=None):
    return subprocess.run(["openssl", *args], input=input, check=True, capture_output=True).stdout


@pytest.fixture
def keys(tmp_path, client_key, platform_key):
    """PEM files written by openssl from the Java-form Base64 DER keys (and back, checked)."""
    out = {}
    for name, key in (("client", client_key), ("platform", platform_key)):
        der_pub = tmp_path / ("%s_pub.der" % name)
        der_priv = tmp_path / ("%s_priv.der" % name)
        der_pub.write_bytes(base64.b64decode(crypto.public_key_b64(key)))
        der_priv.write_bytes(base64.b64decode(crypto.private_key_b64(key)))
        pub_pem, priv_pem = tmp_path / ("%s_pub.pem" % name), tmp_path / ("%s_priv.pem" % name)
        ossl("pkey", "-pubin", "-inform", "DER", "-in", str(der_pub), "-out", str(pub_pem))
        ossl("pkey", "-inform", "DER", "-in", str(der_priv), "-out", str(priv_pem))
        # openssl's own DER of the same keys is byte-identical to what we call the Java form
        assert ossl("pkey", "-pubin", "-in", str(pub_pem), "-outform", "DER") == der_pub.read_bytes()
        assert ossl("pkcs8", "-topk8", "-nocrypt", "-in", str(priv_pem), "-outform", "DER") == der_priv.read_bytes()
        out[name] = (pub_pem, priv_pem)
    return out


def test_ours_opened_by_openssl(tmp_path, keys, client_key, platform_key):
    env = crypto.seal(PLAIN, platform_key.publickey(), client_key)
    enc_key = base64.b64decode(env["encryptedAesKey"])
    enc_content = base64.b64decode(env["encryptedContent"])
    (tmp_path / "signed.bin").write_bytes(enc_key + enc_content)     # 5.1 step 6: key bytes + content bytes
    (tmp_path / "sig.bin").write_bytes(base64.b64decode(env["signature"]))
    (tmp_path / "ek.bin").write_bytes(enc_key)
    (tmp_path / "ct.bin").write_bytes(enc_content)
    out = ossl("dgst", "-sha256", "-verify", str(keys["client"][0]), "-signature", str(tmp_path / "sig.bin"),
               str(tmp_path / "signed.bin"))
    assert b"Verified OK" in out
    aes_key = ossl("pkeyutl", "-decrypt", "-inkey", str(keys["platform"][1]), "-pkeyopt", "rsa_padding_mode:pkcs1",
                   "-in", str(tmp_path / "ek.bin"))
    assert len(aes_key) == 32
    plain = ossl("enc", "-d", "-aes-256-ecb", "-K", aes_key.hex(), "-in", str(tmp_path / "ct.bin"))
    assert json.loads(plain.decode("utf-8")) == PLAIN
    # a tampered content must not verify under openssl either
    (tmp_path / "signed.bin").write_bytes(enc_key + enc_content[:-1] + bytes([enc_content[-1] ^ 1]))
    bad = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(keys["client"][0]), "-signature",
                          str(tmp_path / "sig.bin"), str(tmp_path / "signed.bin")], capture_output=True)
    assert bad.returncode != 0


@pytest.mark.parametrize("scope", crypto.SIGN_SCOPES)
def test_openssl_envelope_opened_by_us(tmp_path, keys, client_key, platform_key, scope):
    (tmp_path / "plain.json").write_bytes(json.dumps(PLAIN, ensure_ascii=False).encode("utf-8"))
    aes_key = ossl("rand", "32")
    (tmp_path / "key.bin").write_bytes(aes_key)
    ossl("enc", "-aes-256-ecb", "-K", aes_key.hex(), "-in", str(tmp_path / "plain.json"), "-out", str(tmp_path / "ct.bin"))
    ossl("pkeyutl", "-encrypt", "-pubin", "-inkey", str(keys["platform"][0]), "-pkeyopt", "rsa_padding_mode:pkcs1",
         "-in", str(tmp_path / "key.bin"), "-out", str(tmp_path / "ek.bin"))
    ek, ct = (tmp_path / "ek.bin").read_bytes(), (tmp_path / "ct.bin").read_bytes()
    (tmp_path / "signed.bin").write_bytes(ct if scope == "content" else ek + ct)
    ossl("dgst", "-sha256", "-sign", str(keys["client"][1]), "-out", str(tmp_path / "sig.bin"), str(tmp_path / "signed.bin"))
    b64 = lambda name: ossl("base64", "-A", "-in", str(tmp_path / name)).decode().strip()
    env = {"signature": b64("sig.bin"), "encryptedAesKey": b64("ek.bin"), "encryptedContent": b64("ct.bin")}
    plain = crypto.open_request(env, client_key.publickey(), platform_key, sign_scope=scope)
    assert json.loads(plain) == PLAIN


def test_openssl_response_opened_by_us_and_ours_by_openssl(tmp_path, keys, client_key):
    data = {"token": "LpVxYz1aBcDeFgHiJkLmNoPqRs", "expireTime": "7200"}
    (tmp_path / "data.json").write_text(json.dumps(data))
    aes_key = ossl("rand", "32")
    (tmp_path / "key.bin").write_bytes(aes_key)
    ossl("enc", "-aes-256-ecb", "-K", aes_key.hex(), "-in", str(tmp_path / "data.json"), "-out", str(tmp_path / "ct.bin"))
    ossl("pkeyutl", "-encrypt", "-pubin", "-inkey", str(keys["client"][0]), "-pkeyopt", "rsa_padding_mode:pkcs1",
         "-in", str(tmp_path / "key.bin"), "-out", str(tmp_path / "ek.bin"))
    resp = {"code": 200, "message": "获取成功",
            "aesKey": base64.b64encode((tmp_path / "ek.bin").read_bytes()).decode(),
            "data": base64.b64encode((tmp_path / "ct.bin").read_bytes()).decode()}
    assert crypto.open_response_data(resp, client_key) == data

    ours = crypto.seal_response(data, client_key.publickey())
    (tmp_path / "ek2.bin").write_bytes(base64.b64decode(ours["aesKey"]))
    (tmp_path / "ct2.bin").write_bytes(base64.b64decode(ours["data"]))
    key2 = ossl("pkeyutl", "-decrypt", "-inkey", str(keys["client"][1]), "-pkeyopt", "rsa_padding_mode:pkcs1",
                "-in", str(tmp_path / "ek2.bin"))
    assert json.loads(ossl("enc", "-d", "-aes-256-ecb", "-K", key2.hex(), "-in", str(tmp_path / "ct2.bin"))) == data


def test_openssl_generated_keys_load_in_java_form(tmp_path):
    """A key pair made by openssl, handed over as Base64 DER (what a Java peer would send)."""
    ossl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(tmp_path / "k.pem"))
    pub_der = ossl("pkey", "-in", str(tmp_path / "k.pem"), "-pubout", "-outform", "DER")
    priv_der = ossl("pkcs8", "-topk8", "-nocrypt", "-in", str(tmp_path / "k.pem"), "-outform", "DER")
    pub = crypto.load_public_key(base64.b64encode(pub_der).decode())
    priv = crypto.load_private_key(base64.b64encode(priv_der).decode())
    assert priv.publickey() == pub
    assert crypto.public_key_b64(priv) == base64.b64encode(pub_der).decode()
