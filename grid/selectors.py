"""Reads of grid events: whose list holds which events (the villager's own, the officer's
areas, the village for its cadres, the late ones for the secretary and the township), an
area's and a village's counts this month. A fixed number of queries per list."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from village import officers, permissions
from village.models import Grid, GridLevel, Village

from .models import EventStatus, GridEvent
from .models.events import OPEN_STATUSES
from .permissions import GridAction

SHOWN = 50


def _listed(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("village", "area", "reporter").order_by("-reported_at", "-pk")


def events_for(user, village: Village) -> QuerySet[GridEvent]:
    """The events `user` may list in `village`: all of them for its cadres (and the township's
    staff), those of their areas for a grid officer, their own (their household's, for a
    亲情账号) for a villager; none for anyone else."""
    events = GridEvent.objects.filter(village=village)
    if permissions.can(user, GridAction.EVENT_VIEW, village):
        areas = officers.officer_areas(user, village) if _is_officer_only(user, village) else None
        if areas is not None:
            own = _own_condition(user, village)
            return _listed(events.filter(Q(area_id__in=areas) | own))
        return _listed(events)
    return _listed(events.filter(_own_condition(user, village)))


def _is_officer_only(user, village: Village) -> bool:
    roles = permissions.roles_of(user).village_roles.get(village.pk, set())
    # The supervision committee reads the whole village, whatever grid its member also keeps.
    whole = officers.WHOLE_VILLAGE_ROLES | {"supervision"}
    return "grid_officer" in roles and not (roles & whole)


def _own_condition(user, village: Village) -> Q:
    villager, proxy = permissions.in_name_of(user, village)
    if villager is None:
        return Q(pk__in=[])
    if proxy is not None:
        return Q(reporter__household_id=proxy.household_id)
    return Q(reporter_id=villager.pk)


def may_see(user, event: GridEvent) -> bool:
    return events_for(user, event.village).filter(pk=event.pk).exists()


def event_for(user, event_id: int) -> GridEvent:
    """An event `user` may see, with its trail; 404 otherwise (also for another village's)."""
    event = (
        GridEvent.objects.select_related("village", "area", "reporter", "officer", "suggestion")
        .filter(pk=event_id)
        .first()
    )
    if event is None or not may_see(user, event):
        raise Http404
    event.trail = list(event.steps.select_related("actor").order_by("at", "pk"))
    return event


def villages_listed(user) -> list[Village]:
    """The villages whose events the user has a list in (resident, officer, cadre, township)."""
    return list(permissions.visible_villages(user).select_related("township").order_by("name"))


def late_events(village_ids, *, level: int, now=None) -> QuerySet[GridEvent]:
    """Open events past their deadline (level 1: the secretary's home) or past the second
    deadline (level 2: the township's list), oldest deadline first."""
    now = now or timezone.now()
    events = GridEvent.objects.filter(village_id__in=village_ids, status__in=OPEN_STATUSES)
    if level >= 2:
        events = events.filter(township_at__lte=now)
    else:
        events = events.filter(due_at__lte=now)
    return events.select_related("village", "area").order_by("due_at", "pk")


def officer_open(user, village_ids) -> list[GridEvent]:
    """The open events of the areas `user` is grid officer of, soonest deadline first (one
    query)."""
    return list(
        GridEvent.objects.filter(village_id__in=village_ids, status__in=OPEN_STATUSES)
        .filter(officers.officer_area_condition(user, village_ids))
        .select_related("village", "area")
        .order_by("due_at", "pk")[:SHOWN]
    )


def secretary_open(village_ids, *, now) -> tuple[list[GridEvent], list[GridEvent]]:
    """The secretary's two lists in one query: the late events and those of areas without an
    officer."""
    found = list(
        GridEvent.objects.filter(village_id__in=village_ids, status__in=OPEN_STATUSES)
        .filter(Q(due_at__lte=now) | Q(officer__isnull=True))
        .select_related("village", "area")
        .order_by("due_at", "pk")[: 2 * SHOWN]
    )
    late = [e for e in found if e.due_at <= now][:SHOWN]
    unassigned = [e for e in found if e.officer_id is None][:SHOWN]
    return late, unassigned


@dataclass
class AreaCounts:
    area: str
    reported: int = 0
    accepted: int = 0
    handled: int = 0
    confirmed: int = 0
    late: int = 0

    @property
    def total(self) -> int:
        return self.reported + self.accepted + self.handled + self.confirmed


def month_start(day: date) -> date:
    return day.replace(day=1)


def counts_by_area(village: Village, month: date, now=None) -> list[AreaCounts]:
    """This month's events of each area of `village` by status, and how many open ones are late
    (one query for the areas, one for the counts)."""
    now = now or timezone.now()
    start = month_start(month)
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    rows = {
        area.pk: AreaCounts(area=area.name)
        for area in Grid.objects.filter(village=village, level=GridLevel.AREA).order_by("name")
    }
    counted = (
        GridEvent.objects.filter(
            village=village, reported_at__date__gte=start, reported_at__date__lt=end
        )
        .values("area_id", "status")
        .annotate(
            n=Count("pk"),
            late=Count("pk", filter=Q(status__in=OPEN_STATUSES, due_at__lte=now)),
        )
    )
    for row in counted:
        counts = rows.get(row["area_id"])
        if counts is None:
            continue
        setattr(counts, row["status"], getattr(counts, row["status"]) + row["n"])
        counts.late += row["late"]
    return list(rows.values())


def village_totals(rows: list[AreaCounts]) -> AreaCounts:
    total = AreaCounts(area="")
    for row in rows:
        for status in EventStatus.values:
            setattr(total, status, getattr(total, status) + getattr(row, status))
        total.late += row.late
    return total
