"""https with a private CA file (`ca_file`): a certificate made by the openssl CLI."""
import shutil
import ssl
import subprocess

import pytest

from edge.uplink.yunnan import crypto
from edge.uplink.yunnan.client import TransportError, YunnanClient
from tests.uplink_yunnan.conftest import ENTERPRISE_ID

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed")


@pytest.fixture
def tls_sim(make_sim, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert), str(key))
    return make_sim(ssl_context=ctx), str(cert)


async def test_https_with_ca_file(tls_sim, client_key):
    sim, ca = tls_sim
    assert sim.base_url.startswith("https://")
    c = YunnanClient(sim.base_url, client_private=client_key, ca_file=ca, retries=0)
    try:
        d = await c.init_auth(ENTERPRISE_ID, "x", crypto.public_key_b64(client_key))
        c.api_key, c.api_secret = d["apiKey"], d["apiSecret"]
        c.platform_public = crypto.load_public_key(d["publicKey"])
        answer, _ = await c.heartbeat(ENTERPRISE_ID)
        assert answer["code"] == 200
    finally:
        await c.close()


async def test_https_untrusted_certificate_refused(tls_sim, client_key):
    sim, _ = tls_sim
    c = YunnanClient(sim.base_url, client_private=client_key, retries=0)     # system CAs only
    try:
        with pytest.raises(TransportError, match="(?i)certificate"):
            await c.init_auth(ENTERPRISE_ID, "x", crypto.public_key_b64(client_key))
    finally:
        await c.close()
    assert not sim.platform.enterprises
