"""Reads of the points ledger: what a household, a cadre or the village-affairs board sees."""

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from village import permissions
from village.models import Household, HouseholdStatus, Membership, Village, Villager
from village.money import yuan_figure
from village.naming import natural_sorted
from village.publications import PublishedItem

from . import services
from .models import (
    Account,
    Allocation,
    Entry,
    EntryStatus,
    Objection,
    ObjectionStatus,
    Publication,
    StarRound,
    StoreItem,
)


def household_of(user) -> Household | None:
    villager = (
        Villager.objects.filter(user=user).select_related("household__village", "household__head")
    ).first()
    return villager.household if villager else None


def households_to_record(user):
    """The active households `user` may record points for: every one of a village where the
    user is a cadre, the households of their own grid (large grid or area) for a grid officer."""
    households = Household.objects.filter(
        village__in=permissions.visible_villages(user, services.RECORD),
        status=HouseholdStatus.ACTIVE,
    )
    if user.is_superuser:
        return households
    whole = [
        village_id
        for village_id, roles in permissions.roles_of(user).village_roles.items()
        if roles & services.WHOLE_VILLAGE_RECORDERS
    ]
    in_grid = Membership.objects.valid_on(timezone.localdate()).filter(
        Q(grid_id=OuterRef("area_id")) | Q(grid_id=OuterRef("area__parent_id")),
        villager__user=user,
        role="grid_officer",
        village_id=OuterRef("village_id"),
    )
    return households.filter(Q(village_id__in=whole) | Exists(in_grid))


def household_match(q: str) -> Q:
    """A household found by its number or its head's name, as the officer types them."""
    return Q(number__icontains=q) | Q(head__name__icontains=q)


def areas_found_elsewhere(user, q: str) -> list[str]:
    """The areas of the village's households matching `q` that `user` may not record for.

    Only area names: the officer learns whom to ask, not who lives there."""
    names = (
        Household.objects.filter(
            household_match(q),
            village__in=permissions.visible_villages(user, services.RECORD),
            status=HouseholdStatus.ACTIVE,
        )
        .exclude(pk__in=households_to_record(user).values("pk"))
        .order_by()
        .values_list("area__name", flat=True)
        .distinct()
    )
    return natural_sorted(names[:30])


def account_of(household: Household) -> Account | None:
    return Account.objects.filter(household=household, villager__isnull=True).first()


def entries_of(household: Household, *, year: int | None = None, objections: bool = False):
    """A household's entries as the household sees them: not the rejected ones; with each
    entry's objections when the page lists them."""
    qs = (
        Entry.objects.filter(account__household=household, account__villager__isnull=True)
        .exclude(status=EntryStatus.REJECTED)
        .select_related("rule__category", "publication")
        .order_by("-occurred_on", "-id")
    )
    if objections:
        qs = qs.prefetch_related("objections")
    if year is not None:
        qs = qs.filter(year=year)
    return qs


def year_summary(household: Household, year: int) -> dict:
    row = Entry.objects.filter(
        account__household=household,
        account__villager__isnull=True,
        year=year,
        status=EntryStatus.POSTED,
    ).aggregate(
        earned=Sum("points", filter=Q(points__gt=0, kind__in=["conduct", "opening"])),
        deducted=Sum("points", filter=Q(points__lt=0, kind="conduct")),
        spent=Sum("points", filter=Q(kind="redemption")),
    )
    return {k: v or 0 for k, v in row.items()}


def publication_rows(publication: Publication):
    return (
        publication.entries.select_related("account__household__head", "rule__category")
        .annotate(
            open_objections=Count("objections", filter=Q(objections__status=ObjectionStatus.OPEN))
        )
        .order_by("account__household__number", "occurred_on", "pk")
    )


def may_see_publication(user, publication: Publication) -> bool:
    village = publication.village
    return permissions.can(user, "points.view", village) or permissions.can(
        user, "points.object", village
    )


def published_lists(village: Village) -> list[PublishedItem]:
    items = []
    qs = (
        Publication.objects.filter(village=village)
        .annotate(n=Count("entries"), total=Sum("entries__points"))
        .order_by("-published_at")
    )
    for p in qs:
        items.append(
            PublishedItem(
                kind="points",
                title=str(p),
                published_at=p.published_at,
                url=reverse("points:publication", args=[p.pk]),
                category=_("积分公示"),
                summary=_("%(n)s 条记录；异议截止 %(end)s")
                % {"n": p.n, "end": timezone.localtime(p.objection_ends_at).strftime("%Y-%m-%d")},
            )
        )
    return items


def published_welfare(village: Village) -> list[PublishedItem]:
    items = []
    for rnd in StarRound.objects.filter(village=village, published_at__isnull=False):
        items.append(
            PublishedItem(
                kind="welfare",
                title=str(rnd),
                published_at=rnd.published_at,
                url=reverse("points:stars", args=[rnd.pk]),
                category=_("星级文明户"),
            )
        )
    for allocation in Allocation.objects.filter(village=village, published_at__isnull=False):
        items.append(
            PublishedItem(
                kind="welfare",
                title=allocation.title,
                published_at=allocation.published_at,
                url=reverse("points:allocation", args=[allocation.pk]),
                category=_("福利分配"),
                summary=_("总额 %(yuan)s 元") % {"yuan": yuan_figure(allocation.pool_fen)},
            )
        )
    return items


def store_items(village: Village):
    return StoreItem.objects.filter(village=village, active=True).order_by("points_price", "name")


def open_objections(village_ids):
    return (
        Objection.objects.filter(village_id__in=village_ids)
        .select_related("entry__account__household", "entry__rule", "villager")
        .order_by("status", "-filed_at")
    )
