"""Reads of 志愿服务: the activities a user may see, an activity's roster, the villager's
check-in code, who may organise, and a household's hours of the year."""

from django.conf import settings
from django.core import signing
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from points.cards import CARD_SALT
from village import permissions
from village.models import Household, Villager, VillagerStatus

from .models import (
    SignupStatus,
    VolunteerActivity,
    VolunteerAttendance,
    VolunteerHours,
    VolunteerProposal,
    VolunteerSignup,
)
from .permissions import GridAction

CODE_SALT = "grid.volunteer-checkin"


# --- who may do what -------------------------------------------------------------------------


def may_organise(user, activity: VolunteerActivity) -> bool:
    """The cadres of the village, or the organiser named on the activity while still a villager
    (or cadre) of it: check volunteers in and close the activity."""
    if permissions.can(user, GridAction.VOLUNTEER_MANAGE, activity.village):
        return True
    return (
        getattr(user, "pk", None) is not None
        and activity.organiser_id == user.pk
        and permissions.can(user, GridAction.VOLUNTEER_SIGNUP, activity.village)
    )


def may_report(user, activity: VolunteerActivity) -> bool:
    """Read the attendance and hours (the export): the organisers, the cadres, the supervision
    committee and the township."""
    return may_organise(user, activity) or permissions.can(
        user, GridAction.VOLUNTEER_REPORT, activity.village
    )


# --- activities ------------------------------------------------------------------------------


def activities_for(user):
    """The activities of the villages where `user` may read them, newest first, with the places
    taken (one query)."""
    qs = permissions.scope(user, GridAction.VOLUNTEER_VIEW, VolunteerActivity.objects.all())
    return qs.select_related("village").annotate(
        taken=Count("signups", filter=Q(signups__status=SignupStatus.SIGNED))
    )


def activity_for(user, pk) -> VolunteerActivity:
    """One activity `user` may read, with its village, rule and places taken; 404 otherwise
    (another village's activity is not there for them)."""
    found = (
        VolunteerActivity.objects.filter(pk=pk)
        .select_related("village__township", "rule__category", "organiser")
        .annotate(taken=Count("signups", filter=Q(signups__status=SignupStatus.SIGNED)))
        .first()
    )
    if found is None or not permissions.can(user, GridAction.VOLUNTEER_VIEW, found.village):
        raise Http404
    return found


def signed_ids(villager: Villager | None, activity_ids) -> set[int]:
    """Which of `activity_ids` `villager` is signed up for (one query)."""
    if villager is None:
        return set()
    return set(
        VolunteerSignup.objects.filter(
            villager=villager, activity_id__in=list(activity_ids), status=SignupStatus.SIGNED
        ).values_list("activity_id", flat=True)
    )


def signup_of(activity: VolunteerActivity, villager: Villager | None):
    if villager is None:
        return None
    return (
        VolunteerSignup.objects.filter(activity=activity, villager=villager).order_by("pk").first()
    )


def attendance_of(activity: VolunteerActivity, villager: Villager | None):
    if villager is None:
        return None
    return (
        VolunteerAttendance.objects.filter(activity=activity, villager=villager)
        .order_by("pk")
        .first()
    )


def signups(activity: VolunteerActivity):
    """The villagers signed up, with their household, in order of signing."""
    return (
        VolunteerSignup.objects.filter(activity=activity, status=SignupStatus.SIGNED)
        .select_related("villager__household")
        .order_by("signed_at", "pk")
    )


def attendances(activity: VolunteerActivity):
    """Who was checked in, with their household and credited hours (once closed)."""
    return (
        VolunteerAttendance.objects.filter(activity=activity)
        .select_related("villager", "household", "hours")
        .order_by("checked_in_at", "pk")
    )


def proposals(activity: VolunteerActivity):
    return (
        VolunteerProposal.objects.filter(activity=activity)
        .select_related("household", "entry")
        .order_by("household__number", "pk")
    )


# --- codes -----------------------------------------------------------------------------------


def checkin_token(activity: VolunteerActivity, villager: Villager) -> str:
    """What the villager's phone shows as a QR: the activity and the villager, signed."""
    return signing.dumps({"a": activity.pk, "v": villager.pk}, salt=CODE_SALT, compress=True)


def checkin_url(token: str) -> str:
    """The URL the villager's QR opens on the organiser's phone (its camera reads URLs)."""
    path = reverse("gridwork:volunteer:code", args=[token])
    return f"{settings.CUNZHI_PUBLIC_URL.rstrip('/')}{path}"


def code_activity_id(token: str) -> int | None:
    """The activity a villager's check-in code names, or None for a code not signed by us."""
    try:
        data = signing.loads(token, salt=CODE_SALT)
    except signing.BadSignature:
        return None
    activity_id = data.get("a") if isinstance(data, dict) else None
    return activity_id if isinstance(activity_id, int) else None


class CodeRefused(ValueError):
    """A scanned code that names nobody of this activity (forged, another activity's, another
    village's); the message says which."""


def _token_of(code: str) -> str:
    """The token in a scanned code: the code itself, or the last part of the URL it opens."""
    code = (code or "").strip()
    if "/" in code:
        code = [part for part in code.split("?")[0].split("/") if part][-1:] or [""]
        code = code[0]
    return code


def read_code(activity: VolunteerActivity, code: str):
    """A scanned code: ("villager", Villager) for a villager's phone code of this activity, or
    ("household", Household) for a household card of the activity's village. Raises
    CodeRefused for anything else."""
    token = _token_of(code)
    if not token:
        raise CodeRefused(_("请扫描或输入签到码。"))
    try:
        data = signing.loads(token, salt=CODE_SALT)
    except signing.BadSignature:
        data = None
    if isinstance(data, dict):
        if data.get("a") != activity.pk:
            raise CodeRefused(_("这是另一个活动的签到码。"))
        villager = (
            Villager.objects.select_related("household")
            .filter(pk=data.get("v"), village_id=activity.village_id)
            .first()
        )
        if villager is None:
            raise CodeRefused(_("签到码无效：不是本村村民。"))
        return "villager", villager
    try:
        household_pk = signing.loads(token, salt=CARD_SALT)
    except signing.BadSignature as exc:
        raise CodeRefused(_("无法识别的二维码（不是本平台签发的签到码或户积分卡）。")) from exc
    household = Household.objects.filter(pk=household_pk, village_id=activity.village_id).first()
    if household is None:
        raise CodeRefused(_("这张户积分卡不是本村的。"))
    return "household", household


def household_members(household: Household):
    """The registered members of a household, to choose from after its card was scanned."""
    return Villager.objects.filter(household=household, status=VillagerStatus.REGISTERED).order_by(
        "pk"
    )


# --- hours -----------------------------------------------------------------------------------


def year_hours(household: Household, year: int) -> list[dict]:
    """Each volunteer's minutes of `year` credited to `household` (one query), most first."""
    return list(
        VolunteerHours.objects.filter(household=household, year=year)
        .values("villager_id", "villager__name")
        .annotate(minutes=Sum("minutes"), activities=Count("pk"))
        .order_by("-minutes", "villager_id")
    )


def hours_text(minutes: int) -> str:
    """Minutes as the hours a villager reads (one decimal, trailing .0 dropped)."""
    hours = round((minutes or 0) / 60, 1)
    return f"{hours:g}"
