"""Chinese licence plate reading on TFLite: detector, rectifier, recogniser, colour, formats,
and the check against the site's ledger.

    from edge.vision.plates import PlateIndex, PlateReader
    reader = PlateReader(threads=2)
    reads = reader.read(bgr_frame)          # [{plate, color, color_code, color_confidence,
                                            #   color_uncertain, confidence, char_probs, box, ...}]
    reads = reader.read(bgr_frame, ledger=PlateIndex(registered_plates))
                                            # + "ledger": exact|snapped|absent, and when snapped
                                            #   "snapped_from" (the free read) and "snap" (evidence)
"""
from edge.vision.plates.ledger_snap import PlateIndex
from edge.vision.plates.reader import PlateReader

__all__ = ["PlateIndex", "PlateReader"]
