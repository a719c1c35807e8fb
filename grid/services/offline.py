"""离线记录: what a grid officer recorded on a phone without signal (points entries, 随手拍
intakes, 已当面告知), synced when the phone is back in signal.

Each queued item carries the idempotency key the phone made and the device time it was
captured. The server accepts each key once: an item already written answers with what it wrote
(a retry after a lost answer never writes twice). A new item is judged on the day it was
recorded (the points catalogue and the household's status on that day; the officer's areas
today), refused when older than the rule set's `offline_max_days`, and written through the
owning app's own service with "offline at <time>", plus one `grid.offline.sync` event in the
chain with the device's times and whether its clock was off.

Clock: the phone says when it sent the batch. More than five minutes from the server's clock
and the batch is flagged; each item's time is then moved by that difference (the device's
clock was off by as much when it recorded, as far as anyone can tell) and the chain keeps
both the device's own time and the difference, so a reviewer can see what was corrected.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from pages import services as pages_services
from pages.models import NoticePage, ToldChannel
from points import selectors as points_selectors
from points import services as points_services
from points.models import Entry
from points.permissions import PointsAction
from village import audit, permissions
from village.models import Grid, GridLevel, Household, HouseholdStatus

from ..models.events import GridEvent
from ..permissions import GridAction
from .events import event_report

KINDS = ("entry", "event", "told")
MAX_ITEMS = 50
# Farther apart than this, the device's clock is flagged and its times corrected.
CLOCK_TOLERANCE = timedelta(minutes=5)
# What the rule set's default says when a village has no rule set (village.RuleSet).
DEFAULT_MAX_DAYS = 7
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class Refused(Exception):
    """An item the server will not write, with the reason the officer reads."""


@dataclass(frozen=True)
class Clock:
    """The device's clock against the server's, from the time the device says it sent."""

    sent_at: datetime
    server_now: datetime

    @property
    def skew(self) -> timedelta:
        return self.server_now - self.sent_at

    @property
    def flagged(self) -> bool:
        return abs(self.skew) > CLOCK_TOLERANCE

    def server_time(self, device_time: datetime) -> datetime:
        """The device's time on the server's clock (moved only when the clock is flagged)."""
        return device_time + self.skew if self.flagged else device_time


@dataclass(frozen=True)
class Item:
    key: str
    kind: str
    recorded_at: datetime  # the device's time
    fields: dict


@dataclass
class Answer:
    key: str
    kind: str
    status: str  # "accepted" or "refused"
    id: int | None = None
    reason: str = ""
    offline_at: datetime | None = None
    replayed: bool = False


@dataclass
class SyncResult:
    server_time: datetime
    sent_at: datetime
    clock_skew_seconds: int
    clock_flagged: bool
    items: list[Answer] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(1 for a in self.items if a.status == "accepted")

    @property
    def refused(self) -> int:
        return sum(1 for a in self.items if a.status == "refused")


# --- the batch as sent: any fault here refuses the whole batch, nothing written ---------------


def _device_time(value, what: str) -> datetime:
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well formed but not a date (a 13th month)
        moment = None
    if moment is None or timezone.is_naive(moment):
        raise ValidationError(_("%(what)s不是带时区的时间（ISO 8601）。") % {"what": what})
    return moment


def _item(number: int, raw) -> Item:
    where = _("第 %(n)s 条：") % {"n": number}
    if not isinstance(raw, dict):
        raise ValidationError(where + _("不是一个对象。"))
    key = raw.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise ValidationError(where + _("幂等键应为 8–64 位字母、数字、- 或 _。"))
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ValidationError(where + _("种类应为 entry、event 或 told。"))
    recorded_at = _device_time(raw.get("recorded_at"), where + _("记录时间"))
    fields = {k: v for k, v in raw.items() if k not in ("key", "kind", "recorded_at")}
    return Item(key=key, kind=kind, recorded_at=recorded_at, fields=fields)


def batch_parse(*, items, sent_at) -> tuple[list[Item], datetime]:
    """The items and the device's send time of a sync request, or ValidationError (the whole
    batch refused) when the request itself is malformed."""
    if not isinstance(items, str) or not items.strip():
        raise ValidationError(_("缺少 items（离线记录的 JSON 列表）。"))
    try:
        raw = json.loads(items)
    except ValueError as exc:
        raise ValidationError(_("items 不是有效的 JSON。")) from exc
    if not isinstance(raw, list) or not raw:
        raise ValidationError(_("items 应为非空的列表。"))
    if len(raw) > MAX_ITEMS:
        raise ValidationError(_("一次最多同步 %(n)s 条。") % {"n": MAX_ITEMS})
    parsed = [_item(n, r) for n, r in enumerate(raw, start=1)]
    if len({i.key for i in parsed}) != len(parsed):
        raise ValidationError(_("同一批里有重复的幂等键。"))
    return parsed, _device_time(sent_at, _("发送时间 sent_at "))


# --- one item --------------------------------------------------------------------------------


def _text(item: Item, name: str, limit: int) -> str:
    value = item.fields.get(name) or ""
    if not isinstance(value, str):
        raise Refused(_("字段 %(f)s 应为文字。") % {"f": name})
    return value.strip()[:limit]


def _number(item: Item, name: str) -> int | None:
    value = item.fields.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def _photo(item: Item, photos):
    name = item.fields.get("photo") or ""
    if not name:
        return None
    upload = photos.get(name) if isinstance(name, str) else None
    if upload is None:
        raise Refused(_("照片没有收到，请再同步一次。"))
    return upload


def _item_household(actor, item: Item, action) -> Household:
    household = (
        Household.objects.filter(
            pk=_number(item, "household") or 0,
            village__in=permissions.visible_villages(actor, action),
        )
        .select_related("village", "area")
        .first()
    )
    if household is None:
        raise Refused(_("找不到这一户（或不在您的村）。"))
    return household


def _on_roster_that_day(household: Household, moment: datetime) -> None:
    """Refuse a household that had left the roster by the recorded time (as its history
    says; a household with no history before then is judged by its status today)."""
    then = household.history.filter(history_date__lte=moment).order_by("-history_date").first()
    if then is not None and then.status != HouseholdStatus.ACTIVE:
        raise Refused(
            _("%(n)s 户在 %(day)s 已不在册（迁出或合户）。")
            % {"n": household.number, "day": timezone.localdate(moment)}
        )


def _max_days(village) -> int:
    rules = village.rules_on(timezone.localdate())
    return rules.offline_max_days if rules is not None else DEFAULT_MAX_DAYS


def _check_time(village, offline_at: datetime, clock: Clock, device_time: datetime) -> None:
    """Not in the future, and not older than the rule set allows — by the corrected time and
    by the phone's own: a phone that says it sent the batch long ago cannot make an old
    record young."""
    now = clock.server_now
    if offline_at > now + CLOCK_TOLERANCE:
        raise Refused(_("记录时间晚于现在，请检查手机的时间。"))
    days = _max_days(village)
    oldest = min(offline_at, device_time)
    if now - oldest > timedelta(days=days):
        raise Refused(
            _("这条是 %(when)s 记的，已超过 %(n)s 天，不能再同步；请核实后重新登记。")
            % {"when": timezone.localtime(oldest).strftime("%Y-%m-%d %H:%M"), "n": days}
        )


def _entry(actor, item: Item, clock: Clock, photos) -> tuple[object, object, dict]:
    household = _item_household(actor, item, PointsAction.RECORD)
    offline_at = clock.server_time(item.recorded_at)
    _check_time(household.village, offline_at, clock, item.recorded_at)
    _on_roster_that_day(household, offline_at)
    day = timezone.localdate(offline_at)
    code = _text(item, "rule", 20)
    rule = points_selectors.rules_on(household.village, day).filter(code=code).first()
    if rule is None:
        raise Refused(
            _("积分规则 %(code)s 在 %(day)s 不在施行的积分细则中。") % {"code": code, "day": day}
        )
    entry = points_services.entry_record(
        actor=actor,
        household=household,
        rule=rule,
        occurred_on=day,
        reason=_text(item, "reason", 300),
        photo=_photo(item, photos),
        idempotency_key=item.key,
        offline_at=offline_at,
    )
    return entry, household.village, {"household": household.number, "rule": rule.code}


def _event(actor, item: Item, clock: Clock, photos) -> tuple[object, object, dict]:
    villages = permissions.visible_villages(actor, GridAction.EVENT_REPORT)
    area = (
        Grid.objects.filter(pk=_number(item, "area") or 0, level=GridLevel.AREA)
        .filter(village__in=villages)
        .select_related("village")
        .first()
    )
    if area is None:
        raise Refused(_("找不到这个片区（或不在您的村）。"))
    offline_at = clock.server_time(item.recorded_at)
    _check_time(area.village, offline_at, clock, item.recorded_at)
    event = event_report(
        actor=actor,
        village=area.village,
        category=_text(item, "category", 12),
        text=_text(item, "text", 500),
        place=_text(item, "place", 100),
        photo=_photo(item, photos),
        latitude=item.fields.get("latitude"),
        longitude=item.fields.get("longitude"),
        urgent=item.fields.get("urgent") is True,
        area=area,
        idempotency_key=item.key,
        offline_at=offline_at,
    )
    return event, area.village, {"area": area.name, "category": event.category}


def _told(actor, item: Item, clock: Clock, photos) -> tuple[object, object, dict]:
    household = _item_household(actor, item, PointsAction.RECORD)
    offline_at = clock.server_time(item.recorded_at)
    _check_time(household.village, offline_at, clock, item.recorded_at)
    notice = NoticePage.objects.live().filter(pk=_number(item, "notice") or 0).first()
    if notice is None:
        raise Refused(_("这条通知已撤下或不存在。"))
    told, created = pages_services.notice_tell(
        actor=actor,
        notice=notice,
        household=household,
        channel=_text(item, "channel", 20) or ToldChannel.IN_PERSON,
        note=_text(item, "note", 200),
    )
    if not created:
        # Told before (by this sync or by anyone): nothing new to put in the chain.
        return told, None, {}
    return told, household.village, {"household": household.number, "notice": notice.pk}


HANDLERS = {"entry": _entry, "event": _event, "told": _told}


def _written(actor, item: Item) -> Answer | None:
    """What an item already synced wrote (the same key again), or None when it is new."""
    if item.kind == "entry":
        found = Entry.objects.filter(idempotency_key=item.key).first()
        who = found.recorded_by_id if found else None
    elif item.kind == "event":
        found = GridEvent.objects.filter(idempotency_key=item.key).first()
        who = found.reported_by_id if found else None
    else:
        return None  # a told record is once per notice, household and channel already
    if found is None:
        return None
    if who != actor.pk:
        raise Refused(_("该幂等键已被别的记录使用，请清除这条后重新登记。"))
    return Answer(
        key=item.key,
        kind=item.kind,
        status="accepted",
        id=found.pk,
        offline_at=found.offline_at,
        replayed=True,
    )


def _lock_actor(actor) -> None:
    """One officer's syncs of the same batch take turns item by item: the item's key is looked
    up and written under this lock, so exactly one of them writes it (and its chain event)."""
    get_user_model().objects.select_for_update().filter(pk=actor.pk).first()


def _write(actor, item: Item, clock: Clock, photos) -> Answer:
    with transaction.atomic():
        _lock_actor(actor)
        done = _written(actor, item)
        if done is not None:
            return done
        obj, village, facts = HANDLERS[item.kind](actor, item, clock, photos)
        offline_at = getattr(obj, "offline_at", None) or clock.server_time(item.recorded_at)
        if village is not None:
            audit.record(
                actor=actor,
                action="grid.offline.sync",
                obj=obj,
                village=village,
                payload={
                    "kind": item.kind,
                    "key": item.key,
                    "offline_at": offline_at.isoformat(),
                    # As the phone sent them, for a reviewer to compare.
                    "device_recorded_at": item.recorded_at.isoformat(),
                    "device_sent_at": clock.sent_at.isoformat(),
                    "clock_skew_seconds": round(clock.skew.total_seconds()),
                    "clock_flagged": clock.flagged,
                    **facts,
                },
            )
        return Answer(
            key=item.key, kind=item.kind, status="accepted", id=obj.pk, offline_at=offline_at
        )


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc) or _("您没有权限执行此操作。")


def offline_sync(*, actor, items, sent_at, photos) -> SyncResult:
    """Sync a phone's queue: `items` is the JSON list as sent, `sent_at` the device's send time,
    `photos` the uploaded files by name. Each item in its own transaction: accepted (with the
    id it wrote, or wrote before) or refused with the reason; the batch as a whole is refused
    (ValidationError, nothing written) only when it is malformed."""
    if not permissions.can(actor, PointsAction.RECORD):
        raise PermissionDenied(_("只有网格员和村干部可以同步离线记录。"))
    parsed, device_sent = batch_parse(items=items, sent_at=sent_at)
    clock = Clock(sent_at=device_sent, server_now=timezone.now())
    result = SyncResult(
        server_time=clock.server_now,
        sent_at=device_sent,
        clock_skew_seconds=round(clock.skew.total_seconds()),
        clock_flagged=clock.flagged,
    )
    for item in parsed:
        try:
            answer = _write(actor, item, clock, photos)
        except (Refused, ValidationError, PermissionDenied) as exc:
            answer = Answer(key=item.key, kind=item.kind, status="refused", reason=_reason(exc))
        except (OverflowError, ValueError):  # a time the clock's correction cannot hold
            reason = _("记录时间不正确，请检查手机的时间。")
            answer = Answer(key=item.key, kind=item.kind, status="refused", reason=reason)
        result.items.append(answer)
    return result
