"""Evidence stamp on photos: CJK font found, text drawn, fallback with a warning."""
import io
import logging

from PIL import Image

from edge.vision import annotate as ann


def test_stamp_draws_chinese_text_in_a_band_with_the_cjk_font():
    ann.font.cache_clear()
    f = ann.font(24)
    assert "Noto Sans CJK SC" in " ".join(f.getname()) or "WenQuanYi" in " ".join(f.getname())
    assert f.getbbox("云")[2] > 10   # a real glyph, not a missing-glyph box of the default font
    src = Image.new("RGB", (640, 360), (90, 140, 200))
    lines = ann.stamp_lines({"licensePlate": "云A12345", "accessTime": "2026-11-22 10:00:00",
                             "entranceId": "A", "gateId": "A01", "accessType": "0", "passMode": "manual"}, "黄牌")
    assert lines == ["云A12345  黄牌", "2026-11-22 10:00:00  进厂", "出入口 A  道闸 A01  手动"]
    auto = ann.stamp_lines({"licensePlate": "", "accessTime": "2026-11-22 10:00:00", "entranceId": "A",
                            "gateId": "A01", "accessType": "1", "passMode": "auto"})
    assert auto[0].startswith("未识别") and auto[1].endswith("出厂") and auto[2].endswith("自动")
    out = Image.open(io.BytesIO(ann.annotate(src, lines)))
    assert out.format == "JPEG" and out.size == (640, 360)
    band = out.crop((0, 0, 200, 40)).convert("L")
    lo, hi = band.getextrema()
    assert hi > 200             # white text
    assert lo < 60              # on a dark band
    assert out.crop((400, 200, 640, 360)).convert("L").getextrema()[1] < 200   # rest untouched


def test_without_a_cjk_font_falls_back_with_a_warning(monkeypatch, caplog):
    monkeypatch.setattr(ann, "FONT_CANDIDATES", (("/nonexistent/font.ttc", 0),))
    ann.font.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="edge.vision.annotate"):
            data = ann.annotate(Image.new("RGB", (320, 180)), ["ABC 123"])
        assert Image.open(io.BytesIO(data)).size == (320, 180)
        assert "no CJK font" in caplog.text
    finally:
        ann.font.cache_clear()
