"""Reads of the procedure: lists for each kind of user, a matter's full trail, the township
dashboard, and what goes on the village-affairs board."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from village import permissions
from village.extensions import Resolution, inspections
from village.models import (
    Document,
    DocumentKind,
    Village,
    Villager,
    rule_versions_prefetch,
)
from village.publications import PublishedItem
from village.selectors import Body as CoreBody
from village.selectors import body_members, supervision_notes

from . import compliance, recount
from .models import (
    Attendance,
    Ballot,
    BallotMode,
    Body,
    Channel,
    Matter,
    MatterStatus,
    MatterVersion,
    Meeting,
    Participation,
    Publication,
    PublicationKind,
    Step,
    Suggestion,
)
from .permissions import DeliberationAction

# What villagers see: from the vote on (the text is then final), never drafts.
PUBLIC_STATUSES = [
    MatterStatus.VOTING,
    MatterStatus.RESOLVED,
    MatterStatus.PUBLISHING,
    MatterStatus.IMPLEMENTING,
    MatterStatus.RESULT_PUBLISHING,
    MatterStatus.ARCHIVED,
]


def matters_for(user, *, status: str | None = None, village: Village | None = None) -> QuerySet:
    """Matters the user may see: all of their villages' for cadres and inspectors, the public
    ones of their own village for villagers."""
    full = permissions.visible_villages(user, DeliberationAction.MATTER_VIEW)
    public = permissions.visible_villages(user, DeliberationAction.MATTER_VIEW_PUBLIC)
    # A matter returned by a failed vote stays visible to the villagers who voted on it.
    public_matters = Q(status__in=PUBLIC_STATUSES) | Q(
        status=MatterStatus.RETURNED, frozen_at__isnull=False
    )
    qs = Matter.objects.filter(
        Q(village__in=full) | (Q(village__in=public) & public_matters)
    ).select_related("village")
    if village is not None:
        qs = qs.filter(village=village)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


# The body that meets at each step before the vote; a joint step 1 is the two committees'.
STEP_BODY = {
    Step.BRANCH: Body.BRANCH_COMMITTEE,
    Step.COMMITTEES: Body.TWO_COMMITTEES,
    Step.PARTY: Body.PARTY_MEMBERS,
}


def meeting_body(step: int, *, joint: bool = False) -> Body:
    return Body.TWO_COMMITTEES if joint else STEP_BODY[Step(step)]


def should_attend(*, matter: Matter, body: Body, on) -> QuerySet[Villager]:
    """Who should attend a meeting of `body` held on `on`: the list the meeting form shows as
    soon as its date is set, and the snapshot `services.meeting_record` stores — one call to
    village.selectors.body_members, so the two never differ."""
    return body_members(village=matter.village, body=CoreBody(body), on=on)


def may_see(user, matter: Matter) -> bool:
    if permissions.can(user, DeliberationAction.MATTER_VIEW, matter.village):
        return True
    public = matter.status in PUBLIC_STATUSES or (
        matter.status == MatterStatus.RETURNED and matter.frozen_at is not None
    )
    return public and permissions.can(user, DeliberationAction.MATTER_VIEW_PUBLIC, matter.village)


def visible_matter(user, matter_id: int) -> Matter | None:
    """The matter's row alone, if `user` may see it: what a vote needs, one query (the roles it
    reads are kept for the request) — not the meetings, publications and versions a page shows."""
    found = Matter.objects.select_related("village").filter(pk=matter_id).order_by()[:1]
    return found[0] if found and may_see(user, found[0]) else None


def may_follow(user, matter: Matter) -> bool:
    """The villager whose 村民说事 the matter was adopted from follows it before villagers in
    general see it: its status, its steps and what has been published, never its drafts.
    Reads the author from `matter_detail`'s row (no query)."""
    suggestion = matter.suggestion
    return (
        suggestion is not None
        and getattr(user, "is_authenticated", False)
        and suggestion.villager.user_id == user.pk
        and permissions.can(user, DeliberationAction.MATTER_VIEW_PUBLIC, matter.village)
    )


def matter_progress(matter: Matter) -> list[dict]:
    """The six steps of 四议两公开, each `done`, `current` or neither, read from the matter's
    status and step alone (what a villager may know of a matter they follow)."""
    moving = (
        MatterStatus.DRAFT,
        MatterStatus.DELIBERATING,
        MatterStatus.VOTING,
        MatterStatus.PUBLISHING,
        MatterStatus.IMPLEMENTING,
        MatterStatus.RESULT_PUBLISHING,
    )
    steps = []
    for step in Step:
        done = (
            step < matter.current_step
            or matter.status == MatterStatus.ARCHIVED
            or (matter.status == MatterStatus.RESOLVED and step == Step.RESOLUTION)
        )
        current = not done and step == matter.current_step and matter.status in moving
        steps.append({"step": step.value, "label": step.label, "done": done, "current": current})
    return steps


def matter_detail(matter_id: int) -> Matter:
    return (
        Matter.objects.select_related("village", "village__township", "suggestion__villager")
        .prefetch_related(
            Prefetch(
                "meetings",
                queryset=Meeting.objects.select_related("version", "chair", "recorder").order_by(
                    "held_on", "id"
                ),
            ),
            Prefetch(
                "publications",
                queryset=Publication.objects.prefetch_related("objections__villager").order_by(
                    "starts_at"
                ),
            ),
            "versions",
            "updates",
        )
        .get(pk=matter_id)
    )


def vote_meeting(matter: Matter) -> Meeting | None:
    for m in matter.meetings.all():
        if m.step == Step.RESOLUTION and m.version.number == matter.version:
            return m
    return None


def current_vote_meeting(matter: Matter) -> Meeting | None:
    """The vote meeting (step 4) of the matter's current version, read with a query; what the
    services and tests ask of a matter not loaded by `matter_detail` (see `vote_meeting`)."""
    return matter.meetings.filter(step=Step.RESOLUTION, version__number=matter.version).first()


def open_publication(matter: Matter) -> Publication | None:
    """The matter's publication still running (not closed), the latest if several."""
    return matter.publications.filter(closed_at__isnull=True).order_by("-starts_at").first()


def ballots_sha256(meeting: Meeting) -> str:
    """SHA-256 over a meeting's counted ballots: the count's event records it, so a ballot
    changed or swapped behind the code's back shows even where the totals stay the same."""
    return recount.digest(
        Ballot.cast.filter(meeting=meeting).values_list("channel", "receipt", "choice", "voter_id")
    )


def has_voted(matter: Matter, villager) -> bool:
    meeting = vote_meeting(matter)
    if meeting is None or villager is None:
        return False
    return Participation.objects.filter(meeting=meeting, voter=villager).exists()


def voted_meeting_ids(villager, meetings) -> set[int]:
    """Of these vote meetings, the ids of those `villager` took part in — one query."""
    ids = [m.pk for m in meetings if m is not None]
    if villager is None or not ids:
        return set()
    return set(
        Participation.objects.filter(voter=villager, meeting_id__in=ids).values_list(
            "meeting_id", flat=True
        )
    )


def listed_meeting_ids(villager, meetings) -> set[int]:
    """Of these vote meetings, the ids of those whose voter list holds `villager` — one query
    (none when there is nothing to ask)."""
    ids = [m.pk for m in meetings if m is not None]
    if villager is None or not ids:
        return set()
    return set(
        Attendance.objects.filter(villager=villager, meeting_id__in=ids).values_list(
            "meeting_id", flat=True
        )
    )


def may_vote(matter: Matter, meeting: Meeting | None, *, voted: set[int], listed: set[int]) -> bool:
    """The one rule that invites someone to vote — the API's `may_vote`, the web list's 去投票:
    on the meeting's voter list, while its window is open, and not yet voted."""
    return (
        meeting is not None
        and matter.can_vote()
        and meeting.window_open
        and meeting.pk in listed
        and meeting.pk not in voted
    )


def own_ballot(matter: Matter, meeting: Meeting | None, villager) -> dict | None:
    """An open (记名) vote's own ballot, for its voter to see again: receipt, choice and the
    fingerprint voted on. None for a secret vote — nothing stored pairs a voter with a receipt,
    so its code is shown once, at the vote."""
    if meeting is None or villager is None or matter.ballot_mode != BallotMode.OPEN:
        return None
    return (
        Ballot.objects.filter(meeting=meeting, voter=villager)
        .order_by()
        .values("receipt", "choice", "text_hash")
        .first()
    )


def vote_invitations(villager, matters) -> dict[int, str]:
    """For each matter being voted on, what its card may say to `villager`: "voted", "invited"
    (may vote now), "not_listed" or "not_open" — two queries for the whole list."""
    meetings = {m.pk: vote_meeting(m) for m in matters if m.can_vote()}
    voted = voted_meeting_ids(villager, meetings.values())
    listed = listed_meeting_ids(villager, meetings.values())
    states = {}
    for matter in matters:
        meeting = meetings.get(matter.pk)
        if meeting is None:
            continue
        if meeting.pk in voted:
            states[matter.pk] = "voted"
        elif may_vote(matter, meeting, voted=voted, listed=listed):
            states[matter.pk] = "invited"
        elif meeting.pk not in listed:
            states[matter.pk] = "not_listed"
        else:
            states[matter.pk] = "not_open"
    return states


def receipts(meeting: Meeting) -> list[dict]:
    """The published receipt list of a vote: receipt codes and choices, never voters."""
    return list(
        Ballot.objects.filter(meeting=meeting, receipt__isnull=False)
        .order_by("receipt")
        .values("receipt", "choice")
    )


def attendance_of(
    meeting: Meeting,
    ruleset=None,
    *,
    order_by: tuple[str, ...] = ("villager__household__number", "villager_id"),
) -> list[Attendance]:
    """The should-attend list, each row marked the way the tally counts it: `voted_online`, and
    `counts_present` — in the hall, or an online voter when the rule set counts online voters
    as present (`online_voter_counts_present`, default yes); never someone on approved leave.
    The tally (services.counting.meeting_count) and every list of who came read this, so they
    agree."""
    if ruleset is None:
        ruleset = meeting.matter.village.rules_on(meeting.held_on)
    rows = list(
        meeting.attendance.select_related(
            "villager__household__area__parent", "household"
        ).order_by(*order_by)
    )
    online = set(
        meeting.participations.filter(channel=Channel.ONLINE).values_list("voter_id", flat=True)
    )
    for row in rows:
        row.voted_online = row.villager_id in online
        row.counts_present = not row.exempted and (
            row.present or (row.voted_online and ruleset.online_voter_counts_present)
        )
    return rows


def issued_documents(matter: Matter) -> dict:
    """The documents in force (issued and not replaced by a re-issue) of a matter's resolution
    and of each of its meetings, the latest of each — one query: {"resolution": Document |
    None, "meetings": {meeting id: Document}}."""
    meeting_ids = [str(m.pk) for m in matter.meetings.all()]
    documents = (
        Document.objects.filter(village_id=matter.village_id, superseded_by__isnull=True)
        .filter(
            Q(kind=DocumentKind.RESOLUTION, subject_type="deliberation.matter")
            & Q(subject_id=str(matter.pk))
            | Q(kind=DocumentKind.MEETING_RECORD, subject_type="deliberation.meeting")
            & Q(subject_id__in=meeting_ids)
        )
        .order_by("issued_at", "id")
    )
    issued = {"resolution": None, "meetings": {}}
    for document in documents:
        if document.kind == DocumentKind.RESOLUTION:
            issued["resolution"] = document
        else:
            issued["meetings"][int(document.subject_id)] = document
    return issued


def township_dashboard(user, *, findings: bool = True) -> list[dict]:
    """Every village the user may inspect with its matters and their red flags, and — unless
    `findings` is False (the admin home's panel counts flagged matters only) — the other apps'
    findings per village (points' 积分与福利)."""
    villages = list(
        permissions.visible_villages(user, DeliberationAction.MATTER_VIEW).prefetch_related(
            rule_versions_prefetch()
        )
    )
    by_pk = {village.pk: village for village in villages}
    rows = []
    matters = (
        Matter.objects.filter(village__in=villages)
        .prefetch_related(
            Prefetch(
                "meetings",
                queryset=Meeting.objects.select_related("version").prefetch_related(
                    "participations", "ballots"
                ),
            ),
            Prefetch("publications", queryset=Publication.objects.prefetch_related("objections")),
            "milestones",
        )
        .order_by("village_id", "-created_at")
    )
    matters = list(matters)
    # The supervision committee's notes on every matter and meeting listed: one query.
    notes = supervision_notes([*matters, *(m for x in matters for m in x.meetings.all())])
    by_village = {}
    for matter in matters:
        matter.supervision_notes = notes
        # One village object per village, shared by its matters: what the checks read of a
        # village (its rule set) is read once per village, never once per matter.
        matter.village = by_pk[matter.village_id]
        flags = compliance.check_matter(matter)
        by_village.setdefault(matter.village_id, []).append(
            {
                "matter": matter,
                "red_flags": [f for f in flags if not f.ok],
                "compliance": compliance.summary(flags),
            }
        )
    for village in villages:
        items = by_village.get(village.pk, [])
        rows.append(
            {
                "village": village,
                "matters": items,
                "flagged": sum(1 for i in items if i["red_flags"]),
                # Drafts not started are not counted as compliant matters.
                "checked": sum(1 for i in items if i["compliance"] != compliance.NOT_STARTED),
                # Other apps' findings (points: 积分与福利), through village.extensions.
                "inspections": inspections(village) if findings else [],
            }
        )
    return rows


def open_votes_count(village: Village) -> int:
    return Matter.objects.filter(village=village, status=MatterStatus.VOTING).count()


def _published(village: Village, kind: str) -> list[PublishedItem]:
    items = []
    qs = (
        Publication.objects.filter(matter__village=village, kind=kind)
        .select_related("matter")
        .order_by("-starts_at")
    )
    for p in qs:
        items.append(
            PublishedItem(
                kind=kind,
                title=p.matter.title,
                published_at=p.starts_at,
                url=reverse("deliberation:matter", args=[p.matter_id]),
                category=p.matter.get_category_display(),
                summary=p.text[:120],
            )
        )
    return items


def published_resolutions(village: Village) -> list[PublishedItem]:
    return _published(village, PublicationKind.RESOLUTION)


def published_results(village: Village) -> list[PublishedItem]:
    return _published(village, PublicationKind.RESULT)


def standing_resolutions(village: Village) -> list:
    """Published resolutions still standing (not returned or withdrawn), newest first: what a
    lower app may act on, e.g. points adopting a new catalogue or publishing an allocation
    (village.extensions). Each carries the text its vote was bound to: the version whose
    SHA-256 the matter froze."""
    standing = [
        MatterStatus.PUBLISHING,
        MatterStatus.IMPLEMENTING,
        MatterStatus.RESULT_PUBLISHING,
        MatterStatus.ARCHIVED,
    ]
    publications = list(
        Publication.objects.filter(
            matter__village=village,
            kind=PublicationKind.RESOLUTION,
            matter__status__in=standing,
        )
        .select_related("matter")
        .order_by("-starts_at", "-pk")
    )
    frozen = {
        (v.matter_id, v.sha256): v
        for v in MatterVersion.objects.filter(matter__in=[p.matter_id for p in publications]).only(
            "matter_id", "sha256", "title", "body"
        )
    }
    found = []
    for p in publications:
        m = p.matter
        version = frozen.get((m.pk, m.frozen_hash))
        found.append(
            Resolution(
                ref=m.pk,
                title=m.title,
                published_on=timezone.localdate(p.starts_at),
                url=reverse("deliberation:matter", args=[m.pk]),
                category=m.category,
                text=f"{version.title}\n\n{version.body}" if version else "",
                text_sha256=version.sha256 if version else "",
                settled=m.status != MatterStatus.PUBLISHING,
                settles_on=None if p.closed_at else timezone.localdate(p.ends_at),
            )
        )
    return found


def status_counts(user) -> dict:
    return dict(
        matters_for(user).values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )


def now():
    return timezone.now()


def attendance_matching(meeting: Meeting, *, query: str = "", area: int | None = None):
    """A meeting's should-attend rows whose name or household number contains `query`, of the
    area (片区) `area`: the rows of the vote page's table and of its "select all matching"."""
    rows = meeting.attendance.all()
    if query:
        rows = rows.filter(
            Q(villager__name__contains=query) | Q(villager__household__number__contains=query)
        )
    if area:
        rows = rows.filter(villager__household__area_id=area)
    return rows


def own_suggestions(user):
    """The 说事 a user filed — a 亲情账号's: those it filed in its household's name — or None
    for a user who is neither a villager nor a proxy."""
    villager = permissions.villager_of(user)
    if villager is not None:
        qs = Suggestion.objects.filter(villager=villager)
    else:
        proxy = permissions.proxy_of(user)
        if proxy is None:
            return None
        qs = Suggestion.objects.filter(village_id=proxy.village_id, proxy__user=user)
    return qs.select_related("matter")
