"""The village's electronic seal: a generated red round seal — outer ring, five-pointed star,
the township and village name along the upper arc, "电子印章", the platform's name and the seal
number below — as inline SVG drawn in the bundled font, so it is sharp in print, a few hundred
bytes in the PDF, and the same on every machine. It says what it is: an electronic seal of this
platform, not an imitation of the village's physical seal."""

import math
from functools import lru_cache
from html import escape

from django.utils.safestring import SafeString, mark_safe

RED = "#c8102e"
SIZE = 200


def _star(cx: float, cy: float, r: float) -> str:
    points = []
    for i in range(10):
        angle = -math.pi / 2 + i * math.pi / 5
        radius = r if i % 2 == 0 else r * 0.382
        points.append(f"{cx + radius * math.cos(angle):.2f},{cy + radius * math.sin(angle):.2f}")
    return f'<polygon points="{" ".join(points)}" fill="{RED}"/>'


def _text(x, y, text, size, transform=""):
    where = f'transform="{transform}"' if transform else f'x="{x:.2f}" y="{y:.2f}"'
    return (
        f'<text {where} font-family="CunzhiCJK" font-size="{size}" fill="{RED}" '
        f'text-anchor="middle" dominant-baseline="central">{escape(text)}</text>'
    )


@lru_cache(maxsize=256)
def seal_svg(name: str, number: str) -> str:
    c = SIZE / 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}" '
        f'role="img" aria-label="{escape(name)} 电子印章">',
        f'<circle cx="{c}" cy="{c}" r="{c - 4}" fill="none" stroke="{RED}" stroke-width="6"/>',
        f'<circle cx="{c}" cy="{c}" r="{c - 14}" fill="none" stroke="{RED}" stroke-width="1"/>',
        _star(c, c - 5, 30),
    ]
    # The name along the upper arc, each character upright towards the centre.
    n = len(name)
    span = min(250, 22 * n + 20)
    step = span / max(n - 1, 1)
    size = 21 if n <= 10 else max(12, int(21 * 10 / n))
    radius = c - 34
    for i, char in enumerate(name):
        angle = -90 - span / 2 + i * step
        x = c + radius * math.cos(math.radians(angle))
        y = c + radius * math.sin(math.radians(angle))
        parts.append(
            _text(0, 0, char, size, f"translate({x:.2f},{y:.2f}) rotate({angle + 90:.2f})")
        )
    parts += [
        _text(c, c + 42, "电子印章", 16),
        _text(c, c + 62, "村治平台", 10),
        _text(c, c + 75, number, 9),
        "</svg>",
    ]
    return "".join(parts)


def seal_for(village) -> SafeString:
    name = f"{village.township.name}{village.name}"
    number = village.seal_number or f"CZ-{village.code}".upper()[:24]
    return mark_safe(seal_svg(name, number))
