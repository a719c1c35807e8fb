"""What the procedure tells people through the outbox (village/services/outbox.py): a vote
opened, to everyone on its voter list; a vote closing within a day, once, to those on the list
who have not voted yet — the reminder goes to each of them alone, so no one else learns who
has not voted."""

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from village import services as village_services
from village.models import NotificationKind, Villager
from village.permissions import SYSTEM

from ..models import Attendance, MatterStatus, Meeting, Participation, Step

# How long before a vote closes its reminder goes out.
REMIND_BEFORE = timedelta(hours=24)


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%m月%d日 %H:%M")


def _voter_list(meeting: Meeting) -> QuerySet[Villager]:
    return Villager.objects.filter(
        pk__in=Attendance.objects.filter(meeting=meeting).values("villager_id")
    )


def vote_opened_tell(*, actor, meeting: Meeting):
    """Tell the voter list that the vote is open (from when it opens)."""
    matter = meeting.matter
    return village_services.notification_send(
        actor=actor,
        village=matter.village,
        key=f"vote-opened:{meeting.pk}",
        kind=NotificationKind.VOTE_OPENED,
        title=_("投票开始：%s") % matter.title,
        body=_("网上投票时间：%(a)s 至 %(b)s。")
        % {"a": _when(meeting.vote_opens_at), "b": _when(meeting.vote_closes_at)},
        url=reverse("deliberation:matter", args=[matter.pk]),
        villagers=_voter_list(meeting),
        send_after=meeting.vote_opens_at,
    )


def votes_closing_remind(*, now: datetime | None = None) -> int:
    """Each vote closing within `REMIND_BEFORE`: one reminder to each person on its voter list
    who has not voted. Once per vote, however often this runs. Returns the votes reminded."""
    now = now or timezone.now()
    meetings = Meeting.objects.filter(
        step=Step.RESOLUTION,
        matter__status=MatterStatus.VOTING,
        vote_opens_at__lte=now,
        vote_closes_at__gt=now,
        vote_closes_at__lte=now + REMIND_BEFORE,
    ).select_related("matter__village")
    reminded = 0
    for meeting in meetings:
        matter = meeting.matter
        not_voted = _voter_list(meeting).exclude(
            pk__in=Participation.objects.filter(meeting=meeting).values("voter_id")
        )
        village_services.notification_send(
            actor=SYSTEM,
            village=matter.village,
            key=f"vote-closing:{meeting.pk}",
            kind=NotificationKind.VOTE_CLOSING,
            title=_("投票即将截止：%s") % matter.title,
            body=_("网上投票 %s 截止，您还没有投票。") % _when(meeting.vote_closes_at),
            url=reverse("deliberation:matter", args=[matter.pk]),
            villagers=not_voted,
        )
        reminded += 1
    return reminded
