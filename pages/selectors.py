"""Reads of the village sites: who may see a notice, a villager's notices with read state, the
per-area unread report and a grid officer's areas.

Who a notice reaches and a villager's notices are read by the notice pages themselves, so they
live beside them (pages/models/notices.py); they are re-exported here for the views, services
and documents."""

from dataclasses import dataclass

from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from village import officers, permissions
from village.models import (
    Household,
    HouseholdStatus,
    PartyMembership,
    Village,
    Villager,
    VillagerStatus,
)
from village.naming import grid_key, natural_key

from .models import (
    Audience,
    NoticePage,
    NoticeRead,
    VillageHomePage,
    area_ids,
    audience_filter,
    current_notices,
    in_audience,
    may_read,
    notices_for,
    open_to_everyone,
    public_notices,
    village_of_page,
)

__all__ = [
    "UnreadRow",
    "areas_reported_on",
    "audience_filter",
    "audience_households",
    "current_notices",
    "home_of",
    "in_audience",
    "may_read",
    "notices_for",
    "notices_with_unread_counts",
    "open_to_everyone",
    "public_notices",
    "unread_report",
    "village_of_page",
]


def home_of(village: Village) -> VillageHomePage | None:
    return VillageHomePage.objects.filter(village=village).first()


# --- the unread report -------------------------------------------------------------------


@dataclass
class UnreadRow:
    household: Household
    area: str
    head: str
    phone: str


def audience_households(notice: NoticePage, village: Village) -> QuerySet[Household]:
    households = Household.objects.filter(village=village, status=HouseholdStatus.ACTIVE)
    today = timezone.localdate()
    if notice.audience == Audience.GRIDS:
        households = households.filter(area_id__in=area_ids(notice))
    elif notice.audience == Audience.PARTY:
        households = households.filter(
            members__party_membership__in=[PartyMembership.FULL, PartyMembership.PROBATIONARY],
            members__status=VillagerStatus.REGISTERED,
        )
    elif notice.audience == Audience.REPRESENTATIVES:
        households = households.filter(
            Q(members__representative_from__isnull=True)
            | Q(members__representative_from__lte=today),
            Q(members__representative_to__isnull=True) | Q(members__representative_to__gte=today),
            members__is_representative=True,
            members__status=VillagerStatus.REGISTERED,
        )
    return households.distinct()


def audience_villagers(notice: NoticePage, village: Village) -> QuerySet[Villager]:
    """The registered villagers of active households the notice addresses today."""
    villagers = Villager.objects.filter(
        village=village,
        status=VillagerStatus.REGISTERED,
        household__status=HouseholdStatus.ACTIVE,
    )
    today = timezone.localdate()
    if notice.audience == Audience.GRIDS:
        return villagers.filter(household__area_id__in=area_ids(notice))
    if notice.audience == Audience.PARTY:
        return villagers.filter(
            party_membership__in=[PartyMembership.FULL, PartyMembership.PROBATIONARY]
        )
    if notice.audience == Audience.REPRESENTATIVES:
        return villagers.filter(
            Q(representative_from__isnull=True) | Q(representative_from__lte=today),
            Q(representative_to__isnull=True) | Q(representative_to__gte=today),
            is_representative=True,
        )
    return villagers


def unread_report(notice: NoticePage, village: Village, *, areas: list[int] | None = None):
    """Households of the audience where nobody has confirmed reading, per area, with a phone."""
    households = audience_households(notice, village)
    if areas is not None:
        households = households.filter(area_id__in=areas)
    read = NoticeRead.objects.filter(notice=notice, household=OuterRef("pk"))
    total = households.count()
    unread_qs = (
        households.annotate(has_read=Exists(read))
        .filter(has_read=False)
        .select_related("area__parent", "head")
        .prefetch_related("members")
        .order_by()
    )
    rows, by_area, area_of = [], {}, {}
    # Natural order (二片区 before 十片区), which the database's collation cannot give.
    for h in sorted(unread_qs, key=lambda h: (grid_key(h.area), natural_key(h.number))):
        phone = (h.head.phone if h.head else "") or next(
            (m.phone for m in h.members.all() if m.phone), ""
        )
        rows.append(UnreadRow(h, str(h.area), h.head.name if h.head else "", phone))
        by_area[str(h.area)] = by_area.get(str(h.area), 0) + 1
        area_of.setdefault(str(h.area), h.area)
    return {
        "total": total,
        "unread": len(rows),
        "read": total - len(rows),
        "rows": rows,
        "by_area": sorted(by_area.items(), key=lambda item: grid_key(area_of[item[0]])),
    }


def areas_reported_on(user, village: Village) -> list[int] | None:
    """The areas a user reports on; None means all. Those who oversee the whole village (its
    staff, the supervision committee, the township) see every area; a grid officer sees the
    areas of their grid (`village.officers`, the one place that knows the grids)."""
    if permissions.can(user, permissions.Action.CHANGE_ROSTER, village) or permissions.can(
        user, permissions.Action.VIEW_AUDIT, village
    ):
        return None
    return officers.grid_areas(user, village)


def _count(qs: QuerySet) -> Subquery:
    """COUNT(*) of `qs` as a subquery of the outer query."""
    counted = qs.order_by().annotate(one=Value(1)).values("one").annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n")[:1]), 0)


def notices_with_unread_counts(
    notices: QuerySet[NoticePage], village: Village, *, areas: list[int] | None = None
) -> QuerySet[NoticePage]:
    """`notices` annotated with `households_total` and `households_unread`: the same counts as
    `unread_report` (the active households of each notice's audience, in `areas` when given;
    those where nobody has confirmed), for all the notices in one query."""
    today = timezone.localdate()
    notice = OuterRef(OuterRef("pk"))
    members = Villager.objects.filter(household=OuterRef("pk"), status=VillagerStatus.REGISTERED)
    representative = members.filter(
        Q(representative_from__isnull=True) | Q(representative_from__lte=today),
        Q(representative_to__isnull=True) | Q(representative_to__gte=today),
        is_representative=True,
    )
    addressed = NoticePage.grids.through.objects.filter(noticepage_id=notice).filter(
        Q(grid_id=OuterRef("area_id")) | Q(grid_id=OuterRef("area__parent_id"))
    )
    party = [PartyMembership.FULL, PartyMembership.PROBATIONARY]
    active = Household.objects.filter(village=village, status=HouseholdStatus.ACTIVE)
    if areas is not None:
        active = active.filter(area_id__in=areas)
    reached = {
        Audience.EVERYONE: active,
        Audience.GRIDS: active.filter(Exists(addressed)),
        Audience.PARTY: active.filter(Exists(members.filter(party_membership__in=party))),
        Audience.REPRESENTATIVES: active.filter(Exists(representative)),
    }
    read = NoticeRead.objects.filter(notice=notice, household=OuterRef("pk"))

    def by_audience(unread: bool) -> Case:
        return Case(
            *(
                When(audience=audience, then=_count(qs.filter(~Exists(read)) if unread else qs))
                for audience, qs in reached.items()
            ),
            default=Value(0),
        )

    return notices.annotate(
        households_total=by_audience(False), households_unread=by_audience(True)
    )
