"""Chinese licence plate reading on TFLite: detector, rectifier, recogniser, colour, formats.

    from edge.vision.plates import PlateReader
    reads = PlateReader(threads=2).read(bgr_frame)   # [{plate, color, color_code, confidence, box, corners, ...}]
"""
from edge.vision.plates.reader import PlateReader

__all__ = ["PlateReader"]
