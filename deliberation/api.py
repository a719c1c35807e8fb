"""Villager and inspector endpoints of the procedure under /api/v1/."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema

from village import documents, permissions
from village.api import Message
from village.money import yuan_decimal

from . import documents as print_
from . import selectors, services
from .models import Matter, Step, Suggestion
from .permissions import DeliberationAction
from .trail import matter_trail

router = Router(tags=["matters"])


class MatterListOut(Schema):
    id: int
    title: str
    village: str
    status: str
    status_label: str
    category: str
    current_step: int
    step_label: str
    deciding_body: str
    ballot_mode: str
    vote_closes_at: datetime | None = None
    has_voted: bool = False
    # True only for someone on the vote's list, while its window is open, who has not voted.
    may_vote: bool = False


class PublicationOut(Schema):
    id: int
    kind: str
    text: str
    starts_at: datetime
    ends_at: datetime
    closed_at: datetime | None
    objections: int


class MatterOut(MatterListOut):
    body: str
    version: int
    sha256: str
    frozen_sha256: str | None
    vote_opens_at: datetime | None = None
    publications: list[PublicationOut]
    receipts: list[dict] | None = None
    # An open (记名) vote's own ballot, for its voter to see again; a secret one's receipt is
    # shown once, at the vote, and never stored against the voter.
    my_receipt: str | None = None
    my_choice: str | None = None
    # Money: integer 分 as stored (stable for programs) and the same amount in 元 as an exact
    # decimal string with two places ("80000.00"); both null when no amount was given.
    estimated_amount_fen: int | None = None
    estimated_amount_yuan: str | None = None


class VoteIn(Schema):
    choice: str


class ReceiptOut(Schema):
    receipt: str
    sha256: str
    cast_at: datetime
    choice: str
    secret: bool


class ObjectionIn(Schema):
    text: str


class ObjectionOut(Schema):
    id: int
    filed_at: datetime


class SuggestionIn(Schema):
    text: str


class SuggestionOut(Schema):
    id: int
    text: str
    status: str
    answer: str
    created_at: datetime
    matter_id: int | None = None


class FlagOut(Schema):
    code: str
    ok: bool
    reason: str
    step: int | None = None


class EventOut(Schema):
    seq: int
    created_at: datetime
    actor: str
    action: str
    object: str
    payload: dict
    hash: str


class MeetingOut(Schema):
    id: int
    step: int
    step_label: str
    joint: bool
    version: int
    body: str
    held_on: date
    should_attend: int
    present: int
    households_total: int
    households_present: int
    yes: int
    no: int
    abstain: int
    quorum_met: bool | None
    passed: bool | None
    verdict: dict
    minutes: str
    frozen_sha256: str | None
    observers: list[str]


class RecountOut(Schema):
    meeting: int
    step: int
    status: str
    tally: dict[str, int]
    stored: dict[str, int]
    participations: int
    ok: bool
    problems: list[str]


class SupervisionOut(Schema):
    """A note of the 村务监督委员会: `stance` "countersign", "dispute" or "opinion"."""

    on: str
    subject: str
    stance: str
    stance_label: str
    text: str
    by: str
    at: datetime


class AdvisoryOut(Schema):
    """A 乡贤参事's opinion: advice before the vote, never counted as a vote."""

    by: str
    text: str
    at: datetime


class MilestoneOut(Schema):
    title: str
    due_on: date
    done_on: date | None


class BudgetOut(Schema):
    budget_fen: int | None
    spent_fen: int | None
    percent: int | None


class AuditOut(Schema):
    matter: MatterListOut
    meetings: list[MeetingOut]
    flags: list[FlagOut]
    red_flags: list[FlagOut]
    # "not_started" (nothing to check yet: no meeting, no publication), "passed" or "failed".
    compliance: str
    supervision: list[SupervisionOut]
    advisories: list[AdvisoryOut]
    milestones: list[MilestoneOut]
    budget: BudgetOut
    events: list[EventOut]
    chain_ok: bool
    chain_problem: str | None
    chain_head: str | None
    recount_ok: bool
    recount: list[RecountOut]


def _list_item(
    matter: Matter,
    villager=None,
    voted: set[int] | None = None,
    listed: set[int] | None = None,
) -> dict:
    """`voted` / `listed`: ids of the vote meetings the villager took part in / is on the list
    of, when the caller already knows them (a list); otherwise a query each for this matter."""
    meeting = (
        selectors.vote_meeting(matter) if hasattr(matter, "_prefetched_objects_cache") else None
    )
    if meeting is None:
        has_voted = False
    elif voted is not None:
        has_voted = meeting.pk in voted
    else:
        has_voted = selectors.has_voted(matter, villager)
    may_vote = False
    if meeting is not None and matter.can_vote() and meeting.window_open and not has_voted:
        if listed is None:
            listed = selectors.listed_meeting_ids(villager, [meeting])
        may_vote = selectors.may_vote(matter, meeting, voted=set(), listed=listed)
    return {
        "id": matter.pk,
        "title": matter.title,
        "village": matter.village.name,
        "status": matter.status,
        "status_label": str(matter.get_status_display()),
        "category": str(matter.get_category_display()),
        "current_step": matter.current_step,
        "step_label": str(Step(matter.current_step).label),
        "deciding_body": matter.deciding_body,
        "ballot_mode": matter.ballot_mode,
        "vote_closes_at": meeting.vote_closes_at if meeting else None,
        "has_voted": has_voted,
        "may_vote": may_vote,
    }


def _get(request, matter_id) -> Matter:
    try:
        matter = selectors.matter_detail(matter_id)
    except Matter.DoesNotExist as exc:
        raise Http404 from exc
    if not selectors.may_see(request.user, matter):
        raise Http404
    return matter


@router.get("/matters", response=list[MatterListOut])
def matters(request, status: str | None = None):
    villager = permissions.villager_of(request.user)
    qs = selectors.matters_for(request.user, status=status).prefetch_related("meetings__version")
    items = list(qs[:200])
    # One query for "have I voted" across the whole list, not one per matter.
    meetings = [selectors.vote_meeting(m) for m in items]
    voted = selectors.voted_meeting_ids(villager, meetings)
    listed = selectors.listed_meeting_ids(
        villager, [mt for m, mt in zip(items, meetings, strict=True) if mt and m.can_vote()]
    )
    return [_list_item(m, villager, voted, listed) for m in items]


@router.get("/matters/{matter_id}", response={200: MatterOut, 404: Message})
def matter(request, matter_id: int):
    m = _get(request, matter_id)
    villager = permissions.villager_of(request.user)
    item = _list_item(m, villager)
    meeting = selectors.vote_meeting(m)
    item.update(
        body=m.body,
        version=m.version,
        sha256=m.text_hash,
        frozen_sha256=m.frozen_hash or None,
        estimated_amount_fen=m.estimated_amount_fen,
        estimated_amount_yuan=(
            None if m.estimated_amount_fen is None else str(yuan_decimal(m.estimated_amount_fen))
        ),
        vote_opens_at=meeting.vote_opens_at if meeting else None,
        publications=[
            {
                "id": p.pk,
                "kind": p.kind,
                "text": p.text,
                "starts_at": p.starts_at,
                "ends_at": p.ends_at,
                "closed_at": p.closed_at,
                "objections": len(p.objections.all()),
            }
            for p in m.publications.all()
        ],
        receipts=(
            selectors.receipts(meeting)
            if meeting and m.ballot_mode == "secret" and meeting.status == "closed"
            else None
        ),
    )
    own = selectors.own_ballot(m, meeting, villager) if item["has_voted"] else None
    if own is not None:
        item.update(my_receipt=own["receipt"], my_choice=own["choice"])
    return item


@router.post(
    "/matters/{matter_id}/vote",
    response={200: ReceiptOut, 400: Message, 403: Message, 404: Message},
)
def vote(request, matter_id: int, payload: VoteIn):
    m = selectors.visible_matter(request.user, matter_id)
    if m is None:
        raise Http404
    return services.vote_cast(actor=request.user, matter=m, choice=payload.choice)


@router.post(
    "/matters/{matter_id}/objection",
    response={201: ObjectionOut, 400: Message, 403: Message, 404: Message},
)
def objection(request, matter_id: int, payload: ObjectionIn):
    m = _get(request, matter_id)
    publication = selectors.open_publication(m)
    if publication is None:
        return 400, {"message": _("该议题当前没有正在公开的内容，不能提出异议。"), "code": "closed"}
    o = services.objection_file(actor=request.user, publication=publication, text=payload.text)
    return 201, {"id": o.pk, "filed_at": o.filed_at}


@router.get("/matters/{matter_id}/audit", response={200: AuditOut, 403: Message, 404: Message})
def matter_audit(request, matter_id: int):
    m = _get(request, matter_id)
    if not (
        permissions.can(request.user, DeliberationAction.MATTER_VIEW, m.village)
        and permissions.can(request.user, permissions.Action.VIEW_AUDIT, m.village)
    ):
        raise PermissionDenied(_("只有本村干部、监督委员会和乡镇巡查可以查看审计记录。"))
    trail = matter_trail(m)
    return {
        "matter": _list_item(m),
        "meetings": trail["meetings"],
        "flags": [f.as_dict() for f in trail["flags"]],
        "red_flags": [f.as_dict() for f in trail["red_flags"]],
        "compliance": trail["compliance"],
        "supervision": trail["supervision"],
        "advisories": [
            {"by": a.villager.name, "text": a.text, "at": a.created_at} for a in trail["advisories"]
        ],
        "milestones": [
            {"title": m.title, "due_on": m.due_on, "done_on": m.done_on}
            for m in trail["milestones"]
        ],
        "budget": trail["budget"],
        "events": [
            {
                "seq": e.seq,
                "created_at": e.created_at,
                "actor": e.actor_name,
                "action": e.action,
                "object": e.object_repr,
                "payload": e.payload,
                "hash": e.hash,
            }
            for e in trail["events"]
        ],
        "chain_ok": trail["chain_ok"],
        "chain_problem": trail["chain_problem"],
        "chain_head": trail["chain_head"],
        "recount_ok": trail["recount_ok"],
        "recount": trail["recount"],
    }


@router.get(
    "/matters/{matter_id}/audit.pdf",
    response={200: None, 403: Message, 404: Message},
    openapi_extra={
        "responses": {
            200: {
                "description": "议题审计记录（PDF，盖电子印章，可在 /verify/<验证码>/ 核对）",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def matter_audit_pdf(request, matter_id: int):
    """The matter's full audit trail as a sealed PDF, issued now and registered."""
    m = _get(request, matter_id)
    document = print_.audit_trail(actor=request.user, matter=m)
    return documents.response(document, inline=False)


@router.get("/suggestions", response=list[SuggestionOut])
def suggestions(request):
    qs = selectors.own_suggestions(request.user)
    if qs is None:
        return []
    return [_suggestion(s) for s in qs]


def _suggestion(s: Suggestion) -> dict:
    matter = getattr(s, "matter", None)
    return {
        "id": s.pk,
        "text": s.text,
        "status": s.status,
        "answer": s.answer,
        "created_at": s.created_at,
        "matter_id": matter.pk if matter else None,
    }


@router.post("/suggestions", response={201: SuggestionOut, 400: Message, 403: Message})
def suggestion_create(request, payload: SuggestionIn):
    household = permissions.household_of(request.user)
    if household is None:
        raise PermissionDenied(_("只有本村村民可以说事。"))
    s = services.suggestion_submit(actor=request.user, village=household.village, text=payload.text)
    return 201, _suggestion(s)
