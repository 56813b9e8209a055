"""Records in a real outbox for the page's tests and benchmark."""
from __future__ import annotations

import io

from edge.store.outbox import Outbox


def jpeg(seed: int, size=(320, 180)) -> bytes:
    from PIL import Image, ImageDraw
    im = Image.new("RGB", size, ((seed * 37) % 255, (seed * 91) % 255, 120))
    ImageDraw.Draw(im).rectangle([10, 10, 10 + seed % 200, 60], fill=(250, 250, 250))
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=80)
    return buf.getvalue()


def access(i: int, *, day: int = 1, hour: int = 8, plate: str | None = None, color: str = "1",
           emission: str = "5", fuel: str = "B", manual: bool = False, direction: str = "0") -> dict:
    return {
        "recordId": "2026110%d%02d0000000091530100MA6K5XYZ1P001V%06d" % (day, hour, i),
        "enterpriseId": "91530100MA6K5XYZ1P001V", "entranceId": "A", "gateId": "A01",
        "vehicleId": "V%05d" % i, "licensePlate": plate or "云A%05d" % i, "plateColor": color,
        "vin": "LSIM%013d" % i, "accessType": direction,
        "accessTime": "2026-11-%02d %02d:%02d:%02d" % (day, hour, i % 60, i % 60),
        "cargoType": "煤炭", "cargoWeight": "32.5", "cargoUnit": "T", "carHeadImg": "", "carImg": "",
        "passMode": "manual" if manual else "auto",
        "vehicle": {"emissionStandard": emission, "fuelType": fuel},
    }


def fill(outbox: Outbox, records, photos: bool = True, kind: str = "access"):
    items = [(r, {"carHeadImg": jpeg(n)} if photos else {}) for n, r in enumerate(records)]
    return outbox.put_many(items, kind=kind)
