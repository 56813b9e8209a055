"""Camera settings and photos: `[[cameras]] role`, `[vision]` ring and clip span, `[lane]
trigger` and `[lane.presence]` — each bad value named with its rule; which camera gives which
photo; the sharpest frame as the head photo when no plate was read."""
import cv2
import numpy as np
from edge import config as cfg
from edge.vision.photos import best_frame, camera_roles, sharpness, take_photos
from edge.vision.presence import VehiclePresence
from tests.foundation.test_config import MINIMAL, problems

def camera(seq, name, ctype="1", url="rtsp://127.0.0.1:8554/lane", role=None):
    out = ('\n[[cameras]]\ncameraSeq = %d\ncameraName = "%s"\ncameraType = "%s"\ncameraModel = "m"\n'
           'manufacturer = "x"\ninstallDate = "20250101"\ncameraIp = "1.2.3.4"\ncameraHost = "554"\n'
           'rtsp_url = "%s"\n' % (seq, name, ctype, url))
    return out + ('role = "%s"\n' % role if role is not None else "")


def test_roles_name_the_head_and_body_cameras_or_default_to_the_only_plate_camera():
    c = cfg.parse(MINIMAL + camera(1, "plate"))
    r = camera_roles(c.cameras)
    assert r["head"].cameraName == "plate" and r["body"] is None
    c = cfg.parse(MINIMAL + camera(1, "front", role="head") + camera(2, "side", "2", role="body"))
    r = camera_roles(c.cameras)
    assert (r["head"].cameraName, r["body"].cameraName) == ("front", "side")
    # two plate cameras and no role: the first one
    assert camera_roles(cfg.parse(MINIMAL + camera(1, "a") + camera(2, "b")).cameras)["head"].cameraName == "a"


def test_role_mistakes_are_named():
    p = problems(MINIMAL + camera(1, "a", role="head") + camera(2, "b", role="head"))
    assert p["cameras"] == "2 cameras have role 'head' (a, b): at most one"
    p = problems(MINIMAL + camera(1, "a", url="", role="body"))
    assert p["cameras"] == "the body camera 'a' has no rtsp_url"
    p = problems(MINIMAL + camera(1, "a", role="front"))
    assert p["cameras[0].role"] == "must be one of '', 'head', 'body', 'smoke'"
    p = problems(MINIMAL + camera(1, "a", role="smoke"))
    assert p["cameras"] == "camera 'a' has role \"smoke\" but [smoke] camera is ''"


def test_the_ring_must_hold_a_passage_clip():
    c = cfg.parse(MINIMAL)
    assert (c.vision.ring_s, c.vision.ring_mb) == (120.0, 96.0)
    p = problems(MINIMAL + "\n[vision]\nring_s = 20.0\n[lane]\nclip_pre_s = 5.0\nclip_post_s = 10.0\n")
    assert p["vision.ring_s"].startswith("must be ≥ [lane] clip_pre_s + clip_post_s + 10 s (25)")
    p = problems(MINIMAL + "\n[vision]\nring_s = 5.0\n")
    assert p["vision.ring_s"] == "must be ≥ 15"


def test_trigger_and_presence_settings():
    c = cfg.parse(MINIMAL)
    assert c.lane.trigger == "loop" and c.lane.presence.roi == []
    c = cfg.parse(MINIMAL + '\n[lane]\ntrigger = "camera"\n[lane.presence]\nroi = [100, 200, 640, 360]\n'
                  'enter_frames = 4\n')
    assert c.lane.trigger == "camera"
    p = VehiclePresence.from_config(c)
    assert p.roi == (100, 200, 640, 360) and p.enter_frames == 4 and p.leave_frames == 5
    p = problems(MINIMAL + '\n[lane]\ntrigger = "radar"\n')
    assert p["lane.trigger"] == "must be one of 'loop', 'camera'"
    p = problems(MINIMAL + "\n[lane.presence]\nroi = [0, 0, 4]\nenter_fraction = 0.1\nleave_fraction = 0.2\n"
                           "width = 100\n")
    assert p["lane.presence.roi"] == "must be [] (whole frame) or [x, y, w, h] in pixels"
    assert p["lane.presence.width"] == "must be a multiple of 8"
    p = problems(MINIMAL + "\n[lane.presence]\nenter_fraction = 0.1\nleave_fraction = 0.2\n")
    assert p["lane.presence.leave_fraction"] == "must be below enter_fraction (0.1)"


def test_the_example_config_renders_the_new_keys():
    text = cfg.example()
    for key in ("role = ", "trigger = \"loop\"", "[lane.presence]", "ring_s = 120.0", "ring_mb = 96.0"):
        assert key in text
    cfg.parse(text)


# ---------------------------------------------------------------- photos

class Frame:
    def __init__(self, image, t_wall=0.0):
        self.image, self.t_wall = image, t_wall


class FakeCamera:
    def __init__(self, frames, latest=None):
        self.frames, self._latest = frames, latest

    def frames_between(self, start, end, step_s=0.0, timeout_s=5.0):
        return [f for f in self.frames if start <= f.t_wall <= end]

    def frame_at(self, wall, timeout_s=5.0):
        inside = [f for f in self.frames if abs(f.t_wall - wall) < 0.5]
        return min(inside, key=lambda f: abs(f.t_wall - wall)) if inside else None

    def latest(self):
        return self._latest


def scene(blur=0.0, value=0):
    rng = np.random.default_rng(1)
    img = (rng.random((240, 320, 3)) * 255).astype(np.uint8)
    img[:20, :20] = value
    return cv2.GaussianBlur(img, (0, 0), blur) if blur else img


def test_the_sharpest_frame_around_the_moment_is_the_head_photo():
    frames = [Frame(scene(4.0, 10), 99.8), Frame(scene(0.0, 200), 100.1), Frame(scene(2.0, 30), 100.3)]
    assert sharpness(frames[1].image) > sharpness(frames[2].image) > sharpness(frames[0].image)
    head = FakeCamera(frames)
    assert best_frame(head, 99.5, 100.5) is frames[1]
    assert best_frame(FakeCamera([], latest=frames[0]), 99.5, 100.5) is frames[0]   # ring gone: the newest


def test_take_photos_head_and_body_or_head_for_both():
    head = FakeCamera([Frame(scene(2.0, 60), 99.9), Frame(scene(0.0, 200), 100.0)], latest=Frame(scene(0.0, 30)))
    body = FakeCamera([], latest=Frame(scene(0.0, 90)))

    def mean(jpg):
        return int(cv2.imdecode(np.frombuffer(jpg, np.uint8), cv2.IMREAD_COLOR)[5:15, 5:15].mean())
    got = take_photos(head, body, head_span=(99.5, 100.5))       # no plate read: sharpest at the barrier
    assert abs(mean(got["carHeadImg"]) - 200) < 8 and abs(mean(got["carImg"]) - 90) < 8
    got = take_photos(head, body)                                # no span: the newest frames
    assert abs(mean(got["carHeadImg"]) - 30) < 8
    # the plate read's own frame wins as the head photo; no body camera: the head photo twice
    got = take_photos(head, None, head_image=scene(0.0, 140), head_span=(99.5, 100.5))
    assert got["carHeadImg"] == got["carImg"] and abs(mean(got["carImg"]) - 140) < 8
    assert take_photos(FakeCamera([]), None, head_span=(1, 2)) == {}       # no frame at all: no field
