"""Reads of "我的待办", a villager's landing page after login: notices the household has not
read, votes open to them, points changes and answers since the last visit. The page gathers
what the notices (pages), the procedure (deliberation) and the ledger (points) hold for one
person, so it lives in `pages`, the one app that may read all three.

Every part reads the signed-in user's own villager and household; nothing here takes a
household from the request. Query counts do not depend on how long any list is."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from deliberation import selectors as deliberation_selectors
from deliberation.models import MatterStatus, Meeting, MeetingStatus, Step, Suggestion
from deliberation.models import Objection as MatterObjection
from points.models import Entry, EntryStatus
from points.models import Objection as PointsObjection
from village.models import Villager, VillagerStatus

from . import selectors
from .models import NoticePage, NoticeRead, TodoVisit, VillageHomePage

# A first visit has no mark: what changed in the last month counts as new.
FIRST_VISIT_WINDOW = timedelta(days=30)
SHOWN = 20  # the longest list each section shows; the count says how many there are


@dataclass
class Todo:
    villager: Villager | None
    since: datetime
    notices: list = field(default_factory=list)
    notices_total: int = 0
    votes: list = field(default_factory=list)
    entries: list = field(default_factory=list)
    suggestions: list = field(default_factory=list)
    matter_objections: list = field(default_factory=list)
    points_objections: list = field(default_factory=list)

    @property
    def answers(self) -> int:
        return len(self.suggestions) + len(self.matter_objections) + len(self.points_objections)

    @property
    def empty(self) -> bool:
        return not (self.notices or self.votes or self.entries or self.answers)


def last_seen(user) -> datetime | None:
    found = TodoVisit.objects.filter(user=user).values_list("seen_at", flat=True)[:1]
    return found[0] if found else None


def since_for(seen_at: datetime | None) -> datetime:
    return seen_at or timezone.now() - FIRST_VISIT_WINDOW


def unread_notices(villager: Villager, home: VillageHomePage) -> tuple[list, int]:
    """Current notices addressed to the villager that nobody of the household has confirmed
    (the household counts as reached, as in the unread report), newest first."""
    today = timezone.localdate()
    addressed = NoticePage.objects.filter(selectors.audience_filter(villager, today)).values("pk")
    read = NoticeRead.objects.filter(notice=OuterRef("pk"), household_id=villager.household_id)
    qs = (
        selectors.current_notices(home)
        .filter(pk__in=addressed)
        .exclude(Exists(read))
        .order_by("-publish_on", "-first_published_at", "-id")
    )
    rows = list(qs[: SHOWN + 1])
    total = len(rows) if len(rows) <= SHOWN else qs.count()
    return rows[:SHOWN], total


def open_votes(villager: Villager) -> list[Meeting]:
    """Votes open to the villager now: on the meeting's voter list, window open, not yet voted
    (the rule `may_vote` follows in the API), with each meeting's matter."""
    now = timezone.now()
    meetings = list(
        Meeting.objects.filter(
            matter__village_id=villager.village_id,
            matter__status=MatterStatus.VOTING,
            step=Step.RESOLUTION,
            status=MeetingStatus.OPEN,
            version__number=F("matter__version"),
            vote_opens_at__lte=now,
            vote_closes_at__gt=now,
        )
        .select_related("matter")
        .order_by("vote_closes_at", "pk")
    )
    listed = deliberation_selectors.listed_meeting_ids(villager, meetings)
    meetings = [m for m in meetings if m.pk in listed]
    voted = deliberation_selectors.voted_meeting_ids(villager, meetings)
    # The one invitation rule, as the API's `may_vote` and the /matters/ list ask it.
    return [
        m
        for m in meetings
        if deliberation_selectors.may_vote(m.matter, m, voted=voted, listed=listed)
    ][:SHOWN]


def points_changes(villager: Villager, since: datetime) -> list[Entry]:
    """The household's entries posted, put up for objection (公示) or objected to since `since`;
    each carries `change`: posted, published or objected."""
    objected = PointsObjection.objects.filter(entry=OuterRef("pk"), filed_at__gt=since)
    rows = list(
        Entry.objects.filter(
            account__household_id=villager.household_id, account__villager__isnull=True
        )
        .exclude(status=EntryStatus.REJECTED)
        .annotate(objected=Exists(objected))
        .filter(
            Q(posted_at__gt=since)
            | Q(status=EntryStatus.PUBLISHED, publication__published_at__gt=since)
            | Q(objected=True)
        )
        .select_related("rule", "publication")
        .order_by("-occurred_on", "-id")[:SHOWN]
    )
    for entry in rows:
        if entry.objected:
            entry.change = "objected"
        elif entry.status == EntryStatus.PUBLISHED:
            entry.change = "published"
        else:
            entry.change = "posted"
    return rows


def answers(villager: Villager, since: datetime) -> dict:
    """Answers given since `since` to the villager's 说事 and objections (on matters: their
    own; on points: anyone of the household's, the household's points being at stake)."""
    return {
        "suggestions": list(
            Suggestion.objects.filter(villager=villager, answered_at__gt=since)
            .select_related("matter")
            .order_by("-answered_at")[:SHOWN]
        ),
        "matter_objections": list(
            MatterObjection.objects.filter(villager=villager, answered_at__gt=since)
            .select_related("publication__matter")
            .order_by("-answered_at")[:SHOWN]
        ),
        "points_objections": list(
            PointsObjection.objects.filter(
                villager__household_id=villager.household_id, answered_at__gt=since
            )
            .select_related("entry__rule")
            .order_by("-answered_at")[:SHOWN]
        ),
    }


def todo_for(villager: Villager | None, *, since: datetime) -> Todo:
    """What needs `villager` (the signed-in user's own, from `village.permissions.villager_of`)."""
    todo = Todo(villager=villager, since=since)
    if villager is None or villager.status != VillagerStatus.REGISTERED:
        return todo
    home = VillageHomePage.objects.filter(village_id=villager.village_id).first()
    if home is not None:
        todo.notices, todo.notices_total = unread_notices(villager, home)
    todo.votes = open_votes(villager)
    todo.entries = points_changes(villager, since)
    for key, rows in answers(villager, since).items():
        setattr(todo, key, rows)
    return todo
