"""Quorum and pass rules of each step, from the village's rule set, in integers only.

Each verdict is a dict stored on the meeting: the numbers, the rule, its source and a sentence
a villager can read.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from village.models import RuleSet, Threshold

from .models import Body


@dataclass
class Count:
    should_attend: int
    present: int
    households_total: int
    households_present: int
    yes: int
    no: int
    abstain: int


def _check(rules: RuleSet, key: str, count: int, total: int, what: str) -> dict:
    threshold = Threshold(getattr(rules, key))
    return {
        "rule_key": key,
        "rule": rules_text(rules, key),
        "source": RuleSet.source(key),
        "count": count,
        "total": total,
        "minimum": threshold.minimum(total),
        "met": threshold.met(count, total),
        "what": what,
    }


def rules_text(rules: RuleSet, key: str) -> str:
    return str(Threshold(getattr(rules, key)))


QUORUM_KEYS = {
    Body.BRANCH_COMMITTEE: "branch_quorum",
    Body.TWO_COMMITTEES: "committees_quorum",
    Body.PARTY_MEMBERS: "party_quorum",
    Body.VILLAGERS: "villagers_quorum_people",
    Body.REPRESENTATIVES: "representatives_quorum",
}
PASS_KEYS = {
    Body.BRANCH_COMMITTEE: "branch_pass",
    Body.TWO_COMMITTEES: "committees_pass",
    Body.PARTY_MEMBERS: "party_pass",
    Body.VILLAGERS: "villagers_pass",
    Body.REPRESENTATIVES: "representatives_pass",
}
# Whose number the yes votes are compared with: the body's members or those present.
PASS_BASE_IS_MEMBERS = {Body.BRANCH_COMMITTEE, Body.PARTY_MEMBERS}


def verdict(rules: RuleSet, body: str, count: Count) -> dict:
    """The verdict is stored as part of the permanent record: always in the village's language,
    whatever language the cadre's screen is in."""
    with translation.override(settings.LANGUAGE_CODE):
        return _verdict(rules, body, count)


def _verdict(rules: RuleSet, body: str, count: Count) -> dict:
    body = Body(body)
    quorum = _check(
        rules, QUORUM_KEYS[body], count.present, count.should_attend, _("到会人数/应到人数")
    )
    quorum_alt = None
    if body == Body.VILLAGERS:
        quorum_alt = _check(
            rules,
            "villagers_quorum_households",
            count.households_present,
            count.households_total,
            _("到会户数/应到户数"),
        )
    quorum_met = quorum["met"] or bool(quorum_alt and quorum_alt["met"])
    base = count.should_attend if body in PASS_BASE_IS_MEMBERS else count.present
    what = _("赞成票/应到人数") if body in PASS_BASE_IS_MEMBERS else _("赞成票/到会人数")
    pass_check = _check(rules, PASS_KEYS[body], count.yes, base, what)
    passed = quorum_met and pass_check["met"]
    return {
        "body": body.value,
        "quorum": quorum,
        "quorum_households": quorum_alt,
        "quorum_met": quorum_met,
        "pass": pass_check,
        "passed": passed,
        "tally": {"yes": count.yes, "no": count.no, "abstain": count.abstain},
        "explanation": explain(body, count, quorum, quorum_alt, quorum_met, pass_check, passed),
    }


def explain(body, count, quorum, quorum_alt, quorum_met, pass_check, passed) -> str:
    parts = [
        _("应到 %(total)d 人，实到 %(count)d 人（要求 %(rule)s，至少 %(min)d 人）")
        % {
            "total": quorum["total"],
            "count": quorum["count"],
            "rule": quorum["rule"],
            "min": quorum["minimum"],
        }
    ]
    if quorum_alt:
        parts.append(
            _("应到 %(total)d 户，到会 %(count)d 户（要求 %(rule)s，至少 %(min)d 户）")
            % {
                "total": quorum_alt["total"],
                "count": quorum_alt["count"],
                "rule": quorum_alt["rule"],
                "min": quorum_alt["minimum"],
            }
        )
    parts.append(_("达到法定人数") if quorum_met else _("未达到法定人数"))
    parts.append(
        _("赞成 %(yes)d 票，反对 %(no)d 票，弃权 %(abstain)d 票")
        % {"yes": count.yes, "no": count.no, "abstain": count.abstain}
    )
    parts.append(
        _("通过要求赞成票 %(rule)s（以 %(total)d 为基数，至少 %(min)d 票）")
        % {"rule": pass_check["rule"], "total": pass_check["total"], "min": pass_check["minimum"]}
    )
    parts.append(_("结论：通过") if passed else _("结论：未通过"))
    return "；".join(parts) + "。"
