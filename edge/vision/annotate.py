"""Stamp the evidence text (plate, colour, Beijing time, entrance, gate, 自动/手动) onto a record's photo.

The stamp is burnt into the JPEG the outbox keeps and the platform receives, so a photo
shown on its own still says which passage it belongs to. Chinese needs a CJK font: Noto Sans
CJK SC (fonts-noto-cjk), else WenQuanYi Zen Hei (fonts-wqy-zenhei), else Pillow's built-in
font with a warning (it cannot draw 云/蓝牌, so those characters come out as boxes).
"""
from __future__ import annotations

import io
import logging
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)

# (path, face index): NotoSansCJK-Regular.ttc face 2 is the Simplified Chinese one
FONT_CANDIDATES = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)


@lru_cache(maxsize=8)
def font(size: int):
    for path, index in FONT_CANDIDATES:
        try:
            return ImageFont.truetype(path, size, index=index)
        except OSError:
            continue
    log.warning("no CJK font found (install fonts-noto-cjk or fonts-wqy-zenhei): "
                "Chinese text on photos will not render")
    try:
        return ImageFont.load_default(size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


PASS_MODE_WORDS = {"auto": "自动", "manual": "手动"}   # Ningxia F_TGFS 通行方式


def stamp_lines(record: dict, color_name: str = "") -> list[str]:
    """The text stamped on a record's photos: plate and colour; time and direction; entrance,
    gate and how the barrier was lifted (自动/手动, Ningxia F_TGFS)."""
    direction = {"0": "进厂", "1": "出厂"}.get(str(record.get("accessType")), "")
    place = [("出入口 %s" % record["entranceId"]) if record.get("entranceId") else "",
             ("道闸 %s" % record["gateId"]) if record.get("gateId") else "",
             PASS_MODE_WORDS.get(record.get("passMode"), "")]
    return [
        "%s  %s" % (record.get("licensePlate") or "未识别", color_name or record.get("plateColor", "")),
        "  ".join(t for t in (record.get("accessTime", ""), direction) if t),
        "  ".join(t for t in place if t),
    ]


def annotate(image, lines: list[str], *, quality: int = 85) -> bytes:
    """Draw `lines` on a dark band at the top-left of `image` (PIL image or JPEG bytes);
    return JPEG bytes."""
    if isinstance(image, (bytes, bytearray)):
        image = Image.open(io.BytesIO(image))
    img = image.convert("RGB")
    draw = ImageDraw.Draw(img)
    size = max(12, img.height // 20)
    f = font(size)
    pad = max(2, size // 4)
    widths = [draw.textlength(t, font=f) for t in lines]
    band_w = int(max(widths or [0])) + 2 * pad
    band_h = len(lines) * (size + pad) + pad
    overlay = Image.new("RGBA", (band_w, band_h), (0, 0, 0, 150))
    img.paste(overlay, (0, 0), overlay)
    y = pad
    for t in lines:
        draw.text((pad, y), t, font=f, fill=(255, 255, 255))
        y += size + pad
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=quality)
    return out.getvalue()
