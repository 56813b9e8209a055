"""`[smoke]`: the optional black-smoke camera (Ningxia 4.4.2/4.4.4/4.5.2: optional hardware;
its photos and video are kept for review).

Neither the Yunnan interface spec nor the Ningxia guide defines a smoke field or packet, so
smoke events are kept locally by default (outbox kind "smoke", no delivery rows: nothing
pending, not counted in the access-record transmission rate). `destinations` sends them to
an uplink destination that accepts them (today none has a smoke message: "yunnan" refuses the
kind — kept as rejected — and "hj212" acknowledges it as not applicable).
"""
from typing import Literal

from edge.settings import section, setting
from edge.vision.settings import check_roi as _check_roi


@section
class SmokeSettings:
    camera: str = setting(
        "", doc="cameraName of the [[cameras]] entry (with rtsp_url) that watches behind the exhaust;\n"
                "empty: no smoke camera. It may be the plate camera itself.")
    roi: list[int] = setting(
        [], doc="Region behind the exhaust, [x, y, w, h] in pixels of the camera frame ([]: the whole\n"
                "frame). Checked against the frame size when the stream starts (a clear error if outside).",
        rule="[] or [x, y, w, h], x, y ≥ 0, w, h ≥ 8", check=_check_roi)
    fps: float = setting(10.0, doc="Frames graded per second (the event parameters below count these frames).",
                         min=0.5, max=30)
    threshold_level: int = setting(2, doc="Ringelmann level a frame must reach to count as smoky\n"
                                          "(GB 3847-2018: a diesel vehicle must not exceed level 1).", min=1, max=5)
    min_frames: int = setting(5, doc="Consecutive smoky frames after the vehicle passed that make an event\n"
                                     "(shadows and wet road flicker for a frame or two; smoke hangs).", min=1)
    min_confidence: float = setting(0.5, doc="A frame counts only when the CNN is at least this sure.", min=0.0, max=1.0)
    none_weight: float = setting(
        0.0, doc="Weight on the grader's \"no smoke\" probability before a level is read (0: the model's own,\n"
                 "from its calibration file; 1: the most probable level as is). Above 1, fewer faint views\n"
                 "(wheel dust, clean air) are called level 1, and more real level-1 plumes are missed.\n"
                 "The trade per weight is in models/smoke_ringelmann.md, round 7.", min=0.0, max=20.0)
    watch_frames: int = setting(50, doc="How many frames after the vehicle left are watched for smoke.", min=1)
    settle_frames: int = setting(0, doc="Frames right after the vehicle left that are ignored (its trailing shadow).", min=0)
    vehicle_hold_s: float = setting(
        1.0, doc="Until the loop detector lands, the plate reads are the vehicle signal: the vehicle counts\n"
                 "as in the zone this long after the last frame with its plate.", min=0.0, max=30)
    reference_refresh_s: float = setting(
        30.0, doc="Renew the empty-lane reference (the ROI with no vehicle and no smoke) at most this often.",
        min=1.0)
    reference_max_age_s: float = setting(
        600.0, doc="An empty-lane reference older than this is stale (light changes, a lane that never\n"
                   "goes quiet): frames are then graded from the crop alone (mode \"crop\") until a new one.",
        min=1.0)
    clip_frames: int = setting(10, doc="Frames before the smoky run kept in the event's clip (the run follows).",
                               min=0, max=100)
    clip_width: int = setting(640, doc="Width in pixels the clip and photo frames are scaled to (kept small).",
                              min=64, max=1920)
    destinations: list[Literal["yunnan", "hj212"]] = setting(
        [], doc="Uplink destinations that receive smoke events. Empty: kept locally only (no spec defines\n"
                "a smoke packet). Each must also be in [uplink] destinations.")

    @property
    def grader_none_weight(self):
        """What SmokeGrader takes: None (each model's calibration file) for 0, else the site's weight."""
        return self.none_weight or None

    def validate(self):
        if self.watch_frames < self.min_frames:
            yield ("watch_frames", "must be ≥ min_frames (%d)" % self.min_frames)
