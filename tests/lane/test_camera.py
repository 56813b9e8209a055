"""CameraSource against the real GStreamer RTSP server: frames, server death, reconnect, the
ring of the encoded stream, clips by stream copy (checked packet by packet against the ring,
and played in headless Chromium), past frames, credentials kept out of status and logs."""
import asyncio
import json
import logging
import shutil
import tempfile
import time

import av
import pytest

from edge.vision.camera import CameraSource, ClipError, mask_url
from tests.lane.rtsp import RtspFeed, free_port, has_gstreamer, read_counter, write_counter_frames, write_frames

needs_rtsp = pytest.mark.skipif(not has_gstreamer(), reason="GStreamer RTSP server (python3-gi) not installed")
FPS = 10          # the feed: 10 fps, a keyframe every 10 frames (1 s GOP)
GOP_S = 1.0


def wait_for(cond, timeout_s=20.0):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def counter_frames(tmp_path_factory):
    return write_counter_frames(tmp_path_factory.mktemp("counter"), 100)


@pytest.fixture
def live(counter_frames):
    """A running feed of counter frames and a camera reading it (ring filled for ~4 s)."""
    feed = RtspFeed(counter_frames, free_port(), fps=FPS).start()
    cam = CameraSource(feed.url, name="test", open_timeout_s=5, read_timeout_s=3, ring_s=30).start()
    try:
        assert cam.wait_next(0, 20) is not None, cam.status()
        assert cam.ring.wait_past(time.time() + 4.0, 20)
        yield feed, cam
    finally:
        cam.stop()
        feed.stop()


def test_mask_url_hides_password():
    assert mask_url("rtsp://admin:Hik12345@10.0.0.5:554/ch1") == "rtsp://admin:***@10.0.0.5:554/ch1"
    assert mask_url("rtsp://127.0.0.1:8554/lane") == "rtsp://127.0.0.1:8554/lane"


@needs_rtsp
def test_reads_frames_then_survives_server_death_and_reconnects(tmp_path):
    feed = RtspFeed(write_frames(tmp_path / "frames"), free_port()).start()
    health = []
    cam = CameraSource(feed.url, open_timeout_s=3, read_timeout_s=1.5, stale_after_s=1.0,
                       reconnect_min_s=0.2, reconnect_max_s=1.0, on_health=lambda ok, why: health.append(ok)).start()
    try:
        f1 = cam.wait_next(0, 20)
        assert f1 is not None and f1.image.shape == (240, 320, 3)
        f2 = cam.wait_next(f1.seq, 5)
        assert f2 is not None and f2.seq > f1.seq and f2.t_wall >= f1.t_wall
        st = cam.status()
        assert st["connected"] and not st["stale"]
        assert st["codec"] == "h264" and st["size"] == [320, 240]
        assert wait_for(lambda: (cam.status()["fps"] or 0) > 0 and cam.status()["decode_ms"] is not None, 10)
        assert wait_for(lambda: health == [True], 10), health

        feed.stop()  # the camera dies
        assert wait_for(lambda: cam.status()["stale"], 10)
        assert wait_for(lambda: health == [True, False], 10), health
        seq_dead = cam.latest().seq

        feed = RtspFeed(feed.frames, feed.port).start()  # and comes back
        f3 = cam.wait_next(seq_dead, 30)
        assert f3 is not None, cam.status()
        assert cam.reconnects >= 1
        assert not cam.status()["stale"]
        assert wait_for(lambda: health == [True, False, True], 10), health
    finally:
        cam.stop()
        feed.stop()


def test_unreachable_camera_reports_error_without_blocking():
    cam = CameraSource("rtsp://127.0.0.1:%d/none" % free_port(), open_timeout_s=0.5, read_timeout_s=0.5,
                       reconnect_min_s=0.05, reconnect_max_s=0.1).start()
    try:
        assert wait_for(lambda: cam.reconnects >= 2, 15)
        st = cam.status()
        assert st["connected"] is False and st["stale"] is True
        assert st["last_error"].startswith("cannot open stream"), st["last_error"]
        assert cam.wait_next(0, 0.2) is None
        with pytest.raises(ClipError, match="camera .*: no video in the ring"):
            cam.clip(time.time() - 2, time.time() - 1, timeout_s=0.2)
    finally:
        cam.stop()


def test_credentials_stay_out_of_status_errors_and_logs(caplog):
    url = "rtsp://admin:S3cret-Pw@127.0.0.1:%d/ch1" % free_port()
    with caplog.at_level(logging.INFO, logger="edge.vision.camera"):
        cam = CameraSource(url, open_timeout_s=0.5, read_timeout_s=0.5, reconnect_min_s=0.05,
                           reconnect_max_s=0.1).start()
        try:
            assert wait_for(lambda: cam.reconnects >= 1, 15)
            st = json.dumps(cam.status())
        finally:
            cam.stop()
    assert "S3cret-Pw" not in st and "admin:***@" in st
    assert "S3cret-Pw" not in caplog.text and "cannot open stream" in caplog.text


# ---------------------------------------------------------------- clips from the ring

def nals(data: bytes, length_prefixed: bool) -> list[bytes]:
    """The NAL units of an H.264 access unit: Annex B (as RTSP delivers) or 4-byte length
    prefixed (as MP4 stores), so both can be compared byte for byte."""
    if length_prefixed:
        out, i = [], 0
        while i + 4 <= len(data):
            n = int.from_bytes(data[i:i + 4], "big")
            out.append(data[i + 4:i + 4 + n])
            i += 4 + n
        return out
    parts = data.replace(b"\x00\x00\x00\x01", b"\x00\x00\x01").split(b"\x00\x00\x01")
    return [p.rstrip(b"\x00") for p in parts if p]


@needs_rtsp
def test_clip_is_the_cameras_own_h264_covering_the_span(live, tmp_path):
    feed, cam = live
    now = time.time()
    start, end = now - 2.5, now + 1.5
    clip = cam.cut(start, end, timeout_s=20)
    assert clip.complete and clip.codec == "h264"
    data = clip.data
    # MP4 with the index in front (+faststart): a browser can play it while it downloads
    assert data[4:8] == b"ftyp" and 0 < data.find(b"moov") < data.find(b"mdat")
    # starts at the keyframe at or before `start`, ends at the first packet at or after `end`
    assert start - GOP_S - 0.3 <= clip.start_wall <= start
    assert end <= clip.end_wall <= end + 0.5
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        assert v.codec_context.name == "h264" and (v.codec_context.width, v.codec_context.height) == (640, 360)
        duration = float(v.duration * v.time_base)
        assert end - start - 0.3 <= duration <= end - start + GOP_S + 0.5, duration
        packets = [p for p in c.demux(v) if p.size]
        assert packets[0].is_keyframe and packets[0].pts == 0     # rebased to 0
        c.seek(0)
        frames = [f.to_ndarray(format="bgr24") for f in c.decode(v)]
    # every frame decodes, in order: the counter steps by one (mod the feed's 100-frame loop)
    counts = [read_counter(f) for f in frames]
    assert len(frames) == len(packets) >= (end - start) * FPS - 3
    assert all((b - a) % 100 == 1 for a, b in zip(counts, counts[1:])), counts
    # stream copy, no re-encode: the clip's packets are the ring's packets, NAL for NAL
    ring, _ = cam.ring.span(start, end)
    assert len(ring) == len(packets)
    for rp, cp in zip(ring, packets):
        assert nals(bytes(cp), True) == [n for n in nals(rp.data, False) if n[0] & 0x1F not in (7, 8, 9)] \
            or nals(bytes(cp), True) == nals(rp.data, False)
    # and the codec parameters are the camera's: its SPS and PPS are in the MP4's avcC
    sps_pps = [n for n in nals(cam.stream.extradata, False) if n[0] & 0x1F in (7, 8)]
    with av.open(str(path)) as c:
        avcc = c.streams.video[0].codec_context.extradata
    assert sps_pps and all(n in avcc for n in sps_pps)


@needs_rtsp
def test_clip_older_than_the_ring_is_a_one_line_error_or_a_partial_clip(live):
    _, cam = live
    now = time.time()
    with pytest.raises(ClipError) as e:
        cam.clip(now - 100, now - 95, timeout_s=1)
    assert "the ring starts at" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(ClipError, match="after the clip's start"):
        cam.clip(now - 100, now, timeout_s=5)
    part = cam.cut(now - 100, now, timeout_s=5, partial=True)
    assert not part.complete and part.frames > 0 and part.start_wall > now - 100


@needs_rtsp
def test_clip_waits_for_its_end_and_gives_up_on_a_stalled_stream_with_one_line(live):
    feed, cam = live
    end = time.time() + 1.0
    data = cam.clip(end - 2.0, end, timeout_s=20)   # blocks until the camera sent video past `end`
    assert cam.ring.snapshot()[-1].wall >= end and len(data) > 1000
    feed.stop()
    with pytest.raises(ClipError, match="no video after .* before the clip's end"):
        cam.clip(time.time() - 2, time.time() + 30, timeout_s=2)


@needs_rtsp
def test_clip_across_a_reconnect_plays_through(counter_frames, tmp_path):
    feed = RtspFeed(counter_frames, free_port(), fps=FPS).start()
    cam = CameraSource(feed.url, open_timeout_s=3, read_timeout_s=1.5, reconnect_min_s=0.2,
                       reconnect_max_s=0.5).start()
    try:
        assert cam.wait_next(0, 20) is not None
        t0 = time.time()
        assert cam.ring.wait_past(t0 + 2, 20)
        feed.stop()
        assert wait_for(lambda: cam.status()["stale"], 10)
        feed = RtspFeed(counter_frames, feed.port, fps=FPS).start()
        assert wait_for(lambda: cam.stream is not None and cam.stream.gen == 2, 30), cam.status()
        t1 = time.time()
        assert cam.ring.wait_past(t1 + 2, 20)
        clip = cam.cut(t0, time.time(), timeout_s=10)
    finally:
        cam.stop()
        feed.stop()
    path = tmp_path / "across.mp4"
    path.write_bytes(clip.data)
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        pts = [f.pts for f in c.decode(v)]
        duration = float(v.duration * v.time_base)
    assert len(pts) >= 30 and pts == sorted(pts) and len(set(pts)) == len(pts)
    assert duration >= t1 + 2 - t0 - GOP_S  # both connections, the gap kept as wall time


@needs_rtsp
def test_past_frames_are_decoded_from_the_ring(live):
    _, cam = live
    latest = cam.latest()
    again = cam.frame_at(latest.t_wall, timeout_s=5)
    assert again is not None and read_counter(again.image) == read_counter(latest.image)
    frames = cam.frames_between(latest.t_wall - 2.0, latest.t_wall, step_s=0.45)
    assert 4 <= len(frames) <= 6
    counts = [read_counter(f.image) for f in frames]
    assert all((b - a) % 100 in (4, 5, 6) for a, b in zip(counts, counts[1:])), counts
    assert cam.frame_at(time.time() - 300, timeout_s=0.1) is None   # older than the ring


# ---------------------------------------------------------------- in the browser

PAGE = """<!doctype html><html><body>
<video id=v muted preload=auto src="clip.mp4"></video><canvas id=c width=640 height=360></canvas>
<pre id=out>pending</pre><pre id=done></pre>
<script>
// Seek to each time, draw the frame on a canvas, read its counter: what Chromium decoded.
const v = document.getElementById('v'), seen = [], targets = TARGETS;
const ctx = document.getElementById('c').getContext('2d', {willReadFrequently: true});
function counter() {
  ctx.drawImage(v, 0, 0, 640, 360);
  let count = 0;
  for (let b = 0; b < 8; b++) {
    const d = ctx.getImageData(8 + b * 40 + 8, 16, 16, 16).data;
    let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i];
    if (s / (d.length / 4) > 160) count |= 1 << b;
  }
  return count;
}
function finish(extra) {
  document.getElementById('done').textContent = JSON.stringify(Object.assign({readyState: v.readyState,
    duration: v.duration, width: v.videoWidth, height: v.videoHeight, seen: seen}, extra));
}
v.addEventListener('error', () => finish({error: v.error && v.error.code}));
v.addEventListener('loadeddata', () => { seen.push(counter()); v.currentTime = targets.shift(); }, {once: true});
v.addEventListener('seeked', () => {
  seen.push(counter());
  if (targets.length) v.currentTime = targets.shift(); else finish({});
});
</script></body></html>"""


@needs_rtsp
@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed (bash tools/dev setup)")
async def test_clip_plays_in_headless_chromium(live, tmp_path, aiohttp_server):
    """Served like the status page serves media (aiohttp, with Range requests: a browser seeks
    in a video only when the server answers ranges)."""
    from aiohttp import web
    _, cam = live
    now = time.time()
    clip = await asyncio.to_thread(cam.cut, now - 3, now, 10)
    site = tmp_path / "site"
    site.mkdir()
    (site / "clip.mp4").write_bytes(clip.data)
    targets = [1.0, 2.05]
    (site / "index.html").write_text(PAGE.replace("TARGETS", json.dumps(targets)))
    with av.open(str(site / "clip.mp4")) as c:     # what PyAV decodes
        frames = [(f.time, read_counter(f.to_ndarray(format="bgr24"))) for f in c.decode(c.streams.video[0])]
    # the frame on screen at time x: the last one presented at or before x
    expected = [frames[0][1]] + [[n for t, n in frames if t <= x + 1e-3][-1] for x in targets]

    app = web.Application()
    app.router.add_static("/", site)
    server = await aiohttp_server(app)
    with tempfile.TemporaryDirectory() as profile:
        proc = await asyncio.create_subprocess_exec(
            "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--mute-audio",
            "--user-data-dir=" + profile, "--virtual-time-budget=30000", "--dump-dom",
            "http://127.0.0.1:%d/index.html" % server.port,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
        dom = (await asyncio.wait_for(proc.communicate(), 120))[0].decode()
    got = json.loads(dom.split('<pre id="done">')[1].split("</pre>")[0])
    assert "error" not in got, got           # MEDIA_ERR_SRC_NOT_SUPPORTED would be {"error": 4}
    assert got["readyState"] >= 2 and (got["width"], got["height"]) == (640, 360)
    assert abs(got["duration"] - clip.duration_s) < 0.5, (got, clip.duration_s)
    assert got["seen"] == expected, (got, frames)   # Chromium decoded the very frames PyAV did
