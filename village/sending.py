"""The outbox's sender: hands each due delivery to its channel once.

Each row is claimed with a conditional UPDATE (pending → sending) before anything leaves, so two
workers, or a task run twice, never send one row twice. The answer is written with the claim's
attempt number, so a late answer of an earlier attempt changes nothing. Temporary failures are
tried again with growing pauses, then marked failed with the provider's words; a row left
"sending" by a worker that died is marked "unknown" and not sent again (it may have arrived).
Push and SMS wait out the village's quiet hours unless the message is urgent; SMS is held
against the village's monthly budget."""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from . import channels
from .channels import Outgoing, SendError
from .models import (
    SENT_CHANNELS,
    Channel,
    Delivery,
    DeliveryStatus,
    PushSubscription,
    RuleSet,
    SmsMonth,
)

logger = logging.getLogger(__name__)

# Pauses after the 1st, 2nd, 3rd and 4th failed attempt; the 5th failure is final.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
ATTEMPTS = len(BACKOFF) + 1
# A claim older than this belongs to a worker that stopped.
STALE = timedelta(minutes=10)

# A village without a rule set keeps the rule set's defaults (written once, on the model).
_DEFAULTS = RuleSet()


def in_quiet_hours(rules: RuleSet, at: datetime) -> bool:
    start, end, now = rules.quiet_hours_start, rules.quiet_hours_end, timezone.localtime(at).time()
    if start == end:
        return False  # no quiet hours
    if start < end:
        return start <= now < end
    return now >= start or now < end  # across midnight


def quiet_hours_end(rules: RuleSet, at: datetime) -> datetime:
    """The first moment at or after `at` outside the quiet hours."""
    local = timezone.localtime(at)
    end = local.replace(
        hour=rules.quiet_hours_end.hour,
        minute=rules.quiet_hours_end.minute,
        second=0,
        microsecond=0,
    )
    if end <= local:
        end += timedelta(days=1)
    return end


@dataclass
class Report:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0
    unknown: int = 0
    next_due: datetime | None = None
    errors: list[str] = field(default_factory=list)


def deliveries_mark_stale(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    stale = Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE)
    return stale.update(
        status=DeliveryStatus.UNKNOWN,
        error=_("发送进程中断，结果未知；为免重复，不再重发。"),
    )


def deliveries_send_due(*, now: datetime | None = None, limit: int = 500) -> Report:
    """Send up to `limit` due push and SMS deliveries; what is left waits for the next run."""
    now = now or timezone.now()
    report = Report(unknown=deliveries_mark_stale(now=now))
    due = list(
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            channel__in=SENT_CHANNELS,
        )
        .select_related("notification__village", "subscription")
        .order_by("next_attempt_at", "pk")[:limit]
    )
    for delivery in due:
        _send_one(delivery, now, report)
    report.next_due = (
        Delivery.objects.filter(status=DeliveryStatus.PENDING, channel__in=SENT_CHANNELS)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    return report


def _rules(delivery: Delivery) -> RuleSet:
    return getattr(delivery.notification.village, "rules", None) or _DEFAULTS


def _send_one(delivery: Delivery, now: datetime, report: Report) -> None:
    notification = delivery.notification
    rules = _rules(delivery)
    mine = Delivery.objects.filter(pk=delivery.pk)
    if not notification.urgent and in_quiet_hours(rules, now):
        if mine.filter(status=DeliveryStatus.PENDING).update(
            next_attempt_at=quiet_hours_end(rules, now)
        ):
            report.deferred += 1
        return
    attempt = delivery.attempts + 1
    claimed = mine.filter(status=DeliveryStatus.PENDING, attempts=delivery.attempts).update(
        status=DeliveryStatus.SENDING, attempts=attempt, claimed_at=now
    )
    if not claimed:
        return  # another worker has it
    this_attempt = mine.filter(status=DeliveryStatus.SENDING, attempts=attempt)
    message = _outgoing(delivery)
    if delivery.channel == Channel.SMS and message.phone == "":
        this_attempt.update(status=DeliveryStatus.FAILED, error=_("没有手机号。"))
        report.failed += 1
        return
    reserved = 0
    if delivery.channel == Channel.SMS:
        reserved = _reserve_sms(notification.village_id, rules.sms_monthly_limit, now)
        if not reserved:
            this_attempt.update(
                status=DeliveryStatus.SKIPPED,
                error=_("本月短信额度（%(n)d条）已用完。") % {"n": rules.sms_monthly_limit},
            )
            report.skipped += 1
            return
    backend = channels.backend(delivery.channel)
    uncertain = delivery.uncertain
    try:
        # After an attempt that may have arrived, the provider is asked before sending again.
        sent = backend.confirm(message) if uncertain else None
        uncertain = False
        if sent is None:
            sent = backend.send(message)
    except Exception as exc:
        if reserved:
            _release_sms(notification.village_id, now)
        if not isinstance(exc, SendError):  # a bug or an odd answer: tried again, never lost
            logger.exception("delivery %s", delivery.pk)
            exc = SendError(repr(exc)[:200])
        _failed(delivery, this_attempt, exc, attempt, now, report, uncertain or exc.uncertain)
        return
    if reserved and sent.segments > 1:
        _reserve_more(notification.village_id, now, sent.segments - 1)
    this_attempt.update(
        status=DeliveryStatus.SENT,
        sent_at=timezone.now(),
        provider_ref=sent.ref[:100],
        segments=sent.segments,
        error="",
        uncertain=False,
    )
    report.sent += 1


def _failed(
    delivery, this_attempt, exc: SendError, attempt: int, now, report: Report, uncertain: bool
) -> None:
    text = str(exc)[:500]
    report.errors.append(text)
    if exc.gone and delivery.subscription_id:
        # The push service says the device unsubscribed: its subscription goes.
        PushSubscription.objects.filter(pk=delivery.subscription_id).delete()
    if exc.permanent or attempt >= ATTEMPTS:
        # An attempt that may have arrived ends "unknown", not "failed": it may have.
        status = DeliveryStatus.UNKNOWN if uncertain else DeliveryStatus.FAILED
        this_attempt.update(status=status, error=text, uncertain=uncertain)
        report.unknown += uncertain
        report.failed += not uncertain
        return
    this_attempt.update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=now + BACKOFF[attempt - 1],
        error=text,
        uncertain=uncertain,
    )
    report.retry += 1


def _outgoing(delivery: Delivery) -> Outgoing:
    n = delivery.notification
    subscription = None
    if delivery.subscription is not None:
        s = delivery.subscription
        subscription = {"endpoint": s.endpoint, "keys": {"p256dh": s.p256dh, "auth": s.auth}}
    url = n.url
    if url.startswith("/"):
        url = settings.CUNZHI_PUBLIC_URL.rstrip("/") + url
    return Outgoing(
        delivery_id=delivery.pk,
        key=n.key,
        village=n.village.name,
        title=n.title,
        body=n.body[:200],
        url=url,
        urgent=n.urgent,
        phone=delivery.phone,
        subscription=subscription,
    )


def _month(now: datetime) -> date:
    return timezone.localdate(now).replace(day=1)


def _reserve_sms(village_id: int, limit: int, now: datetime) -> int:
    """Take one text from the month's budget; 0 when it is spent. One conditional UPDATE, so
    two workers cannot both take the last one."""
    month = _month(now)
    with transaction.atomic():
        SmsMonth.objects.get_or_create(village_id=village_id, month=month)
    return SmsMonth.objects.filter(village_id=village_id, month=month, used__lt=limit).update(
        used=F("used") + 1
    )


def _reserve_more(village_id: int, now: datetime, n: int) -> None:
    # A long message counts as several texts; it is already on its way.
    SmsMonth.objects.filter(village_id=village_id, month=_month(now)).update(used=F("used") + n)


def _release_sms(village_id: int, now: datetime) -> None:
    SmsMonth.objects.filter(village_id=village_id, month=_month(now), used__gt=0).update(
        used=F("used") - 1
    )
