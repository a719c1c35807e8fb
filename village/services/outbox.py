"""Writes of the outbox: an event told to its people (one delivery row per recipient and
channel, in the event's transaction), the inbox's read marks, a villager's channel choices
and a device's push subscription. The sending is village/sending.py's."""

import base64
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit, tasks
from ..models import (
    Channel,
    Delivery,
    DeliveryStatus,
    HouseholdProxy,
    Notification,
    PushSubscription,
    ReachPreference,
    Village,
    Villager,
    VillagerStatus,
)
from ..permissions import user_of, villager_of

BATCH = 2000


@dataclass(frozen=True)
class _Person:
    villager: int
    household: int
    user: int | None
    phone: str
    is_head: bool
    push: bool
    sms: bool


def _people(villagers: QuerySet[Villager]) -> list[_Person]:
    rows = (
        villagers.filter(status=VillagerStatus.REGISTERED)
        .order_by("household_id", "pk")
        .values_list(
            "pk",
            "household_id",
            "user_id",
            "phone",
            "household__head_id",
            "reach_preference__push",
            "reach_preference__sms",
        )
        .distinct()
    )
    return [
        _Person(pk, household, user, phone or "", head == pk, push is not False, sms is not False)
        for pk, household, user, phone, head, push, sms in rows
    ]


def _proxy_people(village: Village, people: list[_Person]) -> list[_Person]:
    """The 亲情账号 accounts of the households among `people`: each gets the household's inbox
    message and push (never a text: the household's own phone gets that), in the name of the
    household's first addressed member."""
    first = {}
    for person in people:
        first.setdefault(person.household, person)
    bindings = (
        HouseholdProxy.objects.active_on(timezone.localdate())
        .filter(village=village, user__isnull=False)
        .values_list("household_id", "user_id")
    )
    return [
        _Person(first[household].villager, household, user, "", False, True, False)
        for household, user in bindings
        if household in first
    ]


def _sms_phones(people: list[_Person], urgent: bool) -> dict[int, _Person]:
    """A text for each household where no one addressed has an account: to the head, or else
    the first member with a mobile number who has not turned texts off."""
    by_household: dict[int, list[_Person]] = {}
    for person in people:
        by_household.setdefault(person.household, []).append(person)
    chosen = {}
    for household, members in by_household.items():
        if any(p.user is not None for p in members):
            continue
        willing = [p for p in members if p.phone and (urgent or p.sms)]
        willing.sort(key=lambda p: not p.is_head)
        if willing:
            chosen[household] = willing[0]
    return chosen


@transaction.atomic
def notification_send(
    *,
    actor,
    village: Village,
    key: str,
    kind: str,
    title: str,
    villagers: QuerySet[Villager],
    body: str = "",
    url: str = "",
    urgent: bool = False,
    send_after=None,
    proxies: bool = False,
) -> Notification:
    """Tell `villagers` (those registered) about an event: an inbox message to each with an
    account, a push to each of their devices, a text to each household no one of which has an
    account. Called by the event's own service, which has checked `actor`; the same `key` a
    second time finds the first notification and tells no one again. `proxies`: the
    households' 亲情账号 are told too (a message to the household, not to a person's role:
    never a vote's, which would tell a proxy whether the villager has voted)."""
    now = timezone.now()
    existing = Notification.objects.filter(village=village, key=key).first()
    if existing is not None:
        return existing
    notification = Notification(
        village=village,
        key=key,
        kind=kind,
        title=title[:200],
        body=body,
        url=url,
        urgent=urgent,
        created_at=now,
        send_after=max(send_after or now, now),
        created_by=user_of(actor),
    )
    notification.full_clean()
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:  # told at the same moment by another request
        return Notification.objects.get(village=village, key=key)
    people = _people(villagers)
    counts = deliveries_write(
        notification, people, readers=_proxy_people(village, people) if proxies else ()
    )
    audit.record(
        actor=actor,
        action="village.notification.send",
        obj=notification,
        village=village,
        payload={"key": key, "kind": kind, "title": notification.title, "deliveries": counts},
    )
    tasks.outbox_wake()
    return notification


def deliveries_write(
    notification: Notification, people: list[_Person], readers=()
) -> dict[str, int]:
    """The delivery rows of `notification` for `people`, in bulk; counts per channel.
    `readers`: accounts told in the app (inbox, push) only — the households' 亲情账号."""
    start = notification.send_after
    users = {p.user: p for p in [*people, *readers] if p.user is not None}
    rows = [
        Delivery(
            notification=notification,
            channel=Channel.INBOX,
            recipient=f"u{p.user}",
            villager_id=p.villager,
            household_id=p.household,
            user_id=p.user,
            status=DeliveryStatus.SENT,
            sent_at=start,
        )
        for p in users.values()
    ]
    inbox = len(rows)
    if users:
        subscriptions = PushSubscription.objects.filter(
            user_id__in=[u for u, p in users.items() if notification.urgent or p.push]
        ).values_list("pk", "user_id")
        for pk, user in subscriptions:
            p = users[user]
            rows.append(
                Delivery(
                    notification=notification,
                    channel=Channel.PUSH,
                    recipient=f"s{pk}",
                    villager_id=p.villager,
                    household_id=p.household,
                    user_id=user,
                    subscription_id=pk,
                    next_attempt_at=start,
                )
            )
    push = len(rows) - inbox
    for p in _sms_phones(people, notification.urgent).values():
        rows.append(
            Delivery(
                notification=notification,
                channel=Channel.SMS,
                recipient=f"v{p.villager}",
                villager_id=p.villager,
                household_id=p.household,
                phone=p.phone,
                next_attempt_at=start,
            )
        )
    Delivery.objects.bulk_create(rows, batch_size=BATCH)
    return {"inbox": inbox, "push": push, "sms": len(rows) - inbox - push}


# --- the inbox, preferences and devices ------------------------------------------------------


def inbox_mark_read(*, user, delivery_id: int) -> Delivery:
    """The user opened an inbox message; a second time changes nothing. Someone else's: 404."""
    delivery = (
        Delivery.objects.filter(pk=delivery_id, channel=Channel.INBOX, user=user)
        .select_related("notification")
        .first()
    )
    if delivery is None or not getattr(user, "is_authenticated", False):
        raise Delivery.DoesNotExist
    if delivery.read_at is None:
        now = timezone.now()
        Delivery.objects.filter(pk=delivery.pk, read_at__isnull=True).update(read_at=now)
        delivery.refresh_from_db(fields=["read_at"])
    return delivery


@transaction.atomic
def reach_preference_set(*, actor, push: bool, sms: bool) -> ReachPreference:
    """The signed-in villager's channels. The inbox stays; urgent messages come regardless."""
    villager = villager_of(actor)
    if villager is None:
        raise PermissionDenied(_("只有村民账号可以设置消息接收方式。"))
    preference, _created = ReachPreference.objects.select_for_update().get_or_create(
        villager=villager
    )
    before = {"push": preference.push, "sms": preference.sms}
    preference.push, preference.sms = bool(push), bool(sms)
    preference.updated_at = timezone.now()
    preference.save()
    after = {"push": preference.push, "sms": preference.sms}
    if after != before:
        audit.record(
            actor=actor,
            action="village.reach.preference",
            obj=villager,
            village=villager.village,
            payload={"before": before, "after": after},
        )
    return preference


def push_subscribe(*, user, endpoint: str, p256dh: str, auth: str, user_agent: str = ""):
    """Keep this device's subscription for `user`; the same device again updates its keys (a
    device that changes hands belongs to whoever subscribed last)."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("请先登录。"))
    insecure = settings.CUNZHI_PUSH_INSECURE_ENDPOINTS and endpoint.startswith("http://")
    if not (endpoint.startswith("https://") or insecure) or len(endpoint) > 1000:
        raise ValidationError(_("推送地址必须是 https 地址。"))
    if _key_bytes(p256dh)[:1] != b"\x04" or len(_key_bytes(p256dh)) != 65:
        raise ValidationError(_("推送订阅的公钥（p256dh）无效。"))
    if len(_key_bytes(auth)) != 16:
        raise ValidationError(_("推送订阅的认证密钥（auth）无效。"))
    with transaction.atomic():
        found, _created = PushSubscription.objects.update_or_create(
            endpoint=endpoint,
            defaults={"user": user, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:300]},
        )
    return found


def _key_bytes(value: str) -> bytes:
    """A browser's base64url key (padding optional); b"" when it is not one."""
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError):
        return b""


def push_unsubscribe(*, user, endpoint: str) -> int:
    deleted, _rows = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
    return deleted
