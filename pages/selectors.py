"""Reads of the village sites: who may see a notice, a villager's notices with read state, the
per-area unread report, the home page's sections and the village-affairs board."""

from dataclasses import dataclass
from datetime import date
from functools import cached_property

from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet, Value
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from wagtail.models import Page

from village import permissions, publications
from village.models import (
    Grid,
    GridLevel,
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
    MoralModelIndexPage,
    NoticeCategory,
    NoticeIndexPage,
    NoticePage,
    NoticeRead,
    PowerListPage,
    RulesPage,
    TransparencyPage,
    VillageHomePage,
)


def home_of(village: Village) -> VillageHomePage | None:
    return VillageHomePage.objects.filter(village=village).first()


def village_of_page(page) -> Village | None:
    """The village whose site holds `page` (the nearest VillageHomePage ancestor), one query."""
    step = Page.steplen
    prefixes = [page.path[:i] for i in range(step, len(page.path) + 1, step)]
    home = (
        VillageHomePage.objects.filter(path__in=prefixes)
        .select_related("village")
        .order_by("-depth")
        .first()
    )
    return home.village if home else None


def villager_of(user) -> Villager | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Villager.objects.filter(user=user).select_related("household__area").first()


def _area_ids(notice: NoticePage) -> set[int]:
    """The areas a notice addresses: chosen areas, and every area of a chosen large grid."""
    chosen = list(notice.grids.all())
    ids = {g.pk for g in chosen if g.level == GridLevel.AREA}
    large = [g.pk for g in chosen if g.level == GridLevel.LARGE]
    if large:
        ids |= set(Grid.objects.filter(parent_id__in=large).values_list("pk", flat=True))
    return ids


def in_audience(notice: NoticePage, villager: Villager | None, today: date | None = None) -> bool:
    if villager is None or villager.status != VillagerStatus.REGISTERED:
        return False
    if notice.audience == Audience.EVERYONE:
        return True
    if notice.audience == Audience.GRIDS:
        return villager.household.area_id in _area_ids(notice)
    if notice.audience == Audience.PARTY:
        return villager.party_membership in (PartyMembership.FULL, PartyMembership.PROBATIONARY)
    return villager.is_representative_on(today or timezone.localdate())


def may_read(user, notice: NoticePage, village: Village | None = None) -> bool:
    """Everyone in the audience; the village's cadres, grid officers and inspectors always."""
    village = village or village_of_page(notice)
    if village is None:
        return False
    if permissions.can(user, permissions.Action.VIEW_ROSTER, village):
        return True
    villager = villager_of(user)
    return (
        villager is not None and villager.village_id == village.pk and in_audience(notice, villager)
    )


def open_to_everyone(notice: NoticePage) -> bool:
    """A notice to everyone as the web serves it: no view restriction on it or above it, and
    every page above it live."""
    if notice.audience != Audience.EVERYONE:
        return False
    if not NoticePage.objects.filter(pk=notice.pk).public().exists():
        return False
    return not Page.objects.ancestor_of(notice).filter(depth__gt=1, live=False).exists()


def audience_filter(villager: Villager, today: date) -> Q:
    """The notices whose audience includes `villager`, as a query."""
    area = villager.household.area
    condition = Q(audience=Audience.EVERYONE) | Q(
        audience=Audience.GRIDS, grids__in=[area.pk, area.parent_id]
    )
    if villager.party_membership in (PartyMembership.FULL, PartyMembership.PROBATIONARY):
        condition |= Q(audience=Audience.PARTY)
    if villager.is_representative_on(today):
        condition |= Q(audience=Audience.REPRESENTATIVES)
    return condition


def current_notices(root) -> QuerySet[NoticePage]:
    today = timezone.localdate()
    return (
        NoticePage.objects.live()
        .descendant_of(root)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
        .order_by("-publish_on", "-first_published_at", "-id")
    )


def notices_for(
    user, root, *, include_expired=False, villager=None, village=None
) -> QuerySet[NoticePage]:
    """The notices under `root` this user may read, unread first then newest, with `is_read`."""
    qs = NoticePage.objects.live().descendant_of(root) if include_expired else current_notices(root)
    village = village or village_of_page(root)
    villager = villager or villager_of(user)
    staff = village is not None and permissions.can(user, permissions.Action.VIEW_ROSTER, village)
    if not staff:
        if (
            villager is None
            or village is None
            or villager.village_id != village.pk
            or villager.status != VillagerStatus.REGISTERED
        ):
            # Not theirs to confirm, but what anyone may read stays visible when signed in.
            return qs.filter(audience=Audience.EVERYONE).annotate(
                is_read=Value(None, output_field=BooleanField())
            )
        qs = qs.filter(audience_filter(villager, timezone.localdate())).distinct()
    read = NoticeRead.objects.filter(notice=OuterRef("pk"), villager=villager)
    return qs.annotate(is_read=Exists(read)).order_by(
        "is_read", "-publish_on", "-first_published_at", "-id"
    )


def public_notices(root) -> QuerySet[NoticePage]:
    """What anyone may read without logging in: notices to everyone (no read state)."""
    return (
        current_notices(root)
        .filter(audience=Audience.EVERYONE)
        .annotate(is_read=Value(None, output_field=BooleanField()))
    )


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
        households = households.filter(area_id__in=_area_ids(notice))
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


def officer_areas(user, village: Village) -> list[int] | None:
    """The areas a grid officer reports on; None means all (secretary, committee)."""
    if permissions.can(user, permissions.Action.CHANGE_ROSTER, village) or permissions.can(
        user, permissions.Action.VIEW_AUDIT, village
    ):
        return None
    from village.models import Membership, VillageRole

    grids = list(
        Membership.objects.valid_on(timezone.localdate())
        .filter(village=village, villager__user=user, role=VillageRole.GRID_OFFICER)
        .values_list("grid_id", flat=True)
    )
    areas = set(
        Grid.objects.filter(pk__in=grids, level=GridLevel.AREA).values_list("pk", flat=True)
    )
    areas |= set(Grid.objects.filter(parent_id__in=grids).values_list("pk", flat=True))
    return sorted(areas)


# --- page contexts -------------------------------------------------------------------------


def site_links(home: VillageHomePage) -> dict:
    """URLs of the village's sections, from one query (no per-type `specific` loads)."""
    from django.contrib.contenttypes.models import ContentType
    from django.urls import reverse

    types = {
        ContentType.objects.get_for_model(model).pk: key
        for key, model in (
            ("rules", RulesPage),
            ("powers", PowerListPage),
            ("moral_models", MoralModelIndexPage),
            ("notices", NoticeIndexPage),
            ("transparency", TransparencyPage),
        )
    }
    urls = dict.fromkeys(types.values())
    home_url = home.url or "/"
    for child in (
        Page.objects.child_of(home)
        .live()
        .filter(content_type_id__in=list(types))
        .order_by("path")
        .values("content_type_id", "slug")
    ):
        key = types[child["content_type_id"]]
        if urls[key] is None:
            urls[key] = f"{home_url}{child['slug']}/"
    for key, name in (
        ("matters", "deliberation:list"),
        ("suggestions", "deliberation:suggestions"),
        ("me", "village:me"),
    ):
        urls[key] = reverse(name)
    return urls


class HomeBoard:
    """What the village home lists for one user. Each part is read only when the page's
    fragment is not in the cache (see pages/fragments.py)."""

    def __init__(self, home: VillageHomePage, user):
        self.home, self.user = home, user

    @cached_property
    def villager(self) -> Villager | None:
        return villager_of(self.user)

    @cached_property
    def notices(self) -> list[NoticePage]:
        if self.user.is_authenticated:
            qs = notices_for(
                self.user, self.home, villager=self.villager, village=self.home.village
            )
        else:
            qs = public_notices(self.home)
        return list(qs[:8])

    @cached_property
    def unread_count(self) -> int:
        return sum(1 for n in self.notices if n.is_read is False)

    @cached_property
    def open_votes(self) -> list:
        from deliberation.selectors import matters_for

        if not self.user.is_authenticated:
            return []
        return list(matters_for(self.user, status="voting", village=self.home.village)[:5])

    @cached_property
    def links(self) -> dict:
        return site_links(self.home)


def home_context(home: VillageHomePage, user) -> dict:
    from . import fragments

    board = HomeBoard(home, user)
    shared_key = fragments.fragment_key(home.village_id, None)
    return {
        "board": board,
        # The same for everyone: the section links, the search box and the 一核五治 sections.
        # Keyed on the home's URL too: a preview computes links from the draft's slug.
        "links": SimpleLazyObject(
            lambda: fragments.remember(
                "links", f"{home.pk}:{home.url}:{shared_key}", lambda: board.links
            )
        ),
        "shared_key": shared_key,
        "fragment_key": fragments.fragment_key(home.village_id, user),
    }


class NoticeBoard:
    """The notice index for one user and category, read only on a cache miss."""

    def __init__(self, index: NoticeIndexPage, user, category: str):
        self.index, self.user, self.category = index, user, category

    @cached_property
    def notices(self) -> list[NoticePage]:
        if self.user.is_authenticated:
            notices = notices_for(
                self.user,
                self.index,
                villager=villager_of(self.user),
                village=village_of_page(self.index),
            )
        else:
            notices = public_notices(self.index)
        if self.category:
            notices = notices.filter(category=self.category)
        return list(notices[:100])


def notice_index_context(index: NoticeIndexPage, request) -> dict:
    from . import fragments

    category = request.GET.get("category")
    if category not in NoticeCategory.values:
        category = ""
    return {
        "board": NoticeBoard(index, request.user, category),
        "category": category,
        "fragment_key": fragments.fragment_key(fragments.village_id_of(index), request.user),
    }


def transparency_context(page: TransparencyPage, request) -> dict:
    home = VillageHomePage.objects.ancestor_of(page).first()
    items = publications.items_for(home.village) if home else []
    kind = request.GET.get("kind") or ""
    period = request.GET.get("period") or ""
    periods = sorted(
        {timezone.localtime(i.published_at).strftime("%Y-%m") for i in items}, reverse=True
    )
    if kind:
        items = [i for i in items if i.kind == kind]
    if period:
        items = [i for i in items if timezone.localtime(i.published_at).strftime("%Y-%m") == period]
    groups: dict[str, list] = {}
    for item in items:
        groups.setdefault(timezone.localtime(item.published_at).strftime("%Y-%m"), []).append(item)
    return {
        "groups": sorted(groups.items(), reverse=True),
        "kinds": [(k, v.label) for k, v in publications.KINDS.items()],
        "kind": kind,
        "periods": periods,
        "period": period,
    }
