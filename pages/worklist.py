"""Reads for the admin home and the grid officer's round: where a cadre publishes a notice
(发通知), how far the latest notices have reached (households that confirmed / households
addressed), and the households of an officer's grid worth a visit (a notice nobody there has
read, points waiting for review). A fixed number of queries, whatever the lists' length."""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from points import selectors as points_selectors
from points import worklist as points_worklist
from village import permissions
from village.models import (
    Grid,
    GridLevel,
    Household,
    HouseholdStatus,
    PartyMembership,
    VillagerStatus,
)
from village.naming import grid_key, natural_key

from .models import (
    Audience,
    NoticeIndexPage,
    NoticePage,
    NoticeRead,
    NoticeTold,
    VillageHomePage,
    reach_due_at,
)
from .permissions import PagesAction

SHOWN = 8


def _homes(village_ids) -> list[VillageHomePage]:
    return list(
        VillageHomePage.objects.filter(village_id__in=village_ids)
        .select_related("village")
        .order_by("village__name", "pk")
    )


def _village_of(path: str, homes) -> int | None:
    for home in homes:
        if path.startswith(home.path):
            return home.village_id
    return None


def _under(homes) -> Q:
    condition = Q(pk__in=[])
    for home in homes:
        condition |= Q(path__startswith=home.path)
    return condition


def notice_targets(user) -> list[dict]:
    """For each village where the user may publish notices, its notice index and the URL of
    Wagtail's "add a notice" form under it."""
    village_ids = list(
        permissions.visible_villages(user, PagesAction.NOTICE_PRINT).values_list("pk", flat=True)
    )
    homes = _homes(village_ids)
    if not homes:
        return []
    targets = []
    indexes = NoticeIndexPage.objects.filter(_under(homes)).order_by("path")
    seen = set()
    for index in indexes:
        village_id = _village_of(index.path, homes)
        if village_id in seen:
            continue
        seen.add(village_id)
        home = next(h for h in homes if h.village_id == village_id)
        targets.append(
            {
                "village": home.village,
                "index": index,
                "url": reverse("wagtailadmin_pages:add", args=["pages", "noticepage", index.pk]),
            }
        )
    return targets


def _area_ids_by_notice(notices) -> dict[int, set[int]]:
    """The areas each notice to grids addresses: chosen areas and the areas of chosen large
    grids — one query for all the large grids' areas."""
    chosen = {n.pk: list(n.grids.all()) for n in notices if n.audience == Audience.GRIDS}
    large = {g.pk for grids in chosen.values() for g in grids if g.level == GridLevel.LARGE}
    children: dict[int, set[int]] = {}
    if large:
        for pk, parent_id in Grid.objects.filter(parent_id__in=large).values_list(
            "pk", "parent_id"
        ):
            children.setdefault(parent_id, set()).add(pk)
    found = {}
    for pk, grids in chosen.items():
        ids = {g.pk for g in grids if g.level == GridLevel.AREA}
        for g in grids:
            if g.level == GridLevel.LARGE:
                ids |= children.get(g.pk, set())
        found[pk] = ids
    return found


@dataclass
class Reach:
    notice: NoticePage
    village_id: int
    read: int
    total: int
    reached: int = 0  # read, or told by a person
    # Households still not reached after two reach windows: the secretary's to see to.
    overdue: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.read / self.total) if self.total else 0


def notices_reach(village_ids, *, limit: int = 5) -> list[Reach]:
    """The latest live notices of the villages with their reach so far: households that
    confirmed reading, and households the notice addresses (as the unread report counts)."""
    homes = _homes(village_ids)
    if not homes:
        return []
    notices = list(
        NoticePage.objects.live()
        .filter(_under(homes))
        .prefetch_related("grids")
        .order_by("-publish_on", "-first_published_at", "-id")[:limit]
    )
    if not notices:
        return []
    ids = list(village_ids)
    today = timezone.localdate()
    active = Household.objects.filter(village_id__in=ids, status=HouseholdStatus.ACTIVE)
    by_area: dict[tuple[int, int], int] = {}
    for village_id, area_id, n in active.values_list("village_id", "area_id").annotate(
        n=Count("pk")
    ):
        by_area[(village_id, area_id)] = n
    party = dict(
        active.filter(
            members__party_membership__in=[PartyMembership.FULL, PartyMembership.PROBATIONARY],
            members__status=VillagerStatus.REGISTERED,
        )
        .values_list("village_id")
        .annotate(n=Count("pk", distinct=True))
        .values_list("village_id", "n")
    )
    representatives = dict(
        active.filter(
            Q(members__representative_from__isnull=True)
            | Q(members__representative_from__lte=today),
            Q(members__representative_to__isnull=True) | Q(members__representative_to__gte=today),
            members__is_representative=True,
            members__status=VillagerStatus.REGISTERED,
        )
        .values_list("village_id")
        .annotate(n=Count("pk", distinct=True))
        .values_list("village_id", "n")
    )
    ids_of_notices = [n.pk for n in notices]
    read_pairs = set(
        NoticeRead.objects.filter(
            notice__in=ids_of_notices, household__status=HouseholdStatus.ACTIVE
        ).values_list("notice_id", "household_id")
    )
    told_pairs = set(
        NoticeTold.objects.filter(
            notice__in=ids_of_notices, household__status=HouseholdStatus.ACTIVE
        ).values_list("notice_id", "household_id")
    )
    reads = Counter(n for n, _h in read_pairs)
    reached = Counter(n for n, _h in read_pairs | told_pairs)
    now = timezone.now()
    areas = _area_ids_by_notice(notices)
    rows = []
    for notice in notices:
        village_id = _village_of(notice.path, homes)
        if notice.audience == Audience.EVERYONE:
            total = sum(n for (v, _a), n in by_area.items() if v == village_id)
        elif notice.audience == Audience.GRIDS:
            total = sum(by_area.get((village_id, a), 0) for a in areas.get(notice.pk, ()))
        elif notice.audience == Audience.PARTY:
            total = party.get(village_id, 0)
        else:
            total = representatives.get(village_id, 0)
        got = min(reached.get(notice.pk, 0), total)
        late = total - got if now >= reach_due_at(notice, windows=2) else 0
        rows.append(
            Reach(notice, village_id, min(reads.get(notice.pk, 0), total), total, got, late)
        )
    return rows


@dataclass
class Visit:
    household: Household
    unread: list  # the notices nobody of the household has confirmed
    pending: int  # points entries recorded and not yet reviewed

    @property
    def url(self) -> str:
        return reverse("todo:household", args=[self.household.pk])


def is_grid_officer(user) -> bool:
    return any("grid_officer" in r for r in permissions.roles_of(user).village_roles.values())


def officer_households(user):
    """The active households of the user's grid (every household of a village where the user
    records for the whole village), as points defines the grid officer's reach."""
    return points_selectors.households_to_record(user)


def visits(user, households=None) -> list[Visit]:
    """The households worth a visit: a current notice to everyone or to their area that nobody
    of the household has confirmed, or points entries waiting for review. Notices to party
    members or representatives address people, not households, and are left to the unread
    report."""
    households = households if households is not None else officer_households(user)
    rows = list(households.select_related("head", "area__parent", "village"))
    if not rows:
        return []
    village_ids = {h.village_id for h in rows}
    homes = _homes(village_ids)
    today = timezone.localdate()
    notices = (
        list(
            NoticePage.objects.live()
            .filter(_under(homes))
            .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
            .filter(audience__in=[Audience.EVERYONE, Audience.GRIDS])
            .prefetch_related("grids")
            .order_by("-publish_on", "-first_published_at", "-id")
        )
        if homes
        else []
    )
    areas = _area_ids_by_notice(notices)
    # A notice joins the round once its reach window has passed: until then the inbox, push
    # and texts are still doing their work.
    now = timezone.now()
    notices = [n for n in notices if reach_due_at(n) <= now]
    in_round = [n.pk for n in notices]
    reads = set(
        NoticeRead.objects.filter(
            notice__in=in_round, household__in=households.values("pk")
        ).values_list("notice_id", "household_id")
    )
    # Told by a person (当面, 电话, 大喇叭, 微信群): reached, nothing left to visit for.
    reads |= set(
        NoticeTold.objects.filter(
            notice__in=in_round, household__in=households.values("pk")
        ).values_list("notice_id", "household_id")
    )
    pending = points_worklist.pending_by_household(households)
    by_village: dict[int, list[NoticePage]] = {}
    for notice in notices:
        by_village.setdefault(_village_of(notice.path, homes), []).append(notice)
    found = []
    for household in rows:
        unread = [
            n
            for n in by_village.get(household.village_id, ())
            if (n.audience == Audience.EVERYONE or household.area_id in areas.get(n.pk, ()))
            and (n.pk, household.pk) not in reads
        ]
        waiting = pending.get(household.pk, 0)
        if unread or waiting:
            found.append(Visit(household, unread, waiting))
    found.sort(key=lambda v: (grid_key(v.household.area), natural_key(v.household.number)))
    return found


def visit_of(user, household_id: int) -> Visit | None:
    """One household of the user's grid with what a visit is for; None outside the grid."""
    households = officer_households(user).filter(pk=household_id)
    found = visits(user, households)
    if found:
        return found[0]
    household = households.select_related("head", "area__parent", "village").first()
    return Visit(household, [], 0) if household else None
