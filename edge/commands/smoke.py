"""edge smoke [--json] IMAGE_OR_CLIP...  -- grade exhaust smoke on the Ringelmann scale (0-5).

Grading is edge.vision.smoke.grader.SmokeGrader -- the same call the lane makes. The level is
opacity (level N <=> 20 N % of the background hidden; models/smoke_ringelmann.md). An image: one
level, its opacity and confidence, and the mode it was read in: with --background (an
empty-lane frame of the same view, the lane's default) "reference", without it "crop".
A clip (anything OpenCV can decode as video): per-frame levels summarised, and the smoke event
the lane would raise. A file clip carries no loop-detector signal, so `--vehicle FIRST-LAST`
says which frames had the vehicle in the zone (then the clip's first frame, or --background,
is the empty-lane reference); without it the vehicle is taken to have passed just before the
first frame and the frames are graded crop-only unless --background is given.
--json prints one JSON object per input and line, like `edge lpr --json`. A bad input is
reported by name on stderr; the others are still graded and the exit status is 2.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from edge.errors import EdgeError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


def add_arguments(p):
    p.add_argument("inputs", nargs="+", metavar="IMAGE_OR_CLIP")
    p.add_argument("--json", action="store_true", help="one JSON object per input, one per line")
    p.add_argument("--models-dir", metavar="DIR", help="where the smoke_ringelmann*.tflite models are (default: models/)")
    p.add_argument("--variant", choices=("fp32", "int8"), default="fp32", help="model precision (default fp32)")
    p.add_argument("--roi", help="X,Y,W,H: the region behind the exhaust (default: the whole frame)")
    p.add_argument("--background", metavar="IMAGE",
                   help="the same view with no vehicle and no plume: the reference the level is read against")
    p.add_argument("--vehicle", metavar="FIRST-LAST", help="clip frames with the vehicle in the zone")
    from edge.cli import float_range, int_range   # out-of-range values: one line, not a traceback
    p.add_argument("--threshold", type=int_range(0, 5), default=2, help="event: level at or above this (default 2)")
    p.add_argument("--min-frames", type=int_range(1, 10000), default=5, help="event: consecutive frames (default 5)")
    p.add_argument("--min-confidence", type=float_range(0, 1), default=0.5,
                   help="event: per-frame confidence (default 0.5)")
    p.add_argument("--threads", type=int_range(1, 64), default=1, help="inference threads (default 1)")


def _parse_roi(text):
    if not text:
        return None
    try:
        roi = tuple(int(v) for v in text.split(","))
    except ValueError:
        roi = ()
    if len(roi) != 4:
        raise EdgeError("--roi %r: must be X,Y,W,H (four integers)" % text)
    return roi


def _parse_range(text):
    if not text:
        return None
    try:
        a, b = (int(v) for v in text.split("-"))
    except ValueError:
        raise EdgeError("--vehicle %r: must be FIRST-LAST frame numbers, e.g. 5-14" % text) from None
    if a < 0 or b < a:
        raise EdgeError("--vehicle %r: FIRST must be >= 0 and <= LAST" % text)
    return a, b


def _read_image(cv2, path):
    from edge.vision.images import load_image   # bounded: header checked before decoding
    return load_image(path)


def _read_clip(cv2, path):
    from edge.vision.images import ClipFrames   # streamed: one frame in memory, not the clip
    frames = ClipFrames.open(path)
    return frames, frames.fps


def grade_image(grader, image_bgr, roi=None, background_bgr=None):
    from edge.vision.smoke.classifier import crop_roi, to_rgb
    crop = to_rgb(crop_roi(image_bgr, roi))
    ref = None
    if background_bgr is not None:
        ref = to_rgb(crop_roi(background_bgr, roi))
        if ref.shape != crop.shape:
            raise EdgeError("background is %dx%d, the input %dx%d: they must be the same view"
                            % (ref.shape[1], ref.shape[0], crop.shape[1], crop.shape[0]))
    return grader.grade(crop, ref)


def grade_clip(grader, frames, fps, args, roi, vehicle, background=None):
    from edge.vision.smoke.events import SmokeEventDetector
    det = SmokeEventDetector(args.threshold, args.min_frames, args.min_confidence,
                             watch_frames=max(args.min_frames, len(frames)))
    if vehicle is None:  # the vehicle passed just before the clip starts
        det.feed({"index": -1, "level": 0, "confidence": 0.0, "vehicle": True})
    # the empty lane: --background, else the clip's first frame when the vehicle came later
    ref = background if background is not None else (frames[0] if vehicle is not None and vehicle[0] > 0 else None)
    per_frame, event = [], None
    for i, f in enumerate(frames):
        r = grade_image(grader, f, roi, ref)
        present = vehicle is not None and vehicle[0] <= i <= vehicle[1]
        per_frame.append({"frame": i, "level": r["level"], "opacity": r["opacity"], "confidence": r["confidence"],
                          "mode": r["mode"], "vehicle": present})
        ev = det.feed({"index": i, "ts": round(i / fps, 3) if fps else i, "level": r["level"],
                       "opacity": r["opacity"], "mode": r["mode"], "confidence": r["confidence"], "vehicle": present})
        if ev and event is None:
            event = ev
    levels = [p["level"] for p in per_frame]
    after = [p["level"] for p in per_frame if not p["vehicle"]]
    out = {"kind": "clip", "frames": len(frames), "fps": fps, "mode": per_frame[0]["mode"],
           "levels": levels, "histogram": [levels.count(k) for k in range(6)],
           "max_level_after_vehicle": max(after) if after else None, "event": None, "per_frame": per_frame}
    if event:
        rec = dict(event["record"])
        rec["clipFrames"] = len(event["media"]["clip"])
        out["event"] = rec
    return out


def run(args, ctx):
    import cv2
    from edge.vision.smoke.grader import SmokeGrader

    roi = _parse_roi(args.roi)
    vehicle = _parse_range(args.vehicle)
    grader = SmokeGrader(args.models_dir, threads=args.threads, variant=args.variant)
    background = _read_image(cv2, args.background) if args.background else None
    failed = 0
    for name in args.inputs:
        path = Path(name)
        try:
            if not path.is_file():
                raise EdgeError("%s: no such file" % name)
            if path.suffix.lower() in IMAGE_SUFFIXES:
                r = {"kind": "image", **grade_image(grader, _read_image(cv2, path), roi, background)}
            else:
                frames, fps = _read_clip(cv2, path)
                r = grade_clip(grader, frames, fps, args, roi, vehicle, background)
        except EdgeError as e:
            failed += 1
            msg = str(e) if str(e).startswith(name) else "%s: %s" % (name, e)
            print("edge smoke: %s" % msg, file=sys.stderr)
            continue
        r = {"file": name, **r}
        if args.json:
            print(json.dumps(r, ensure_ascii=False))
        else:
            _print_human(r)
        sys.stdout.flush()
    return 2 if failed else 0


MODE_TEXT = {"reference": "against the empty-lane reference", "crop": "crop only, no reference"}


def _print_human(r):
    if r["kind"] == "image":
        print("%s: Ringelmann %d (opacity %.0f %%, confidence %.2f; %s)" % (
            r["file"], r["level"], 100 * r["opacity"], r["confidence"], MODE_TEXT[r["mode"]]))
        return
    print("%s: %d frames (%s), levels per frame %s" % (
        r["file"], r["frames"], MODE_TEXT[r["mode"]], "".join(str(v) for v in r["levels"])))
    print("  histogram 0-5: %s; max after the vehicle: %s" % (r["histogram"], r["max_level_after_vehicle"]))
    e = r["event"]
    if e:
        print("  SMOKE EVENT: Ringelmann %d (opacity %.0f %%, confidence %.2f), frames %s-%s, plate %s" % (
            e["smokeLevel"], 100 * e["smokeOpacity"], e["smokeConfidence"], e["firstFrame"], e["lastFrame"],
            e["licensePlate"] or "(none)"))
    else:
        print("  no smoke event")
