"""Money: stored as integer 分 (fen) everywhere, typed and shown in 元 (yuan) with two decimals.

One parser (`fen_from_yuan`, and `YuanField` for forms), one style of display (`yuan`:
"80,000.00 元"; `yuan_figure` is the same figure without the unit, for a column whose heading
already says （元）), exact `Decimal` yuan for spreadsheets and the API, and the capital amount
(`rmb_upper`) of financial papers. No float ever touches an amount.
"""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# One trillion yuan (10^12 元) is past any village's budget and well inside a BigIntegerField.
MAX_WHOLE_DIGITS = 12
# Excel's number format for a yuan cell: thousands separators and always two decimals.
XLSX_FORMAT = "#,##0.00"

_WIDE = str.maketrans("０１２３４５６７８９．－", "0123456789.-")
_AMOUNT = re.compile(r"(?P<minus>-)?(?P<whole>[0-9]+)(?:\.(?P<frac>[0-9]*))?(?P<wan>万)?")


def fen_from_yuan(value, label=None) -> int:
    """What a person typed in 元 → 分, exactly. Accepts "80000", "80,000", "80000.5",
    "1234.50", "0.01", "¥80000", "80000元" and "8万" / "8.5万"; refuses more than two decimals
    (of 元), negative amounts and anything that is not a number, each with its own message."""
    named, label = label is not None, label or gettext("金额")
    text = str(value if value is not None else "").strip().translate(_WIDE)
    text = re.sub(r"[\s,，¥￥]", "", text).removesuffix("元")
    match = _AMOUNT.fullmatch(text)
    if not match:
        if not named:
            raise ValidationError(gettext("请填写以元为单位的金额，如 80000 或 1234.50。"))
        message = gettext("%(label)s须为金额（元，最多两位小数），如 80000 或 1234.50。")
        raise ValidationError(message % {"label": label}, code="invalid")
    if match["minus"]:
        raise ValidationError(gettext("%(label)s不能为负数。") % {"label": label}, code="negative")
    whole, frac = match["whole"].lstrip("0") or "0", match["frac"] or ""
    scale = 10_000 if match["wan"] else 1  # 1 万元 = 10 000 元: four more decimals allowed
    if len(frac.rstrip("0")) > 2 + (4 if scale > 1 else 0):
        raise ValidationError(
            gettext("%(label)s最多两位小数（精确到分）。") % {"label": label}, code="decimals"
        )
    fen = int((Decimal(f"{whole}.{frac or 0}") * scale * 100).to_integral_exact())
    if len(str(fen // 100)) > MAX_WHOLE_DIGITS:
        raise ValidationError(gettext("%(label)s数值过大。") % {"label": label}, code="too_large")
    return fen


def yuan_decimal(fen: int) -> Decimal:
    """分 → 元 as an exact Decimal with two places (80000.00): for spreadsheets and the API."""
    return Decimal(fen).scaleb(-2).quantize(Decimal("0.01"))


def yuan_figure(fen: int | None) -> str:
    """分 → "80,000.00": the figure under a heading that already says （元）."""
    if fen is None or fen == "":
        return ""
    fen = int(fen)
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def yuan(fen: int | None) -> str:
    """分 → "80,000.00 元": how every screen, PDF and message shows an amount."""
    if fen is None or fen == "":
        return ""
    return gettext("%(amount)s 元") % {"amount": yuan_figure(fen)}


# --- the capital amount (大写金额) of financial papers ------------------------------------------

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
BIG_UNITS = ("", "万", "亿", "万亿")


def _upper_group(n: int) -> str:
    """0 < n < 10000 in capital numerals, zeros inside collapsed to one 零."""
    out, zero = "", False
    for i in range(3, -1, -1):
        d = n // 10**i % 10
        if d == 0:
            zero = bool(out)
        else:
            if zero:
                out += "零"
                zero = False
            out += DIGITS[d] + SMALL_UNITS[i]
    return out


def rmb_upper(fen: int) -> str:
    """Fen → the capital amount of financial papers, e.g. 50001 → 伍佰元零壹分."""
    if fen < 0:
        return "负" + rmb_upper(-fen)
    whole, jiao, fen_ = fen // 100, fen // 10 % 10, fen % 10
    text = ""
    if whole:
        groups = []
        n = whole
        while n:
            groups.append(n % 10000)
            n //= 10000
        need_zero = False
        for i in range(len(groups) - 1, -1, -1):
            g = groups[i]
            if g == 0:
                need_zero = bool(text)
                continue
            if text and (need_zero or g < 1000):
                text += "零"
            text += _upper_group(g) + BIG_UNITS[i]
            need_zero = False
        text += "元"
    if not jiao and not fen_:
        return (text or "零元") + "整"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif text:
        text += "零"
    if fen_:
        text += DIGITS[fen_] + "分"
    else:
        text += "整"
    return text


# --- the form field -------------------------------------------------------------------------------


class YuanField(forms.Field):
    """An amount typed in 元; `cleaned_data` holds integer 分 (or None when left empty)."""

    default_help_text = _("单位：元，最多两位小数，如 80000 或 1234.50；也可写“8万”。")

    def __init__(self, *, label_for_errors=None, **kwargs):
        kwargs.setdefault("help_text", self.default_help_text)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 14}),
        )
        super().__init__(**kwargs)
        self.label_for_errors = label_for_errors

    def to_python(self, value):
        if value in self.empty_values or not str(value).strip():
            return None
        return fen_from_yuan(value, self.label_for_errors)

    def prepare_value(self, value):
        # The stored 分 (initial data) is shown as 元; what the person typed is shown back as is.
        if isinstance(value, int) and not isinstance(value, bool):
            return str(yuan_decimal(value))
        return value
