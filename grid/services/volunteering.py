"""志愿服务: every write of the volunteer activities — posting one, signing up and withdrawing,
checking volunteers in at the site, and closing it with each volunteer's hours and one
proposed 志愿服务 points entry per household (a recorded entry: the committee reviews it as
any other, it is never posted without that review). Each write checks the permission, locks
the activity (sign-ups for its last place are served one at a time), validates, and records
its event in the village's audit chain."""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from points import selectors as points_selectors
from points import services as points_services
from points.models import Rule
from village import audit, permissions
from village.models import Village, Villager, VillagerStatus

from ..models import (
    ActivityStatus,
    CheckinMethod,
    SignupStatus,
    VolunteerActivity,
    VolunteerAttendance,
    VolunteerHours,
    VolunteerProposal,
    VolunteerSignup,
)
from ..models.volunteering import MAX_ACTIVITY_MINUTES
from ..permissions import GridAction
from ..volunteer_selectors import hours_text, may_organise

VOLUNTEER_CATEGORY = "志愿服务"
MAX_CAPACITY = 500
# The organiser may start checking people in this long before the activity starts.
CHECKIN_EARLY = timedelta(hours=2)


def _locked(activity: VolunteerActivity) -> VolunteerActivity:
    """The activity's row, locked until the transaction ends (sign-ups, check-ins and the close
    of one activity are served one at a time)."""
    return (
        VolunteerActivity.objects.select_for_update()
        .select_related("village", "rule__category")
        .get(pk=activity.pk)
    )


def _check_rule(village: Village, rule: Rule | None, day) -> str | None:
    if rule is None:
        return _("请选择活动对应的志愿服务积分规则。")
    catalogue = points_selectors.catalogue_on(village, day)
    if catalogue is None or rule.catalogue_id != catalogue.pk:
        return _("该积分规则不是本村在活动当天施行的积分细则中的规则。")
    if rule.category.name != VOLUNTEER_CATEGORY:
        return _("请选择“志愿服务”类别的积分规则。")
    if rule.points <= 0 or rule.evidence_required:
        return _("该规则不能由活动自动建议（须为加分项，且不要求照片）。")
    return None


def _activity_errors(*, village, title, place, starts_at, ends_at, capacity, organiser, rule):
    errors = {}
    if not title:
        errors["title"] = _("请填写活动名称。")
    elif len(title) > 100:
        errors["title"] = _("活动名称不能超过 100 字。")
    if not place:
        errors["place"] = _("请填写活动地点。")
    elif len(place) > 100:
        errors["place"] = _("地点不能超过 100 字。")
    if ends_at <= starts_at:
        errors["ends_at"] = _("结束时间须晚于开始时间。")
    elif (ends_at - starts_at).total_seconds() > MAX_ACTIVITY_MINUTES * 60:
        errors["ends_at"] = _("一次活动最长 24 小时；多日的活动请按天分别发布。")
    elif ends_at <= timezone.now():
        errors["ends_at"] = _("不能发布已经结束的活动。")
    if not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
        errors["capacity"] = _("名额须在 1 到 %(n)s 之间。") % {"n": MAX_CAPACITY}
    if organiser is None or not (
        permissions.can(organiser, GridAction.VOLUNTEER_SIGNUP, village)
        or permissions.can(organiser, GridAction.VOLUNTEER_MANAGE, village)
    ):
        errors["organiser"] = _("组织人须是本村在册村民或村干部。")
    if "ends_at" not in errors:
        problem = _check_rule(village, rule, timezone.localtime(starts_at).date())
        if problem:
            errors["rule"] = problem
    return errors


@transaction.atomic
def activity_create(
    *,
    actor,
    village: Village,
    title: str,
    place: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    organiser,
    rule: Rule | None,
) -> VolunteerActivity:
    """The cadres post an activity (文明实践站): villagers may sign up at once."""
    permissions.require(actor, GridAction.VOLUNTEER_MANAGE, village)
    title, place = (title or "").strip(), (place or "").strip()
    errors = _activity_errors(
        village=village,
        title=title,
        place=place,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        organiser=organiser,
        rule=rule,
    )
    if errors:
        raise ValidationError(errors)
    activity = VolunteerActivity(
        village=village,
        title=title,
        place=place,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        organiser=organiser,
        rule=rule,
        created_by=permissions.user_of(actor),
    )
    activity.full_clean()
    activity.save()
    audit.record(
        actor=actor,
        action="grid.volunteer.create",
        obj=activity,
        village=village,
        payload={
            "title": title,
            "place": place,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "capacity": capacity,
            "organiser": organiser.pk,
            "rule": rule.code,
        },
    )
    return activity


def _own_villager(actor, activity: VolunteerActivity) -> Villager:
    permissions.refuse_proxy(actor, _("报名志愿服务"))
    permissions.require(actor, GridAction.VOLUNTEER_SIGNUP, activity.village)
    villager = permissions.villager_of(actor)
    if (
        villager is None
        or villager.village_id != activity.village_id
        or villager.status != VillagerStatus.REGISTERED
    ):
        raise PermissionDenied(_("只有本村在册村民可以报名。"))
    return villager


@transaction.atomic
def activity_signup(*, actor, activity: VolunteerActivity) -> VolunteerSignup:
    """A villager takes a place for themselves; signing up again changes nothing. The last
    place goes to one villager only: the activity's row is locked while places are counted."""
    villager = _own_villager(actor, activity)
    activity = _locked(activity)
    if not activity.is_open():
        raise ValidationError(_("活动已结束，不能报名。"), code="closed")
    if timezone.now() >= activity.starts_at:
        raise ValidationError(_("活动已开始，报名已截止。"), code="started")
    signup = (
        VolunteerSignup.objects.filter(activity=activity, villager=villager).order_by("pk").first()
    )
    if signup is not None and signup.status == SignupStatus.SIGNED:
        return signup
    taken = VolunteerSignup.objects.filter(activity=activity, status=SignupStatus.SIGNED).count()
    if taken >= activity.capacity:
        raise ValidationError(
            _("名额已满：本次活动共 %(n)s 个名额，已全部报满。") % {"n": activity.capacity},
            code="full",
        )
    if signup is None:
        signup = VolunteerSignup.objects.create(activity=activity, villager=villager)
    else:
        signup.status, signup.signed_at, signup.withdrawn_at = (
            SignupStatus.SIGNED,
            timezone.now(),
            None,
        )
        signup.save(update_fields=["status", "signed_at", "withdrawn_at"])
    audit.record(
        actor=actor,
        action="grid.volunteer.signup",
        obj=activity,
        village=activity.village,
        payload={"villager": villager.pk, "name": villager.name, "taken": taken + 1},
    )
    return signup


@transaction.atomic
def activity_withdraw(*, actor, activity: VolunteerActivity) -> VolunteerSignup:
    """A villager gives their place back, before the activity starts."""
    villager = _own_villager(actor, activity)
    activity = _locked(activity)
    signup = VolunteerSignup.objects.filter(
        activity=activity, villager=villager, status=SignupStatus.SIGNED
    ).first()
    if signup is None:
        raise ValidationError(_("您没有报名该活动。"), code="not_signed")
    if not activity.is_open() or timezone.now() >= activity.starts_at:
        raise ValidationError(_("活动已开始，不能再取消报名。"), code="started")
    if VolunteerAttendance.objects.filter(activity=activity, villager=villager).exists():
        raise ValidationError(_("您已签到，不能取消报名。"), code="attended")
    signup.status, signup.withdrawn_at = SignupStatus.WITHDRAWN, timezone.now()
    signup.save(update_fields=["status", "withdrawn_at"])
    audit.record(
        actor=actor,
        action="grid.volunteer.withdraw",
        obj=activity,
        village=activity.village,
        payload={"villager": villager.pk, "name": villager.name},
    )
    return signup


def _require_organiser(actor, activity: VolunteerActivity) -> None:
    if not may_organise(actor, activity):
        raise PermissionDenied(_("只有活动组织人或村干部可以签到和登记时长。"))


@transaction.atomic
def activity_check_in(
    *,
    actor,
    activity: VolunteerActivity,
    villager: Villager,
    method: str,
    walk_in: bool = False,
) -> tuple[VolunteerAttendance, bool]:
    """The organiser checks a volunteer in at the site; returns (attendance, created). Someone
    not signed up is refused unless the organiser says they joined on the spot (recorded as a
    walk-in). Checking someone in twice records once."""
    _require_organiser(actor, activity)
    if method not in CheckinMethod.values:
        raise ValidationError({"method": _("签到方式不正确。")})
    activity = _locked(activity)
    if not activity.is_open():
        raise ValidationError(_("活动已结束登记，不能再签到。"), code="closed")
    if timezone.now() < activity.starts_at - CHECKIN_EARLY:
        raise ValidationError(_("活动开始前 2 小时内才能签到。"), code="early")
    if villager.village_id != activity.village_id or villager.status != VillagerStatus.REGISTERED:
        raise ValidationError(_("只能为本村在册村民签到。"), code="not_villager")
    found = VolunteerAttendance.objects.filter(activity=activity, villager=villager).first()
    if found is not None:
        return found, False
    signed = VolunteerSignup.objects.filter(
        activity=activity, villager=villager, status=SignupStatus.SIGNED
    ).exists()
    if not signed and not walk_in:
        raise ValidationError(
            _("%(name)s 没有报名该活动。如确实到场参加，请选“现场参加”后再签到。")
            % {"name": villager.name},
            code="not_signed",
        )
    attendance = VolunteerAttendance.objects.create(
        activity=activity,
        villager=villager,
        household_id=villager.household_id,
        method=method,
        walk_in=not signed,
        checked_in_by=permissions.user_of(actor),
    )
    audit.record(
        actor=actor,
        action="grid.volunteer.checkin",
        obj=activity,
        village=activity.village,
        payload={
            "villager": villager.pk,
            "name": villager.name,
            "method": method,
            "walk_in": not signed,
        },
    )
    return attendance, True


def _credited(activity, attendances, corrections) -> tuple[list[tuple], dict]:
    """Each attendance with its minutes and correction note, or the errors (by villager)."""
    by_villager = {a.villager_id: a for a in attendances}
    errors = {}
    for villager_id in corrections:
        if villager_id not in by_villager:
            errors["corrections"] = _("只能调整已签到人员的时长。")
    rows = []
    for attendance in attendances:
        minutes, note = activity.minutes, ""
        if attendance.villager_id in corrections:
            minutes, note = corrections[attendance.villager_id]
            note = (note or "").strip()
            name = attendance.villager.name
            if not isinstance(minutes, int) or minutes < 0:
                errors[name] = _("%(name)s：时长不能为负数。") % {"name": name}
            elif minutes > activity.max_minutes:
                errors[name] = _("%(name)s：时长不能超过活动时长加 1 小时（%(h)s 小时）。") % {
                    "name": name,
                    "h": hours_text(activity.max_minutes),
                }
            elif minutes != activity.minutes and not note:
                errors[name] = _("%(name)s：调整时长须说明原因。") % {"name": name}
            elif len(note) > 200:
                errors[name] = _("%(name)s：原因不能超过 200 字。") % {"name": name}
            if minutes == activity.minutes:
                note = ""
        rows.append((attendance, minutes, note))
    return rows, errors


def _propose(actor, activity, rows) -> list[VolunteerProposal]:
    """One 志愿服务 entry proposed per household with hours, through points' own service; a
    household the rule cannot be proposed for (its yearly cap reached, moved out) is kept with
    the reason, and the others go ahead."""
    households: dict[int, list] = {}
    for attendance, minutes, _note in rows:
        if minutes > 0:
            households.setdefault(attendance.household_id, []).append((attendance, minutes))
    day = timezone.localtime(activity.starts_at).date()
    proposals = []
    for household_id in sorted(households):  # accounts locked in ascending order
        members = households[household_id]
        household = members[0][0].household
        minutes = sum(m for _a, m in members)
        names = "、".join(a.villager.name for a, _m in members)[:200]
        entry, refused = None, ""
        try:
            entry = points_services.entry_propose(
                actor=actor,
                household=household,
                rule=activity.rule,
                occurred_on=day,
                reason=_("%(names)s参加志愿服务“%(title)s”")
                % {"names": names, "title": activity.title},
                source=_("志愿服务：%(title)s %(hours)s 小时")
                % {"title": activity.title, "hours": hours_text(minutes)},
                idempotency_key=f"volunteer-{activity.pk}-{household.pk}",
            )
        except ValidationError as exc:
            refused = "；".join(exc.messages)[:300]
        proposals.append(
            VolunteerProposal(
                activity=activity,
                household=household,
                minutes=minutes,
                entry=entry,
                refused=refused,
            )
        )
    return VolunteerProposal.objects.bulk_create(proposals)


@transaction.atomic
def activity_close(
    *,
    actor,
    activity: VolunteerActivity,
    corrections: dict[int, tuple[int, str]] | None = None,
) -> list[VolunteerProposal]:
    """After the activity, the organiser records everyone's hours — the activity's length, or
    as corrected per person (by villager id: minutes and the reason) — and each household with
    hours gets a proposed 志愿服务 entry awaiting the committee's review. Nothing is half
    written: bad hours refuse the whole close."""
    _require_organiser(actor, activity)
    activity = _locked(activity)
    if not activity.is_open():
        raise ValidationError(_("该活动已结束登记。"), code="closed")
    if timezone.now() < activity.ends_at:
        raise ValidationError(_("活动结束后才能登记时长。"), code="not_over")
    attendances = list(
        VolunteerAttendance.objects.filter(activity=activity)
        .select_related("villager", "household__village")
        .order_by("pk")
    )
    rows, errors = _credited(activity, attendances, corrections or {})
    if errors:
        raise ValidationError(errors)
    year = timezone.localtime(activity.starts_at).year
    VolunteerHours.objects.bulk_create(
        VolunteerHours(
            attendance=attendance,
            activity=activity,
            villager_id=attendance.villager_id,
            household_id=attendance.household_id,
            year=year,
            minutes=minutes,
            correction=note,
            recorded_by=permissions.user_of(actor),
        )
        for attendance, minutes, note in rows
    )
    activity.status, activity.closed_at = ActivityStatus.CLOSED, timezone.now()
    activity.closed_by = permissions.user_of(actor)
    activity.save(update_fields=["status", "closed_at", "closed_by"])
    proposals = _propose(actor, activity, rows)
    audit.record(
        actor=actor,
        action="grid.volunteer.close",
        obj=activity,
        village=activity.village,
        payload={
            "hours": [
                {"villager": a.villager_id, "name": a.villager.name, "minutes": m, "note": n}
                for a, m, n in rows
            ],
            "proposals": [
                {"household": p.household_id, "entry": p.entry_id, "refused": p.refused}
                for p in proposals
            ],
        },
    )
    return proposals
