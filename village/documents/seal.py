"""The village's electronic seal: a generated red round seal (outer ring, five-pointed star,
the township and village name along the upper arc, "电子印章" and the platform's name with the
seal number below) — drawn with the bundled font, so it looks the same on every machine, and
marked as an electronic seal of this platform, not an imitation of the village's real one."""

import base64
import io
import math
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

RED = (200, 16, 46, 255)
SIZE = 420


def _font(size: int):
    from . import FONT

    return ImageFont.truetype(str(FONT), size)


def _star(draw, cx, cy, r):
    points = []
    for i in range(10):
        angle = -math.pi / 2 + i * math.pi / 5
        radius = r if i % 2 == 0 else r * 0.382
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    draw.polygon(points, fill=RED)


def _arc_text(img, text: str, *, radius: float, span_degrees: float, size: int):
    """Characters spread over the upper arc, each upright towards the centre."""
    font = _font(size)
    cx = cy = SIZE / 2
    n = len(text)
    step = span_degrees / max(n - 1, 1)
    start = -90 - span_degrees / 2
    for i, char in enumerate(text):
        angle = start + i * step
        rad = math.radians(angle)
        x = cx + radius * math.cos(rad)
        y = cy + radius * math.sin(rad)
        glyph = Image.new("RGBA", (size * 2, size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((size, size), char, font=font, fill=RED, anchor="mm")
        glyph = glyph.rotate(-(angle + 90), resample=Image.BICUBIC)
        img.alpha_composite(glyph, (int(x - size), int(y - size)))


def seal_png(name: str, number: str) -> bytes:
    img = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse([8, 8, SIZE - 8, SIZE - 8], outline=RED, width=12)
    draw.ellipse([30, 30, SIZE - 30, SIZE - 30], outline=RED, width=2)
    _star(draw, SIZE / 2, SIZE / 2 - 10, 62)
    size = 44 if len(name) <= 10 else max(26, int(44 * 10 / len(name)))
    _arc_text(
        img, name, radius=SIZE / 2 - 70, span_degrees=min(250, 22 * len(name) + 20), size=size
    )
    draw.text((SIZE / 2, SIZE / 2 + 88), "电子印章", font=_font(34), fill=RED, anchor="mm")
    draw.text((SIZE / 2, SIZE / 2 + 124), "村治平台", font=_font(22), fill=RED, anchor="mm")
    draw.text((SIZE / 2, SIZE / 2 + 150), number, font=_font(18), fill=RED, anchor="mm")
    buffer = io.BytesIO()
    # Two colours and transparency: a small palette PNG keeps every PDF small.
    img.quantize(colors=8, method=Image.Quantize.FASTOCTREE).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


@lru_cache(maxsize=256)
def _cached(name: str, number: str) -> str:
    return "data:image/png;base64," + base64.b64encode(seal_png(name, number)).decode()


def seal_data_uri(village) -> str:
    name = f"{village.township.name}{village.name}"
    number = village.seal_number or f"CZ-{village.code}".upper()[:24]
    return _cached(name, number)
