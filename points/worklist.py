"""Reads for the cadres' admin home: today's work of the points ledger in the villages given —
entries waiting for review, objections to answer, publications whose objection window ends
soon. A fixed number of queries, whatever the lists' length."""

from datetime import datetime

from django.db.models import Count

from .models import Entry, EntryStatus, Objection, ObjectionStatus, Publication

SHOWN = 8
WAITING = [EntryStatus.RECORDED, EntryStatus.CLAIMED]


def entries_to_review(village_ids) -> int:
    return Entry.objects.filter(village_id__in=village_ids, status__in=WAITING).count()


def objections_to_answer(village_ids) -> tuple[list[Objection], int]:
    qs = (
        Objection.objects.filter(village_id__in=village_ids, status=ObjectionStatus.OPEN)
        .select_related("entry__account__household", "entry__rule", "villager")
        .order_by("filed_at", "pk")
    )
    rows = list(qs[: SHOWN + 1])
    return rows[:SHOWN], (len(rows) if len(rows) <= SHOWN else qs.count())


def publications_closing(village_ids, until: datetime) -> list[Publication]:
    """积分公示 not yet posted whose objection window ends before `until`."""
    return list(
        Publication.objects.filter(
            village_id__in=village_ids, closed_at__isnull=True, objection_ends_at__lte=until
        )
        .annotate(n=Count("entries"))
        .order_by("objection_ends_at", "pk")[:SHOWN]
    )


def publications_open(village_ids) -> list[Publication]:
    return list(
        Publication.objects.filter(village_id__in=village_ids, closed_at__isnull=True)
        .annotate(n=Count("entries"))
        .order_by("objection_ends_at", "pk")[:SHOWN]
    )


def pending_by_household(households) -> dict[int, int]:
    """Entries recorded or claimed and not yet reviewed, per household of `households` (a
    queryset of households) — one query."""
    return dict(
        Entry.objects.filter(account__household__in=households.values("pk"), status__in=WAITING)
        .values_list("account__household_id")
        .annotate(n=Count("pk"))
        .values_list("account__household_id", "n")
    )
