"""Reads for the cadres' admin home: today's work of the procedure in the villages given —
objections waiting for an answer, matters waiting for their next step (and what is missing),
publications that close soon. A fixed number of queries, whatever the lists' length."""

from datetime import datetime

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Matter, MatterStatus, Meeting, MeetingStatus, Objection, Publication, Step

SHOWN = 8


def objections_to_answer(village_ids) -> tuple[list[Objection], int]:
    """Objections to a publication nobody has answered yet, oldest first (the matter cannot
    move on until each is answered)."""
    qs = (
        Objection.objects.filter(
            publication__matter__village_id__in=village_ids, answered_at__isnull=True
        )
        .select_related("publication__matter", "villager")
        .order_by("filed_at", "pk")
    )
    rows = list(qs[: SHOWN + 1])
    return rows[:SHOWN], (len(rows) if len(rows) <= SHOWN else qs.count())


def _next_step(matter: Matter) -> str | None:
    status = matter.status
    if status in (MatterStatus.DRAFT, MatterStatus.DELIBERATING):
        if status == MatterStatus.DELIBERATING and matter.current_step == Step.RESOLUTION:
            return _("冻结文本并开始表决")
        return _("召开并记录：%(step)s") % {"step": Step(matter.current_step).label}
    if status == MatterStatus.VOTING:
        return _("投票已截止，待计票") if matter.vote_due else None
    if status == MatterStatus.RESOLVED:
        return _("发布决议公开")
    if status in (MatterStatus.PUBLISHING, MatterStatus.RESULT_PUBLISHING):
        return _("公开期已满，待结束公开") if matter.publication_due else None
    if status == MatterStatus.IMPLEMENTING:
        return _("登记实施进展，完成后公开实施结果")
    if status == MatterStatus.RETURNED:
        return _("修改形成新版本后重新提议，或撤回")
    return None


def matters_waiting(village_ids, *, now: datetime | None = None) -> tuple[list[dict], int]:
    """Matters whose next step is the cadres' to take, each with that step and what is missing
    from the steps already held (a meeting without minutes). A matter still in its vote or
    publication window waits for time, not for a cadre, and is left out."""
    now = now or timezone.now()
    no_minutes = Meeting.objects.filter(matter=OuterRef("pk"), minutes="")
    vote_due = Meeting.objects.filter(
        matter=OuterRef("pk"),
        step=Step.RESOLUTION,
        status=MeetingStatus.OPEN,
        vote_closes_at__lte=now,
    )
    publication_due = Publication.objects.filter(
        matter=OuterRef("pk"), closed_at__isnull=True, ends_at__lte=now
    )
    waiting = Q(
        status__in=[
            MatterStatus.DRAFT,
            MatterStatus.DELIBERATING,
            MatterStatus.RESOLVED,
            MatterStatus.IMPLEMENTING,
            MatterStatus.RETURNED,
        ]
    )
    waiting |= Q(status=MatterStatus.VOTING, vote_due=True)
    waiting |= Q(
        status__in=[MatterStatus.PUBLISHING, MatterStatus.RESULT_PUBLISHING],
        publication_due=True,
    )
    qs = (
        Matter.objects.filter(village_id__in=village_ids)
        .annotate(
            minutes_missing=Exists(no_minutes),
            vote_due=Exists(vote_due),
            publication_due=Exists(publication_due),
        )
        .filter(waiting)
        .select_related("village")
        .order_by("created_at", "pk")
    )
    matters = list(qs[: SHOWN + 1])
    total = len(matters) if len(matters) <= SHOWN else qs.count()
    rows = []
    for matter in matters[:SHOWN]:
        missing = [_("会议纪要")] if matter.minutes_missing else []
        rows.append(
            {
                "matter": matter,
                "next": _next_step(matter),
                "missing": missing,
                "url": reverse("deliberation_admin_matter", args=[matter.pk]),
            }
        )
    return rows, total


def publications_closing(village_ids, until: datetime) -> list[Publication]:
    """Open publications (决议公开, 实施结果公开) whose window ends before `until`."""
    return list(
        Publication.objects.filter(
            matter__village_id__in=village_ids, closed_at__isnull=True, ends_at__lte=until
        )
        .select_related("matter")
        .order_by("ends_at", "pk")[:SHOWN]
    )


def publications_open(village_ids) -> list[Publication]:
    """Publications still open, ending first first: what the supervision committee watches."""
    return list(
        Publication.objects.filter(matter__village_id__in=village_ids, closed_at__isnull=True)
        .select_related("matter")
        .order_by("ends_at", "pk")[:SHOWN]
    )
