"""志愿服务 endpoints under /api/v1/activities: the list and one activity for the village's
people, sign-up and withdrawal for a villager, check-in and close for the organiser (or the
cadres), the attendance export for whoever may read it, and posting one for the cadres."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from points import selectors as points_selectors
from village import permissions
from village.api import Message
from village.models import Village, Villager

from . import volunteer_selectors as selectors
from .models import CheckinMethod, SignupStatus, VolunteerActivity
from .permissions import GridAction
from .services import volunteering as services
from .volunteer_export import attendance_response

router = Router(tags=["volunteering"])


class ActivityFields(Schema):
    id: int
    village: str
    title: str
    place: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    taken: int
    places_left: int
    status: str
    status_label: str
    hours: float


def _fields(activity) -> dict:
    """What every answer says of an activity (village selected, `taken` annotated)."""
    return {
        "id": activity.pk,
        "village": activity.village.name,
        "title": activity.title,
        "place": activity.place,
        "starts_at": activity.starts_at,
        "ends_at": activity.ends_at,
        "capacity": activity.capacity,
        "taken": activity.taken,
        "places_left": max(activity.capacity - activity.taken, 0),
        "status": activity.status,
        "status_label": str(activity.get_status_display()),
        "hours": round(activity.minutes / 60, 1),
    }


class ActivityOut(ActivityFields):
    """Read from an activity of `activities_for` (village selected, `taken` annotated)."""

    @staticmethod
    def resolve_village(activity) -> str:
        return activity.village.name

    @staticmethod
    def resolve_places_left(activity) -> int:
        return max(activity.capacity - activity.taken, 0)

    @staticmethod
    def resolve_status_label(activity) -> str:
        return str(activity.get_status_display())

    @staticmethod
    def resolve_hours(activity) -> float:
        return round(activity.minutes / 60, 1)


class ActivityDetailOut(ActivityFields):
    rule: str
    organiser: str
    signed_up: bool
    checked_in: bool
    checkin_code: str | None
    may_organise: bool


class ActivityIn(Schema):
    village: int
    title: str
    place: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    organiser: str  # the organiser's login (username or phone)
    rule: str  # a 志愿服务 rule code of the village's catalogue, e.g. ZY01


class SignupOut(Schema):
    activity: int
    status: str
    places_left: int


class CheckinIn(Schema):
    # A scanned code: the villager's phone code (or the URL it opens), or a household card's
    # token with `villager` naming the member; or `villager` alone, ticked on the list.
    code: str = ""
    villager: int | None = None
    walk_in: bool = False


class CheckinOut(Schema):
    villager: int
    name: str
    household: str
    walk_in: bool
    method: str
    created: bool


class CorrectionIn(Schema):
    villager: int
    minutes: int
    reason: str = ""


class CloseIn(Schema):
    corrections: list[CorrectionIn] = []


class ProposalOut(Schema):
    household: str
    minutes: int
    entry: int | None
    entry_status: str | None
    refused: str


def _activity(request, activity_id: int) -> VolunteerActivity:
    return selectors.activity_for(request.user, activity_id)


@router.get("/activities", response={200: list[ActivityOut]})
@paginate(PageNumberPagination, page_size=50)
def activities(request, status: str | None = None):
    qs = selectors.activities_for(request.user)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-starts_at", "-pk")


@router.post(
    "/activities", response={201: ActivityDetailOut, 400: Message, 403: Message, 404: Message}
)
def activity_create(request, payload: ActivityIn):
    village = permissions.visible_villages(request.user).filter(pk=payload.village).first()
    if village is None:
        raise Http404
    permissions.require(request.user, GridAction.VOLUNTEER_MANAGE, village)
    activity = services.activity_create(
        actor=request.user,
        village=village,
        title=payload.title,
        place=payload.place,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        capacity=payload.capacity,
        organiser=_organiser(village, payload.organiser),
        rule=_rule(village, payload.rule, payload.starts_at),
    )
    return 201, _detail(request, selectors.activity_for(request.user, activity.pk))


def _organiser(village: Village, login: str):
    villager = (
        Villager.objects.filter(village=village, user__isnull=False)
        .filter(user__username=login.strip())
        .select_related("user")
        .first()
    )
    if villager is None:
        raise ValidationError({"organiser": _("找不到该组织人（须为本村村民的登录名）。")})
    return villager.user


def _rule(village: Village, code: str, starts_at: datetime):
    day = timezone.localtime(starts_at).date()
    rule = points_selectors.rules_on(village, day).filter(code=code.strip()).first()
    if rule is None:
        raise ValidationError({"rule": _("本村积分细则中没有该规则编码。")})
    return rule


def _detail(request, activity: VolunteerActivity) -> dict:
    villager = permissions.villager_of(request.user)
    if villager is not None and villager.village_id != activity.village_id:
        villager = None
    signup = selectors.signup_of(activity, villager)
    signed = signup is not None and signup.status == SignupStatus.SIGNED
    code = None
    if signed and activity.is_open():
        code = selectors.checkin_url(selectors.checkin_token(activity, villager))
    return {
        **_fields(activity),
        "rule": f"{activity.rule.code} {activity.rule.text}",
        "organiser": activity.organiser.get_full_name() or activity.organiser.get_username(),
        "signed_up": signed,
        "checked_in": selectors.attendance_of(activity, villager) is not None,
        "checkin_code": code,
        "may_organise": selectors.may_organise(request.user, activity),
    }


@router.get("/activities/{activity_id}", response={200: ActivityDetailOut, 404: Message})
def activity(request, activity_id: int):
    return _detail(request, _activity(request, activity_id))


def _signup_out(request, activity_id: int) -> dict:
    fresh = selectors.activity_for(request.user, activity_id)
    villager = permissions.villager_of(request.user)
    signup = selectors.signup_of(fresh, villager)
    return {
        "activity": fresh.pk,
        "status": signup.status if signup else SignupStatus.WITHDRAWN,
        "places_left": max(fresh.capacity - fresh.taken, 0),
    }


@router.post(
    "/activities/{activity_id}/signup",
    response={200: SignupOut, 400: Message, 403: Message, 404: Message},
)
def signup(request, activity_id: int):
    services.activity_signup(actor=request.user, activity=_activity(request, activity_id))
    return _signup_out(request, activity_id)


@router.post(
    "/activities/{activity_id}/withdraw",
    response={200: SignupOut, 400: Message, 403: Message, 404: Message},
)
def withdraw(request, activity_id: int):
    services.activity_withdraw(actor=request.user, activity=_activity(request, activity_id))
    return _signup_out(request, activity_id)


def _checkin_target(activity, payload: CheckinIn) -> tuple[Villager, str]:
    if payload.code:
        try:
            kind, found = selectors.read_code(activity, payload.code)
        except selectors.CodeRefused as exc:
            raise ValidationError({"code": str(exc)}) from exc
        if kind == "villager":
            return found, CheckinMethod.PHONE
        member = selectors.household_members(found).filter(pk=payload.villager).first()
        if member is None:
            raise ValidationError({"villager": _("扫户积分卡后，请选择该户到场的成员。")})
        return member, CheckinMethod.CARD
    if payload.villager is None:
        raise ValidationError({"code": _("请扫描签到码，或选择名单上的村民。")})
    villager = Villager.objects.filter(pk=payload.villager, village_id=activity.village_id).first()
    if villager is None:
        raise ValidationError({"villager": _("只能为本村在册村民签到。")})
    return villager, CheckinMethod.LIST


@router.post(
    "/activities/{activity_id}/checkin",
    response={200: CheckinOut, 201: CheckinOut, 400: Message, 403: Message, 404: Message},
)
def checkin(request, activity_id: int, payload: CheckinIn):
    activity = _activity(request, activity_id)
    if not selectors.may_organise(request.user, activity):
        raise PermissionDenied(_("只有活动组织人或村干部可以签到和登记时长。"))
    villager, method = _checkin_target(activity, payload)
    attendance, created = services.activity_check_in(
        actor=request.user,
        activity=activity,
        villager=villager,
        method=method,
        walk_in=payload.walk_in,
    )
    return 201 if created else 200, {
        "villager": villager.pk,
        "name": villager.name,
        "household": villager.household.number,
        "walk_in": attendance.walk_in,
        "method": attendance.method,
        "created": created,
    }


@router.post(
    "/activities/{activity_id}/close",
    response={200: list[ProposalOut], 400: Message, 403: Message, 404: Message},
)
def close(request, activity_id: int, payload: CloseIn):
    activity = _activity(request, activity_id)
    corrections = {}
    for item in payload.corrections:
        if item.villager in corrections:
            raise ValidationError({"corrections": _("同一人的时长只能调整一次。")})
        corrections[item.villager] = (item.minutes, item.reason)
    services.activity_close(actor=request.user, activity=activity, corrections=corrections)
    return [
        {
            "household": p.household.number,
            "minutes": p.minutes,
            "entry": p.entry_id,
            "entry_status": p.entry.status if p.entry else None,
            "refused": p.refused,
        }
        for p in selectors.proposals(activity)
    ]


@router.get(
    "/activities/{activity_id}/export.xlsx",
    response={403: Message, 404: Message},
    openapi_extra={
        "responses": {
            200: {
                "description": "活动签到与时长（Excel）",
                "content": {
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                        "schema": {"type": "string", "format": "binary"}
                    }
                },
            }
        }
    },
)
def export(request, activity_id: int) -> HttpResponse:
    activity = _activity(request, activity_id)
    if not selectors.may_report(request.user, activity):
        raise PermissionDenied
    return attendance_response(activity)
