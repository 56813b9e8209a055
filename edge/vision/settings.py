"""`[vision]`: plate reading and smoke grading on the board."""
from edge.settings import section, setting


@section
class VisionSettings:
    threads: int = setting(0, doc="Inference threads (0: the board profile's value).", min=0, max=16)
    models_dir: str = setting("", doc="Directory of .tflite models (empty: the installed models/).")
