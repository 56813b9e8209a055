"""A passage's clip kept with its record: attached after the record was durable, stored and
fsynced like every media file, never sent, pruned after clip_retention_months; and in the
running lane, over the real RTSP feed, each passage record gets its MP4 clip and its photos."""
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
from edge.store.outbox import Outbox, OutboxError
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


def test_attached_clip_is_kept_apart_from_the_upload_and_pruned_after_12_months(tmp_path):
    clock = Clock("2025-01-10 10:00:00")
    box = Outbox(tmp_path, ["yunnan"], clock=clock)
    try:
        box.put(record(1, "2025-01-10 10:00:00"), {"carHeadImg": b"\xff\xd8head", "carImg": b"\xff\xd8body"})
        body_before = box.get("REC%012d" % 1)["record"]
        refs = box.attach_media("REC%012d" % 1, {CLIP_FIELD: (MP4, "mp4")})
        ref = refs[CLIP_FIELD]
        assert ref.startswith("20250110/") and ref.endswith(".mp4")          # the record's day folder
        assert box.media.path(ref).read_bytes() == MP4
        assert box.get("REC%012d" % 1)["record"] == body_before               # the body is untouched
        assert box.load_media("REC%012d" % 1)[CLIP_FIELD] == MP4
        # the uploader loads photos only: a clip is never sent, and a damaged clip never blocks
        # the record's upload
        box.media.path(ref).write_bytes(b"damaged")
        assert set(box.load_media("REC%012d" % 1, "photo")) == {"carHeadImg", "carImg"}
        with pytest.raises(MediaError):
            box.load_media("REC%012d" % 1)
        box.media.path(ref).write_bytes(MP4)
        with pytest.raises(OutboxError, match="no record"):
            box.attach_media("REC%012d" % 9, {CLIP_FIELD: (MP4, "mp4")})
        # retention: delivered, 13 months later the clip goes, the record and photos stay
        rows = box.claim("yunnan", 10)
        box.mark_delivered([(r.id, "ok") for r in rows])
        clock.set("2025-12-01 10:00:00")
        assert Retention(box, usage=lambda: 10.0).run()["clips"] == 0      # < 12 months: kept
        clock.set("2026-02-20 10:00:00")
        report = Retention(box, usage=lambda: 10.0).run()
        assert report["clips"] == 1 and report["expired"] == 0
        assert not box.media.path(ref).exists() and CLIP_FIELD not in box.media_of("REC%012d" % 1)
        assert set(box.load_media("REC%012d" % 1)) == {"carHeadImg", "carImg"}
    finally:
        box.close()


class FakeCamera:
    name = "fake"
    last_error = ""

    def __init__(self, result):
        self.result = result
        self.asked = None

    def cut(self, start, end, timeout_s, partial=False):
        self.asked = (start, end, partial)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


async def test_keeper_keeps_whole_partial_or_no_clip_without_touching_the_record(tmp_path, caplog):
    box = Outbox(tmp_path, ["yunnan"])
    try:
        now = time.time()
        for i in (1, 2, 3):
            box.put(record(i, timeutil.fmt_datetime(timeutil.now())))
        keeper = ClipKeeper(box, before_s=6, after_s=4, wait_s=1)
        whole = FakeCamera(Clip(MP4, now - 6.3, now + 4.1, 100, "h264", True))
        short = FakeCamera(Clip(MP4 + b"x", now - 2, now + 4, 60, "h264", False))
        none = FakeCamera(ClipError("camera fake: the ring starts at 10:00:00.0, after the clip's start"))
        refs = await asyncio.gather(keeper.keep(whole, "REC%012d" % 1, now), keeper.keep(short, "REC%012d" % 2, now),
                                    keeper.keep(none, "REC%012d" % 3, now))
        assert whole.asked == (now - 6, now + 4, True)
        assert refs[0] and refs[1] and refs[2] is None
        assert keeper.status() == {"pending": 0, "kept": 2, "partial": 1, "failed": 1,
                                   "last_error": "record REC000000000003: camera fake: the ring starts at "
                                                 "10:00:00.0, after the clip's start"}
        assert "covers 6.0 s of the 10.0 s asked for" in caplog.text
        assert CLIP_FIELD not in box.media_of("REC%012d" % 3) and box.get("REC%012d" % 3) is not None
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
        with_clip = [p["recordId"] for p in service.passages if CLIP_FIELD in box.media_of(p["recordId"])]
        assert with_clip, service.passages
        rid = with_clip[-1]
        media = box.load_media(rid)
        assert set(media) == {"carHeadImg", "carImg", CLIP_FIELD}
        head_img = cv2.imdecode(np.frombuffer(media["carHeadImg"], np.uint8), cv2.IMREAD_COLOR)
        body_img = cv2.imdecode(np.frombuffer(media["carImg"], np.uint8), cv2.IMREAD_COLOR)
        assert head_img.shape == (360, 640, 3) and body_img.shape == (240, 320, 3)
        assert body_img[200:, 200:].mean(axis=(0, 1))[1] > 120            # the body camera's (green) picture
        path = tmp_path / "passage.mp4"
        path.write_bytes(media[CLIP_FIELD])
        with av.open(str(path)) as c:
            v = c.streams.video[0]
            durations = []
            assert v.codec_context.name == "h264"
        for r in with_clip:
            p2 = tmp_path / ("%s.mp4" % r)
            p2.write_bytes(box.load_media(r)[CLIP_FIELD])
            with av.open(str(p2)) as c:
                durations.append(float(c.streams.video[0].duration * c.streams.video[0].time_base))
        assert max(durations) >= 9.5, durations     # clip_before_s + clip_after_s, from a keyframe
        assert box.media_of(rid)[CLIP_FIELD].endswith(".mp4")
    finally:
        box.close()
    st = json.loads((tmp_path / "state" / "status.json").read_text(encoding="utf-8"))
    assert st["clips"]["kept"] >= 1 and st["cameras"]["A口车身"]["codec"] == "h264"
