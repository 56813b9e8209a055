"""Models: the plate models load with the board's threads/delegate and read the bundled test plate
(models/selftest_plate.jpg, rendered by tools/lpr/render.py; its plate in selftest_plate.json);
the smoke model loads when a smoke camera is configured."""
from __future__ import annotations

import json
import time

from edge.doctor import fail, ok

FIX = "reinstall the models (tools/install.sh copies models/ to /usr/share/edge/models) or fix [vision] models_dir"


def check_models(env):
    from edge.vision.interpreter import models_dir
    v = env.config.vision
    folder = models_dir(v.models_dir)
    meta_path = folder / "selftest_plate.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return fail("models", "no test plate in %s (%s)" % (folder, getattr(e, "strerror", None) or e), FIX)
    import cv2
    image = cv2.imread(str(folder / meta["image"]))
    if image is None:
        return fail("models", "cannot read %s" % (folder / meta["image"]), FIX)
    from edge.vision.plates.reader import PlateReader
    threads = v.threads or (env.board.inference.threads if env.board else 1)
    delegate = env.board.inference.delegate if env.board else ""
    t = time.monotonic()
    try:
        reader = PlateReader(str(folder), 1, delegate, variant=v.plate_variant,
                             score_threshold=v.plate_detect_threshold, min_confidence=v.plate_min_confidence)
        t_load = time.monotonic() - t
        t = time.monotonic()
        reads = reader.read(image)
        t_read = time.monotonic() - t
    except Exception as e:
        return fail("models", "the plate models do not load from %s: %s" % (folder, e), FIX)
    got = [(r["plate"], r["color"]) for r in reads]
    if (meta["plate"], meta["color"]) not in got:
        return fail("models", "test plate %s (%s) read as %s" % (meta["plate"], meta["color"],
                                                                 ", ".join("%s (%s)" % g for g in got) or "nothing"),
                    FIX + "; the model files may be damaged")
    found = "%s variant %s read %s (loaded in %.1f s, read in %.0f ms; lane uses %d threads%s)" % (
        folder, v.plate_variant, meta["plate"], t_load, t_read * 1000, threads,
        ", delegate " + delegate if delegate else "")
    if env.config.smoke.camera:
        from edge.vision.smoke.grader import VARIANTS, SmokeGrader
        try:  # both variants, as the lane builds them: shapes and the calibration file checked too
            weight = env.config.smoke.grader_none_weight  # [smoke] none_weight, as the lane takes it
            graders = [SmokeGrader(str(folder), 1, variant=var, none_weight=weight) for var in VARIANTS
                       if (folder / ("smoke_ringelmann_%s.tflite" % var)).is_file()]
        except Exception as e:
            return fail("models", "smoke model does not load: %s" % e, FIX)
        if not graders:
            return fail("models", "no smoke_ringelmann_*.tflite in %s" % folder, FIX)
        ref = graders[0].ref_cnn
        found += "; smoke model loads (%s, none weight %g)" % (
            "reference and crop-only" if ref else "crop-only: no reference model", (ref or graders[0].crop_cnn).none_weight)
    return ok("models", found)
