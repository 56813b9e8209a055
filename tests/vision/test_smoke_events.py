"""SmokeEventDetector: table-driven sequences of per-frame grades."""
import pytest

from edge.vision.smoke.events import SmokeEventDetector

V = "V"  # a frame with the vehicle in the zone (graded 5: its dark body must not count)


def frames(spec, conf=0.9):
    """'VVV00333330' -> frame dicts: V = vehicle present, digit = level after it."""
    out = []
    for i, c in enumerate(spec):
        if c == V:
            out.append({"index": i, "ts": 1000 + 40 * i, "level": 5, "confidence": conf, "vehicle": True})
        else:
            out.append({"index": i, "ts": 1000 + 40 * i, "level": int(c), "confidence": conf, "vehicle": False})
    return out


def run(spec, **kw):
    det = SmokeEventDetector(**kw)
    return [e for e in (det.feed(f) for f in frames(spec)) if e]


CASES = [
    # (name, frames, detector args, expected [(level, first, last)])
    ("smoke after the vehicle", "00VVVV033333000", {}, [(3, 7, 11)]),
    ("no vehicle, no event", "333333333333", {}, []),
    ("vehicle body alone", "0VVVVVVVVV0000", {}, []),
    ("run broken by a clean frame", "VV33330333300", {}, []),
    ("shadow flicker: short runs only", "VVV22022022200", {}, []),
    ("below the threshold", "VV1111111111", {}, []),
    ("threshold 1 takes level 1", "VV1111111111", {"threshold_level": 1}, [(1, 2, 6)]),
    ("median level of the run", "VV22533", {}, [(3, 2, 6)]),
    ("too late: after the watch window", "VV" + "0" * 10 + "44444", {"watch_frames": 10}, []),
    ("just inside the watch window", "VV" + "0" * 5 + "44444", {"watch_frames": 10}, [(4, 7, 11)]),
    ("one event per vehicle", "VV4444444444444", {}, [(4, 2, 6)]),
    ("each vehicle its own event", "VV44444VV55555", {}, [(4, 2, 6), (5, 9, 13)]),
    ("next vehicle cuts the watch", "VV444VV00000", {}, []),
    ("min_frames 3", "VV0333", {"min_frames": 3}, [(3, 3, 5)]),
    ("settle: a trailing shadow is ignored", "VV2222200000", {"settle_frames": 3}, []),
    ("settle: smoke that hangs still fires", "VV33333333", {"settle_frames": 3}, [(3, 5, 9)]),
]


@pytest.mark.parametrize("name, spec, kw, expected", CASES, ids=[c[0] for c in CASES])
def test_sequences(name, spec, kw, expected):
    events = run(spec, **kw)
    got = [(e["record"]["smokeLevel"], e["record"]["firstFrame"], e["record"]["lastFrame"]) for e in events]
    assert got == expected
    for e in events:
        assert e["kind"] == "smoke"
        r = e["record"]
        assert r["frameIndices"] == list(range(r["firstFrame"], r["lastFrame"] + 1))
        assert r["firstTime"] == 1000 + 40 * r["firstFrame"] and r["lastTime"] == 1000 + 40 * r["lastFrame"]


def test_low_confidence_frames_do_not_count():
    det = SmokeEventDetector(min_confidence=0.6)
    seq = frames("VV444444", conf=0.55)
    assert not any(det.feed(f) for f in seq)


def test_event_carries_plate_confidence_and_clip():
    det = SmokeEventDetector(min_frames=3, pre_frames=2)
    det.set_plate("宁A12345", "2", match="front")
    seq = frames("VV0444")
    for f in seq:
        f["image"] = "img%d" % f["index"]
        f["confidence"] = 0.8 if f["level"] == 4 else 0.9
    events = [e for e in (det.feed(f) for f in seq) if e]
    assert len(events) == 1
    r, media = events[0]["record"], events[0]["media"]
    assert (r["licensePlate"], r["plateColor"], r["plateMatch"]) == ("宁A12345", "2", "front")
    assert r["smokeConfidence"] == pytest.approx(0.8)
    assert r["frameLevels"] == [4, 4, 4]
    assert media["clip"] == ["img1", "img2", "img3", "img4", "img5"]  # 2 frames before the run, then the run


def test_front_read_while_watching_belongs_to_the_next_vehicle():
    det = SmokeEventDetector(min_frames=2)
    det.set_plate("A", "2")
    for f in frames("VV0"):
        det.feed(f)
    det.set_plate("B", "1", match="front")  # the next vehicle read at the front camera
    events = [e for e in (det.feed(f) for f in frames("0033")) if e]
    assert events[0]["record"]["licensePlate"] == "A"
    events = [e for e in (det.feed(f) for f in frames("VV33")) if e]
    assert events[0]["record"]["licensePlate"] == "B"


def test_rear_read_while_watching_is_the_vehicle_that_passed():
    det = SmokeEventDetector(min_frames=2)
    for f in frames("VV0"):
        det.feed(f)
    seq = frames("33")
    seq[0]["plate"] = {"licensePlate": "C", "plateColor": "2", "match": "rear"}
    events = [e for e in (det.feed(f) for f in seq) if e]
    assert (events[0]["record"]["licensePlate"], events[0]["record"]["plateMatch"]) == ("C", "rear")


def test_event_without_a_plate_says_so():
    events = run("VV44444")
    assert events[0]["record"]["licensePlate"] == "" and events[0]["record"]["plateMatch"] == ""


@pytest.mark.parametrize("kw, field", [({"threshold_level": 0}, "threshold_level"), ({"threshold_level": 6}, "threshold_level"),
                                       ({"min_frames": 0}, "min_frames"), ({"watch_frames": 3}, "watch_frames"),
                                       ({"settle_frames": -1}, "settle_frames")])
def test_bad_parameters_name_the_field(kw, field):
    with pytest.raises(ValueError, match=field):
        SmokeEventDetector(**kw)


def test_the_event_carries_the_runs_opacity_and_mode():
    det = SmokeEventDetector()
    seq = frames("VV444444")
    for f, op in zip(seq, [0.9, 0.9, 0.72, 0.8, 0.75, 0.78, 0.81, 0.7]):
        f.update(opacity=op, mode="reference")
    (ev,) = [e for e in (det.feed(f) for f in seq) if e]
    r = ev["record"]
    assert r["smokeLevel"] == 4 and r["smokeOpacity"] == 0.78 and r["smokeMode"] == "reference"


def test_without_opacity_the_event_reads_it_from_the_level():
    (ev,) = run("VV333333")
    assert ev["record"]["smokeOpacity"] == 0.6 and ev["record"]["smokeMode"] is None
