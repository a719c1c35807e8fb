"""What a resolution must say for a welfare list to be published under it.

The platform writes the draft's terms into the matter's text as a block of labelled lines (the
heading, then `名称：值` per line); when the list is published, the block is read back from the
resolution's frozen text and compared line by line, so a refusal names what differs. The labels
are the legal text of the block and are never translated: a resolution read in English still
carries the Chinese block it was voted on.
"""

import re
import unicodedata

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


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"))


def normalized(text: str) -> str:
    """The text as the comparison reads it: NFKC (full-width letters, digits and colons as
    their plain forms) and no invisible characters, so a look-alike cannot pass for a line."""
    return unicodedata.normalize("NFKC", text or "").translate(_INVISIBLE)


def differences(text: str, heading: str, terms: list[tuple[str, str]]) -> list[tuple]:
    """`(label, in the resolution, in the draft)` for every line that differs; a line missing
    from the resolution is `None` there. The block must be there exactly once, with each label
    once and no other line, and no label of it may appear elsewhere in the text (a second
    "总额：" above or below would tell the villagers something else): otherwise `ValueError`
    ("missing", "twice" or "ambiguous"), which the caller words. Lines are compared normalized
    (`normalized`); the resolution's values are returned as written."""
    raw = (text or "").splitlines()
    lines = [normalized(line) for line in raw]
    heading = normalized(heading)
    labels = {normalized(label) for label, _value in terms}
    count = sum(line.count(heading) for line in lines)
    if count == 0:
        raise ValueError("missing")
    if count > 1:
        raise ValueError("twice")
    start = next(i for i, line in enumerate(lines) if heading in line)
    block, shown, end = {}, {}, len(lines)
    for i in range(start + 1, len(lines)):
        label, sep, value = lines[i].strip().partition(":")
        if not sep:
            end = i
            break
        label = label.strip()
        if label in block or label not in labels:
            raise ValueError("ambiguous")
        block[label] = value.strip()
        shown[label] = raw[i].strip().split("：", 1)[-1].split(":", 1)[-1].strip()
    for line in [*lines[:start], *lines[end:]]:
        label, sep, _value = line.strip().partition(":")
        if sep and label.strip() in labels:
            raise ValueError("ambiguous")
    return [
        (label, shown.get(normalized(label)), value)
        for label, value in terms
        if block.get(normalized(label)) != normalized(value)
    ]


_HEX = re.compile(r"^[0-9a-f]{64}$")


def short(value: str | None) -> str:
    """A fingerprint cut to its first 12 characters for a message; other values as they are."""
    if value and _HEX.match(value):
        return value[:12] + "…"
    return value or ""
