"""edge/vision/images.py: images refused from their header before decoding, clips streamed one
frame at a time (memory measured with tracemalloc, which sees numpy's buffers)."""
import os
import struct
import tracemalloc
import zlib

import cv2
import numpy as np
import pytest

from edge.errors import EdgeError
from edge.vision.images import ClipFrames, load_image

W, H, N = 320, 240, 240            # one frame 230 KB; the clip decoded whole would be 55 MB


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("clip") / "pass.avi"
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (W, H))
    assert out.isOpened()
    for i in range(N):
        frame = np.full((H, W, 3), i % 256, np.uint8)
        cv2.putText(frame, str(i), (20, 120), cv2.FONT_HERSHEY_SIMPLEX, 2, (255, 255, 255), 3)
        out.write(frame)
    out.release()
    return path


def png_header(w, h) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")


def test_clip_frames_are_streamed_not_kept(clip):
    tracemalloc.start()
    try:
        frames = ClipFrames.open(clip)
        assert len(frames) == N and frames[0].shape == (H, W, 3)
        with pytest.raises(IndexError):
            frames[1]
        tracemalloc.reset_peak()
        seen = 0
        for i, f in enumerate(frames):
            assert f.shape == (H, W, 3)
            seen += 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seen == N
    assert peak < 20 * W * H * 3, peak          # a handful of frames in memory, not 240


def test_a_clip_longer_than_the_cap_is_refused(clip):
    with pytest.raises(EdgeError, match="longer than 100 frames"):
        ClipFrames.open(clip, max_frames=100)


def test_an_image_claiming_a_billion_pixels_is_refused_before_decoding(tmp_path):
    p = tmp_path / "huge.png"
    p.write_bytes(png_header(40000, 25000))
    tracemalloc.start()
    try:
        with pytest.raises(EdgeError, match=r"40000x25000 is 1000 megapixels"):
            load_image(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, peak                 # decoding it would take 3 GB


@pytest.mark.parametrize("what", ["fifo", "folder", "/dev/zero"])
def test_special_files_are_refused_before_they_are_opened(tmp_path, what):
    if what == "fifo":
        path = tmp_path / "f.jpg"
        os.mkfifo(path)          # opening it for reading would block forever
    elif what == "folder":
        path = tmp_path
    else:
        path = what
    with pytest.raises(EdgeError) as e:
        load_image(path)
    with pytest.raises(EdgeError):
        ClipFrames.open(path)
    assert str(path) in str(e.value) and "\n" not in str(e.value)
