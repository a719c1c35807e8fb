"""`{% load money %}`: `{{ fen|yuan }}` → "80,000.00 元", `{{ fen|yuan_figure }}` → "80,000.00"
under a heading that says （元）, `{{ fen|rmb_upper }}` → 捌万元整. Empty for None."""

from django import template

from village import money

register = template.Library()


@register.filter
def yuan(fen):
    return money.yuan(fen)


@register.filter
def yuan_figure(fen):
    return money.yuan_figure(fen)


@register.filter
def rmb_upper(fen):
    return "" if fen is None or fen == "" else money.rmb_upper(int(fen))
