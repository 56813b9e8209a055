"""Record clips in the browser: served as the lane stored them, never re-encoded on the board.

Every clip the lane keeps is H.264 MP4 by stream copy from a camera's ring (passage clips,
manual-lift clips, the smoke job's clip), which Chromium, Firefox and phone browsers play as
is; transcoding would cost the gate's CPU. Only a smoke clip from a camera without a ring, or
one kept by an older version, is an MJPEG `.avi` that no browser plays: the page offers it as a
download (VLC or the PC's player opens it).
"""
from __future__ import annotations

from pathlib import Path

from edge.store.media import MediaError, MediaStore

PLAYABLE = {"mp4": "video/mp4", "webm": "video/webm"}
DOWNLOAD = {"avi": "video/x-msvideo", "mkv": "video/x-matroska"}


def extension(ref: str) -> str:
    return ref.rsplit(".", 1)[-1].lower() if "." in ref else ""


def playable(ref: str) -> bool:
    """Whether a browser plays this clip in the page (else it is a download)."""
    return extension(ref) in PLAYABLE


def content_type(ref: str) -> str:
    ext = extension(ref)
    return PLAYABLE.get(ext) or DOWNLOAD.get(ext) or "application/octet-stream"


def clip_path(media: MediaStore, ref: str) -> Path:
    """The stored file of a clip ref (MediaError when the ref is bad or the file is gone)."""
    p = media.path(ref)
    if not p.is_file():
        raise MediaError("%s: file missing" % ref)
    return p
