"""Splitting a pool of money (in fen) by points: exact shares as fractions, per-household caps
by water-filling, then the largest remainder method so the parts sum exactly to the pool.

Ties for the last fen go to the larger weight, then to the smaller key (the household number):
a stated rule that gives the same result on every run.
"""

from fractions import Fraction
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from village.money import yuan


class Part(NamedTuple):
    """One household's part; a tuple, as a county's allocation makes 150,000 of them."""

    key: str
    weight: int
    numerator: int  # the exact share is numerator / denominator fen
    denominator: int
    amount: int
    capped: bool

    @property
    def exact(self) -> Fraction:
        """The exact share in fen (made on demand: a county's allocation has 150,000 parts)."""
        return Fraction(self.numerator, self.denominator)


def allocate(pool: int, weights: dict[str, int], cap: int | None = None) -> dict[str, Part]:
    """Split `pool` fen over `weights` (key → non-negative integer weight).

    Every part is within one fen of its exact share and the parts sum to `pool`. With a cap,
    a household whose exact share exceeds the cap gets the cap and the rest is shared again
    among the others. Raises ValidationError when nothing can be shared.
    """
    if pool < 0:
        raise ValidationError(_("分配总额不能为负数。"))
    if any(w < 0 for w in weights.values()):
        raise ValidationError(_("计分不能为负数。"))
    positive = {k: w for k, w in weights.items() if w > 0}
    if pool and not positive:
        raise ValidationError(_("没有符合条件（得分高于起算分）的户，无法分配。"))
    if cap is not None and cap * len(positive) < pool:
        raise ValidationError(
            _("每户上限过低：%(n)s 户最多分得 %(max)s，少于总额 %(pool)s。")
            % {"n": len(positive), "max": yuan(cap * len(positive)), "pool": yuan(pool)}
        )
    # Exact shares as (numerator, denominator) in integers: every share still open when the
    # water-filling stops has the same denominator (that round's total weight), so remainders
    # compare as integers — a county's allocation is 150,000 households.
    exact: dict[str, tuple[int, int]] = {k: (0, 1) for k in weights}
    capped: set[str] = set()
    remaining_pool = pool
    open_keys = dict(positive)
    while open_keys:
        total = sum(open_keys.values())
        over = [
            k for k, w in open_keys.items() if cap is not None and remaining_pool * w > cap * total
        ]
        if not over:
            exact.update({k: (remaining_pool * w, total) for k, w in open_keys.items()})
            break
        for k in over:
            exact[k] = (cap, 1)
            capped.add(k)
            remaining_pool -= cap
            del open_keys[k]
    amounts = {k: n // d for k, (n, d) in exact.items()}  # floor: shares are non-negative
    remainders = {k: n % d for k, (n, d) in exact.items() if k not in capped}
    left = pool - sum(amounts.values())
    order = sorted(
        (k for k, r in remainders.items() if r > 0),
        key=lambda k: (-remainders[k], -weights[k], k),
    )
    for k in order[:left]:
        amounts[k] += 1
    return {k: Part(k, weights[k], *exact[k], amounts[k], k in capped) for k in sorted(weights)}
