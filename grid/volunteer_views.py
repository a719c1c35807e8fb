"""志愿服务 pages: the village's activities for its people, posting one (cadres), an activity
with sign-up, withdrawal and the villager's check-in code on the phone, the organiser's
check-in at the site (the villager's code, a household card, or ticks on the list), closing
with the hours, the export, and the hours of the year on the villager's 我的户 page."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from points import selectors as points_selectors
from village import permissions
from village.documents import qr_data_uri
from village.models import Villager

from . import volunteer_selectors as selectors
from .models import CheckinMethod, SignupStatus, VolunteerActivity
from .permissions import GridAction
from .services import volunteering as services
from .volunteer_export import attendance_response

VOLUNTEER_CATEGORY = services.VOLUNTEER_CATEGORY


def _error_text(exc) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc) or _("您没有权限执行此操作。")


def _detail_url(activity_id) -> str:
    return reverse("gridwork:volunteer:detail", args=[activity_id])


# --- the list and one activity -----------------------------------------------------------------


@login_required
def activity_list(request):
    activities = list(selectors.activities_for(request.user).order_by("-starts_at", "-pk")[:50])
    villager = permissions.villager_of(request.user)
    signed = selectors.signed_ids(villager, [a.pk for a in activities])
    for activity in activities:
        activity.places_left = max(activity.capacity - activity.taken, 0)
        activity.mine = activity.pk in signed
    return render(
        request,
        "grid/volunteer/list.html",
        {
            "upcoming": [a for a in activities if a.is_open()],
            "done": [a for a in activities if not a.is_open()],
            "may_post": permissions.can(request.user, GridAction.VOLUNTEER_MANAGE),
        },
    )


@login_required
def activity_detail(request, activity_id):
    activity = selectors.activity_for(request.user, activity_id)
    villager = permissions.villager_of(request.user)
    if villager is not None and villager.village_id != activity.village_id:
        villager = None
    signup = selectors.signup_of(activity, villager)
    signed = signup is not None and signup.status == SignupStatus.SIGNED
    code_url = None
    if signed and activity.is_open():
        code_url = selectors.checkin_url(selectors.checkin_token(activity, villager))
    organising = selectors.may_organise(request.user, activity)
    return render(
        request,
        "grid/volunteer/detail.html",
        {
            "activity": activity,
            "places_left": max(activity.capacity - activity.taken, 0),
            "hours": selectors.hours_text(activity.minutes),
            "signed": signed,
            "may_sign": villager is not None
            and permissions.can(request.user, GridAction.VOLUNTEER_SIGNUP, activity.village),
            "started": timezone.now() >= activity.starts_at,
            "attended": selectors.attendance_of(activity, villager),
            "code_qr": qr_data_uri(code_url) if code_url else None,
            "organising": organising,
            "reporting": organising or selectors.may_report(request.user, activity),
            "proposals": list(selectors.proposals(activity)) if not activity.is_open() else [],
        },
    )


@login_required
@require_POST
def activity_signup(request, activity_id):
    activity = selectors.activity_for(request.user, activity_id)
    try:
        services.activity_signup(actor=request.user, activity=activity)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("报名成功。活动当天请在现场出示签到码。"))
    return redirect(_detail_url(activity.pk))


@login_required
@require_POST
def activity_withdraw(request, activity_id):
    activity = selectors.activity_for(request.user, activity_id)
    try:
        services.activity_withdraw(actor=request.user, activity=activity)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("已取消报名，名额已让出。"))
    return redirect(_detail_url(activity.pk))


# --- posting an activity -----------------------------------------------------------------------


class ActivityForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("活动名称"), max_length=100)
    place = forms.CharField(label=gettext_lazy("地点"), max_length=100)
    starts_at = forms.DateTimeField(
        label=gettext_lazy("开始时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("结束时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    capacity = forms.IntegerField(label=gettext_lazy("名额"), min_value=1, max_value=500)
    organiser = forms.CharField(
        label=gettext_lazy("组织人（登录名或手机号）"),
        max_length=150,
        help_text=gettext_lazy("文明实践站的组织人：在现场签到、活动后登记时长。"),
    )
    rule = forms.ModelChoiceField(
        label=gettext_lazy("积分规则（志愿服务）"),
        queryset=None,
        empty_label=gettext_lazy("请选择"),
        error_messages={"required": gettext_lazy("请选择活动对应的志愿服务积分规则。")},
    )

    def __init__(self, *args, rules, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].queryset = rules
        self.fields["rule"].label_from_instance = lambda r: f"{r.code} {r.text} +{r.points}"


def _volunteer_rules(village):
    return points_selectors.rules_on(village, timezone.localdate()).filter(
        category__name=VOLUNTEER_CATEGORY, points__gt=0
    )


def _organiser_user(village, login: str):
    villager = (
        Villager.objects.filter(village=village, user__isnull=False, user__username=login.strip())
        .select_related("user")
        .first()
    )
    return villager.user if villager is not None else None


def _form_errors(form, exc) -> None:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        form.add_error(None, _error_text(exc))


@login_required
def activity_new(request):
    village = permissions.visible_villages(request.user, GridAction.VOLUNTEER_MANAGE).first()
    if village is None:
        raise PermissionDenied
    tomorrow = timezone.localtime().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    initial = {
        "starts_at": tomorrow.replace(hour=8),
        "ends_at": tomorrow.replace(hour=11),
        "capacity": 20,
        "organiser": request.user.get_username(),
    }
    form = ActivityForm(request.POST or None, rules=_volunteer_rules(village), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            activity = services.activity_create(
                actor=request.user,
                village=village,
                title=data["title"],
                place=data["place"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                capacity=data["capacity"],
                organiser=_organiser_user(village, data["organiser"]),
                rule=data["rule"],
            )
        except (ValidationError, PermissionDenied) as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("活动已发布，村民可以报名了。"))
            return redirect(_detail_url(activity.pk))
    status = 400 if request.method == "POST" else 200
    return render(
        request, "grid/volunteer/new.html", {"form": form, "village": village}, status=status
    )


# --- check-in at the site ----------------------------------------------------------------------


def _organised(request, activity_id) -> VolunteerActivity:
    activity = selectors.activity_for(request.user, activity_id)
    if not selectors.may_organise(request.user, activity):
        raise PermissionDenied(_("只有活动组织人或村干部可以签到和登记时长。"))
    return activity


def _check_in(request, activity, villager, method) -> bool:
    try:
        attendance, created = services.activity_check_in(
            actor=request.user,
            activity=activity,
            villager=villager,
            method=method,
            walk_in=request.POST.get("walk_in") == "1",
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
        return False
    if not created:
        messages.info(request, _("%(name)s 已经签到过了。") % {"name": villager.name})
    elif attendance.walk_in:
        messages.success(request, _("已签到：%(name)s（现场参加）") % {"name": villager.name})
    else:
        messages.success(request, _("已签到：%(name)s") % {"name": villager.name})
    return True


def _checkin_code(request, activity):
    """A scanned code: a villager's phone code checks them in; a household card shows its
    members to choose from."""
    try:
        kind, found = selectors.read_code(activity, request.POST.get("code", ""))
    except selectors.CodeRefused as exc:
        messages.error(request, str(exc))
        return None
    if kind == "villager":
        _check_in(request, activity, found, CheckinMethod.PHONE)
        return None
    return found


def _checkin_post(request, activity):
    """The organiser's three ways in, by the button pressed; returns a scanned household to
    choose a member of, or None."""
    action = request.POST.get("action")
    if action == "code":
        return _checkin_code(request, activity)
    if action in ("member", "tick"):
        ids = [v for v in request.POST.getlist("villager") if v.isascii() and v.isdigit()]
        if not ids:
            messages.error(request, _("请选择要签到的村民。"))
        people = Villager.objects.filter(pk__in=ids, village_id=activity.village_id)
        method = CheckinMethod.LIST
        if action == "member":  # only members of the household whose card was scanned
            method = CheckinMethod.CARD
            people = _card_members(request, activity, people)
        for villager in people:
            _check_in(request, activity, villager, method)
    return None


def _card_members(request, activity, people):
    try:
        kind, found = selectors.read_code(activity, request.POST.get("code", ""))
    except selectors.CodeRefused as exc:
        messages.error(request, str(exc))
        return people.none()
    if kind != "household":
        messages.error(request, _("扫户积分卡后，请选择该户到场的成员。"))
        return people.none()
    return people.filter(pk__in=selectors.household_members(found).values("pk"))


@login_required
def activity_checkin(request, activity_id):
    activity = _organised(request, activity_id)
    household = None
    if request.method == "POST":
        household = _checkin_post(request, activity)
        if household is None:
            return redirect(reverse("gridwork:volunteer:checkin", args=[activity.pk]))
    attended = list(selectors.attendances(activity))
    here = {a.villager_id for a in attended}
    waiting = [s for s in selectors.signups(activity) if s.villager_id not in here]
    return render(
        request,
        "grid/volunteer/checkin.html",
        {
            "activity": activity,
            "attended": attended,
            "waiting": waiting,
            "household": household,
            "code": request.POST.get("code", "") if household else "",
            "members": list(selectors.household_members(household)) if household else [],
        },
    )


@login_required
def code_landing(request, token):
    """Where the villager's QR leads on the organiser's phone: whom it names, and a button."""
    activity_id = selectors.code_activity_id(token)
    if activity_id is None:
        raise Http404
    activity = _organised(request, activity_id)
    try:
        _kind, villager = selectors.read_code(activity, token)
    except selectors.CodeRefused as exc:
        raise Http404 from exc
    if request.method == "POST" and _check_in(request, activity, villager, CheckinMethod.PHONE):
        return redirect(reverse("gridwork:volunteer:checkin", args=[activity.pk]))
    return render(
        request,
        "grid/volunteer/code.html",
        {
            "activity": activity,
            "villager": villager,
            "signup": selectors.signup_of(activity, villager),
            "attended": selectors.attendance_of(activity, villager),
        },
    )


# --- closing and the export --------------------------------------------------------------------


def _corrections(request, attended) -> tuple[dict, list[str]]:
    corrections, problems = {}, []
    for attendance in attended:
        raw = (request.POST.get(f"hours-{attendance.villager_id}") or "").strip()
        reason = request.POST.get(f"reason-{attendance.villager_id}", "")
        if not raw:
            continue
        try:
            minutes = round(float(raw) * 60)
        except ValueError:
            problems.append(
                _("%(name)s：时长须是数字（小时）。") % {"name": attendance.villager.name}
            )
            continue
        corrections[attendance.villager_id] = (minutes, reason)
    return corrections, problems


@login_required
def activity_close(request, activity_id):
    activity = _organised(request, activity_id)
    attended = list(selectors.attendances(activity))
    if request.method == "POST":
        corrections, problems = _corrections(request, attended)
        try:
            if problems:
                raise ValidationError(problems)
            proposals = services.activity_close(
                actor=request.user, activity=activity, corrections=corrections
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(
                request,
                _("已登记时长，已为 %(n)s 户建议志愿服务积分，待村委会审核。")
                % {"n": sum(1 for p in proposals if p.entry_id)},
            )
            return redirect(_detail_url(activity.pk))
    return render(
        request,
        "grid/volunteer/close.html",
        {
            "activity": activity,
            "attended": attended,
            "hours": selectors.hours_text(activity.minutes),
            "max_hours": selectors.hours_text(activity.max_minutes),
            "not_over": timezone.now() < activity.ends_at,
        },
    )


@login_required
def activity_export(request, activity_id):
    activity = selectors.activity_for(request.user, activity_id)
    if not selectors.may_report(request.user, activity):
        raise PermissionDenied
    return attendance_response(activity)


# --- the villager's 我的户 page ------------------------------------------------------------------


def me_section(request, household, villager_id) -> str:
    """This year's volunteer hours of the villager and of the household (one query), or ""."""
    year = timezone.localdate().year
    rows = selectors.year_hours(household, year)
    if not rows:
        return ""
    total = sum(r["minutes"] for r in rows)
    mine = next((r["minutes"] for r in rows if r["villager_id"] == villager_id), 0)
    for row in rows:
        row["hours"] = selectors.hours_text(row["minutes"])
    return render_to_string(
        "grid/volunteer/me_section.html",
        {
            "year": year,
            "rows": rows,
            "mine": selectors.hours_text(mine) if villager_id else None,
            "total": selectors.hours_text(total),
        },
        request=request,
    )
