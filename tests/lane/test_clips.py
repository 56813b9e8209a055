"""A passage's clip kept beside its record: a local record of kind "clip" stored after the
access record was durable, fsynced like every media file, never sent, its MP4 pruned after
clip_retention_months; and in the running lane, over the real RTSP feed, each passage gets its
MP4 clip and the photos of two cameras."""
import asyncio
import json
import time
import tomllib
from datetime import datetime

import av
import pytest

from edge import timeutil
from edge.lane.clips import CLIP_FIELD, ClipKeeper
from edge.store.media import MediaError
from edge.store.outbox import Outbox
from edge.store.retention import Retention
from edge.vision.clip import Clip, ClipError
from tests.lane.rtsp import RtspFeed, free_port, has_gstreamer

needs_rtsp = pytest.mark.skipif(not has_gstreamer(), reason="GStreamer RTSP server (python3-gi) not installed")
MP4 = b"\x00\x00\x00\x18ftypisom" + bytes(range(200))


def record(i: int, access_time: str) -> dict:
    return {"recordId": "REC%012d" % i, "enterpriseId": "91530100MA6K5XYZ1P001V", "entranceId": "A",
            "gateId": "A01", "licensePlate": "云A12345", "plateColor": "1", "accessType": "0",
            "accessTime": access_time, "carHeadImg": "", "carImg": "", "passMode": "auto"}


class Clock:
    def __init__(self, text):
        self.set(text)

    def set(self, text):
        self.t = timeutil.parse_datetime(text).timestamp()

    def __call__(self):
        return self.t


def test_clip_record_is_kept_locally_never_sent_and_its_clip_pruned_after_12_months(tmp_path):
    clock = Clock("2025-01-10 10:00:00")
    box = Outbox(tmp_path, ["yunnan"], clock=clock, routes={"clip": []})
    try:
        box.put(record(1, "2025-01-10 10:00:00"), {"carHeadImg": b"\xff\xd8head", "carImg": b"\xff\xd8body"})
        keeper = ClipKeeper(box, gate_id="A01")
        now = clock.t
        body = keeper._store(FakeCamera(None), "REC%012d" % 1, now, "passage",
                             Clip(MP4, now - 5.2, now + 5.0, 100, "h264", True))
        cid = body["recordId"]
        assert cid.startswith("CLP20250110100000000A01") and body["passageId"] == "REC%012d" % 1
        assert body["startTime"] == "2025-01-10 09:59:54.800" and body["complete"] is True
        stored = box.get(cid)
        assert stored["kind"] == "clip" and stored["deliveries"] == []          # kept, never sent
        ref = box.media_of(cid)[CLIP_FIELD]
        assert ref.startswith("20250110/") and ref.endswith(".mp4") and box.media.path(ref).read_bytes() == MP4
        rows = box.claim("yunnan", 10)
        assert [r.record_id for r in rows] == ["REC%012d" % 1]               # only the access record
        box.mark_delivered([(r.id, "ok") for r in rows])
        clock.set("2025-12-01 10:00:00")
        assert Retention(box, usage=lambda: 10.0).run()["clips"] == 0       # < 12 months: kept
        clock.set("2026-02-20 10:00:00")
        report = Retention(box, usage=lambda: 10.0).run()
        assert report["clips"] == 1 and report["expired"] == 0               # 13 months: the clip goes
        assert not box.media.path(ref).exists() and box.get(cid) is not None
    finally:
        box.close()


def test_the_uploader_loads_photos_only_so_a_clip_never_blocks_a_record(tmp_path):
    box = Outbox(tmp_path, ["yunnan"])
    try:
        box.put(record(1, "2025-01-10 10:00:00"), {"carImg": b"\xff\xd8body", "smokeClip": (MP4, "mp4")})
        ref = box.media_of("REC%012d" % 1)["smokeClip"]
        box.media.path(ref).write_bytes(b"damaged")
        assert set(box.load_media("REC%012d" % 1, "photo")) == {"carImg"}
        with pytest.raises(MediaError):
            box.load_media("REC%012d" % 1)
    finally:
        box.close()


class FakeCamera:
    name = "fake"
    last_error = ""

    def __init__(self, result=None):
        self.result = result
        self.asked = None

    def cut(self, start, end, timeout_s, partial=False):
        self.asked = (start, end, partial)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


async def test_keeper_keeps_whole_partial_or_no_clip_without_touching_the_record(tmp_path, caplog):
    box = Outbox(tmp_path, ["yunnan"], routes={"clip": []})
    try:
        now = time.time()
        for i in (1, 2, 3):
            box.put(record(i, timeutil.fmt_datetime(timeutil.now())))
        keeper = ClipKeeper(box, before_s=6, after_s=4, wait_s=1)
        whole = FakeCamera(Clip(MP4, now - 6.3, now + 4.1, 100, "h264", True))
        short = FakeCamera(Clip(MP4 + b"x", now - 2, now + 4, 60, "h264", False))
        none = FakeCamera(ClipError("camera fake: the ring starts at 10:00:00.0, after the clip's start"))
        ids = await asyncio.gather(keeper.keep(whole, "REC%012d" % 1, now), keeper.keep(short, "REC%012d" % 2, now),
                                   keeper.keep(none, "REC%012d" % 3, now))
        assert whole.asked == (now - 6, now + 4, True)
        assert ids[0].startswith("CLP") and ids[1].startswith("CLP") and ids[2] is None
        assert box.get(ids[1])["record"]["complete"] is False
        assert keeper.status() == {"pending": 0, "kept": 2, "partial": 1, "failed": 1,
                                   "last_error": "record REC000000000003: camera fake: the ring starts at "
                                                 "10:00:00.0, after the clip's start"}
        assert "covers 6.0 s of the 10.0 s asked for" in caplog.text
        assert [box.get(i)["record"]["passageId"] for i in ids[:2]] == ["REC%012d" % 1, "REC%012d" % 2]
        assert len(box.records(kind="clip")) == 2 and box.get("REC%012d" % 3) is not None
    finally:
        box.close()


# ---------------------------------------------------------------- the running lane

@needs_rtsp
async def test_lane_keeps_a_clip_and_two_cameras_photos_with_each_passage(tmp_path):
    """Head camera (plates) and body camera on two real RTSP feeds; every passage record gets
    its head photo, the body camera's photo and an MP4 clip around the passage."""
    from tests.lane.test_smoke_lane import render_lane_clip, run_lane
    from edge.config import Config, example
    from edge.settings import load
    import cv2
    import numpy as np
    plate_text = render_lane_clip(tmp_path / "frames", plume=False)
    body_frames = tmp_path / "body"
    body_frames.mkdir()
    for i in range(20):
        cv2.imwrite(str(body_frames / ("frame_%05d.jpg" % i)), np.full((240, 320, 3), (30, 160, 30), np.uint8))
    head = RtspFeed(tmp_path / "frames", free_port(), fps=10).start()
    body = RtspFeed(body_frames, free_port(), fps=10).start()
    try:
        data = tomllib.loads(example())
        data["paths"]["state_dir"] = str(tmp_path / "state")
        data["uplink"]["destinations"] = ["yunnan"]
        data["lane"]["site_duties"] = False
        cam = dict(data["cameras"][0])
        data["cameras"] = [dict(cam, rtsp_url=head.url, role="head"),
                           dict(cam, cameraSeq=2, cameraName="A口车身", cameraType="2", rtsp_url=body.url, role="body")]
        data["vision"].update(clip_before_s=4.0, clip_after_s=6.0)
        config = load(Config, data)
        # the first passage may come before the ring holds clip_before_s (models load, the camera
        # starts): wait for a whole clip
        service, _ = await run_lane(config, lambda s: s.clips is not None and s.clips.kept - s.clips.partial >= 1,
                                    timeout_s=150)
    finally:
        head.stop()
        body.stop()
    assert service.passages and service.passages[0]["licensePlate"] == plate_text
    assert set(service.cameras) == {"A口车牌识别", "A口车身"}
    box = Outbox.from_config(config)
    try:
        clips = {box.get(r["record_id"])["record"]["passageId"]: r["record_id"] for r in box.records(kind="clip")}
        with_clip = [p["recordId"] for p in service.passages if p["recordId"] in clips]
        assert with_clip, (service.passages, clips)
        rid = with_clip[-1]
        media = box.load_media(rid)
        assert set(media) == {"carHeadImg", "carImg"}
        assert box.get(clips[rid])["deliveries"] == []                    # kept, not sent
        head_img = cv2.imdecode(np.frombuffer(media["carHeadImg"], np.uint8), cv2.IMREAD_COLOR)
        body_img = cv2.imdecode(np.frombuffer(media["carImg"], np.uint8), cv2.IMREAD_COLOR)
        assert head_img.shape == (360, 640, 3) and body_img.shape == (240, 320, 3)
        assert body_img[200:, 200:].mean(axis=(0, 1))[1] > 120            # the body camera's (green) picture
        durations = []
        for r in with_clip:
            assert box.media_of(clips[r])[CLIP_FIELD].endswith(".mp4")
            path = tmp_path / ("%s.mp4" % r)
            path.write_bytes(box.load_media(clips[r])[CLIP_FIELD])
            with av.open(str(path)) as c:
                v = c.streams.video[0]
                assert v.codec_context.name == "h264"
                durations.append(float(v.duration * v.time_base))
        assert max(durations) >= 9.5, durations     # clip_before_s + clip_after_s, from a keyframe
    finally:
        box.close()
    st = json.loads((tmp_path / "state" / "status.json").read_text(encoding="utf-8"))
    assert st["clips"]["kept"] >= 1 and st["cameras"]["A口车身"]["codec"] == "h264"
