"""Is a vehicle in the lane? From the picture alone, against the empty lane (`[lane] trigger =
"camera"`): the trigger that still notices a truck whose plate cannot be read — exactly the
truck that needs a manual entry.

The ROI is cut, shrunk to `width` pixels and compared with the empty-lane reference tile by
tile (`tile` x `tile` pixels). A tile counts as changed when its *structure* changed — the
zero-mean normalised cross-correlation with the reference tile is below `min_ncc` — which a
change of light does not do: a cloud, dusk, the camera's exposure or a shadow on textured
asphalt scale a tile's brightness and contrast but keep its pattern. The best-fit plane is
taken out of each tile first, so smooth shading inside a tile — a soft shadow's edge, a
headlight's halo — is not pattern either. The light change of the whole ROI (the median
ratio of tile brightness) is applied to the reference before contrasts are compared. Where
both tiles are flat (no pattern to compare), a tile much darker than the light explains
counts at half weight (a dark body over pale concrete; a shadow looks the same, hence half);
brighter and smooth never counts (a headlight's pool at night). Saturated tiles (glare)
count for nothing. The occupancy — the changed share of the ROI — enters above `enter_fraction` for
`enter_frames` frames and leaves below `leave_fraction` for `leave_frames` (hysteresis).

The reference (`EmptyLaneReference`) is learnt from the first still frames and follows slow
light drift: while the lane is empty, each unchanged tile moves toward the current picture
with time constant `adapt_s` (changed tiles never do, so a truck creeping in is not learnt
as road). While a vehicle is present nothing is learnt; a lane that stays "occupied" with no
vehicle (a cone left in it, the camera moved) needs `relearn()` — the guard says the lane is
empty — rather than a timer that would also learn a truck waiting for a manual entry.

Cost: one area resize of the ROI and numpy reductions over ~130 tiles: ~2-4 ms for a 1280x600
ROI of a 1080p frame, less than decoding that frame (tools/bench_camera.py).
"""
from __future__ import annotations

import math
import time

import cv2
import numpy as np

STILL = 4.0       # mean |Δ| (0-255) between consecutive small frames below which the scene is still
TEXTURE = 3.0     # a tile with a standard deviation below this (0-255) is flat
SATURATED = 245.0
FLAT_BRIGHTER = 100


class EmptyLaneReference:
    """The empty lane as a small grey image: learnt from `learn_frames` consecutive still
    frames, then moved toward quiet frames tile by tile (`update`)."""

    def __init__(self, learn_frames: int = 5, adapt_s: float = 20.0, still: float = STILL):
        self.learn_frames = learn_frames
        self.adapt_s = adapt_s
        self.still = still
        self.image: np.ndarray | None = None     # float32, the reference
        self.at: float | None = None             # when it was learnt or last moved
        self._prev: np.ndarray | None = None
        self._stack: list[np.ndarray] = []

    @property
    def ready(self) -> bool:
        return self.image is not None

    def is_still(self, small: np.ndarray) -> bool:
        prev, self._prev = self._prev, small
        return prev is not None and prev.shape == small.shape and float(np.mean(np.abs(small - prev))) < self.still

    def learn(self, small: np.ndarray, t: float, still: bool) -> bool:
        """Collect still frames until there are enough; True once the reference is set."""
        if not still:
            self._stack = []
            return False
        self._stack.append(small)
        if len(self._stack) >= self.learn_frames:
            self.image, self.at, self._stack = np.mean(self._stack, axis=0).astype(np.float32), t, []
            return True
        return False

    def update(self, small: np.ndarray, keep_mask: np.ndarray | None, t: float) -> None:
        """Move toward `small` with time constant adapt_s, except where keep_mask is True."""
        dt = 0.0 if self.at is None else max(0.0, t - self.at)
        a = 1.0 - math.exp(-dt / self.adapt_s) if self.adapt_s > 0 else 1.0
        self.at = t
        if a <= 0:
            return
        step = a * (small - self.image)
        if keep_mask is not None:
            step[keep_mask] = 0.0
        self.image += step

    def reset(self) -> None:
        self.image = self.at = self._prev = None
        self._stack = []


def _plane_residual(tile: int) -> np.ndarray:
    """The matrix that removes the best-fit plane a + bx + cy from a flattened tile: what is left
    is the tile's pattern without smooth shading (a soft shadow edge, a headlight's halo)."""
    yy, xx = np.mgrid[0:tile, 0:tile]
    X = np.stack([np.ones(tile * tile), xx.ravel(), yy.ravel()], 1)
    return (np.eye(tile * tile) - X @ np.linalg.pinv(X)).astype(np.float32)


def _tiles(img: np.ndarray, tile: int) -> np.ndarray:
    h, w = img.shape
    return img[:h // tile * tile, :w // tile * tile].reshape(h // tile, tile, w // tile, tile).swapaxes(1, 2) \
        .reshape(h // tile, w // tile, tile * tile)


class VehiclePresence:
    def __init__(self, roi=None, *, width: int = 128, tile: int = 8, enter_fraction: float = 0.25,
                 leave_fraction: float = 0.12, enter_frames: int = 3, leave_frames: int = 5,
                 min_ncc: float = 0.5, adapt_s: float = 20.0, learn_frames: int = 5, fps: float = 0.0,
                 clock=time.monotonic):
        self.roi = tuple(roi) if roi else None
        self.width = width
        self.tile = tile
        self.enter_fraction = enter_fraction
        self.leave_fraction = leave_fraction
        self.enter_frames = enter_frames
        self.leave_frames = leave_frames
        self.min_ncc = min_ncc
        self.clock = clock
        self.period = 1.0 / fps if fps else 0.0   # compare at most this often (the frame counts are per compared frame)
        self._last_t: float | None = None
        self.reference = EmptyLaneReference(learn_frames, adapt_s)
        self._deplane = _plane_residual(tile)
        self.present = False
        self.occupancy: float | None = None
        self.since: float | None = None         # when `present` last changed
        self.frames = 0
        self._run = 0                           # consecutive frames on the other side of the threshold

    @classmethod
    def from_settings(cls, s, **kw) -> "VehiclePresence":
        """From a `[lane.presence]` section (PresenceSettings)."""
        return cls(s.roi or None, width=s.width, enter_fraction=s.enter_fraction, leave_fraction=s.leave_fraction,
                   enter_frames=s.enter_frames, leave_frames=s.leave_frames, min_ncc=s.min_ncc, adapt_s=s.adapt_s,
                   fps=s.fps, **kw)

    @classmethod
    def from_config(cls, config, **kw) -> "VehiclePresence":
        return cls.from_settings(config.lane.presence, **kw)

    # ------------------------------------------------------------ the picture
    def small(self, frame_bgr: np.ndarray) -> np.ndarray:
        """The ROI, grey, `width` wide (height a multiple of the tile), lightly blurred
        (compression noise and sensor grain are not structure)."""
        img = frame_bgr
        if self.roi:
            x, y, w, h = self.roi
            H, W = img.shape[:2]
            if x + w > W or y + h > H:
                raise ValueError("[lane.presence] roi %s is outside the %dx%d frame" % (list(self.roi), W, H))
            img = img[y:y + h, x:x + w]
        h, w = img.shape[:2]
        sh = max(self.tile, round(h * self.width / w / self.tile) * self.tile)
        small = cv2.resize(img, (self.width, sh), interpolation=cv2.INTER_AREA)   # shrink first: cheap
        if small.ndim == 3:
            small = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        return cv2.GaussianBlur(small, (3, 3), 0).astype(np.float32)

    def changes(self, small: np.ndarray) -> tuple[float, np.ndarray]:
        """(occupancy 0..1, per-tile changed weight) of `small` against the reference."""
        cur, ref = _tiles(small, self.tile), _tiles(self.reference.image, self.tile)
        mc, mr = cur.mean(-1), ref.mean(-1)
        zc, zr = cur @ self._deplane, ref @ self._deplane
        sc, sr = np.sqrt((zc * zc).mean(-1)), np.sqrt((zr * zr).mean(-1))
        ncc = (zc * zr).mean(-1) / np.maximum(sc * sr, 1e-6)
        # the light change of the whole ROI: the reference as it would look under today's light
        gain = float(np.median(mc / np.maximum(mr, 1.0)))
        sr_lit = sr * gain
        tex_c, tex_r = sc >= TEXTURE, sr_lit >= TEXTURE
        contrast = np.maximum(sc, sr_lit) / np.maximum(np.minimum(sc, sr_lit), 0.5)
        # structure: the pattern changed, or came or went (contrast changing > 3x beyond the light)
        structural = (tex_c & tex_r & (ncc < self.min_ncc)) | ((tex_c | tex_r) & (contrast > 3.0))
        # flat where both are: only a tile darker than the light explains counts (a dark body over
        # pale concrete); brighter and smooth is light — a headlight's pool, sun on a wet road
        flat = ~(tex_c | tex_r) & (mc * 1.6 < mr * gain)
        weight = structural.astype(np.float32) + 0.5 * flat
        weight[(mc >= SATURATED) & (sc < 2 * TEXTURE)] = 0.0   # glare: no information
        return float(weight.mean()), weight

    # ------------------------------------------------------------ the detector
    def feed(self, frame_bgr: np.ndarray, t: float | None = None) -> bool | None:
        """One frame (BGR, the full camera frame). True when a vehicle has just come, False
        when it has just left, None otherwise (also while the empty lane is being learnt)."""
        t = self.clock() if t is None else t
        if self._last_t is not None and self.period and t - self._last_t < 0.75 * self.period:
            return None   # faster than [lane.presence] fps: this frame is not compared
        self._last_t = t
        small = self.small(frame_bgr)
        ref = self.reference
        still = ref.is_still(small)
        self.frames += 1
        if not ref.ready:
            ref.learn(small, t, still)
            return None
        if ref.image.shape != small.shape:      # the camera's resolution changed
            ref.reset()
            return None
        occ, weight = self.changes(small)
        self.occupancy = occ
        if not self.present:
            if still and occ < self.enter_fraction:
                ref.update(small, np.repeat(np.repeat(weight > 0, self.tile, 0), self.tile, 1), t)
            self._run = self._run + 1 if occ >= self.enter_fraction else 0
            if self._run >= self.enter_frames:
                return self._flip(True, t)
        else:
            self._run = self._run + 1 if occ < self.leave_fraction else 0
            if self._run >= self.leave_frames:
                return self._flip(False, t)
        return None

    def _flip(self, present: bool, t: float) -> bool:
        self.present, self.since, self._run = present, t, 0
        return present

    def relearn(self) -> None:
        """Forget the reference (the lane is empty now: learn it again from the next still frames)."""
        self.reference.reset()
        self.present, self._run, self.occupancy, self._last_t = False, 0, None, None

    def status(self, now: float | None = None) -> dict:
        now = self.clock() if now is None else now
        ref = self.reference
        return {"present": self.present, "ready": ref.ready,
                "occupancy": None if self.occupancy is None else round(self.occupancy, 3),
                "since_s": None if self.since is None else round(now - self.since, 1),
                "reference_age_s": None if ref.at is None else round(now - ref.at, 1),
                "roi": list(self.roi) if self.roi else None, "frames": self.frames}
