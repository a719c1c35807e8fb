"""Grid events under /api/v1/events: 随手拍 (multipart, with its photo), the caller's list
(their own, or the officer's areas, or the village for cadres), one event with its trail, and
each step as a POST. Another village's event is a 404; a step the caller may not take, 403."""

from datetime import date, datetime

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from village import permissions
from village.api import Message
from village.models import Grid, Village, Villager

from . import selectors, services
from .models import GridEvent

router = Router(tags=["grid"])

ERRORS = {400: Message, 403: Message, 404: Message}


class StepOut(Schema):
    kind: str
    label: str
    at: datetime
    note: str


class EventOut(Schema):
    id: int
    village: int
    area: str
    category: str
    category_label: str
    urgent: bool
    text: str
    place: str
    status: str
    status_label: str
    reported_at: datetime
    offline_at: datetime | None
    due_at: datetime
    late: bool
    level: int
    photo: str | None
    handled_note: str
    after_photo: str | None
    rating: int | None
    suggestion: int | None

    @staticmethod
    def resolve_village(event: GridEvent) -> int:
        return event.village_id

    @staticmethod
    def resolve_area(event: GridEvent) -> str:
        return event.area.name

    @staticmethod
    def resolve_category_label(event: GridEvent) -> str:
        return str(event.get_category_display())

    @staticmethod
    def resolve_status_label(event: GridEvent) -> str:
        return str(event.get_status_display())

    @staticmethod
    def resolve_late(event: GridEvent) -> bool:
        return event.level_at(timezone.now()) > 0

    @staticmethod
    def resolve_level(event: GridEvent) -> int:
        return event.level_at(timezone.now())

    @staticmethod
    def resolve_photo(event: GridEvent) -> str | None:
        return event.photo.url if event.photo else None

    @staticmethod
    def resolve_after_photo(event: GridEvent) -> str | None:
        return event.after_photo.url if event.after_photo else None

    @staticmethod
    def resolve_suggestion(event: GridEvent) -> int | None:
        return event.suggestion_id


class EventDetailOut(EventOut):
    steps: list[StepOut]

    @staticmethod
    def resolve_steps(event: GridEvent) -> list[dict]:
        return [
            {"kind": s.kind, "label": str(s.get_kind_display()), "at": s.at, "note": s.note}
            for s in event.trail
        ]


class ReportIn(Schema):
    village: int
    category: str
    text: str
    place: str = ""
    urgent: bool = False
    area: int | None = None
    reporter: int | None = None
    latitude: str | None = None
    longitude: str | None = None
    idempotency_key: str | None = None


class HandleIn(Schema):
    note: str


class ConfirmIn(Schema):
    rating: int
    note: str = ""


class ReopenIn(Schema):
    reason: str


class ReassignIn(Schema):
    area: int


class LinkIn(Schema):
    suggestion: int


class RewardIn(Schema):
    rule: str


class AreaCountOut(Schema):
    area: str
    reported: int
    accepted: int
    handled: int
    confirmed: int
    late: int
    total: int


def _village(request, village_id: int) -> Village:
    village = permissions.visible_villages(request.user).filter(pk=village_id).first()
    if village is None:
        raise Http404
    return village


@router.post("/events", response={201: EventDetailOut, **ERRORS})
def event_report(request, payload: Form[ReportIn], photo: File[UploadedFile] = None):
    """随手拍: a photo, a category, the place; lands with the area's officer."""
    village = _village(request, payload.village)
    area = get_object_or_404(Grid, pk=payload.area, village=village) if payload.area else None
    reporter = (
        get_object_or_404(Villager, pk=payload.reporter, village=village)
        if payload.reporter
        else None
    )
    event = services.event_report(
        actor=request.user,
        village=village,
        category=payload.category,
        text=payload.text,
        place=payload.place,
        photo=photo,
        latitude=payload.latitude,
        longitude=payload.longitude,
        urgent=payload.urgent,
        area=area,
        reporter=reporter,
        idempotency_key=payload.idempotency_key,
    )
    return 201, selectors.event_for(request.user, event.pk)


@router.get("/events", response={200: list[EventOut], **ERRORS})
@paginate(PageNumberPagination, page_size=selectors.SHOWN)
def event_list(request, village: int, status: str | None = None):
    """The caller's events in `village`: their own, their areas' (an officer), all (cadres)."""
    events = selectors.events_for(request.user, _village(request, village))
    return events.filter(status=status) if status else events


@router.get("/events/{event_id}", response={200: EventDetailOut, **ERRORS})
def event_detail(request, event_id: int):
    return selectors.event_for(request.user, event_id)


def _step(request, event_id: int, step, **fields):
    event = selectors.event_for(request.user, event_id)
    step(actor=request.user, event=event, **fields)
    return selectors.event_for(request.user, event_id)


@router.post("/events/{event_id}/accept", response={200: EventDetailOut, **ERRORS})
def event_accept(request, event_id: int):
    return _step(request, event_id, services.event_accept)


@router.post("/events/{event_id}/handle", response={200: EventDetailOut, **ERRORS})
def event_handle(
    request, event_id: int, payload: Form[HandleIn], after_photo: File[UploadedFile] = None
):
    return _step(
        request, event_id, services.event_handle, note=payload.note, after_photo=after_photo
    )


@router.post("/events/{event_id}/confirm", response={200: EventDetailOut, **ERRORS})
def event_confirm(request, event_id: int, payload: ConfirmIn):
    return _step(
        request, event_id, services.event_confirm, rating=payload.rating, note=payload.note
    )


@router.post("/events/{event_id}/reopen", response={200: EventDetailOut, **ERRORS})
def event_reopen(request, event_id: int, payload: ReopenIn):
    return _step(request, event_id, services.event_reopen, reason=payload.reason)


@router.post("/events/{event_id}/reassign", response={200: EventDetailOut, **ERRORS})
def event_reassign(request, event_id: int, payload: ReassignIn):
    event = selectors.event_for(request.user, event_id)
    area = get_object_or_404(Grid, pk=payload.area, village_id=event.village_id)
    services.event_reassign(actor=request.user, event=event, area=area)
    return selectors.event_for(request.user, event_id)


@router.post("/events/{event_id}/link", response={200: EventDetailOut, **ERRORS})
def event_link(request, event_id: int, payload: LinkIn):
    from deliberation.models import Suggestion

    event = selectors.event_for(request.user, event_id)
    suggestion = get_object_or_404(Suggestion, pk=payload.suggestion, village_id=event.village_id)
    services.event_link(actor=request.user, event=event, suggestion=suggestion)
    return selectors.event_for(request.user, event_id)


class ProposedOut(Schema):
    entry: int
    status: str
    source: str


@router.post("/events/{event_id}/reward", response={201: ProposedOut, **ERRORS})
def event_reward(request, event_id: int, payload: RewardIn):
    """Propose an entry for the reporter's household under a rule of the catalogue in force
    on the day it was reported; the committee reviews it as any recorded entry."""
    from points import selectors as points_selectors

    event = selectors.event_for(request.user, event_id)
    day = timezone.localdate(event.reported_at)
    rule = points_selectors.rules_on(event.village, day).filter(code=payload.rule).first()
    if rule is None:
        raise Http404
    entry = services.event_reward(actor=request.user, event=event, rule=rule)
    return 201, {"entry": entry.pk, "status": entry.status, "source": entry.source or ""}


@router.get("/villages/{village_id}/events/summary", response={200: list[AreaCountOut], **ERRORS})
def event_summary(request, village_id: int, month: date | None = None):
    """This month's (or `month`'s) events of each area by status: counts only, no texts."""
    village = _village(request, village_id)
    return selectors.counts_by_area(village, month or timezone.localdate())


class RefusedOut(Schema):
    household: str
    reason: str


class MeetingProposedOut(Schema):
    entries: list[int]
    refused: list[RefusedOut]


@router.post("/proposals/meetings/{meeting_id}", response={201: MeetingProposedOut, **ERRORS})
def propose_meeting(request, meeting_id: int, payload: RewardIn):
    """A closed villagers' or representatives' meeting proposes the rule for each household
    with a member present (for review); the households it cannot be proposed for, with why."""
    from deliberation.models import Meeting
    from points import selectors as points_selectors

    from .services.proposals import meeting_attendance_propose

    villages = permissions.visible_villages(request.user)
    meeting = get_object_or_404(
        Meeting.objects.select_related("matter__village"),
        pk=meeting_id,
        matter__village__in=villages,
    )
    village = meeting.matter.village
    rule = points_selectors.rules_on(village, meeting.held_on).filter(code=payload.rule).first()
    if rule is None:
        raise Http404
    done = meeting_attendance_propose(actor=request.user, meeting=meeting, rule=rule)
    return 201, {
        "entries": [entry.pk for entry in done.entries],
        "refused": [{"household": n, "reason": r} for n, r in done.refused],
    }


@router.post("/proposals/sayings/{suggestion_id}", response={201: ProposedOut, **ERRORS})
def propose_saying(request, suggestion_id: int, payload: RewardIn):
    """An adopted 说事 proposes the rule for its villager's household (for review)."""
    from deliberation.models import Suggestion
    from points import selectors as points_selectors

    from .services.proposals import suggestion_propose

    villages = permissions.visible_villages(request.user)
    saying = get_object_or_404(Suggestion, pk=suggestion_id, village__in=villages)
    day = timezone.localdate(saying.created_at)
    rule = points_selectors.rules_on(saying.village, day).filter(code=payload.rule).first()
    if rule is None:
        raise Http404
    entry = suggestion_propose(actor=request.user, suggestion=saying, rule=rule)
    return 201, {"entry": entry.pk, "status": entry.status, "source": entry.source or ""}
