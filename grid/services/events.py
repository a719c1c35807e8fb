"""随手拍: report, accept, handle, confirm and rate, reopen, reassign, link to a 说事, escalate,
and reward. Every step writes the event's trail and the village's audit chain."""

import secrets
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from village import audit, officers, permissions
from village import services as village_services
from village.models import (
    Grid,
    GridLevel,
    Household,
    Membership,
    NotificationKind,
    Village,
    Villager,
    VillageRole,
    VillagerStatus,
)
from village.permissions import SYSTEM, user_of
from village.uploads import validate_image_upload

from ..models import EventCategory, EventStatus, EventStep, GridEvent, StepKind
from ..models.events import OPEN_STATUSES, URGENT_CATEGORIES
from ..permissions import GridAction

NOTIFICATION_KIND = NotificationKind.GRID_EVENT


def _clean_key(key: str | None) -> str:
    key = (key or "").strip()
    if len(key) > 80:
        raise ValidationError(_("幂等键不能超过 80 个字符。"), code="invalid_key")
    return key or f"event-{secrets.token_hex(16)}"


def _coordinate(value, limit: int, name: str, errors: dict):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
        if not number.is_finite():
            raise ValueError(value)
        number = number.quantize(Decimal("0.000001"))
    except (ArithmeticError, ValueError):  # InvalidOperation is an ArithmeticError
        errors[name] = _("坐标格式不对。")
        return None
    if abs(number) > limit:
        errors[name] = _("坐标超出范围。")
        return None
    return number


def _step(event, kind, actor, note="", at=None) -> EventStep:
    return EventStep.objects.create(
        event=event, kind=kind, actor=user_of(actor), note=note[:500], at=at or timezone.now()
    )


def _record(event, action, actor, payload=None) -> None:
    audit.record(
        actor=actor,
        action=action,
        obj=event,
        village=event.village,
        payload={"status": event.status, **(payload or {})},
    )


def area_officer(area: Grid):
    """The user who is grid officer of `area` today (of the area itself, else of its large
    grid), or None: the event then waits on the secretary's home."""
    today = timezone.localdate()
    holders = (
        Membership.objects.valid_on(today)
        .filter(role=VillageRole.GRID_OFFICER, grid_id__in=[area.pk, area.parent_id])
        .filter(villager__user__isnull=False)
        .select_related("villager")
        .order_by("-grid__level", "start", "pk")  # "area" sorts after "large": the area first
    )
    first = holders.first()
    return first.villager.user if first else None


def may_handle(user, event: GridEvent) -> bool:
    """The officer of the event's area (or of its large grid), or a cadre of the village."""
    if not permissions.can(user, GridAction.EVENT_HANDLE, event.village):
        return False
    areas = officers.officer_areas(user, event.village)
    return areas is None or event.area_id in areas


def _require_handler(actor, event: GridEvent) -> None:
    permissions.require(actor, GridAction.EVENT_HANDLE, event.village)
    if not may_handle(actor, event):
        raise PermissionDenied(_("只有本片区网格员或村干部可以办理该事件。"))


def _deadlines(village: Village, urgent: bool, start):
    rules = village.rules_on(timezone.localdate(start))
    hours = rules.event_urgent_hours if urgent else rules.event_hours
    due = start + timedelta(hours=hours)
    return due, due + timedelta(hours=rules.event_township_hours)


def _reporter_and_area(actor, village, reporter, area):
    """Who the event is about and where: a villager reports for themselves (a 亲情账号 for its
    household's head), in their household's area unless they name another; an officer or
    cadre reports for a villager of their areas, or for an area of theirs."""
    own, _proxy = permissions.in_name_of(actor, village)
    staff = permissions.can(actor, GridAction.EVENT_HANDLE, village)
    if reporter is None and own is not None and not staff:
        if own.status != VillagerStatus.REGISTERED:
            raise PermissionDenied(_("您的户籍状态不是在册，不能上报。"))
        reporter = own
    elif reporter is not None and (own is None or reporter.pk != own.pk):
        _check_told(actor, village, reporter, staff)
    if area is None and reporter is not None and reporter.household_id:
        area = Grid.objects.filter(households__pk=reporter.household_id).first()
    _check_area(actor, village, area, staff and reporter is None)
    return reporter, area


def _check_told(actor, village, reporter, staff) -> None:
    """An officer or cadre notes an event told in person by a villager of their areas."""
    if not staff:
        raise PermissionDenied(_("只能以自己的名义上报。"))
    if reporter.village_id != village.pk or reporter.household_id is None:
        raise ValidationError({"reporter": _("该村民不属于本村。")})
    household = Household.objects.get(pk=reporter.household_id)
    if not officers.may_act_for(actor, household):
        raise PermissionDenied(_("网格员只能为本网格的户录入。"))


def _check_area(actor, village, area, officers_own: bool) -> None:
    if area is None:
        raise ValidationError({"area": _("请选择事件所在片区。")})
    if area.village_id != village.pk or area.level != GridLevel.AREA:
        raise ValidationError({"area": _("该片区不属于本村。")})
    if officers_own:
        allowed = officers.officer_areas(actor, village)
        if allowed is not None and area.pk not in allowed:
            raise PermissionDenied(_("网格员只能为本网格的片区录入。"))


def _villagers_of(user):
    """The villager record of `user` as a queryset the outbox takes (none for staff without)."""
    villager = permissions.villager_of(user) if user is not None else None
    return Villager.objects.filter(pk=villager.pk if villager else None)


def _validated(category, text, place, photo, latitude, longitude) -> tuple[str, str, tuple]:
    errors = {}
    text, place = (text or "").strip(), (place or "").strip()
    if category not in EventCategory.values:
        errors["category"] = _("请选择事件类别。")
    if not text:
        errors["text"] = _("请写下看到的情况。")
    elif len(text) > 500:
        errors["text"] = _("情况说明不能超过 500 字。")
    if len(place) > 100:
        errors["place"] = _("地点不能超过 100 字。")
    point = (
        _coordinate(latitude, 90, "latitude", errors),
        _coordinate(longitude, 180, "longitude", errors),
    )
    if photo:
        try:
            validate_image_upload(photo)
        except ValidationError as exc:
            errors["photo"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    return text, place, point


@transaction.atomic
def event_report(
    *,
    actor,
    village: Village,
    category: str,
    text: str,
    place: str = "",
    photo=None,
    latitude=None,
    longitude=None,
    urgent: bool = False,
    area: Grid | None = None,
    reporter: Villager | None = None,
    idempotency_key: str | None = None,
    offline_at=None,
) -> GridEvent:
    """随手拍. Lands with the area's officer, due by the rule set's hours (shorter for a safety
    hazard), counted from when the server receives it. The same key twice reports once."""
    permissions.require(actor, GridAction.EVENT_REPORT, village)
    sent_key = bool((idempotency_key or "").strip())
    key = _clean_key(idempotency_key)
    if sent_key:
        existing = GridEvent.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return _same_report(existing, actor, village)
    reporter, area = _reporter_and_area(actor, village, reporter, area)
    text, place, (latitude, longitude) = _validated(
        category, text, place, photo, latitude, longitude
    )
    urgent = bool(urgent) or category in URGENT_CATEGORIES
    now = timezone.now()
    due_at, township_at = _deadlines(village, urgent, now)
    event = GridEvent(
        village=village,
        area=area,
        category=category,
        urgent=urgent,
        text=text,
        place=place,
        latitude=latitude,
        longitude=longitude,
        reporter=reporter,
        reported_by=user_of(actor),
        reported_at=now,
        offline_at=offline_at,
        officer=area_officer(area),
        due_at=due_at,
        township_at=township_at,
        idempotency_key=key,
    )
    if photo:
        event.photo = photo
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:
        existing = GridEvent.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return _same_report(existing, actor, village)
    note = _("离线记录于 %(at)s") % {"at": f"{timezone.localtime(offline_at):%m-%d %H:%M}"}
    _step(event, StepKind.REPORT, actor, note if offline_at else "")
    _record(
        event,
        "grid.event.report",
        actor,
        {
            "area": area.name,
            "category": category,
            "urgent": urgent,
            "reporter": reporter.pk if reporter else None,
            "officer": event.officer_id,
            "due_at": due_at,
            "photo": bool(photo),
            **({"offline_at": offline_at} if offline_at else {}),
        },
    )
    _tell_officer(actor, event)
    return event


def _same_report(existing: GridEvent, actor, village) -> GridEvent:
    if existing.village_id != village.pk or existing.reported_by_id != getattr(
        user_of(actor), "pk", None
    ):
        raise ValidationError(
            _("该幂等键已用于另一条上报，请刷新后重新提交。"), code="key_conflict"
        )
    return existing


def _tell(actor, event: GridEvent, *, key: str, title: str, villagers, body=None, **options):
    """One message about `event` through the outbox, linking to the event's page."""
    village_services.notification_send(
        actor=actor,
        village=event.village,
        key=key,
        kind=NOTIFICATION_KIND,
        title=title,
        body=(event.text if body is None else body)[:200],
        url=reverse("gridwork:event", args=[event.pk]),
        villagers=villagers,
        **options,
    )


def _tell_officer(actor, event: GridEvent) -> None:
    if event.officer_id is None:
        return
    title = _("新的随手拍：%(category)s · %(area)s") % {
        "category": event.get_category_display(),
        "area": event.area.name,
    }
    _tell(
        actor,
        event,
        key=f"grid-event:{event.pk}",
        title=title,
        villagers=_villagers_of(event.officer),
        urgent=event.urgent,
    )


def _tell_reporter(actor, event: GridEvent, key: str, title: str, body: str) -> None:
    if event.reporter_id is None:
        return
    reporter = Villager.objects.filter(pk=event.reporter_id)
    _tell(actor, event, key=key, title=title, body=body, villagers=reporter, proxies=True)


def _locked(event: GridEvent) -> GridEvent:
    return GridEvent.objects.select_for_update().select_related("village", "area").get(pk=event.pk)


@transaction.atomic
def event_accept(*, actor, event: GridEvent) -> GridEvent:
    _require_handler(actor, event)
    event = _locked(event)
    if event.status != EventStatus.REPORTED:
        raise ValidationError(_("该事件已受理。"), code="state")
    event.status = EventStatus.ACCEPTED
    if event.officer_id is None:
        event.officer = user_of(actor)
    event.save(update_fields=["status", "officer"])
    _step(event, StepKind.ACCEPT, actor)
    _record(event, "grid.event.accept", actor)
    return event


@transaction.atomic
def event_handle(*, actor, event: GridEvent, note: str, after_photo=None) -> GridEvent:
    """办结: what was done, with an after-photo if there is one; the villager is told."""
    _require_handler(actor, event)
    note = (note or "").strip()
    errors = {}
    if not note:
        errors["note"] = _("请写明办理情况。")
    elif len(note) > 500:
        errors["note"] = _("办理情况不能超过 500 字。")
    if after_photo:
        try:
            validate_image_upload(after_photo)
        except ValidationError as exc:
            errors["after_photo"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    event = _locked(event)
    if event.status not in OPEN_STATUSES:
        raise ValidationError(_("该事件已办结。"), code="state")
    if event.status == EventStatus.REPORTED:
        _step(event, StepKind.ACCEPT, actor)
    event.status = EventStatus.HANDLED
    event.handled_note = note
    event.handled_at = timezone.now()
    event.officer = event.officer or user_of(actor)
    if after_photo:
        event.after_photo = after_photo
    event.save()
    _step(event, StepKind.HANDLE, actor, note)
    _record(event, "grid.event.handle", actor, {"note": note, "after_photo": bool(after_photo)})
    rounds = event.steps.filter(kind=StepKind.HANDLE).count()
    _tell_reporter(
        actor,
        event,
        f"grid-event-handled:{event.pk}:{rounds}",
        _("您上报的事已办结，请评价"),
        note,
    )
    return event


def _require_reporter(actor, event: GridEvent) -> None:
    own, _proxy = permissions.in_name_of(actor, event.village)
    if event.reporter_id is None or own is None or own.pk != event.reporter_id:
        raise PermissionDenied(_("只有上报的村民可以评价。"))


@transaction.atomic
def event_confirm(*, actor, event: GridEvent, rating, note: str = "") -> GridEvent:
    """The villager's confirmation and rating (1–5 stars) of a handled event."""
    _require_reporter(actor, event)
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    note = (note or "").strip()
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("请选择 1 到 5 星。")})
    if len(note) > 200:
        raise ValidationError({"note": _("评价意见不能超过 200 字。")})
    event = _locked(event)
    if event.status != EventStatus.HANDLED:
        raise ValidationError(_("该事件还没有办结，或已评价。"), code="state")
    event.status = EventStatus.CONFIRMED
    event.rating, event.rating_note, event.confirmed_at = rating, note, timezone.now()
    event.save(update_fields=["status", "rating", "rating_note", "confirmed_at"])
    _step(event, StepKind.CONFIRM, actor, _("%(n)s 星。%(note)s") % {"n": rating, "note": note})
    _record(event, "grid.event.confirm", actor, {"rating": rating, "note": note})
    return event


@transaction.atomic
def event_reopen(*, actor, event: GridEvent, reason: str) -> GridEvent:
    """Not done: back to the officer with fresh deadlines."""
    _require_reporter(actor, event)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请说明哪里还没有办好。")})
    if len(reason) > 500:
        raise ValidationError({"reason": _("说明不能超过 500 字。")})
    event = _locked(event)
    if event.status != EventStatus.HANDLED:
        raise ValidationError(_("只有已办结、未评价的事件可以要求重新办理。"), code="state")
    event.status = EventStatus.ACCEPTED
    event.due_at, event.township_at = _deadlines(event.village, event.urgent, timezone.now())
    event.escalated = 0
    event.save(update_fields=["status", "due_at", "township_at", "escalated"])
    _step(event, StepKind.REOPEN, actor, reason)
    _record(event, "grid.event.reopen", actor, {"reason": reason, "due_at": event.due_at})
    _tell_officer_again(actor, event)
    return event


def _tell_officer_again(actor, event):
    if event.officer_id is None:
        return
    rounds = event.steps.filter(kind=StepKind.REOPEN).count()
    _tell(
        actor,
        event,
        key=f"grid-event-reopen:{event.pk}:{rounds}",
        title=_("村民要求重新办理：%(area)s") % {"area": event.area.name},
        villagers=_villagers_of(event.officer),
    )


@transaction.atomic
def event_reassign(*, actor, event: GridEvent, area: Grid) -> GridEvent:
    """A cadre moves an event to the area it belongs to; it goes to that area's officer."""
    permissions.require(actor, GridAction.EVENT_HANDLE, event.village)
    if officers.officer_areas(actor, event.village) is not None:
        raise PermissionDenied(_("只有村干部可以改派事件。"))
    if area.village_id != event.village_id or area.level != GridLevel.AREA:
        raise ValidationError({"area": _("该片区不属于本村。")})
    event = _locked(event)
    if event.status not in OPEN_STATUSES:
        raise ValidationError(_("已办结的事件不能改派。"), code="state")
    before = event.area.name
    event.area, event.officer = area, area_officer(area)
    event.save(update_fields=["area", "officer"])
    _step(event, StepKind.REASSIGN, actor, f"{before} → {area.name}")
    _record(event, "grid.event.reassign", actor, {"from": before, "to": area.name})
    _tell_officer(actor, event)
    return event


@transaction.atomic
def event_link(*, actor, event: GridEvent, suggestion) -> GridEvent:
    """Link the event to a 村民说事 of the same village (one 说事 may gather several events)."""
    _require_handler(actor, event)
    if suggestion.village_id != event.village_id:
        raise ValidationError({"suggestion": _("该村民说事不属于本村。")})
    event = _locked(event)
    event.suggestion = suggestion
    event.save(update_fields=["suggestion"])
    _step(event, StepKind.LINK, actor, _("关联村民说事 #%(n)s") % {"n": suggestion.pk})
    _record(event, "grid.event.link", actor, {"suggestion": suggestion.pk})
    return event


def events_escalate(*, now=None) -> int:
    """Write to the chain every escalation the deadlines have made since the last run: past its
    deadline an open event goes to the secretary's home, past the second to the township's
    list (the homes read the deadlines themselves; this keeps the record and tells them)."""
    now = now or timezone.now()
    count = 0
    late = GridEvent.objects.filter(status__in=OPEN_STATUSES, due_at__lte=now, escalated__lt=2)
    for event_id in late.values_list("pk", flat=True):
        count += _escalate_one(event_id, now)
    return count


@transaction.atomic
def _escalate_one(event_id: int, now) -> int:
    event = GridEvent.objects.select_for_update().select_related("village", "area").get(pk=event_id)
    level = event.level_at(now)
    if level <= event.escalated:
        return 0
    first = event.escalated == 0  # the secretaries are told once, also of a jump to level 2
    event.escalated = level
    event.save(update_fields=["escalated"])
    where = _("乡镇") if level == 2 else _("村党支部书记")
    _step(event, StepKind.ESCALATE, SYSTEM, _("逾期未办结，已报%(where)s") % {"where": where}, now)
    _record(event, "grid.event.escalate", SYSTEM, {"level": level, "due_at": event.due_at})
    if first:
        secretaries = Membership.objects.valid_on(timezone.localdate(now)).filter(
            village=event.village, role=VillageRole.SECRETARY
        )
        _tell(
            SYSTEM,
            event,
            key=f"grid-event-late:{event.pk}:{event.due_at:%Y%m%d%H%M}",
            title=_("随手拍逾期未办结：%(area)s") % {"area": event.area.name},
            villagers=Villager.objects.filter(pk__in=secretaries.values("villager_id")),
        )
    return 1


@transaction.atomic
def event_reward(*, actor, event: GridEvent, rule):
    """A handled event the village rewards: propose an entry under a catalogue rule for the
    reporter's household, for the committee's usual review (never posted without it)."""
    from points.permissions import PointsAction
    from points.services import entry_propose

    permissions.require(actor, PointsAction.REVIEW, event.village)
    event = _locked(event)
    if event.status not in (EventStatus.HANDLED, EventStatus.CONFIRMED):
        raise ValidationError(_("办结后才能建议积分。"), code="state")
    if event.reporter_id is None or event.reporter.household_id is None:
        raise ValidationError(_("该事件没有上报村民，不能建议积分。"), code="no_reporter")
    if rule.points <= 0:
        raise ValidationError({"rule": _("只能建议加分项。")})
    entry = entry_propose(
        actor=actor,
        household=event.reporter.household,
        rule=rule,
        occurred_on=timezone.localdate(event.reported_at),
        reason=rule.text,
        source=_("随手拍：%(text)s") % {"text": event.text[:60]},
        idempotency_key=f"grid-event-{event.pk}",
    )
    if not event.steps.filter(kind=StepKind.REWARD).exists():
        _step(event, StepKind.REWARD, actor, f"{rule.code} +{rule.points}")
        _record(event, "grid.event.reward", actor, {"rule": rule.code, "entry": entry.pk})
    return entry
