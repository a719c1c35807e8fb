"""What a resolution must say for a welfare list to be published under it.

The platform writes the draft's terms into the matter's text as a block of labelled lines (the
heading, then `名称：值` per line); when the list is published, the block is read back from the
resolution's frozen text and compared line by line, so a refusal names what differs. The labels
are the legal text of the block and are never translated: a resolution read in English still
carries the Chinese block it was voted on.
"""

import re

from village.money import yuan_figure

# The matters that may decide a welfare list: deliberation's category values (组织法 Art. 24
# (三) 集体经济所得收益的使用).
WELFARE_CATEGORIES = ("collective_income",)

ALLOCATION = "【福利分配方案】"
STARS = "【星级文明户评定方案】"
FINGERPRINT = "名单指纹（SHA-256）"


def allocation_terms(allocation, fingerprint: str) -> list[tuple[str, str]]:
    cap = f"{yuan_figure(allocation.cap_fen)} 元" if allocation.cap_fen else "不设上限"
    return [
        ("名称", allocation.title),
        ("积分年度", str(allocation.year)),
        ("总额", f"{yuan_figure(allocation.pool_fen)} 元"),
        ("起算分", str(allocation.floor)),
        ("每户上限", cap),
        (FINGERPRINT, fingerprint),
    ]


def star_terms(star_round, fingerprint: str) -> list[tuple[str, str]]:
    thresholds = "；".join(
        f"{k}星 {v} 分"
        for k, v in sorted(star_round.thresholds.items(), key=lambda kv: -int(kv[0]))
    )
    return [
        ("评定年度", str(star_round.year)),
        ("星级门槛", thresholds),
        (FINGERPRINT, fingerprint),
    ]


def block(heading: str, terms: list[tuple[str, str]]) -> str:
    return "\n".join([heading, *(f"{label}：{value}" for label, value in terms)])


def differences(text: str, heading: str, terms: list[tuple[str, str]]) -> list[tuple]:
    """`(label, in the resolution, in the draft)` for every line that differs; a line missing
    from the resolution is `None` there. The block must be there once: none or two is an
    error the caller words (`ValueError` with "missing" or "twice")."""
    count = text.count(heading)
    if count == 0:
        raise ValueError("missing")
    if count > 1:
        raise ValueError("twice")
    after = text.split(heading, 1)[1]
    found = {}
    for line in after.splitlines()[1:]:
        label, sep, value = line.strip().partition("：")
        if not sep:
            break
        found.setdefault(label, value.strip())
    return [(label, found.get(label), value) for label, value in terms if found.get(label) != value]


_HEX = re.compile(r"^[0-9a-f]{64}$")


def short(value: str | None) -> str:
    """A fingerprint cut to its first 12 characters for a message; other values as they are."""
    if value and _HEX.match(value):
        return value[:12] + "…"
    return value or ""
