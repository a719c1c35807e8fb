"""The JSON API root `/api/v1/` and the core endpoints. Other apps add their routers here
from their AppConfig.ready(), so this module imports none of them."""

from datetime import date

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router, Schema, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from wagtail.models import APIToken

from . import api_inbox, api_me, api_party, permissions, selectors
from .api_auth import BearerTokenAuth
from .api_schemas import Message
from .middleware import busy_response, database_busy

api = NinjaAPI(
    title="村治 Cunzhi API",
    version="1",
    urls_namespace="api-v1",
    # Wagtail's bearer tokens, looked up with SQL built once (village/api_auth.py).
    auth=BearerTokenAuth(),
    docs_url="/docs",
    # No outside host: Swagger UI would otherwise ask validator.swagger.io about the schema.
    docs=Swagger(settings={"validatorUrl": None}),
    openapi_url="/openapi.json",
)


# --- errors: JSON with a message, 4xx never 500 --------------------------------


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return api.create_response(
        request,
        {"message": _("请先登录（缺少或无效的令牌）。"), "code": "unauthenticated"},
        status=401,
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    message = str(exc) or _("您没有权限执行此操作。")
    return api.create_response(request, {"message": message, "code": "forbidden"}, status=403)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(
        request, {"message": _("找不到该对象。"), "code": "not_found"}, status=404
    )


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    return api.create_response(
        request,
        {"message": "；".join(exc.messages), "code": "invalid"},
        status=400,
    )


@api.exception_handler(NinjaValidationError)
def _schema_invalid(request, exc):
    fields = []
    for error in exc.errors:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "payload"))
        fields.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return api.create_response(
        request,
        {"message": _("请求格式不正确：") + "；".join(fields), "code": "invalid", "errors": fields},
        status=422,
    )


@api.exception_handler(HttpError)
def _http_error(request, exc):
    return api.create_response(
        request, {"message": str(exc), "code": "error"}, status=exc.status_code
    )


@api.exception_handler(OperationalError)
def _database_error(request, exc):
    # Ninja catches exceptions before any middleware sees them: a locked database answers 503
    # here, the same way DatabaseBusyMiddleware answers for the web pages.
    if database_busy(exc):
        return busy_response(request)
    raise exc


# --- schemas -------------------------------------------------------------------


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"
    user: str


class VillageOut(Schema):
    id: int
    name: str
    township: str


class RoleOut(Schema):
    village: str | None
    township: str | None
    role: str
    label: str
    start: date
    end: date | None
    grid: str | None = None


class MemberOut(Schema):
    id: int
    name: str
    gender: str
    birth_date: date
    relation_to_head: str
    id_number: str
    party_membership: str
    is_representative: bool


class HouseholdOut(Schema):
    id: int
    number: str
    address: str
    area: str
    head: str | None
    members: list[MemberOut]


class MeOut(Schema):
    username: str
    name: str
    village: VillageOut | None
    household: HouseholdOut | None
    roles: list[RoleOut]
    villages: list[VillageOut]


# --- auth ----------------------------------------------------------------------

auth_router = Router(tags=["auth"])


@auth_router.post(
    "/token",
    auth=None,
    response={200: TokenOut, 401: Message, 429: Message},
    summary="Exchange username (or phone) and password for a bearer token",
)
def token(request, payload: TokenIn):
    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        # AxesMiddleware turns this into the JSON lock-out response (429).
        return 429, {"message": _("登录失败次数过多，账号已暂时锁定。"), "code": "locked_out"}
    if user is None:
        return 401, {"message": _("用户名/手机号或密码不正确。"), "code": "bad_credentials"}
    _row, plaintext = APIToken.create_token(user=user, name=settings.CUNZHI_API_TOKEN_NAME)
    return 200, {"token": plaintext, "user": user.get_username()}


api.add_router("/auth", auth_router)


# --- me ------------------------------------------------------------------------

core_router = Router(tags=["me"])


def _village(v) -> dict:
    return {"id": v.pk, "name": v.name, "township": v.township.name}


def _village_roles(user, today) -> list[dict]:
    return [
        {
            "village": m.village.name,
            "township": None,
            "role": m.role,
            "label": str(m.get_role_display()),
            "start": m.start,
            "end": m.end,
            "grid": str(m.grid) if m.grid_id else None,
        }
        for m in selectors.memberships_of_user(user, today)
    ]


def _township_roles(user, today) -> list[dict]:
    return [
        {
            "village": None,
            "township": m.township.name,
            "role": m.role,
            "label": str(m.get_role_display()),
            "start": m.start,
            "end": m.end,
        }
        for m in user.township_memberships.valid_on(today).select_related("township")
    ]


def _label(instance, name: str) -> str:
    """The label of a choice field's value. Django's get_FOO_display hashes every label of the
    field, translating each one, on every call: here the one label asked for is translated."""
    value = getattr(instance, name)
    for key, label in instance._meta.get_field(name).flatchoices:
        if key == value:
            return str(label)
    return str(value)


def _household_out(household, members) -> dict:
    return {
        "id": household.pk,
        "number": household.number,
        "address": household.address,
        "area": str(household.area),
        "head": household.head.name if household.head else None,
        "members": [
            {
                "id": member.pk,
                "name": member.name,
                "gender": _label(member, "gender"),
                "birth_date": member.birth_date,
                "relation_to_head": member.relation_to_head,
                # Masked for everyone: a phone is no place for whole ID numbers.
                "id_number": member.masked_id_number,
                "party_membership": _label(member, "party_membership"),
                "is_representative": member.is_representative,
            }
            for member in members
        ],
    }


@core_router.get("/me", response={200: MeOut, 401: Message})
def me(request):
    # Kept across requests until something in it changes (village/api_me.py).
    body = api_me.answer(request.user, lambda: _me_rendered(request))
    return HttpResponse(body, content_type=api.get_content_type())


def _me_rendered(request) -> bytes:
    """The answer as ninja renders a MeOut returned by a view."""
    answer = MeOut.model_validate(_me_answer(request.user)).model_dump()
    return api.renderer.render(request, answer, response_status=200)


def _me_answer(user) -> dict:
    today = timezone.localdate()
    # The roles (kept across requests) say which of the reads below can have an answer.
    roles = permissions.roles_of(user)
    household = selectors.household_for_user(user)
    # A 亲情账号 reads the household's notices and points, not its members' particulars.
    members = (
        list(household.members.all())
        if household is not None and roles.villager_id is not None
        else []
    )
    # The user's own record is one of the household's members; asked for only when it is not.
    villager = next((m for m in members if m.pk == roles.villager_id), None)
    if villager is None and roles.villager_id is not None:
        villager = permissions.villager_of(user)
    holds_office = any(names - {"resident"} for names in roles.village_roles.values())
    role_rows = _village_roles(user, today) if holds_office else []
    if roles.township_roles:
        role_rows += _township_roles(user, today)
    one_village = (
        household is not None
        and not user.is_superuser
        and not roles.township_roles
        and set(roles.village_roles) <= {household.village_id}
    )
    if one_village:
        # A villager of one village, with no role elsewhere: the one village they see.
        villages = [household.village] if roles.village_roles else []
    else:
        villages = list(permissions.visible_villages(user))
    return {
        "username": user.get_username(),
        "name": villager.name if villager else (user.get_full_name() or user.get_username()),
        "village": _village(household.village) if household else None,
        "household": _household_out(household, members) if household is not None else None,
        "roles": role_rows,
        "villages": [_village(v) for v in villages],
    }


api.add_router("/", core_router)
api.add_router("/", api_inbox.router)
api.add_router("/", api_party.router)


def not_found(request, *args, **kwargs):
    """Any other URL under /api/: JSON 404, like every other API error."""
    return JsonResponse(
        {"message": _("没有这个接口：%s") % request.path, "code": "not_found"},
        status=404,
        json_dumps_params={"ensure_ascii": False},
    )
