"""Reads that are more than a `get`: bodies of a village on a date, rosters, a user's view."""

from datetime import date
from enum import StrEnum

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from . import permissions
from .models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Grid,
    GridLevel,
    Household,
    HouseholdStatus,
    Membership,
    Notification,
    PartyMembership,
    ReachPreference,
    SupervisionNote,
    Village,
    Villager,
    VillageRole,
    VillagerStatus,
)
from .naming import sorted_grids


class Body(StrEnum):
    BRANCH_COMMITTEE = "branch_committee"  # 支委会
    VILLAGE_COMMITTEE = "village_committee"  # 村委会
    TWO_COMMITTEES = "two_committees"  # 两委
    PARTY_MEMBERS = "party_members"  # 正式党员（有表决权）
    VILLAGERS = "villagers"  # 成年在册村民（村民会议）
    REPRESENTATIVES = "representatives"  # 村民代表 ∪ 村委会（村民代表会议）
    SUPERVISION = "supervision"  # 村务监督委员会


def _holding(village: Village, roles: list[str], on: date) -> Q:
    ids = (
        Membership.objects.valid_on(on)
        .filter(village=village, role__in=roles)
        .values("villager_id")
    )
    return Q(pk__in=ids)


def latest_adult_birth_date(on: date, adult_age: int) -> date:
    """The latest birth date of someone who is adult on `on` (as `Villager.is_adult_on`).

    On 29 February the same day `adult_age` years earlier may not exist: the last adult birth
    date is then 28 February (someone born on 1 March turns adult the next day)."""
    try:
        return on.replace(year=on.year - adult_age)
    except ValueError:
        return on.replace(year=on.year - adult_age, day=28)


def body_members(*, village: Village, body: Body | str, on: date) -> QuerySet[Villager]:
    """Who belongs to `body` of `village` on `on` — the one source of should-attend lists.

    Only registered villagers: a role left open after a move or a death lists nobody."""
    body = Body(body)
    base = Villager.objects.filter(village=village)
    registered = Q(status=VillagerStatus.REGISTERED)
    branch = [VillageRole.SECRETARY, VillageRole.BRANCH_COMMITTEE]
    committee = [VillageRole.VILLAGE_COMMITTEE]
    if body == Body.BRANCH_COMMITTEE:
        condition = _holding(village, branch, on)
    elif body == Body.VILLAGE_COMMITTEE:
        condition = _holding(village, committee, on)
    elif body == Body.TWO_COMMITTEES:
        condition = _holding(village, branch + committee, on)
    elif body == Body.SUPERVISION:
        condition = _holding(village, [VillageRole.SUPERVISION], on)
    elif body == Body.PARTY_MEMBERS:
        condition = registered & Q(party_membership=PartyMembership.FULL)
    elif body == Body.VILLAGERS:
        adult_age = village.rules_on(on).adult_age
        condition = registered & Q(birth_date__lte=latest_adult_birth_date(on, adult_age))
    else:  # REPRESENTATIVES
        representative = (
            registered
            & Q(is_representative=True)
            & (Q(representative_from__isnull=True) | Q(representative_from__lte=on))
            & (Q(representative_to__isnull=True) | Q(representative_to__gte=on))
        )
        condition = representative | _holding(village, committee, on)
    return base.filter(registered & condition).order_by("household__number", "id")


def households_represented(*, village: Village, on: date) -> QuerySet[Household]:
    """Active households with at least one adult registered villager: the 2/3 household base."""
    adults = body_members(village=village, body=Body.VILLAGERS, on=on)
    return Household.objects.filter(
        village=village, status=HouseholdStatus.ACTIVE, members__in=adults
    ).distinct()


def household_for_user(user) -> Household | None:
    roles = permissions.roles_of(user)
    # A villager's own household, or the one a 亲情账号 acts for.
    household_id = roles.household_id or roles.proxy_household_id
    if household_id is None:
        return None
    return (
        Household.objects.select_related("village__township", "area__parent", "head")
        .prefetch_related(
            Prefetch(
                "members",
                queryset=Villager.objects.order_by("birth_date", "id"),
            )
        )
        .get(pk=household_id)
    )


def village_households(*, user, village: Village) -> QuerySet[Household]:
    permissions.require(user, permissions.Action.VIEW_ROSTER, village)
    return (
        Household.objects.filter(village=village)
        .select_related("area__parent", "head")
        .annotate(member_count=Count("members"))
    )


def roster_rows(*, village: Village) -> QuerySet[Villager]:
    return (
        Villager.objects.filter(village=village)
        .select_related("household__area__parent")
        .order_by("household__number", "id")
    )


def areas_of(village: Village) -> list[Grid]:
    """The village's areas in natural order (二片区 before 十片区)."""
    return sorted_grids(
        Grid.objects.filter(village=village, level=GridLevel.AREA).select_related("parent")
    )


def memberships_of_user(user, on: date) -> list[Membership]:
    return list(
        Membership.objects.valid_on(on)
        .filter(villager__user=user)
        .select_related("village", "grid")
    )


# --- the inbox ---------------------------------------------------------------------------------


def inbox_of(user, *, limit: int = 100) -> list[Delivery]:
    """The user's inbox messages that are due, newest first, with their notification."""
    return list(
        Delivery.objects.filter(
            user=user, channel=Channel.INBOX, notification__send_after__lte=timezone.now()
        )
        .select_related("notification")
        .order_by("-pk")[:limit]
    )


def inbox_unread(user) -> int:
    return Delivery.objects.filter(
        user=user,
        channel=Channel.INBOX,
        read_at__isnull=True,
        notification__send_after__lte=timezone.now(),
    ).count()


def reach_preference_of(villager: Villager) -> ReachPreference:
    """The villager's channels; everything on until they choose."""
    return ReachPreference.objects.filter(villager=villager).first() or ReachPreference(
        villager=villager
    )


# --- the outbox, as the village's cadres see it ----------------------------------------------

OUTBOX_PROBLEMS = ("failed", "unknown", "skipped")


def outbox_summary(villages: QuerySet[Village], *, limit: int = 30) -> list[Notification]:
    """The latest messages of `villages`, each with its counts per channel and state, in one
    query (`inbox`, `inbox_read`, `push_sent`, `sms_sent`, `waiting`, `problems`)."""

    def n(**where):
        return Count("deliveries", filter=Q(**{f"deliveries__{k}": v for k, v in where.items()}))

    return list(
        Notification.objects.filter(village__in=villages)
        .select_related("village")
        .annotate(
            inbox=n(channel=Channel.INBOX),
            inbox_read=n(channel=Channel.INBOX, read_at__isnull=False),
            push_sent=n(channel=Channel.PUSH, status=DeliveryStatus.SENT),
            sms_sent=n(channel=Channel.SMS, status=DeliveryStatus.SENT),
            waiting=n(status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
            problems=n(status__in=OUTBOX_PROBLEMS),
        )
        .order_by("-created_at", "-pk")[:limit]
    )


def outbox_problems(notification: Notification) -> list[Delivery]:
    """The deliveries of `notification` that did not arrive, with whom they were for."""
    return list(
        Delivery.objects.filter(notification=notification, status__in=OUTBOX_PROBLEMS)
        .select_related("villager", "household__area__parent")
        .order_by("channel", "household__number", "pk")
    )


def supervision_notes(subjects) -> dict:
    """The 村务监督委员会 notes on `subjects` (model instances of any app), one query:
    {(subject type, subject id as text): [notes, oldest first]}."""
    by_type = {}
    for s in subjects:
        by_type.setdefault(s._meta.label_lower, []).append(str(s.pk))
    if not by_type:
        return {}
    condition = Q()
    for label, ids in by_type.items():
        condition |= Q(subject_type=label, subject_id__in=ids)
    found = {}
    notes = SupervisionNote.objects.filter(condition).select_related("villager", "created_by")
    for note in notes:
        found.setdefault((note.subject_type, note.subject_id), []).append(note)
    return found


def supervision_row(note, on) -> dict:
    """A note as the pages, the audit API and the PDFs show it."""
    return {
        "on": str(on),
        "subject": f"{note.subject_type}:{note.subject_id}",
        "stance": note.stance,
        "stance_label": str(note.get_stance_display()),
        "text": note.text,
        "by": note.by,
        "at": note.created_at,
    }


# Who counts as a cadre for conflicts of interest (回避): the two committees and the grid
# officers, who record and review points and vote on matters.
CADRE_ROLES = (
    VillageRole.SECRETARY,
    VillageRole.BRANCH_COMMITTEE,
    VillageRole.VILLAGE_COMMITTEE,
    VillageRole.GRID_OFFICER,
)


def cadre_households(village: Village) -> dict[int, dict]:
    """Every villager who has held a cadre post in `village`, with their household as the roster
    records it (the household stands for its members: spouse, parents, children, siblings
    living together), read once per village object: {villager id: {"name", "role",
    "household_id", "household", "start", "end"}} — the earliest post's dates widened to all
    posts."""
    cached = village.__dict__.get("_cadre_households")
    if cached is not None:
        return cached
    found: dict[int, dict] = {}
    rows = (
        Membership.objects.filter(village=village, role__in=CADRE_ROLES)
        .select_related("villager__household")
        .order_by("start", "pk")
    )
    for m in rows:
        v = m.villager
        if v.household_id is None:
            continue
        row = found.setdefault(
            v.pk,
            {
                "name": v.name,
                "role": str(m.get_role_display()),
                "household_id": v.household_id,
                "household": v.household.number,
                "start": m.start,
                "end": m.end,
            },
        )
        if m.end is None or (row["end"] is not None and m.end > row["end"]):
            row["end"] = m.end
    village.__dict__["_cadre_households"] = found
    return found


def cadre_household_ids(village: Village) -> set[int]:
    return {row["household_id"] for row in cadre_households(village).values()}
