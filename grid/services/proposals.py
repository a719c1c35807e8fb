"""Events that propose points: a villagers' (or representatives') meeting attended, a 说事 the
village adopted. Each proposes a recorded entry under a catalogue rule, for the committee's
usual review (points.services.entry_propose: never posted without it); the villager sees where
it came from. The same proposal twice proposes once (keys per meeting and household, per 说事)."""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.models import (
    Attendance,
    Body,
    Meeting,
    MeetingStatus,
    Suggestion,
    SuggestionStatus,
)
from points.models import Entry, Rule
from points.permissions import PointsAction
from points.services import entry_propose
from village import permissions
from village.models import Household, HouseholdStatus

MEETING_BODIES = (Body.VILLAGERS, Body.REPRESENTATIVES)


@dataclass
class Proposed:
    entries: list[Entry] = field(default_factory=list)
    # (household number, reason) for each household the rule could not be proposed for.
    refused: list[tuple[str, str]] = field(default_factory=list)


def _check_rule(rule: Rule, village) -> None:
    if rule.catalogue.village_id != village.pk:
        raise ValidationError({"rule": _("该规则不属于本村。")})
    if rule.points <= 0:
        raise ValidationError({"rule": _("只能建议加分项。")})


def meeting_attendance_propose(*, actor, meeting: Meeting, rule: Rule) -> Proposed:
    """One proposed entry per household with a member present at a closed villagers' or
    representatives' meeting. A household the rule cannot be proposed for (its cap reached,
    no longer in the roster) is listed with the reason; the others are proposed."""
    village = meeting.matter.village
    permissions.require(actor, PointsAction.REVIEW, village)
    if meeting.body not in MEETING_BODIES:
        raise ValidationError(_("只有村民会议、村民代表会议的到会可以建议积分。"))
    if meeting.status != MeetingStatus.CLOSED:
        raise ValidationError(_("会议结束后才能按到会建议积分。"))
    _check_rule(rule, village)
    present = Attendance.objects.filter(meeting=meeting, present=True).values(
        "villager__household_id"
    )
    households = Household.objects.filter(pk__in=present, village=village).order_by("number")
    source = _("参加%(body)s：%(title)s") % {
        "body": meeting.get_body_display(),
        "title": meeting.matter.title[:60],
    }
    proposed = Proposed()
    for household in households:
        if household.status != HouseholdStatus.ACTIVE:
            proposed.refused.append((household.number, _("该户已不在册。")))
            continue
        try:
            with transaction.atomic():
                entry = entry_propose(
                    actor=actor,
                    household=household,
                    rule=rule,
                    occurred_on=meeting.held_on,
                    reason=rule.text,
                    source=source,
                    idempotency_key=f"meeting-{meeting.pk}-{household.pk}",
                )
        except ValidationError as exc:
            proposed.refused.append((household.number, " ".join(exc.messages)))
        else:
            proposed.entries.append(entry)
    return proposed


@transaction.atomic
def suggestion_propose(*, actor, suggestion: Suggestion, rule: Rule) -> Entry:
    """A 说事 the village adopted as a matter proposes an entry for its villager's household."""
    village = suggestion.village
    permissions.require(actor, PointsAction.REVIEW, village)
    if suggestion.status != SuggestionStatus.ADOPTED:
        raise ValidationError(_("只有已转为议题的村民说事可以建议积分。"))
    _check_rule(rule, village)
    household = suggestion.villager.household
    if household is None:
        raise PermissionDenied(_("该村民没有所在户。"))
    return entry_propose(
        actor=actor,
        household=household,
        rule=rule,
        occurred_on=timezone.localdate(suggestion.created_at),
        reason=rule.text,
        source=_("村民说事被采纳：%(text)s") % {"text": suggestion.text[:40]},
        idempotency_key=f"saying-{suggestion.pk}",
    )
