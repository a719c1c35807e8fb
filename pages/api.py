"""Notices for villagers' phones: GET /api/v1/notices, POST /api/v1/notices/{id}/read."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema

from village import officers, permissions
from village.api import Message
from village.models import Household, Village

from . import selectors, services
from .models import NoticePage

router = Router(tags=["notices"])


class NoticeOut(Schema):
    id: int
    title: str
    category: str
    urgency: str
    audience: str
    publish_on: date
    expires_on: date | None
    url: str
    is_read: bool


class NoticeDetailOut(NoticeOut):
    body: str


class ReadOut(Schema):
    id: int
    read_at: datetime


def _out(n: NoticePage, is_read: bool) -> dict:
    return {
        "id": n.pk,
        "title": n.title,
        "category": n.category,
        "urgency": n.urgency,
        "audience": n.audience,
        "publish_on": n.publish_on,
        "expires_on": n.expires_on,
        "url": n.url or "",
        "is_read": is_read,
    }


@router.get("/notices", response={200: list[NoticeOut], 403: Message})
def notices(request):
    # A villager's own village, or that of the household a 亲情账号 acts for.
    household = permissions.household_of(request.user)
    if household is None:
        raise PermissionDenied(_("只有村民账号可以查看通知列表。"))
    home = selectors.home_of(household.village)
    if home is None:
        return []
    qs = selectors.notices_for(request.user, home)
    return [_out(n, bool(n.is_read)) for n in qs[:200]]


@router.get("/notices/{notice_id}", response={200: NoticeDetailOut, 404: Message})
def notice(request, notice_id: int):
    n = NoticePage.objects.live().filter(pk=notice_id).first()
    # As on the web: a notice to everyone is public; any other only for its audience.
    if n is None or not (selectors.open_to_everyone(n) or selectors.may_read(request.user, n)):
        raise Http404
    village = selectors.village_of_page(n)
    villager, _proxy = (
        selectors.addressed_reader(request.user, n, village) if village else (None, None)
    )
    is_read = bool(villager) and n.reads.filter(villager=villager).exists()
    return {**_out(n, is_read), "body": n.body}


@router.post("/notices/{notice_id}/read", response={200: ReadOut, 404: Message})
def notice_read(request, notice_id: int):
    n = NoticePage.objects.live().filter(pk=notice_id).first()
    if n is None:
        raise Http404
    try:
        read = services.notice_mark_read(actor=request.user, notice=n)
    except PermissionDenied as exc:
        raise Http404 from exc
    return {"id": n.pk, "read_at": read.read_at}


# --- reach: the ledger of who has been reached, and "told" records by officers ---------------


class ReachAreaOut(Schema):
    area: str
    total: int
    reached: int


class ReachHouseholdOut(Schema):
    id: int
    number: str
    area: str
    head: str
    phone: str
    reached: bool
    how: str  # "read", "in_person", "phone", "loudspeaker", "wechat_group" or ""
    at: datetime | None
    delivered: str  # "push", "sms" or ""


class ReachOut(Schema):
    notice: int
    total: int
    reached: int
    read: int
    # Households for which a 亲情账号 (family proxy) confirmed reading.
    read_by_proxy: int
    told: dict[str, int]
    delivered: int
    not_reached: int
    areas: list[ReachAreaOut]
    households: list[ReachHouseholdOut]


class ToldIn(Schema):
    household: int
    channel: str
    note: str = ""


class ToldOut(Schema):
    id: int
    household: int
    channel: str
    note: str
    recorded_at: datetime
    created: bool


def _reported_notice(request, notice_id: int):
    """The notice and its village, for those who report on it (its cadres, officers and
    inspectors); anyone else learns nothing of it."""
    n = NoticePage.objects.live().filter(pk=notice_id).first()
    village = selectors.village_of_page(n) if n is not None else None
    if village is None or not permissions.can(
        request.user, permissions.Action.VIEW_ROSTER, village
    ):
        raise Http404
    return n, village


@router.get("/notices/{notice_id}/reach", response={200: ReachOut, 404: Message})
def notice_reach(request, notice_id: int):
    """Cadres see every household; a grid officer those of their areas."""
    n, village = _reported_notice(request, notice_id)
    report = selectors.reach_report(
        n, village, areas=selectors.areas_reported_on(request.user, village)
    )
    return {
        "notice": n.pk,
        "total": report["total"],
        "reached": report["reached"],
        "read": report["first_read"],
        "read_by_proxy": report["read_by_proxy"],
        "told": report["told"],
        "delivered": report["delivered"],
        "not_reached": report["not_reached"],
        "areas": report["areas"],
        "households": [
            {
                "id": r.household.pk,
                "number": r.household.number,
                "area": r.area,
                "head": r.head,
                "phone": r.phone,
                "reached": r.reached,
                "how": r.how,
                "at": r.at,
                "delivered": r.delivered,
            }
            for r in report["households"]
        ],
    }


@router.post(
    "/notices/{notice_id}/told",
    response={200: ToldOut, 201: ToldOut, 400: Message, 403: Message, 404: Message},
)
def notice_told(request, notice_id: int, payload: ToldIn):
    """已当面告知 and the like, by the household's area officer; the same record again: 200."""
    n, village = _reported_notice(request, notice_id)
    household = Household.objects.filter(pk=payload.household, village=village).first()
    if household is None:
        raise Http404
    told, created = services.notice_tell(
        actor=request.user,
        notice=n,
        household=household,
        channel=payload.channel,
        note=payload.note,
    )
    body = {
        "id": told.pk,
        "household": household.pk,
        "channel": told.channel,
        "note": told.note,
        "recorded_at": told.recorded_at,
        "created": created,
    }
    return (201 if created else 200), body


# --- publishing from a phone -----------------------------------------------------------------


class NoticeIn(Schema):
    title: str
    body: str
    category: str = "affairs"
    urgency: str = "normal"
    audience: str
    grids: list[int] = []
    publish_on: date | None = None
    expires_on: date | None = None
    reach_hours: int = 24
    publish: bool = False
    village: int | None = None  # for someone who writes for several villages


class NoticeCreatedOut(Schema):
    id: int
    title: str
    status: str  # "published", "in_moderation" or "draft"
    url: str


@router.post(
    "/notices",
    response={201: NoticeCreatedOut, 400: Message, 403: Message, 404: Message},
)
def notice_create(request, payload: NoticeIn):
    """A notice written on a phone: the secretary's is published at once (`publish: true`), a
    grid officer's waits for the secretary, as in the admin."""
    if payload.village is not None:
        village = Village.objects.filter(pk=payload.village).first()
    else:
        villager = permissions.villager_of(request.user)
        village = villager.village if villager is not None else None
    if village is None or not permissions.can(
        request.user, permissions.Action.VIEW_VILLAGE, village
    ):
        raise Http404
    page, status = services.notice_create(
        actor=request.user,
        village=village,
        title=payload.title,
        body=payload.body,
        category=payload.category,
        urgency=payload.urgency,
        audience=payload.audience,
        grid_ids=payload.grids,
        publish_on=payload.publish_on,
        expires_on=payload.expires_on,
        reach_hours=payload.reach_hours,
        publish=payload.publish,
    )
    return 201, {"id": page.pk, "title": page.title, "status": status, "url": page.url or ""}


# --- 户情收集: questions on a notice, one answer per household ----------------------------------


class QuestionOut(Schema):
    id: int
    text: str
    kind: str
    options: list[str]


class AnswerIn(Schema):
    # Empty for the caller's own household (a member or its 亲情账号); a household's id when
    # its officer records the answer at the door.
    household: int | None = None
    answers: dict[str, str]


class AnswerOut(Schema):
    id: int
    household: int
    way: str
    answered_at: datetime
    answers: list[dict]


class AnswersAreaOut(Schema):
    area: str
    total: int
    answered: int


class AnswersHouseholdOut(Schema):
    id: int
    number: str
    area: str
    answered: bool
    way: str
    values: list[str]


class AnswersOut(Schema):
    notice: int
    questions: list[QuestionOut]
    total: int
    answered: int
    areas: list[AnswersAreaOut]
    households: list[AnswersHouseholdOut]


def _question(q) -> dict:
    return {"id": q.pk, "text": q.text, "kind": q.kind, "options": q.option_list()}


def _answer(a) -> dict:
    return {
        "id": a.pk,
        "household": a.household_id,
        "way": a.way,
        "answered_at": a.answered_at,
        "answers": a.answers,
    }


@router.get("/notices/{notice_id}/questions", response={200: list[QuestionOut], 404: Message})
def notice_questions(request, notice_id: int):
    """The notice's questions, for whoever may read the notice."""
    n = NoticePage.objects.live().filter(pk=notice_id).first()
    if n is None or not (selectors.open_to_everyone(n) or selectors.may_read(request.user, n)):
        raise Http404
    return [_question(q) for q in n.questions.all()]


@router.post(
    "/notices/{notice_id}/answers",
    response={201: AnswerOut, 400: Message, 403: Message, 404: Message},
)
def notice_answer(request, notice_id: int, payload: AnswerIn):
    """The household's answers, once: its own (no `household`), or at the door by its officer."""
    n = NoticePage.objects.live().filter(pk=notice_id).first()
    village = selectors.village_of_page(n) if n is not None else None
    if village is None:
        raise Http404
    household = None
    if payload.household is not None:
        household = Household.objects.filter(pk=payload.household, village=village).first()
        if household is None:
            raise Http404
    elif not selectors.may_read(request.user, n):
        raise Http404
    answer = services.household_answer(
        actor=request.user, notice=n, answers=payload.answers, household=household
    )
    return 201, _answer(answer)


@router.get("/notices/{notice_id}/answers", response={200: AnswersOut, 404: Message})
def notice_answers(request, notice_id: int):
    """Completion by area and every household's answers: cadres, and officers for their areas;
    nobody else learns anything of them (404)."""
    n = NoticePage.objects.live().filter(pk=notice_id).first()
    village = selectors.village_of_page(n) if n is not None else None
    if village is None or not selectors.may_see_answers(request.user, village):
        raise Http404
    report = selectors.answers_report(
        n, village, areas=officers.officer_areas(request.user, village)
    )
    return {
        "notice": n.pk,
        "questions": [_question(q) for q in report["questions"]],
        "total": report["total"],
        "answered": report["answered"],
        "areas": report["areas"],
        "households": [
            {
                "id": h.pk,
                "number": h.number,
                "area": str(h.area),
                "answered": a is not None,
                "way": a.way if a else "",
                "values": values,
            }
            for h, a, values in report["rows"]
        ],
    }
