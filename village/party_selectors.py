"""Reads of 三亮 and 党建+N: the public board of a village (党员亮身份, 亮承诺), a household's
包联 members, a member's assignments and visit notes.

The board is built from plain records holding only what the board shows: a template or an API
answer given a board entry cannot reach an ID number, an address or a private phone."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from .models import (
    BOARD_ROLES,
    Commitment,
    CommitmentSet,
    Grid,
    GridLevel,
    Household,
    HouseholdStatus,
    Membership,
    PartyLink,
    PartyMembership,
    Village,
    Villager,
    VillageRole,
    VillagerStatus,
    VisitNote,
)

MEMBERS = (PartyMembership.FULL, PartyMembership.PROBATIONARY)
# The board's order: the secretary first, then the branch, the village committee, supervision,
# the grid officers, then the other members.
RANK = {role: n for n, role in enumerate(BOARD_ROLES)}
# What a board read loads of a villager: nothing private.
BOARD_FIELDS = ("pk", "village_id", "name", "party_membership", "household__area__name")


@dataclass
class BoardCommitment:
    text: str
    withdrawn: bool
    withdrawn_reason: str


@dataclass
class BoardYear:
    year: int
    items: list[BoardCommitment]
    fulfilment: str  # the label, "" until the branch noted it
    fulfilment_note: str


@dataclass
class BoardEntry:
    """One person on the board, with only what the board shows."""

    villager_id: int
    name: str
    party: str  # "full" | "probationary" | "none"
    party_label: str
    posts: list[str]
    grid: str
    office_hours: str
    office_phone: str  # only when the person chose to show it
    photo_url: str  # only when the person opted in
    years: list[BoardYear] = field(default_factory=list)
    rank: int = 99

    @property
    def probationary(self) -> bool:
        return self.party == PartyMembership.PROBATIONARY


def _post(membership: Membership) -> str:
    label = str(membership.get_role_display())
    if membership.role == VillageRole.GRID_OFFICER and membership.grid_id:
        return _("%(role)s（%(grid)s）") % {"role": label, "grid": membership.grid.name}
    return label


def board_holders(village: Village, on: date) -> dict[int, list[Membership]]:
    """The board's offices held on `on`, by villager."""
    held: dict[int, list[Membership]] = {}
    rows = (
        Membership.objects.valid_on(on)
        .filter(village=village, role__in=BOARD_ROLES)
        .select_related("grid")
        .only("villager_id", "role", "grid__name", "grid_id")
        .order_by("start", "pk")
    )
    for membership in rows:
        held.setdefault(membership.villager_id, []).append(membership)
    return held


def on_board(villager: Villager, on: date) -> bool:
    """Is `villager` shown on their village's board on `on`: a registered party member, or the
    holder of one of the board's offices."""
    if villager.status != VillagerStatus.REGISTERED:
        return False
    if villager.party_membership in MEMBERS:
        return True
    return (
        Membership.objects.valid_on(on)
        .filter(village_id=villager.village_id, villager=villager, role__in=BOARD_ROLES)
        .exists()
    )


def _photo_url(card) -> str:
    return card.photo.url if card is not None and card.shown_photo else ""


def _entry(villager: Villager, held: list[Membership]) -> BoardEntry:
    card = getattr(villager, "party_card", None)
    return BoardEntry(
        villager_id=villager.pk,
        name=villager.name,
        party=villager.party_membership,
        party_label=str(villager.get_party_membership_display()),
        posts=[_post(m) for m in held],
        grid=villager.household.area.name,
        office_hours=card.office_hours if card else "",
        office_phone=card.shown_phone if card else "",
        photo_url=_photo_url(card),
        rank=min((RANK[m.role] for m in held), default=len(RANK)),
    )


def _years(sets: list[CommitmentSet]) -> list[BoardYear]:
    return [
        BoardYear(
            year=s.year,
            items=[
                BoardCommitment(i.text, i.withdrawn_at is not None, i.withdrawn_reason)
                for i in s.items.all()
            ],
            fulfilment=str(s.get_fulfilment_display()) if s.is_noted else "",
            fulfilment_note=s.fulfilment_note if s.is_noted else "",
        )
        for s in sorted(sets, key=lambda s: -s.year)
    ]


def board_of(village: Village, on: date) -> list[BoardEntry]:
    """党员亮身份: every registered party member and every holder of a board office on `on`, with
    their posts, area, office hours, opt-in photo and phone, and the commitments of this year and
    the last. Four queries, whatever the size of the village."""
    held = board_holders(village, on)
    people = list(
        Villager.objects.filter(village=village, status=VillagerStatus.REGISTERED)
        .filter(Q(party_membership__in=MEMBERS) | Q(pk__in=list(held)))
        .select_related("household__area", "party_card")
        .only(*BOARD_FIELDS, "household_id", "household__area_id", *_CARD_FIELDS)
        .order_by("pk")
    )
    sets: dict[int, list[CommitmentSet]] = {}
    for found in (
        CommitmentSet.objects.filter(
            village=village, year__in=(on.year, on.year - 1), member__in=[p.pk for p in people]
        )
        .prefetch_related(Prefetch("items", queryset=Commitment.objects.order_by("pk")))
        .order_by("-year")
    ):
        sets.setdefault(found.member_id, []).append(found)
    entries = []
    for person in people:
        entry = _entry(person, held.get(person.pk, []))
        entry.years = _years(sets.get(person.pk, []))
        entries.append(entry)
    entries.sort(key=lambda e: (e.rank, e.party != PartyMembership.FULL, e.villager_id))
    return entries


_CARD_FIELDS = (
    "party_card__id",
    "party_card__office_hours",
    "party_card__office_phone",
    "party_card__show_office_phone",
    "party_card__photo",
    "party_card__show_photo",
)


@dataclass
class Contact:
    """A household's 包联 member, and how to reach them."""

    link_id: int
    name: str
    party_label: str
    through_area: str  # the area's name when the household is covered through its area
    office_hours: str
    office_phone: str


def contacts_of(household: Household, on: date) -> list[Contact]:
    """我的包联党员: the members serving `household` on `on`, directly or through its area. One
    query."""
    links = (
        PartyLink.objects.valid_on(on)
        .filter(Q(household=household) | Q(area_id=household.area_id))
        .filter(village_id=household.village_id)
        .select_related("member__party_card", "area")
        .only(
            "pk",
            "household_id",
            "area__name",
            "member__name",
            "member__party_membership",
            *(f"member__{name}" for name in _CARD_FIELDS),
        )
        .order_by("household_id", "pk")
    )
    found = []
    for link in links:
        card = getattr(link.member, "party_card", None)
        found.append(
            Contact(
                link_id=link.pk,
                name=link.member.name,
                party_label=str(link.member.get_party_membership_display()),
                through_area=link.area.name if link.area_id else "",
                office_hours=card.office_hours if card else "",
                office_phone=card.shown_phone if card else "",
            )
        )
    return found


def links_of(village: Village, *, member: Villager | None = None) -> QuerySet[PartyLink]:
    """The village's 包联 assignments (a member's own when `member` is given), newest first."""
    qs = PartyLink.objects.filter(village=village)
    if member is not None:
        qs = qs.filter(member=member)
    return qs.select_related("member", "household__head", "area").order_by("-start", "-pk")


def link_covering(member: Villager, household: Household, on: date) -> PartyLink | None:
    """The assignment of `member` that covers `household` on `on` (its own or its area's)."""
    return (
        PartyLink.objects.valid_on(on)
        .filter(member=member, village_id=household.village_id)
        .filter(Q(household=household) | Q(area_id=household.area_id))
        .order_by("household_id", "pk")
        .first()
    )


def households_served(member: Villager, on: date) -> list[Household]:
    """The active households `member` serves on `on`, directly or through an area."""
    links = list(
        PartyLink.objects.valid_on(on).filter(member=member).values_list("household_id", "area_id")
    )
    if not links:
        return []
    direct = [h for h, _a in links if h]
    areas = [a for _h, a in links if a]
    return list(
        Household.objects.filter(village_id=member.village_id, status=HouseholdStatus.ACTIVE)
        .filter(Q(pk__in=direct) | Q(area_id__in=areas))
        .select_related("head", "area")
        .order_by("number")
    )


def visits_of(village: Village, *, member: Villager | None = None) -> QuerySet[VisitNote]:
    """Visit notes of the village (a member's own when `member` is given), newest first."""
    qs = VisitNote.objects.filter(village=village)
    if member is not None:
        qs = qs.filter(member=member)
    return qs.select_related("member", "household").order_by("-visited_on", "-pk")


def commitment_sets_of(member: Villager) -> list[CommitmentSet]:
    return list(
        CommitmentSet.objects.filter(member=member)
        .prefetch_related(Prefetch("items", queryset=Commitment.objects.order_by("pk")))
        .order_by("-year")
    )


def commitment_sets_of_village(village: Village, year: int) -> QuerySet[CommitmentSet]:
    return (
        CommitmentSet.objects.filter(village=village, year=year)
        .select_related("member")
        .prefetch_related(Prefetch("items", queryset=Commitment.objects.order_by("pk")))
        .order_by("member__name", "pk")
    )


def areas_for_links(village: Village) -> QuerySet[Grid]:
    return Grid.objects.filter(village=village, level=GridLevel.AREA).order_by("name")
