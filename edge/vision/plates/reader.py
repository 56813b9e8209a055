"""The plate-reading pipeline: frame -> list of reads.

detect 4 corners -> perspective-rectify (single row 220x70, two-row 220x110 by aspect) ->
cut the character band(s) -> CTC recognise -> colour (CNN, or the HSV vote without it) ->
national-format check -> (with a ledger) the check against the site's registered plates.
A read that breaks the format rules keeps its text, gets a low confidence and a `reason`.

Fallbacks, each only when the first attempt gives no valid read (so a normal frame pays
nothing): re-read with other band cuts and from corners grown to the left (a clipped province);
a zoom pass over overlapping tiles (small plates; `zoom`); for crops, the detector inside the
crop (loose or tilted crops). Measured effect of each: models/plate_rec.md.
"""
from __future__ import annotations

from itertools import islice
from pathlib import Path

import cv2
import numpy as np

from edge.vision.interpreter import load_model, models_dir as default_models_dir
from edge.vision.plates import color as colormod
from edge.vision.plates import formats, ledger_snap, province, quad, rectify, refine
from edge.vision.plates.detector import Detection, PlateDetector, nms
from edge.vision.plates.recognizer import PlateRecognizer, Read, load_dictionary

FORMAT_PENALTY = 0.2
MIN_CHARS = 5
WEAK_SCORE = 0.05            # detections down to this score are read, but must be confirmed
WEAK_MIN_CONFIDENCE = 0.5    # ...by a valid format and this recogniser confidence
MAX_WEAK = 2
MAX_RETRIES = 2           # re-reads from other corners when a plate's read fails (bounds a failing frame's cost)
WIDE_ASPECT = 640 / 384   # frames at least this wide per high fit the 384x640 detector
TWO_ROW_TOP_GROW = 0.12
TWO_ROW_TOP_LADDER = (0.35, 0.6)   # when a read fails and the plate has no clear outline
LEFT_GROW = 0.08          # re-read a single-row plate from corners grown by 8 % of its width to the left
# Zoom pass: the detector sees a frame letterboxed to 640 px wide, so a plate narrower than
# ~120 px in a 1080p frame (~40 px after the letterbox) is missed. When the whole-frame pass
# gives no valid read, the frame is read again as overlapping tiles of about 1.3x the
# detector's width: 2x2 for 720p, 3x3 for 1080p and larger (2.5x the resolution). It costs 4
# or 9 more detector runs, only on frames without a valid read (tools/bench_lpr.py).
ZOOM_MIN_SCALE = 1.5      # only frames at least this many times the detector's input width
ZOOM_TILE_SCALE = 1.3     # tile width in detector input widths
ZOOM_MAX_GRID = 3
ZOOM_OVERLAP = 0.2        # tiles overlap by this fraction of a tile (a plate on a seam is whole in one)
# Crops: the whole image is read as the plate first. A crop cut from a box around a tilted
# plate, or with a margin, breaks that assumption; when the read is not valid and confident,
# the detector looks for the plate's own corners in the crop (padded so the plate is not the
# whole input) and the better read is kept.
CROP_REFINE_BELOW = 0.5
CROP_PAD = (0.5, 1.5)     # padding each side, in crop widths (x) and heights (y)


def _color_code(name):
    try:
        from edge.domain.codes import plate_color_code
    except ImportError:      # domain codes not present in a stripped build
        return {"blue": "0", "yellow": "1", "white": "2", "black": "3", "green": "4",
                "yellow_green": "6"}.get(name, "5")
    try:
        return plate_color_code(name)
    except ValueError:
        return plate_color_code("other")


def _iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _rank(rd):
    """Which of two reads of one plate to keep: a valid one first, then the more confident."""
    return formats.check(rd.text).ok, rd.confidence


class PlateReader:
    """Loads the detector and recogniser once; call `read(frame)` or `read_crop(img)`."""

    def __init__(self, models_dir="", threads=1, delegate="", variant="fp32",
                 det_variant=None, rec_variant=None, score_threshold=0.3, min_confidence=0.0, zoom=True,
                 color_prior=True, color_polarity=True):
        d = Path(models_dir) if models_dir else default_models_dir()
        det_v, rec_v = det_variant or variant, rec_variant or variant
        self.score_threshold = score_threshold
        self.detector = PlateDetector(load_model(d / ("plate_det_%s.tflite" % det_v), threads, delegate),
                                      score_threshold=min(score_threshold, WEAK_SCORE))
        # Wide frames (16:9 cameras) use the 384x640 detector when it is installed: 20% less
        # work for the same pixels per plate.
        wide = d / ("plate_det384_%s.tflite" % det_v)
        self.wide_detector = PlateDetector(load_model(wide, threads, delegate),
                                           score_threshold=min(score_threshold, WEAK_SCORE)) if wide.is_file() else None
        self.recognizer = PlateRecognizer(load_model(d / ("plate_rec_%s.tflite" % rec_v), threads, delegate),
                                          load_dictionary(d / "plate_rec_dict.txt"))
        self.min_confidence = min_confidence
        self.zoom = zoom
        self.color_prior = color_prior      # formats.KIND_COLOR_PRIOR in the colour decision
        self.color_polarity = color_polarity  # the ink's side (color.ink_polarity) in the colour
        colour_model = d / "plate_color_fp32.tflite"
        self.color_model = colormod.ColorModel(load_model(colour_model, threads, delegate)) \
            if colour_model.is_file() else None
        quad_model = d / "plate_quad_fp32.tflite"
        self.quad_model = quad.QuadModel(load_model(quad_model, threads, delegate)) if quad_model.is_file() else None
        province_model = d / "plate_province_fp32.tflite"
        self.province_model = province.ProvinceModel(load_model(province_model, threads, delegate)) \
            if province_model.is_file() else None

    def _colour(self, plate):
        """(colour word, confidence, probabilities or None) of a rectified plate."""
        if self.color_model is None:
            return colormod.classify(plate) + (None,)
        probs = colormod.combine(self.color_model.probs(plate), colormod.classify(plate),
                                 colormod.ink_polarity(plate) if self.color_polarity else None)
        k = int(probs.argmax())
        return colormod.COLORS[k], float(probs[k]), probs

    # -- recognition of one rectified plate ------------------------------------------------
    @staticmethod
    def _fits(text, color):
        """A read worth keeping: a national format, and one issued in the plate's colour (a
        green plate read with 7 characters has lost one: NEV plates have 8)."""
        chk = formats.check(text)
        return chk.ok and formats.colour_fits(chk.kind, color)

    def _read_single(self, plate, color=None):
        first = self.recognizer(rectify.single_band(plate))
        if self._fits(first.text, color):
            return first
        # Re-read the same plate with a taller/wider band before giving up: detector corners
        # are sometimes a few pixels inside the plate and clip the province character, and the
        # narrow characters of 8-character plates can merge.
        best = first
        for band in (plate[8:62, 0:220], plate[10:60, 4:216], plate):
            r = self.recognizer(band)
            if self._fits(r.text, color) and (not self._fits(best.text, color) or r.confidence > best.confidence):
                best = r
        return best

    def _read_two_row(self, frame, corners, grow):
        # The CCPD detector was trained on single-row plates; on two-row plates its top
        # corners sit inside the plate and clip the top row (crops are exact: no grow).
        if grow:
            corners = rectify.expand(corners, top=TWO_ROW_TOP_GROW)
        plate = rectify.warp(frame, corners, (rectify.W2, rectify.H2))
        return plate, self.recognizer(rectify.two_row_line(plate))

    def _read_as(self, frame, corners, two_row, grow=True):
        """(rectified plate, read, (colour, colour confidence, probabilities) of that plate)."""
        if two_row:
            plate, rd = self._read_two_row(frame, corners, grow)
            return plate, rd, self._colour(plate)
        plate = rectify.warp(frame, corners, (rectify.W, rectify.H))
        colour = self._colour(plate)
        color = colour[0]
        rd = self._read_single(plate, color)
        if grow and not self._fits(rd.text, color):
            # Detector corners that sit inside the plate cut off its first character (a read
            # that starts with the letter): warp again from a quad grown to the left.
            wide = rectify.warp(frame, rectify.expand(corners, left=LEFT_GROW, right=LEFT_GROW / 3),
                                (rectify.W, rectify.H))
            rd2 = self._read_single(wide, color)
            if self._fits(rd2.text, color) or (formats.check(rd2.text).ok and not formats.check(rd.text).ok):
                return wide, rd2, self._colour(wide)
        return plate, rd, colour

    def _read_quad(self, frame, corners, two_row, detected):
        """(plate, read, colour, two_row) for one quad; the row layout by its aspect unless given."""
        if two_row is not None:
            return self._read_as(frame, corners, two_row, detected) + (two_row,)
        a = rectify.aspect(corners)
        two_row = a < rectify.TWO_ROW_SURE_ASPECT
        plate, rd, colour = self._read_as(frame, corners, two_row, detected)
        if (rectify.TWO_ROW_SURE_ASPECT <= a < rectify.SINGLE_ROW_SURE_ASPECT
                and (not formats.check(rd.text).ok or rd.confidence < 0.5)):
            # ambiguous shape: read it the other way too and keep the better read
            alt = self._read_as(frame, corners, not two_row, detected)
            rd2 = alt[1]
            if _rank(rd2) > _rank(rd):
                return alt + (not two_row,)
        return plate, rd, colour, two_row

    def _retry_quads(self, frame, corners, color):
        """Other corners for a plate whose read failed, best first, each computed only when
        the one before did not give a valid read: (corners, two_row or None for by aspect)."""
        if self.quad_model is not None:
            q, p_two = self.quad_model.corners(frame, corners)
            yield q, p_two >= 0.5
        q = refine.outline(frame, corners)
        if q is not None:
            yield q, None
        elif color == "yellow":
            # no clear outline (a plate on a body of its own colour): a yellow two-row plate
            # whose top row lies this far above the quad, in quad heights (only yellow: the
            # ghosts of an empty frame would each pay two more reads)
            for g in TWO_ROW_TOP_LADDER:
                yield rectify.expand(corners, top=g), True

    def read_plate(self, frame, corners, det_score=1.0, box=None, two_row=None, detected=True, ledger=None,
                   outline=True):
        """One read dict for the plate with `corners` (TL, TR, BR, BL) in `frame`;
        `detected` False when the corners are exact (a crop), not the detector's; `ledger` a
        ledger_snap.PlateIndex to check the read against; `outline` False where the frame has
        invented pixels (a padded crop: the plate's colour would run on into the padding)."""
        corners = np.asarray(corners, np.float32)
        plate, rd, colour, two_row = self._read_quad(frame, corners, two_row, detected)
        if detected and outline and (two_row or not formats.check(rd.text).ok):
            # the detector's quad around a two-row plate holds only its bottom row (and some
            # quads start inside the province): read again from the plate's own corners, as
            # the outline model sees them, then as its coloured outline shows them. A valid
            # single-row read ends the re-reads; a two-row plate is read from every view (up
            # to MAX_RETRIES more) and the most confident valid read wins: the detector's quad
            # cuts or shifts the small top row, and its valid read is often wrong in the
            # province or letter where the plate's own corners read it right.
            views = [(plate, rd, colour, two_row, corners)]
            sure_two_row = two_row and formats.check(rd.text).ok
            for q, rows in islice(self._retry_quads(frame, corners, colour[0]), MAX_RETRIES):
                if rows is None and sure_two_row:
                    rows = True       # a plate that read as two rows: so is its outline (no single-row tries)
                alt = self._read_quad(frame, q, rows, False)
                views.append(alt + (q,))
                if formats.check(alt[1].text).ok and not alt[3]:
                    break
            plate, rd, colour, two_row, corners = max(views, key=lambda v: _rank(v[1]))
        if self.province_model is not None and rd.probs is not None:
            fused = province.fuse(rd.probs, self.recognizer.chars, self.province_model.probs(plate, two_row))
            if fused is not None:
                rd = self.recognizer.decode(fused)
        color, color_conf, color_probs = colour
        text, conf = rd.text, rd.confidence
        snap = None
        if ledger is not None and rd.text and rd.probs is not None:
            snap = ledger_snap.check(rd.text, rd.probs, self.recognizer.chars, ledger)
            if snap.status == "snapped":
                text, conf = snap.plate, snap.confidence(conf)
        chk = formats.check(text)
        color_uncertain = color_conf < colormod.UNCERTAIN_BELOW
        if color_probs is not None:
            # the most probable colour this kind of plate is issued in (a 7-character plate is
            # never yellow-green): mud on a yellow plate must not make it a new-energy one; and,
            # with the prior, a dark or cast blue plate of the ordinary format is not black, and
            # a green plate read with a character lost stays green when its pixels are sure
            color, color_conf, color_uncertain = colormod.decide(
                color_probs, formats.KIND_COLORS.get(chk.kind) if chk.ok else None,
                formats.KIND_COLOR_PRIOR.get(chk.kind) if chk.ok and self.color_prior else None)
        reason = ""
        if not chk.ok:
            conf *= FORMAT_PENALTY
            reason = chk.reason
        elif not formats.colour_fits(chk.kind, color):
            reason = "colour %s is unusual for a %s plate" % (color, chk.kind)
        if box is None:
            box = (float(corners[:, 0].min()), float(corners[:, 1].min()),
                   float(corners[:, 0].max()), float(corners[:, 1].max()))
        out = {
            "plate": text, "color": color, "color_code": _color_code(color),
            "color_confidence": round(color_conf, 3), "color_uncertain": bool(color_uncertain),
            "confidence": round(float(conf), 4), "kind": chk.kind, "valid": chk.ok,
            "reason": reason, "rows": 2 if two_row else 1, "det_score": round(float(det_score), 3),
            "box": [int(round(v)) for v in box],
            "corners": [[round(float(x), 1), round(float(y), 1)] for x, y in corners],
            "char_probs": [round(float(v), 4) for v in rd.char_probs],
            "ledger": snap.status if snap else None,
        }
        if snap and snap.status == "snapped":
            out["snapped_from"] = rd.text
            out["snap"] = dict(snap.evidence, ratio=round(snap.ratio, 6))
        return out

    # -- public API ------------------------------------------------------------------------
    def _detector_for(self, w, h):
        """The 384x640 detector for 16:9-wide images when installed, else the 480x640 one."""
        return self.wide_detector if self.wide_detector and w >= h * WIDE_ASPECT else self.detector

    def read(self, frame, ledger=None):
        """Reads for every plate detected in a BGR frame, best detection first. `ledger`: a
        ledger_snap.PlateIndex of the site's registered plates (reads are checked against it)."""
        h, w = frame.shape[:2]
        detector = self._detector_for(w, h)
        out = self._read_detections(frame, detector(frame), ledger)
        if self.zoom and not any(r["valid"] for r in out) and w >= ZOOM_MIN_SCALE * detector.in_w:
            found = self._read_detections(frame, self._detect_tiles(frame), ledger)
            seen = [r["box"] for r in out]
            out += [r for r in found if all(_iou(r["box"], b) < 0.3 for b in seen)]
        # valid reads first, then by confidence: a detector ghost with a higher box score
        # must not push the real plate to second place
        out.sort(key=lambda r: (r["valid"], r["confidence"]), reverse=True)
        return out

    def _detect_tiles(self, frame):
        """Detections from overlapping tiles (2x2 or 3x3), in frame coordinates, merged across tiles."""
        h, w = frame.shape[:2]
        in_w = (self.wide_detector or self.detector).in_w
        grid = min(ZOOM_MAX_GRID, max(2, int(np.ceil(w / (ZOOM_TILE_SCALE * in_w)))))
        frac = min(1.0, (1 + ZOOM_OVERLAP) / grid)
        th, tw = int(h * frac), int(w * frac)
        dets = []
        for y0 in np.linspace(0, h - th, grid).astype(int):
            for x0 in np.linspace(0, w - tw, grid).astype(int):
                tile = frame[y0:y0 + th, x0:x0 + tw]
                for d in self._detector_for(tw, th)(tile):
                    x1, y1, x2, y2 = d.box
                    dets.append(Detection((x1 + x0, y1 + y0, x2 + x0, y2 + y0), d.score,
                                          d.corners + np.array((x0, y0), np.float32)))
        if not dets:
            return []
        # a plate in the overlap is found in several tiles: keep the best-scored of each group
        keep = nms(np.array([d.box for d in dets], np.float32), np.array([d.score for d in dets]), 0.3)
        return [dets[i] for i in keep]

    def _read_detections(self, frame, detections, ledger=None):
        out = []
        weak = 0
        for det in detections:
            if det.score < self.score_threshold:
                # The CCPD detector scores green/yellow/two-row plates low (0.07-0.26 on
                # rendered ones). A weak candidate counts only if the recogniser and the
                # format rules confirm it; at most a few per frame to bound the cost.
                weak += 1
                if weak > MAX_WEAK:
                    continue
                r = self.read_plate(frame, det.corners, det.score, det.box, ledger=ledger)
                if not (r["valid"] and r["confidence"] >= WEAK_MIN_CONFIDENCE):
                    continue
            else:
                r = self.read_plate(frame, det.corners, det.score, det.box, ledger=ledger)
            # fewer than 5 characters is a sign, a lamp or a wheel arch, not a plate
            if len(r["plate"]) >= MIN_CHARS and r["confidence"] >= self.min_confidence:
                out.append(r)
        return out

    def read_crop(self, img, two_row=None, ledger=None):
        """Read an image that already is one plate (a crop: the whole image is the plate, or
        nearly -- a tilted plate or a margin is found by the detector inside it)."""
        best = self.read_plate(img, rectify.crop_corners(img), 1.0, two_row=two_row, detected=False, ledger=ledger)
        if best["valid"] and best["confidence"] >= CROP_REFINE_BELOW:
            return best
        h, w = img.shape[:2]
        px, py = int(w * CROP_PAD[0]), int(h * CROP_PAD[1])
        padded = cv2.copyMakeBorder(img, py, py, px, px, cv2.BORDER_REPLICATE)
        for det in self.detector(padded)[:2]:
            r = self.read_plate(padded, det.corners, det.score, det.box, two_row=two_row, ledger=ledger,
                                outline=False)
            if (r["valid"], r["confidence"]) > (best["valid"], best["confidence"]):
                x1, y1, x2, y2 = r["box"]    # back to the crop's own coordinates
                r["box"] = [max(0, x1 - px), max(0, y1 - py), min(w - 1, x2 - px), min(h - 1, y2 - py)]
                r["corners"] = [[round(x - px, 1), round(y - py, 1)] for x, y in r["corners"]]
                best = r
        return best
