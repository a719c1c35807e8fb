"""Reads of the village sites: who may see a notice, a villager's notices with read state, the
per-area unread report and a grid officer's areas.

Who a notice reaches and a villager's notices are read by the notice pages themselves, so they
live beside them (pages/models/notices.py); they are re-exported here for the views, services
and documents."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import (
    Case,
    Count,
    Exists,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from village import officers, permissions
from village.models import (
    SENT_CHANNELS,
    AuditEvent,
    Delivery,
    DeliveryStatus,
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
    HouseholdAnswer,
    NoticePage,
    NoticeRead,
    NoticeTold,
    QuestionKind,
    ToldChannel,
    VillageHomePage,
    addressed_reader,
    answers_match,
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
    "ReachRow",
    "UnreadRow",
    "addressed_reader",
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
    "reach_report",
    "village_of_page",
]


def home_of(village: Village) -> VillageHomePage | None:
    return VillageHomePage.objects.filter(village=village).first()


# --- the unread report -------------------------------------------------------------------


@dataclass
class ReachRow:
    """One household of a notice's audience: whether and how it has been reached."""

    household: Household
    area: str
    head: str
    phone: str
    read_at: datetime | None = None
    told: list = field(default_factory=list)  # NoticeTold, first first
    delivered: str = ""  # "push" or "sms": a phone of the household got the message
    delivered_at: datetime | None = None

    @property
    def how(self) -> str:
        """How it was first reached: "read" (a member confirmed), a told channel, or ""."""
        told = self.told[0] if self.told else None
        if self.read_at and (told is None or self.read_at <= told.recorded_at):
            return "read"
        return told.channel if told else ""

    @property
    def at(self) -> datetime | None:
        how = self.how
        if how == "read":
            return self.read_at
        return self.told[0].recorded_at if how else None

    @property
    def reached(self) -> bool:
        return bool(self.how)

    @property
    def how_label(self) -> str:
        how = self.how
        return str(_("自己阅读")) if how == "read" else str(ToldChannel(how).label) if how else ""


# Kept for the name the officers' screens and tests know the unread rows by.
UnreadRow = ReachRow


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


def _reach_facts(notice: NoticePage, village: Village, ids) -> tuple[dict, dict, dict, set]:
    """For the households `ids`: the first read, the told records (first first), and the first
    push or text that reached a phone of the household; and the households a 亲情账号 confirmed
    reading for."""
    reads, by_proxy = {}, set()
    for household_id, first, proxied in (
        NoticeRead.objects.filter(notice=notice, household_id__in=ids)
        .values_list("household_id")
        .annotate(first=Min("read_at"), proxied=Count("proxy"))
        .values_list("household_id", "first", "proxied")
    ):
        reads[household_id] = first
        if proxied:
            by_proxy.add(household_id)
    told: dict[int, list] = {}
    for t in (
        NoticeTold.objects.filter(notice=notice, household_id__in=ids)
        .select_related("recorded_by")
        .order_by("recorded_at", "pk")
    ):
        told.setdefault(t.household_id, []).append(t)
    delivered: dict[int, tuple] = {}
    for household_id, channel, at in (
        Delivery.objects.filter(
            notification__village=village,
            notification__key=f"notice:{notice.pk}",
            channel__in=SENT_CHANNELS,
            status=DeliveryStatus.SENT,
            household_id__in=ids,
        )
        .order_by("sent_at")
        .values_list("household_id", "channel", "sent_at")
    ):
        delivered.setdefault(household_id, (channel, at))
    return reads, told, delivered, by_proxy


def _reach_by_area(rows: list[ReachRow]) -> list[dict]:
    """Per area in natural order: households, and those reached."""
    areas: dict[int, dict] = {}
    for r in rows:
        entry = areas.setdefault(
            r.household.area_id,
            {"grid": r.household.area, "area": r.area, "total": 0, "reached": 0},
        )
        entry["total"] += 1
        entry["reached"] += r.reached
    ordered = sorted(areas.values(), key=lambda a: grid_key(a["grid"]))
    return [{"area": a["area"], "total": a["total"], "reached": a["reached"]} for a in ordered]


def reach_report(notice: NoticePage, village: Village, *, areas: list[int] | None = None):
    """The notice's reach ledger: every household of its audience (in `areas` when given) with
    the first time it was reached and how — a member (or proxy) confirmed reading, or a person
    told it (NoticeTold) — and whether a push or text reached a phone of it. Counts per way and
    per area; `rows` are the households not yet reached, in natural order. Five queries."""
    households = audience_households(notice, village)
    if areas is not None:
        households = households.filter(area_id__in=areas)
    reads, told, delivered, by_proxy = _reach_facts(notice, village, households.values("pk"))
    rows = []
    for h in households.select_related("area__parent", "head").prefetch_related("members"):
        phone = (h.head.phone if h.head else "") or next(
            (m.phone for m in h.members.all() if m.phone), ""
        )
        channel, at = delivered.get(h.pk, ("", None))
        head = h.head.name if h.head else ""
        rows.append(
            ReachRow(h, str(h.area), head, phone, reads.get(h.pk), told.get(h.pk, []), channel, at)
        )
    # Natural order (二片区 before 十片区), which the database's collation cannot give.
    rows.sort(key=lambda r: (grid_key(r.household.area), natural_key(r.household.number)))
    ways = Counter(r.how for r in rows if r.reached)
    read = sum(1 for r in rows if r.read_at)
    not_reached = [r for r in rows if not r.reached]
    by_area = _reach_by_area(rows)
    return {
        "total": len(rows),
        "read": read,
        "unread": len(rows) - read,
        "reached": len(rows) - len(not_reached),
        "not_reached": len(not_reached),
        "first_read": ways.get("read", 0),
        # Households for which a 亲情账号 confirmed reading (some read by a member as well).
        "read_by_proxy": len(by_proxy),
        "told": {c: ways.get(c, 0) for c in ToldChannel.values},
        "told_labels": [(ToldChannel(c).label, ways.get(c, 0)) for c in ToldChannel.values],
        "delivered": sum(1 for r in rows if r.delivered),
        "households": rows,
        "rows": not_reached,
        "areas": by_area,
        # The officers' work per area: households not yet reached.
        "by_area": [
            (a["area"], a["total"] - a["reached"]) for a in by_area if a["total"] > a["reached"]
        ],
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


# --- 户情收集: the answers of the households ---------------------------------------------------


def may_see_answers(user, village: Village) -> bool:
    """The village's cadres, and its grid officers (for their own areas): not the supervision
    committee or the township, who oversee the procedure, not the households' answers."""
    return officers.officer_areas(user, village) != []


def answers_report(notice: NoticePage, village: Village, *, areas: list[int] | None = None):
    """Every household of the notice's audience (in `areas` when given) with its answer (or
    None) and its values in the order of the questions; completion per area; per question the
    count of each option (choice) or the sum (number). Four queries."""
    questions = list(notice.questions.all())
    households = audience_households(notice, village)
    if areas is not None:
        households = households.filter(area_id__in=areas)
    answers = {
        a.household_id: a
        for a in HouseholdAnswer.objects.filter(
            notice=notice, household_id__in=households.values("pk")
        ).select_related("answered_by")
    }
    rows = []
    for h in households.select_related("area__parent", "head").order_by():
        answer = answers.get(h.pk)
        values = [answer.value_of(q.pk) if answer else "" for q in questions]
        rows.append((h, answer, values))
    rows.sort(key=lambda r: (grid_key(r[0].area), natural_key(r[0].number)))
    areas_seen: dict[int, dict] = {}
    for h, answer, _values in rows:
        entry = areas_seen.setdefault(h.area_id, {"area": str(h.area), "total": 0, "answered": 0})
        entry["total"] += 1
        entry["answered"] += answer is not None
    tallies = []
    for q in questions:
        values = [a.value_of(q.pk) for a in answers.values()]
        tally = {"question": q, "counts": [], "sum": None}
        if q.kind == QuestionKind.CHOICE:
            counts = Counter(values)
            tally["counts"] = [(option, counts.get(option, 0)) for option in q.option_list()]
        elif q.kind == QuestionKind.NUMBER:
            tally["sum"] = sum(int(v) for v in values if v.isdigit())
        tallies.append(tally)
    answered = sum(1 for _h, a, _v in rows if a is not None)
    return {
        "questions": questions,
        "rows": rows,
        "total": len(rows),
        "answered": answered,
        "areas": list(areas_seen.values()),
        "tallies": tallies,
    }


def answers_unmatched(notice: NoticePage) -> list[int]:
    """Households whose stored answers no longer match the fingerprint the chain holds for
    them (an answer changed past the database's guard). Empty when all match."""
    fingerprints = {
        e.payload.get("household"): (e.payload.get("key") or "", e.payload.get("answers_hmac"))
        for e in AuditEvent.objects.filter(action="pages.notice.answer", object_id=str(notice.pk))
    }
    unmatched = []
    for answer in HouseholdAnswer.objects.filter(notice=notice).order_by("pk"):
        key_id, mac = fingerprints.get(answer.household_id, ("", None))
        if not answers_match(answer.answers, key_id=key_id, mac=mac):
            unmatched.append(answer.household_id)
    return sorted(unmatched)
