"""CameraSource against the real GStreamer RTSP server: frames, server death, reconnect."""
import time

import pytest

from edge.vision.camera import CameraSource, mask_url
from tests.lane.rtsp import RtspFeed, free_port, has_gstreamer, write_frames

pytestmark = pytest.mark.skipif(not has_gstreamer(), reason="GStreamer RTSP server (python3-gi) not installed")


def wait_for(cond, timeout_s=20.0):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return False


def test_mask_url_hides_password():
    assert mask_url("rtsp://admin:Hik12345@10.0.0.5:554/ch1") == "rtsp://admin:***@10.0.0.5:554/ch1"
    assert mask_url("rtsp://127.0.0.1:8554/lane") == "rtsp://127.0.0.1:8554/lane"


def test_reads_frames_then_survives_server_death_and_reconnects(tmp_path):
    feed = RtspFeed(write_frames(tmp_path / "frames"), free_port()).start()
    cam = CameraSource(feed.url, open_timeout_s=3, read_timeout_s=1.5, stale_after_s=1.0,
                       reconnect_min_s=0.2, reconnect_max_s=1.0).start()
    try:
        f1 = cam.wait_next(0, 20)
        assert f1 is not None and f1.image.shape == (240, 320, 3)
        f2 = cam.wait_next(f1.seq, 5)
        assert f2 is not None and f2.seq > f1.seq
        assert cam.status()["connected"] and not cam.status()["stale"]

        feed.stop()  # the camera dies
        assert wait_for(lambda: cam.status()["stale"], 10)
        seq_dead = cam.latest().seq

        feed = RtspFeed(feed.frames, feed.port).start()  # and comes back
        f3 = cam.wait_next(seq_dead, 30)
        assert f3 is not None, cam.status()
        assert cam.reconnects >= 1
        assert not cam.status()["stale"]
    finally:
        cam.stop()
        feed.stop()


def test_unreachable_camera_reports_error_without_blocking():
    cam = CameraSource("rtsp://127.0.0.1:%d/none" % free_port(), open_timeout_s=0.5, read_timeout_s=0.5,
                       reconnect_min_s=0.05, reconnect_max_s=0.1).start()
    try:
        assert wait_for(lambda: cam.reconnects >= 2, 15)
        st = cam.status()
        assert st["connected"] is False and st["stale"] is True and st["last_error"] == "cannot open stream"
        assert cam.wait_next(0, 0.2) is None
    finally:
        cam.stop()
