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
