"""Child process for the crash test: puts records forever, printing each id once put returned.
Run with `python -S` (stdlib + this repo only: starts faster, so more kills per second).

Usage: python crash_child.py STATE_DIR SEED
Ids are printed with one os.write per line (atomic on a pipe), only after put returned —
the promise the parent checks after SIGKILLing us at a random moment.
"""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

from edge.store.outbox import Outbox  # noqa: E402


def photo_for(rid: str, field: str) -> bytes:
    """Deterministic ~8-24 KB stand-in photo, recomputable by the parent from the id."""
    r = random.Random(rid + field)
    return b"\xff\xd8" + r.randbytes(r.randrange(8_000, 24_000)) + b"\xff\xd9"


def record(rid: str) -> dict:
    return {"recordId": rid, "enterpriseId": "91530100MA6K5XYZ1P001V", "entranceId": "A",
            "gateId": "A01", "licensePlate": "云A%05d" % (hash(rid) % 100000), "plateColor": "1",
            "accessType": "0", "accessTime": "2026-11-22 10:00:00", "carHeadImg": "", "carImg": ""}


def main():
    state, seed = sys.argv[1], int(sys.argv[2])
    rng = random.Random(seed)
    box = Outbox(state, ["yunnan", "hj212"])
    os.write(1, b"ready\n")
    n = 0
    while True:
        n += 1
        mode = rng.random()
        if mode < 0.6:  # the recorder's path: sequence allocated in the put's transaction
            def build(seq):
                return record("SEQ%08d" % seq)
            probe = "SEQ%08d" % (box.seq() + 1)
            media = {"carHeadImg": photo_for(probe, "carHeadImg"), "carImg": photo_for(probe, "carImg")}
            rec, _ = box.put_new(build, media)
            assert rec["recordId"] == probe
            os.write(1, (rec["recordId"] + "\n").encode())
        elif mode < 0.8:  # a batch
            ids = ["B%d-%d-%d" % (seed, n, k) for k in range(3)]
            box.put_many([(record(i), {"carImg": photo_for(i, "carImg")}) for i in ids])
            os.write(1, "".join(i + "\n" for i in ids).encode())
        else:  # a re-put of an id already stored must change nothing
            rid = "R%d-%d" % (seed, n)
            box.put(record(rid), {"carHeadImg": photo_for(rid, "carHeadImg")})
            box.put(record(rid), {"carHeadImg": photo_for(rid, "carHeadImg")})
            os.write(1, (rid + "\n").encode())


if __name__ == "__main__":
    main()
