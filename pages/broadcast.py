"""大喇叭播音稿: a notice as the village loudspeaker reads it — a call to attention, the notice in
short sentences with every number written as it is spoken, a request to pass it on, and the
whole read twice, as village broadcasters do."""

import html
import re

from django.utils.translation import gettext as _

from .documents import printable_html
from .models import NoticePage
from .selectors import village_of_page

DIGITS = "零一二三四五六七八九"
# Read one by one: 〇 in a year, 幺 for 1 in a phone number (as said on the telephone).
YEAR_DIGITS = "〇一二三四五六七八九"
PHONE_DIGITS = "零幺二三四五六七八九"
# Sentences longer than this are cut at their commas: a listener hears one thing at a time.
LONGEST = 30


def spoken_integer(n: int) -> str:
    """12 → 十二, 105 → 一百零五, 2000 → 两千, 30500 → 三万零五百: as it is said aloud."""
    if n == 0:
        return DIGITS[0]
    if n >= 10**8:
        high, low = divmod(n, 10**8)
        return spoken_integer(high) + "亿" + _below(low, 10**7)
    if n >= 10**4:
        high, low = divmod(n, 10**4)
        return spoken_integer(high) + "万" + _below(low, 10**3)
    return _under_10000(n)


def _below(n: int, unit: int) -> str:
    """The part after 万 or 亿: 零 when its first place is empty."""
    if n == 0:
        return ""
    return ("零" if n < unit else "") + spoken_integer(n)


def _under_10000(n: int) -> str:
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, value)
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        if digit == 2 and unit in ("千", "百"):
            out += "两"
        elif not (digit == 1 and unit == "十" and not out):  # 十二, not 一十二
            out += DIGITS[digit]
        out += unit
    return out


def _digits(text: str, table: str) -> str:
    return "".join(table[int(c)] for c in text)


_RULES = [
    # A mobile number, digit by digit.
    (re.compile(r"(?<!\d)1\d{10}(?!\d)"), lambda m: _digits(m.group(0), PHONE_DIGITS)),
    # A date 2026-12-07 or 2026年12月7日.
    (
        re.compile(r"(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})日?"),
        lambda m: (
            f"{_digits(m.group(1), YEAR_DIGITS)}年{spoken_integer(int(m.group(2)))}月"
            f"{spoken_integer(int(m.group(3)))}日"
        ),
    ),
    (re.compile(r"(\d{4})年"), lambda m: f"{_digits(m.group(1), YEAR_DIGITS)}年"),
    # A time 8:00 or 8:30.
    (
        re.compile(r"(\d{1,2})[:：](\d{2})"),
        lambda m: (
            f"{spoken_integer(int(m.group(1)))}点"
            + ("" if m.group(2) == "00" else f"{spoken_integer(int(m.group(2)))}分")
        ),
    ),
    (re.compile(r"(\d+)%"), lambda m: f"百分之{spoken_integer(int(m.group(1)))}"),
    (
        re.compile(r"(\d+)\.(\d+)"),
        lambda m: f"{spoken_integer(int(m.group(1)))}点{_digits(m.group(2), DIGITS)}",
    ),
    (re.compile(r"\d+"), lambda m: spoken_integer(int(m.group(0)))),
]


def spoken(text: str) -> str:
    """Every number in `text` as it is read aloud."""
    text = re.sub(r"(?<=\d)[,，](?=\d{3}(?!\d))", "", text)  # 12,000 → 12000
    for pattern, say in _RULES:
        text = pattern.sub(say, text)
    return text


def sentences(text: str) -> list[str]:
    """Short sentences: cut at 。！？；, and a long one again at its commas."""
    out = []
    for sentence in re.findall(r"[^。！？；!?;\n]+[。！？；!?;]?", text):
        sentence = sentence.strip()
        if not sentence:
            continue
        if len(sentence) <= LONGEST:
            out.append(sentence)
            continue
        parts = [p for p in re.split(r"(?<=[，,、])", sentence) if p.strip()]
        line = ""
        for part in parts:
            if line and len(line) + len(part) > LONGEST:
                out.append(line.rstrip("，,、") + "，")
                line = ""
            line += part
        if line:
            out.append(line)
    return out


def script(notice: NoticePage) -> dict:
    """The broadcast: its opening, the notice's sentences, the closing; read twice."""
    village = village_of_page(notice)
    name = village.name if village is not None else ""
    body = html.unescape(re.sub(r"<[^>]+>", "\n", printable_html(notice.body)))
    lines = [spoken(s) for s in sentences(body)]
    return {
        "opening": [
            _("各位村民请注意，各位村民请注意！"),
            _("现在播送%(village)s村委会通知。") % {"village": name},
            spoken(notice.title) + "。",
        ],
        "lines": lines,
        "closing": [_("以上通知，请大家相互转告。"), _("下面再播送一遍。")],
        "end": _("播送完毕。"),
    }
