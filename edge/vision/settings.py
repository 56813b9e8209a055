"""`[vision]`: plate reading and smoke grading on the board."""
from edge.settings import section, setting


@section
class VisionSettings:
    threads: int = setting(0, doc="Inference threads (0: the board profile's value).", min=0, max=16)
    models_dir: str = setting("", doc="Directory of .tflite models (empty: the installed models/).")
    plate_variant: str = setting("fp32", doc="Plate model precision: fp32 or fp16 (same reads on the "
                                 "dev set; fp16 halves the files). Loads models/plate_{det,rec}_<variant>.tflite.",
                                 pattern=r"fp32|fp16|dr8", rule="must be fp32, fp16 or dr8")
    plate_detect_threshold: float = setting(0.3, doc="Minimum plate-detector score for a plate to be read.",
                                            min=0.05, max=0.99)
    plate_zoom: bool = setting(False, doc="The lane: when a frame gives no valid plate read, read it again "
                               "as overlapping tiles, 2x2 at 720p, 3x3 at 1080p (finds plates narrower than "
                               "~120 px in a 1080p frame). Costs 4 or 9 detector runs on every such frame, "
                               "empty-lane frames included (~0.2 s per 1080p frame on one core, tools/bench_lpr.py); "
                               "turn on only when the camera cannot frame plates at least 150 px wide. "
                               "`edge lpr` zooms by default (photos of any framing; --no-zoom).")
    plate_min_confidence: float = setting(0.0, doc="Drop reads below this confidence (0: report all; reads "
                                          "that break the national plate formats carry confidence x0.2).",
                                          min=0.0, max=1.0)
    plate_color_prior: bool = setting(True, doc="Weigh the plate colour by how often the read's kind is issued in it "
                                      "(edge/vision/plates/formats.py KIND_COLOR_PRIOR: a 7-character civil plate is blue "
                                      "or yellow, black or white only by rare exception), so a dark or colour-cast blue "
                                      "plate is not reported black. Turn off only at a site whose ordinary-format plates "
                                      "really are black or white (legacy foreign-vehicle plates); 港/澳/使/领/警 plates "
                                      "are not affected.")
    plate_color_polarity: bool = setting(True, doc="Weigh the plate colour by the side its characters are on (white on "
                                         "blue and black plates, dark on yellow, white and green ones: "
                                         "edge/vision/plates/color.py ink_polarity), which a colour cast cannot move, so a "
                                         "blue plate under orange or sodium light is not reported yellow. Turn off only "
                                         "to compare with the colour decision before it.")
    ring_s: float = setting(120.0, doc="Seconds of each camera's encoded stream kept in RAM, for the clips of passages and\n"
                            "photos of a past moment (a 4 Mbit/s camera: ~30 MB a minute). A passage's clip runs from\n"
                            "[lane] clip_pre_s before the arrival to clip_post_s after the leaving: a vehicle that waits\n"
                            "longer than this (a manual entry) gets a clip of its last ring_s seconds only.",
                            min=15, max=600)
    ring_mb: float = setting(96.0, doc="Upper bound of each camera's ring in MB (what comes first, ring_s or ring_mb, limits it).",
                             min=4, max=1024)
    decode_threads: int = setting(0, doc="Decoder threads per camera (0: FFmpeg's choice; slice threads add no delay).",
                                  min=0, max=16)


def check_roi(v):
    """An ROI setting: [] (the whole frame) or [x, y, w, h] in pixels (the smoke and presence ROIs)."""
    if v == []:
        return None
    if len(v) != 4:
        return "must be [] (whole frame) or [x, y, w, h] in pixels"
    x, y, w, h = v
    if x < 0 or y < 0 or w < 8 or h < 8:
        return "must be [x, y, w, h] with x, y ≥ 0 and w, h ≥ 8 pixels"
    return None


@section
class PresenceSettings:
    """`[lane.presence]`: the camera vehicle trigger (edge/vision/presence.py)."""
    camera: str = setting("", doc="cameraName of the [[cameras]] entry watched for vehicles (empty: the head camera).")
    roi: list[int] = setting(
        [], doc="The part of the lane a vehicle stands in at the barrier, [x, y, w, h] in pixels of the camera\n"
                "frame ([]: the whole frame). Keep passing traffic and the sky out of it.",
        rule="[] or [x, y, w, h], x, y ≥ 0, w, h ≥ 8", check=check_roi)
    fps: float = setting(5.0, doc="Frames compared per second at most (enter_frames and leave_frames count these;\n"
                         "the plate camera's frames come at the plate reader's pace, which may be slower).", min=1, max=30)
    enter_fraction: float = setting(0.25, doc="Share of the ROI that must have changed against the empty lane for a\n"
                                    "frame to count as occupied (a truck front at the barrier: ~0.4-0.6).",
                                    min=0.02, max=0.95)
    leave_fraction: float = setting(0.12, doc="Below this share a frame counts as empty again (below enter_fraction:\n"
                                    "hysteresis).", min=0.01, max=0.9)
    enter_frames: int = setting(3, doc="Consecutive occupied frames before a vehicle counts as arrived.", min=1, max=100)
    leave_frames: int = setting(5, doc="Consecutive empty frames before the vehicle counts as gone.", min=1, max=300)
    min_ncc: float = setting(0.5, doc="A tile whose pattern correlates less than this with the empty lane has changed.",
                             min=0.0, max=0.99)
    adapt_s: float = setting(20.0, doc="Time constant with which the empty-lane reference follows slow light changes\n"
                             "(only while the lane is empty, only where nothing changed).", min=1.0)
    width: int = setting(128, doc="The ROI is compared at this width (pixels, a multiple of 8).", min=32, max=640,
                         check=lambda v: None if v % 8 == 0 else "must be a multiple of 8")

    def validate(self):
        if self.leave_fraction >= self.enter_fraction:
            yield ("leave_fraction", "must be below enter_fraction (%g)" % self.enter_fraction)
