"""Natural order for the names people give grids and areas: 二片区 before 十片区, 3号 before 12号.

Unicode order puts 一, 七, 三, 九, 二 in a row; a village counts 一, 二, 三 … 十, 十一, 二十.
Every list of grids or areas sorts with `natural_key`.
"""

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.forms.models import ModelChoiceIterator

T = TypeVar("T")

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMBER = re.compile(r"\d+|[零〇一二两三四五六七八九十百千]+")


def chinese_number(text: str) -> int:
    """十一 → 11, 二十 → 20, 一百零五 → 105; a run without units reads digit by digit (二〇二五)."""
    if not any(c in _UNITS for c in text):
        return int("".join(str(_DIGITS[c]) for c in text))
    total, digit = 0, 0
    for c in text:
        if c in _UNITS:
            total += (digit or 1) * _UNITS[c]
            digit = 0
        else:
            digit = _DIGITS[c]
    return total + digit


def natural_key(name: str) -> tuple:
    """A sort key reading each run of Arabic or Chinese numerals as its number."""
    name = name or ""
    key: list[tuple] = []
    position = 0
    for match in _NUMBER.finditer(name):
        if match.start() > position:
            key.append((1, 0, name[position : match.start()]))
        run = match.group()
        key.append((0, int(run) if run.isdigit() else chinese_number(run), run))
        position = match.end()
    if position < len(name):
        key.append((1, 0, name[position:]))
    return tuple(key)


def grid_key(grid) -> tuple:
    """An area after its large grid: 第一网格 · 二片区 before 第二网格 · 十片区."""
    parent = grid.parent.name if grid.parent_id else ""
    return (natural_key(parent), natural_key(grid.name)) if parent else (natural_key(grid.name),)


def natural_sorted(items: Iterable[T], key: Callable[[T], str] = str) -> list[T]:
    return sorted(items, key=lambda item: natural_key(key(item)))


def sorted_grids(grids: Iterable[T]) -> list[T]:
    return sorted(grids, key=grid_key)


class NaturalGridChoiceIterator(ModelChoiceIterator):
    """Choices of a grid field in natural order (the queryset should select `parent`)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in sorted_grids(self.queryset):
            yield self.choice(obj)


def sort_grid_choices(field) -> None:
    """Make a ModelChoiceField / ModelMultipleChoiceField of grids list them in natural order."""
    field.iterator = NaturalGridChoiceIterator
    field.widget.choices = field.choices
