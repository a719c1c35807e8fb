"""Statutory floors of the rule set: a village may be stricter than the law, never looser.

Compared with Fractions, never floats. 民法典 Art. 1259: "以上" includes the number,
"过半数/超过" does not, so "≥ 1/2" lets a tie through that "> 1/2" refuses: it is looser.

This module imports nothing from `village.models` (whose `RuleSet.clean()` uses it), so it reads
threshold texts with its own copy of the grammar; a test keeps the two patterns equal.
"""

import re
from fractions import Fraction
from typing import NamedTuple

from django.utils.translation import gettext as _

# Same pattern as `village.models.THRESHOLD_RE`.
_SHARE_RE = re.compile(r"^\s*(>=|≥|>)\s*(\d+)\s*/\s*(\d+)\s*$")

_ORG_LAW = "《村民委员会组织法》"
_BRANCH_RULES = "《中国共产党支部工作条例（试行）》"

# Rule-set key → (floor, article). The two committees' meeting has no statute: its floor is
# the local rule (`RULE_SOURCES`) and majority rule under democratic centralism.
FLOORS: dict[str, tuple[str, str]] = {
    "branch_quorum": (">=1/2", f"{_BRANCH_RULES}第十二条：支部委员会会议半数以上委员到会"),
    "branch_pass": (">1/2", f"{_BRANCH_RULES}第十二条：赞成超过应到会委员的半数"),
    "committees_quorum": (">1/2", "两委联席会议议事规则（地方惯例）：过半数成员到会"),
    "committees_pass": (">1/2", "两委联席会议议事规则（地方惯例）：少数服从多数（民主集中制）"),
    "party_quorum": (">=1/2", f"{_BRANCH_RULES}第十一条：半数以上有表决权的党员到会"),
    "party_pass": (">1/2", f"{_BRANCH_RULES}第十一条：赞成超过应到会有表决权党员的半数"),
    "villagers_quorum_people": (
        ">1/2",
        f"{_ORG_LAW}第二十二条：本村十八周岁以上村民的过半数参加",
    ),
    "villagers_quorum_households": (">=2/3", f"{_ORG_LAW}第二十二条：三分之二以上的户的代表参加"),
    "villagers_pass": (">1/2", f"{_ORG_LAW}第二十二条：到会人员的过半数通过"),
    "representatives_quorum": (">=2/3", f"{_ORG_LAW}第二十六条：三分之二以上的组成人员参加"),
    "representatives_pass": (">1/2", f"{_ORG_LAW}第二十六条：到会人员的过半数同意"),
}
CUSTOMARY = frozenset({"committees_quorum", "committees_pass"})

ADULT_AGE_FLOOR = 18
ADULT_AGE_ARTICLE = f"{_ORG_LAW}第十三条：年满十八周岁的村民有选举权和被选举权"


class Breach(NamedTuple):
    """One rule of a rule set below its floor."""

    field: str
    value: str
    floor: str  # as shown: "> 1/2", "≥ 2/3", "18"
    article: str


def _share(text) -> tuple[Fraction, bool] | None:
    """(fraction, inclusive) of a threshold text, or None when it is malformed."""
    match = _SHARE_RE.match(text) if isinstance(text, str) else None
    if not match or int(match.group(3)) == 0:
        return None
    op, num, den = match.groups()
    return Fraction(int(num), int(den)), op in (">=", "≥")


def _shown(text: str) -> str:
    fraction, inclusive = _share(text)
    return f"{'≥' if inclusive else '>'} {fraction.numerator}/{fraction.denominator}"


def is_looser(value: str, floor: str) -> bool:
    """Whether threshold `value` lets through a count that `floor` refuses.

    T is at least as strict as F iff its fraction is higher, or equal and T is strict (">")
    or F inclusive (">="). A malformed `value` is not judged here: its field refuses it.
    """
    mine, least = _share(value), _share(floor)
    if mine is None:
        return False
    (a, t_inclusive), (b, f_inclusive) = mine, least
    if a != b:
        return a < b
    return t_inclusive and not f_inclusive


def breaches(ruleset) -> list[Breach]:
    """Every rule of `ruleset` below its floor, in field order."""
    found = [
        Breach(key, getattr(ruleset, key), _shown(floor), article)
        for key, (floor, article) in FLOORS.items()
        if is_looser(getattr(ruleset, key), floor)
    ]
    age = ruleset.adult_age
    if isinstance(age, int) and age < ADULT_AGE_FLOOR:  # a non-integer: its field refuses it
        found.append(Breach("adult_age", str(age), str(ADULT_AGE_FLOOR), ADULT_AGE_ARTICLE))
    return found


def message(breach: Breach) -> str:
    """The sentence a township admin reads under the refused field."""
    params = {"floor": breach.floor, "article": breach.article}
    if breach.field == "adult_age":
        return _("不得低于法定成年年龄 %(floor)s 周岁（%(article)s）") % params
    if breach.field in CUSTOMARY:
        return _("不得低于议事惯例的最低标准“%(floor)s”（%(article)s）") % params
    return _("不得低于法定标准“%(floor)s”（%(article)s）") % params


def violations(ruleset) -> dict[str, str]:
    """{field: message} for every rule of `ruleset` below its floor; empty when none is."""
    return {breach.field: message(breach) for breach in breaches(ruleset)}
