"""Images and clips from files, bounded before anything is decoded.

A 121 KB PNG can declare 40000 x 25000 pixels: decoding it takes 3 GB (6 GB in `edge lpr`)
and the board's OOM killer ends the lane. So `load_image` reads the header first (PIL opens
lazily) and refuses more than `max_pixels`; a path that is a folder, a FIFO, /dev/zero or a
socket is refused before it is opened. Clips are streamed frame by frame (`ClipFrames`), never
held whole in memory, with the frame size checked before the first frame is decoded and a
cap on the number of frames.

Every refusal is an EdgeError naming the file and the rule, one line.
"""
from __future__ import annotations

import io
import os
import warnings

from edge import inputs
from edge.errors import EdgeError

MAX_PIXELS = 64_000_000          # a 48 MP phone photo passes; 8K video frames are 33 MP
MAX_IMAGE_BYTES = 64 << 20
MAX_CLIP_FRAMES = 20_000         # ~11 minutes at 30 fps: a smoke clip is seconds long
FORMATS = "JPEG/PNG/BMP/WebP/TIFF"


def image_size(data: bytes, where: str) -> tuple[int, int]:
    """(width, height) from the header alone; EdgeError when it is not an image."""
    from PIL import Image, UnidentifiedImageError
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None      # our own limit applies, after the header is read
        try:
            with Image.open(io.BytesIO(data)) as im:
                return im.size
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise EdgeError("%s: not an image (cannot decode it as %s)" % (where, FORMATS)) from None
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def check_pixels(w: int, h: int, where: str, max_pixels: int) -> None:
    if w <= 0 or h <= 0:
        raise EdgeError("%s: the image says it is %dx%d pixels" % (where, w, h))
    if w * h > max_pixels:
        raise EdgeError("%s: %dx%d is %.0f megapixels, more than the %.0f this board decodes "
                        "(a damaged or hostile file?)" % (where, w, h, w * h / 1e6, max_pixels / 1e6))


def load_image(path, *, max_pixels: int = MAX_PIXELS, max_bytes: int = MAX_IMAGE_BYTES):
    """The image at `path` as a BGR numpy array (what cv2.imread gives), bounded."""
    import cv2
    import numpy as np
    where = str(path)
    data = inputs.read_bytes(path, "file", max_bytes)
    if not data:
        raise EdgeError("%s: empty file, not an image" % where)
    w, h = image_size(data, where)
    check_pixels(w, h, where, max_pixels)
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise EdgeError("%s: not an image OpenCV can decode (%s expected)" % (where, FORMATS))
    return img


class ClipFrames:
    """The frames of a video file, decoded one at a time: iterate it (each pass re-reads the
    file), `len()` is the frame count, `[0]` the first frame (kept: the empty-lane reference).
    Memory holds one frame, whatever the clip's length."""

    def __init__(self, path, fps: float, count: int, first, max_pixels: int):
        self.path = str(path)
        self.fps = fps
        self._count = count
        self._first = first
        self.max_pixels = max_pixels

    @classmethod
    def open(cls, path, *, max_pixels: int = MAX_PIXELS, max_frames: int = MAX_CLIP_FRAMES) -> "ClipFrames":
        import cv2
        where = str(path)
        st = inputs.check_regular(path, "clip")
        if st.st_size == 0:
            raise EdgeError("%s: empty file, not a video" % where)
        cap = cv2.VideoCapture(where)
        try:
            if not cap.isOpened():
                raise EdgeError("%s: not an image or a video OpenCV can decode" % where)
            w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
            if w and h:
                check_pixels(w, h, where, max_pixels)
            fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
            ok, first = cap.read()
            if not ok or first is None:
                raise EdgeError("%s: not an image or a video OpenCV can decode" % where)
            check_pixels(first.shape[1], first.shape[0], where, max_pixels)
            count = 1
            while cap.grab():   # counted without keeping frames (no colour conversion either)
                count += 1
                if count > max_frames:
                    raise EdgeError("%s: longer than %d frames; cut the clip to the vehicle's passage" % (where, max_frames))
        finally:
            cap.release()
        return cls(path, fps, count, first, max_pixels)

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i):
        if i == 0:
            return self._first
        raise IndexError("ClipFrames streams its frames: only [0] is kept")

    def __iter__(self):
        import cv2
        cap = cv2.VideoCapture(self.path)
        try:
            n = 0
            while n < self._count:
                ok, frame = cap.read()
                if not ok:
                    return
                n += 1
                yield frame
        finally:
            cap.release()


def quiet_decoders() -> None:
    """OpenCV/FFmpeg chatter off the console (edge.logsetup.quiet_native), and OpenCV's own
    decoder limit set to ours as a second guard."""
    os.environ.setdefault("CV_IO_MAX_IMAGE_PIXELS", str(MAX_PIXELS))
    from edge.logsetup import quiet_native
    quiet_native()
