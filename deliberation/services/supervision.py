"""村务监督委员会 on a matter (组织法 Art. 32): countersign or dispute a closed meeting's tally,
record an opinion on the matter at any step. The note itself is the core's
(village.services.supervision_note); here, what may be noted."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from village import services as village_services
from village.models import Stance

from ..models import Matter, Meeting, MeetingStatus


def meeting_supervise(*, actor, meeting: Meeting, stance: str, text: str = ""):
    """Countersign (会签) or dispute (with a reason) the tally of a closed meeting."""
    if stance not in (Stance.COUNTERSIGN, Stance.DISPUTE):
        raise ValidationError(_("会议计票只能会签或提出异议。"), code="stance")
    meeting = Meeting.objects.select_related("matter__village").get(pk=meeting.pk)
    if meeting.status != MeetingStatus.CLOSED:
        raise ValidationError(_("会议还没有计票，不能会签。"), code="open")
    return village_services.supervision_note(
        actor=actor,
        village=meeting.matter.village,
        subject=meeting,
        stance=stance,
        text=text,
        context={"matter": meeting.matter_id, "step": meeting.step},
    )


def matter_opinion(*, actor, matter: Matter, text: str):
    """The committee's opinion on a matter, at any step: shown on the matter, its trail, the
    audit API and PDF."""
    return village_services.supervision_note(
        actor=actor,
        village=matter.village,
        subject=matter,
        stance=Stance.OPINION,
        text=text,
        context={"matter": matter.pk},
    )
