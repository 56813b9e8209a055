"""The camera vehicle trigger (VehiclePresence): rendered lane views (tools/lane_scene.py) as
stills and over the real RTSP feed. A truck is noticed whether or not its plate can be read;
light changes, shadows and headlights at night are not vehicles.

These scenes come from our own renderer, on which the thresholds were chosen: they show the
behaviour, not a held-out accuracy (see README "Camera, clips and the camera trigger")."""
import time

import numpy as np
import pytest

from edge.vision.presence import VehiclePresence
from tools.lane_scene import Lane

ROI = (150, 260, 980, 460)          # the lane in front of the barrier, 1280x720 frames
SEEDS = (3, 11, 12)                 # three lanes (asphalt, patches, cracks differ)


def learnt(lane, roi=ROI, night=False, **kw):
    p = VehiclePresence(roi, **kw)
    for i in range(8):
        f = lane.empty()
        p.feed(Lane.night(f, rng=np.random.default_rng(100 + i)) if night else f, i * 0.2)
    assert p.reference.ready and not p.present
    return p


def run(p, frames, t0=10.0):
    """Feed frames; the changes feed() reported, in order."""
    out = []
    for i, f in enumerate(frames):
        r = p.feed(f, t0 + i * 0.2)
        if r is not None:
            out.append(r)
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_empty_lane_never_triggers(seed):
    lane = Lane(seed)
    p = learnt(lane)
    assert run(p, [lane.empty() for _ in range(30)]) == []
    assert p.occupancy < 0.05


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("plate", ["readable", "blurred", "none"])
def test_a_truck_triggers_whether_or_not_its_plate_can_be_read(seed, plate):
    lane = Lane(seed)
    p = learnt(lane)
    frames = [lane.truck(plate, 0.7) for _ in range(6)] + [lane.empty() for _ in range(8)]
    assert run(p, frames) == [True, False]
    assert not p.present


@pytest.mark.parametrize("colour", [(230, 230, 225), (105, 105, 105), (40, 140, 60)], ids=["white", "grey", "green"])
def test_trucks_the_colour_of_the_road_or_the_sky_trigger_too(colour):
    lane = Lane(21)
    p = learnt(lane)
    assert run(p, [lane.truck("blurred", 0.7, colour=colour) for _ in range(5)]) == [True]


def test_the_plate_reader_reads_the_readable_truck_and_nothing_on_the_blurred_one():
    """What makes the camera trigger necessary: the blurred truck gives the reader nothing."""
    from edge.vision.plates.reader import PlateReader
    reader = PlateReader(threads=1, zoom=False)
    lane = Lane(11)
    readable = lane.truck("readable", 0.7)
    assert [r["plate"] for r in reader.read(readable)] == [lane.last_text]
    blurred = lane.truck("blurred", 0.7)
    assert reader.read(blurred) == []
    p = learnt(lane)
    assert run(p, [blurred] * 4) == [True]


@pytest.mark.parametrize("seed", SEEDS)
def test_light_changes_and_shadows_do_not_trigger(seed):
    lane = Lane(seed)
    for changed in (lambda f: Lane.relight(f, 0.4, (1.0, 0.9, 0.75), 0.5),      # dusk, warm, uneven
                    lambda f: Lane.relight(f, 1.6, (0.9, 1.0, 1.1), 0.3),       # sun out, exposure up
                    lambda f: Lane.shadow(f, [(100, 300), (1000, 320), (1100, 720), (100, 720)], 0.6),
                    lambda f: Lane.shadow(f, [(0, 400), (700, 300), (900, 720), (0, 720)], 0.5)):
        p = learnt(lane)
        assert run(p, [changed(lane.empty()) for _ in range(3)] * 4) == [], p.occupancy


def test_headlights_at_night_do_not_trigger_but_the_truck_behind_them_does():
    lane = Lane(3)
    p = learnt(lane, night=True)
    lights = [Lane.headlights(Lane.night(lane.empty(), rng=np.random.default_rng(i)), [(560, 250), (720, 250)])
              for i in range(4)] * 3
    assert run(p, lights) == [], p.occupancy      # the beam's pool on the road is light, not a vehicle
    truck = [Lane.headlights(Lane.night(lane.truck("none", 0.7), rng=np.random.default_rng(i)),
                             [(480, 520), (800, 520)], 30) for i in range(5)]
    assert run(p, truck) == [True]


def test_slow_light_drift_is_learnt_and_a_truck_is_still_seen_after_it():
    lane = Lane(12, size=(640, 360))
    roi = (75, 130, 490, 230)
    p = learnt(lane, roi, adapt_s=5.0)
    # dusk in 200 frames: the light falls to 35 % and turns warm

    def dusk(f, k):
        return Lane.relight(f, 1 - 0.65 * k / 199, (1.0, 1 - 0.1 * k / 199, 1 - 0.25 * k / 199), 0.0)
    empties = [lane.empty() for _ in range(4)]
    assert run(p, [dusk(empties[k % 4], k) for k in range(200)]) == []
    assert p.reference.image.mean() < 0.5 * learnt(lane, roi).reference.image.mean()   # it followed the light
    assert run(p, [dusk(lane.truck("blurred", 0.7), 199) for _ in range(4)], t0=100.0) == [True]


def test_hysteresis_needs_n_frames_to_enter_and_m_to_leave():
    lane = Lane(3)
    p = learnt(lane, enter_frames=3, leave_frames=5)
    truck, empty = lane.truck("none", 0.7), lane.empty()
    assert run(p, [truck, truck, empty, truck, truck]) == []          # never 3 in a row
    assert run(p, [truck]) == [True]
    assert run(p, [empty] * 4 + [truck] + [empty] * 4) == []          # a gap of 4 is not leaving
    assert run(p, [empty]) == [False]
    assert p.status()["present"] is False and p.status()["ready"] is True


def test_nothing_is_reported_until_the_empty_lane_is_learnt_and_relearn_starts_over():
    lane = Lane(3)
    p = VehiclePresence(ROI)
    assert [p.feed(lane.empty(), i * 0.2) for i in range(3)] == [None] * 3 and not p.reference.ready
    p = learnt(lane)
    run(p, [lane.truck("none", 0.8)] * 4)
    assert p.present
    p.relearn()
    assert not p.present and not p.reference.ready
    assert run(p, [lane.truck("none", 0.8)] * 10) == []   # the new reference is what is there now


def test_roi_outside_the_frame_is_a_clear_error():
    p = VehiclePresence((1200, 700, 200, 100))
    with pytest.raises(ValueError, match=r"\[lane.presence\] roi \[1200, 700, 200, 100\] is outside the 1280x720 frame"):
        p.feed(Lane(3).empty(), 0.0)


# ---------------------------------------------------------------- over the real RTSP feed

def test_over_the_rtsp_feed_one_arrival_and_one_departure_per_truck(tmp_path):
    import cv2
    from edge.vision.camera import CameraSource
    from tests.lane.rtsp import RtspFeed, free_port, has_gstreamer
    if not has_gstreamer():
        pytest.skip("GStreamer RTSP server (python3-gi) not installed")
    lane = Lane(5, size=(640, 360))
    roi = (75, 130, 490, 230)
    frames = [lane.empty() for _ in range(20)]                                  # empty lane
    frames += [lane.truck("blurred", d) for d in np.linspace(0.1, 0.7, 10)]    # an unreadable truck comes
    frames += [lane.truck("blurred", 0.7) for _ in range(20)]                  # waits at the barrier
    frames += [lane.empty() for _ in range(30)]                                 # and is gone
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, f in enumerate(frames):
        cv2.imwrite(str(folder / ("frame_%05d.jpg" % i)), f, [cv2.IMWRITE_JPEG_QUALITY, 90])
    feed = RtspFeed(folder, free_port(), fps=10).start()
    cam = CameraSource(feed.url).start()
    p = VehiclePresence(roi)
    events, seq = [], 0
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end and len(events) < 4:      # two loops of the clip: two trucks
            f = cam.wait_next(seq, 5)
            if f is None:
                continue
            seq = f.seq
            r = p.feed(f.image, f.t_mono)
            if r is not None:
                events.append(r)
    finally:
        cam.stop()
        feed.stop()
    assert events == [True, False, True, False], (events, p.status())


def test_frames_faster_than_fps_are_not_compared():
    lane = Lane(3)
    p = VehiclePresence(ROI, fps=5.0)
    for i in range(8):
        p.feed(lane.empty(), i * 0.2)
    truck = lane.truck("none", 0.7)
    # 3 frames 0.05 s apart count as one compared frame: not yet 3 occupied frames
    assert [p.feed(truck, 10.0 + k * 0.05) for k in range(3)] == [None] * 3 and not p.present
    assert [p.feed(truck, 10.2), p.feed(truck, 10.4)] == [None, True]
