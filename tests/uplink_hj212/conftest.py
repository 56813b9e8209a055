import io
import random

import pytest
from PIL import Image

from edge.domain.examples import example
from edge.uplink.hj212.settings import Hj212Settings


def jpeg(seed, size=(240, 160)):
    """A real, incompressible-ish JPEG (noise), a few tens of kB: long enough to need splitting."""
    rnd = random.Random(seed)
    img = Image.frombytes("RGB", size, bytes(rnd.getrandbits(8) for _ in range(size[0] * size[1] * 3)))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def access_record(i=0):
    r = example("access")
    r["licensePlate"] = "宁A%05d" % i
    r["recordId"] = r["recordId"][:-6] + "%06d" % i
    return r


def settings(port, **kw):
    base = dict(host="127.0.0.1", port=port, mn="91640100MA76XYZ12X", pw="pw1234", timeout_s=1.0, resend=3,
                backoff_max_s=0.2)
    base.update(kw)
    return Hj212Settings(**base)


@pytest.fixture(scope="session")
def photos():
    return {"carHeadImg": jpeg(1), "carImg": jpeg(2, (200, 120))}
