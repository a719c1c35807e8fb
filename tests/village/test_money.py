"""Money is typed and shown in 元 with two decimals and stored as integer 分 (village.money)."""

from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.template import engines

from village import money


@pytest.mark.parametrize(
    ("typed", "fen"),
    [
        ("80000", 8_000_000),
        ("80000.5", 8_000_050),
        ("1234.50", 123_450),
        ("1234.5", 123_450),
        ("0.01", 1),
        ("0", 0),
        ("80,000.00", 8_000_000),
        ("¥80000", 8_000_000),
        ("80000元", 8_000_000),
        (" 80000 ", 8_000_000),
        ("８００００", 8_000_000),  # typed with a Chinese input method
        ("8万", 8_000_000),
        ("8.5万", 8_500_000),
        ("1.234567万", 1_234_567),
    ],
)
def test_amounts_in_yuan_are_stored_in_fen(typed, fen):
    assert money.fen_from_yuan(typed) == fen


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1234.567", "金额最多两位小数"),
        ("0.001", "金额最多两位小数"),
        ("1.2345678万", "金额最多两位小数"),
        ("-5", "金额不能为负数"),
        ("-0.01", "金额不能为负数"),
        ("abc", "请填写以元为单位的金额"),
        ("八万", "请填写以元为单位的金额"),
        ("²", "请填写以元为单位的金额"),
        ("1e5", "请填写以元为单位的金额"),
        ("", "请填写以元为单位的金额"),
        ("9999999999999", "金额数值过大"),
    ],
)
def test_malformed_amounts_are_refused_with_a_message(typed, message):
    with pytest.raises(ValidationError) as error:
        money.fen_from_yuan(typed)
    assert message in " ".join(error.value.messages)


def test_the_message_names_the_field_when_told():
    with pytest.raises(ValidationError, match="总额须为金额"):
        money.fen_from_yuan("A-001", "总额")
    with pytest.raises(ValidationError, match="每户上限不能为负数"):
        money.fen_from_yuan("-1", "每户上限")


@pytest.mark.parametrize(
    ("fen", "shown", "figure", "exact"),
    [
        (1, "0.01 元", "0.01", Decimal("0.01")),
        (123_450, "1,234.50 元", "1,234.50", Decimal("1234.50")),
        (8_000_000, "80,000.00 元", "80,000.00", Decimal("80000.00")),
        (0, "0.00 元", "0.00", Decimal("0.00")),
        (-123_450, "-1,234.50 元", "-1,234.50", Decimal("-1234.50")),
    ],
)
def test_one_style_of_display(fen, shown, figure, exact):
    assert money.yuan(fen) == shown
    assert money.yuan_figure(fen) == figure
    assert money.yuan_decimal(fen) == exact and str(money.yuan_decimal(fen)) == str(exact)


def test_template_filters():
    template = engines["django"].from_string(
        "{% load money %}[{{ a|yuan }}][{{ a|yuan_figure }}][{{ a|rmb_upper }}][{{ n|yuan }}]"
    )
    assert template.render({"a": 8_000_000, "n": None}) == "[80,000.00 元][80,000.00][捌万元整][]"


class AmountForm(forms.Form):
    amount = money.YuanField(required=False)


@pytest.mark.parametrize(("typed", "fen"), [("0.01", 1), ("1234.5", 123_450), ("80000", 8_000_000)])
def test_the_form_field_cleans_yuan_to_fen(typed, fen):
    form = AmountForm({"amount": typed})
    assert form.is_valid() and form.cleaned_data["amount"] == fen


@pytest.mark.parametrize(
    ("typed", "message"),
    [("1.234", "金额最多两位小数"), ("-1", "金额不能为负数"), ("八万", "请填写以元为单位的金额")],
)
def test_the_form_field_refuses(typed, message):
    form = AmountForm({"amount": typed})
    assert not form.is_valid() and message in form.errors["amount"][0]
    assert f'value="{typed}"' in str(form["amount"])  # what was typed comes back to correct


def test_the_form_field_shows_stored_fen_as_yuan_and_may_be_left_empty():
    assert 'value="80000.00"' in str(AmountForm(initial={"amount": 8_000_000})["amount"])
    form = AmountForm({"amount": ""})
    assert form.is_valid() and form.cleaned_data["amount"] is None


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (0, "零元整"),
        (1, "壹分"),
        (10, "壹角整"),
        (100, "壹元整"),
        (50001, "伍佰元零壹分"),
        (1000010, "壹万元壹角整"),
        (168032, "壹仟陆佰捌拾元叁角贰分"),
        (1000000, "壹万元整"),
        (10101, "壹佰零壹元零壹分"),
        (10050000, "壹拾万零伍佰元整"),
        (123456789, "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
        (100000000000, "壹拾亿元整"),
        (1000001000000, "壹佰亿零壹万元整"),
    ],
)
def test_capital_amounts(fen, words):
    assert money.rmb_upper(fen) == words
