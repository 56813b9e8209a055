"""Record thumbnails for the records list: made once per photo, kept as files.

A photo's media ref is content-addressed (`20261122/<sha256>.jpg`), so its thumbnail is too:

    <state_dir>/web/thumbs/20261122/<sha256>-w320.jpg

made on first request (or by the index follower as records arrive) and served as immutable.
JPEG's DCT scaling (`Image.draft`) decodes a 1080p photo at 1/4 or 1/8 size, so a thumbnail
costs a few ms. It is a cache: written without fsync, deleted by day with the photos'
retention (prune_before), and any lost file is made again.
"""
from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

from edge.store.atomic import write_atomic
from edge.store.media import MediaError, MediaStore


class Thumbs:
    def __init__(self, media: MediaStore, cache_dir, width: int = 320):
        self.media = media
        self.dir = Path(cache_dir)
        self.width = width

    def path(self, ref: str) -> Path:
        src = self.media.path(ref)  # validates the ref: no traversal out of the media folder
        return self.dir / src.parent.name / ("%s-w%d.jpg" % (src.stem, self.width))

    def get(self, ref: str) -> Path:
        """The thumbnail file of photo `ref`, made now if missing. MediaError when the photo
        is gone or is not an image."""
        out = self.path(ref)
        if out.is_file():
            return out
        src = self.media.path(ref)
        try:
            data = src.read_bytes()
        except FileNotFoundError:
            raise MediaError("%s: file missing" % ref) from None
        jpeg = self.make(data)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out, jpeg, fsync=False)  # a cache: rebuilt if lost
        return out

    def make(self, data: bytes) -> bytes:
        from PIL import Image, UnidentifiedImageError
        try:
            im = Image.open(io.BytesIO(data))
            im.draft("RGB", (self.width, self.width))
            im = im.convert("RGB")
        except (UnidentifiedImageError, OSError) as e:
            raise MediaError("not an image: %s" % e) from None
        h = max(1, round(im.height * self.width / im.width))
        if im.width > self.width:
            im = im.resize((self.width, h), Image.Resampling.BILINEAR)
        buf = io.BytesIO()
        im.save(buf, format="JPEG", quality=72, optimize=False)
        return buf.getvalue()

    def prune_before(self, day: str) -> int:
        return prune_day_dirs(self.dir, day)


def prune_day_dirs(folder: Path, day: str) -> int:
    """Delete the YYYYMMDD sub-folders of `folder` older than `day`; returns how many."""
    if not folder.is_dir():
        return 0
    n = 0
    for d in os.listdir(folder):
        if len(d) == 8 and d.isdigit() and d < day:
            shutil.rmtree(folder / d, ignore_errors=True)
            n += 1
    return n
