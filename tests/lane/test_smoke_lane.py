"""Smoke events in the running lane, with real parts: the GStreamer RTSP server serves a rendered
clip (empty lane, a truck with a readable plate, then — or not — a dark plume in the ROI), the
lane service reads plates AND grades the ROI of the same stream with the committed models,
and stores events in a real SQLite outbox; delivery to a real HJ 212 receiver on 127.0.0.1."""
import asyncio
import json
import time
import tomllib

import av
import cv2
import numpy as np
import pytest

from edge.config import Config, example
from edge.io.board import load_board
from edge.lane.service import LaneService
from edge.lane.smoke import smoke_record_id
from edge.settings import load
from edge.store.outbox import Outbox
from tests.lane.rtsp import RtspFeed, free_port, has_gstreamer
from tools.hj212_sim import Hj212Sim

needs_rtsp = pytest.mark.skipif(not has_gstreamer(), reason="GStreamer RTSP server (python3-gi) not installed")

FPS = 10
W, H = 640, 360
ROI = (400, 120, 192, 192)
CAMERA = "A口车牌识别"
EVENT_KEYS = {"licensePlate", "plateColor", "plateMatch", "smokeLevel", "smokeOpacity", "smokeConfidence",
              "smokeMode", "firstFrame",
              "lastFrame", "firstTime", "lastTime", "frameIndices", "frameLevels"}


def render_lane_clip(folder, plume: bool, seed: int = 11) -> str:
    """frame_%05d.jpg at 10 fps: 3 s empty lane, 2 s truck with a plate, 2.5 s after it
    (a dark plume in the ROI, or the empty lane), 1.5 s empty lane. Returns the plate text."""
    from tools.lpr.render import random_text, render_plate, scene
    from tools.smoke import render as R
    rng = np.random.default_rng(seed)
    text = random_text("blue", rng)
    plate, _ = render_plate(text, "blue", rng)
    truck, _ = scene(plate, rng, size=(W, H))
    # the empty lane: a dim gradient with the (brighter) scene behind the exhaust in the ROI
    x, y, w, h = ROI
    roi_bg = R.background(rng, "gate", None, 64)
    lane = np.empty((H, W, 3), np.uint8)
    lane[:] = (np.linspace(60, 140, H)[:, None, None] * np.array([1.0, 1.0, 0.9])).astype(np.uint8)
    lane[y:y + h, x:x + w] = cv2.resize((roi_bg[..., ::-1] * 255 + 0.5).astype(np.uint8), (w, h))
    frames = [lane] * 30 + [truck] * 20
    if plume:  # black smoke, Beer-Lambert over the ROI background (tools/smoke/render.py)
        medium = R.smoke_colour(rng, "black", 0.9)
        contrast = np.clip(1 - R.luminance(medium) / np.maximum(R.luminance(R.to_linear(roi_bg)), 1e-4), 0, 1)
        _, _, shape = R.plume_density(rng, 64)
        for i in range(25):
            dens, mask, _ = R.plume_density(rng, 64, t=i / FPS, shape=shape)
            img, _ = R.composite(roi_bg, dens, R.solve_k(dens, mask, 0.8, contrast), medium)
            f = lane.copy()
            f[y:y + h, x:x + w] = cv2.resize((np.clip(img, 0, 1)[..., ::-1] * 255 + 0.5).astype(np.uint8), (w, h))
            frames.append(f)
    else:
        frames += [lane] * 25
    frames += [lane] * 15
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames):
        cv2.imwrite(str(folder / ("frame_%05d.jpg" % i)), f, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return text


def lane_config(state, rtsp_url, hj212_port, smoke_destinations):
    data = tomllib.loads(example())
    data["paths"]["state_dir"] = str(state)
    data["uplink"]["destinations"] = ["hj212"]
    data["uplink"]["hj212"]["port"] = hj212_port
    data["lane"]["site_duties"] = False
    data["cameras"][0]["rtsp_url"] = rtsp_url        # the plate camera is also the smoke camera
    data["smoke"].update(camera=CAMERA, roi=list(ROI), fps=float(FPS), min_frames=4, watch_frames=20,
                         vehicle_hold_s=0.5, reference_refresh_s=1.0, clip_frames=5, clip_width=320,
                         destinations=smoke_destinations)
    data["lane"]["plate_timeout_s"] = 2.0
    data.setdefault("policy", {})["unregistered"] = "allow"   # the clip's truck is in no ledger
    return load(Config, data)


async def loop_follows_the_truck(service, stop):
    """A loop detector for the clip: on while the lane camera reads the truck's plate, off
    0.8 s after the last read (the clip has no loop; the gate needs one to see a vehicle)."""
    on = False
    while not stop.is_set():
        await asyncio.sleep(0.1)
        gate = service.gate
        if gate is None or gate.io is None:
            continue
        recent = gate.last_read_t is not None and time.monotonic() - gate.last_read_t < 0.8
        if recent != on:
            on = recent
            gate.sim_drive("loop", on)


async def run_lane(config, until, timeout_s=90):
    """Run the lane service until `until(service)` holds; returns (service, bus messages)."""
    service = LaneService(config, load_board("sim"))
    got = []
    service.bus.subscribe("site/A01/in/+", lambda t, p: got.append((t, p)))
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    loop_task = asyncio.create_task(loop_follows_the_truck(service, stop))
    try:
        for _ in range(int(timeout_s * 10)):
            await asyncio.sleep(0.1)
            if task.done() or until(service):
                break
        await service.bus.drain()
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await loop_task
    return service, got


async def start_sim():
    sim = Hj212Sim()
    await sim.start()
    return sim


@needs_rtsp
@pytest.mark.parametrize("destinations", [[], ["hj212"]], ids=["kept-locally", "routed-to-hj212"])
async def test_plume_after_a_truck_is_stored_shown_and_announced(tmp_path, destinations):
    plate_text = render_lane_clip(tmp_path / "frames", plume=True)
    feed = RtspFeed(tmp_path / "frames", free_port(), fps=FPS).start()
    sim = await start_sim()
    try:
        config = lane_config(tmp_path / "state", feed.url, sim.port, destinations)
        # the first pass may come before the job has its empty-lane reference (models still
        # loading while the stream starts): wait for an event graded against one
        service, got = await run_lane(config, lambda s: s.smoke is not None and s.smoke.events
                                      and s.smoke.events[-1]["mode"] == "reference")
    finally:
        feed.stop()
        await sim.stop()

    assert service.supervisor.restarts == {}, service.supervisor.restarts
    events = service.smoke.events
    assert 1 <= len(events) <= len(service.passages), (events, service.passages)  # one per truck at most
    box = Outbox.from_config(config)
    try:
        smoke = box.records(kind="smoke")
        assert [r["record_id"] for r in smoke] == [e["recordId"] for e in events]
        stored = box.get(smoke[-1]["record_id"])
        rec = stored["record"]
        # exactly the detector's event record + id, enterprise, gate, camera, time + media refs
        assert set(rec) == EVENT_KEYS | {"recordId", "enterpriseId", "gateId", "cameraName", "eventTime",
                                         "smokeImg", "smokeClip"}
        assert rec["recordId"].startswith("SMK") and rec["gateId"] == "A01" and rec["cameraName"] == CAMERA
        assert len(rec["recordId"]) == len(smoke_record_id("2" * 17, "A01", 1))
        assert rec["smokeLevel"] >= config.smoke.threshold_level
        assert len(rec["frameLevels"]) == config.smoke.min_frames
        assert rec["eventTime"] == rec["firstTime"][:19]
        # the plate the lane read for this truck (front camera) is on the event
        passages = [p["licensePlate"] for p in service.passages]
        assert rec["licensePlate"] == plate_text, (rec["licensePlate"], plate_text, passages)
        assert rec["plateMatch"] == "front" and rec["plateColor"] == "0"   # blue (Yunnan 7.6)
        # photo + clip readable back
        media = box.load_media(rec["recordId"])
        photo = cv2.imdecode(np.frombuffer(media["smokeImg"], np.uint8), cv2.IMREAD_COLOR)
        assert photo.shape == (180, 320, 3)
        # the clip: the smoke camera's own H.264 from its ring (stream copy, MP4), from the
        # frames before the smoky run to past its end
        assert rec["smokeClip"].endswith(".mp4") and stored["created_ms"]
        clip_path = tmp_path / "clip.mp4"
        clip_path.write_bytes(media["smokeClip"])
        with av.open(str(clip_path)) as c:
            v = c.streams.video[0]
            assert v.codec_context.name == "h264" and (v.codec_context.width, v.codec_context.height) == (W, H)
            n = sum(1 for _ in c.decode(v))
        run_s = (config.smoke.min_frames + config.smoke.clip_frames) / config.smoke.fps
        assert n >= run_s * FPS, n
        # delivery rows only where [smoke] destinations says
        assert [d["destination"] for d in stored["deliveries"]] == destinations
        access = [r for r in box.records(kind="access")]
        assert access and all(len(box.get(r["record_id"])["deliveries"]) == 1 for r in access)
    finally:
        box.close()
    # status.json: the event, the last grade, the reference
    st = json.loads((tmp_path / "state" / "status.json").read_text(encoding="utf-8"))
    assert "smoke" in st["jobs"]
    # and in the lane's event log, beside the decisions (edge events --type smoke)
    from edge.lane.eventlog import EventLog
    with EventLog.open(tmp_path / "state") as log_:
        logged = log_.query(types=["smoke"])
    assert [e["recordId"] for e in logged] == [e["recordId"] for e in events]
    assert logged[-1]["level"] == rec["smokeLevel"] and logged[-1]["mode"] in ("reference", "crop")
    sm = st["smoke"]
    assert sm["camera"] == CAMERA and sm["camera_status"]["frames"] > 0
    assert sm["events"][-1]["recordId"] == rec["recordId"] and sm["events"][-1]["smokeLevel"] == rec["smokeLevel"]
    assert sm["events"][-1]["licensePlate"] == plate_text
    assert sm["events"][-1]["mode"] == "reference"   # graded against the empty lane
    assert rec["smokeMode"] == "reference" and 0.3 <= rec["smokeOpacity"] <= 1.0
    assert sm["reference_age_s"] is not None and sm["error"] == ""
    # the bus: the passage, then the smoke event
    topics = [t for t, _ in got]
    assert "site/A01/in/passage" in topics
    smoke_msgs = [p for t, p in got if t == "site/A01/in/smoke"]
    assert [m["recordId"] for m in smoke_msgs] == [e["recordId"] for e in events]


@needs_rtsp
async def test_clean_exhaust_after_a_truck_stores_no_event(tmp_path):
    render_lane_clip(tmp_path / "frames", plume=False)
    feed = RtspFeed(tmp_path / "frames", free_port(), fps=FPS).start()
    sim = await start_sim()
    seen = []

    def watched_and_done(service):
        # the truck passed, its whole watch window was graded, and the detector is idle again
        if service.smoke is None:
            return False
        seen.append(service.smoke.detector.state)
        return "watch" in seen and seen[-1] == "idle" and bool(service.passages)
    try:
        config = lane_config(tmp_path / "state", feed.url, sim.port, [])
        service, got = await run_lane(config, watched_and_done)
    finally:
        feed.stop()
        await sim.stop()
    assert "watch" in seen and seen[-1] == "idle"
    assert service.passages                              # the truck was seen and recorded
    assert service.smoke.events == []
    box = Outbox.from_config(config)
    try:
        assert box.records(kind="smoke") == []
    finally:
        box.close()
    assert [t for t, _ in got if t.endswith("/smoke")] == []


# ---------------------------------------------------------------- the job without a stream

def lane_frames(plume: bool):
    """The rendered clip's frames in memory (BGR), as the camera would hand them over."""
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        render_lane_clip(Path(d), plume=plume)
        return [cv2.imread(str(p)) for p in sorted(Path(d).glob("frame_*.jpg"))]


def smoke_job(tmp_path, **over):
    from edge.lane.events import EventBus
    from edge.lane.smoke import SmokeJob
    from edge.vision.smoke.grader import SmokeGrader
    config = lane_config(tmp_path / "state", "rtsp://127.0.0.1:9/none", 9, [])
    for k, v in over.items():
        setattr(config.smoke, k, v)
    box = Outbox.from_config(config)
    bus = EventBus()
    job = SmokeJob.from_config(config, load_board("sim"), box, bus)
    job.grader = SmokeGrader()
    return job, box, bus


async def test_a_loop_detector_replaces_the_plate_signal_with_one_call(tmp_path):
    job, box, bus = smoke_job(tmp_path)
    got = []
    bus.subscribe("site/A01/in/smoke", lambda t, p: got.append(p))
    frames = lane_frames(plume=True)
    t = 1000.0
    try:
        for i, f in enumerate(frames[:80]):
            job.set_vehicle(30 <= i < 50)        # the loop: occupied while the truck is over it
            job.on_plate("")                      # an unread plate does not keep the vehicle "present"
            await job.step(f, t + i * 0.1)
        await bus.drain()
        assert len(job.events) == 1 and job.events[0]["mode"] == "reference"
        rec = box.get(job.events[0]["recordId"])["record"]
        assert rec["licensePlate"] == "" and rec["plateMatch"] == ""   # no plate read was given
        assert rec["firstFrame"] > 50 and rec["smokeLevel"] >= 2
        assert [p["recordId"] for p in got] == [rec["recordId"]]
    finally:
        box.close()


async def test_a_stale_reference_is_not_used_and_the_event_says_crop(tmp_path):
    # the reference is taken in the first quiet frames; 10 s pass per frame, so it is past
    # reference_max_age_s long before the truck: the frames are graded crop-only, and said so
    job, box, bus = smoke_job(tmp_path, reference_max_age_s=60.0, reference_refresh_s=10000.0)
    frames = lane_frames(plume=True)
    try:
        for i, f in enumerate(frames[:80]):
            job.set_vehicle(30 <= i < 50)
            await job.step(f, 1000.0 + i * 10.0)
            if i == 3:
                assert job.reference is not None and job.last_grade["mode"] == "reference"
        assert job.reference is not None and job.last_grade["mode"] == "crop"
        assert len(job.events) == 1 and job.events[0]["mode"] == "crop"
        assert box.get(job.events[0]["recordId"])["record"]["smokeMode"] == "crop"
    finally:
        box.close()


async def test_the_plate_signal_holds_the_vehicle_and_votes_its_plate():
    from edge.lane.smoke import VehiclePresence
    now = [0.0]
    p = VehiclePresence(1.0, clock=lambda: now[0])
    assert not p.present()
    p.plate_seen()
    now[0] = 0.9
    assert p.present()
    now[0] = 1.2
    assert not p.present()
    p.set_loop(True)          # from now on the loop decides
    now[0] = 50.0
    assert p.present()
    p.set_loop(False)
    p.plate_seen()
    assert not p.present()


async def test_roi_outside_the_frame_is_a_clear_error_shown_in_status(tmp_path):
    from edge.errors import EdgeError
    job, box, _ = smoke_job(tmp_path)
    try:
        with pytest.raises(EdgeError, match=r"\[smoke\] roi of camera 'A口车牌识别': roi 400,120,192,192 is "
                                            r"outside the 320x240 frame"):
            await job.step(np.zeros((240, 320, 3), np.uint8), 1.0)
        assert "outside the 320x240 frame" in job.status()["error"]
    finally:
        box.close()


def test_smoke_record_ids():
    assert smoke_record_id("20261122100005123", "A01", 123456) == "SMK20261122100005123A0123456"
    with pytest.raises(ValueError):
        smoke_record_id("2026112210", "A01", 1)


def test_smoke_none_weight_from_config_reaches_the_lane_grader(tmp_path):
    # [smoke] none_weight = 0 keeps the model's own (no calibration file: 1); a site's value wins
    job, box, _ = smoke_job(tmp_path / "a")
    box.close()
    assert job.make_grader().ref_cnn.none_weight == 1.0
    job, box, _ = smoke_job(tmp_path / "b", none_weight=2.5)
    box.close()
    g = job.make_grader()
    assert g.ref_cnn.none_weight == 2.5 and g.crop_cnn.none_weight == 2.5
