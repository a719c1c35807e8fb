"""The inbox and the channels on a phone: GET /inbox, POST /inbox/{id}/read, the villager's
channel choices, and a device's Web Push subscription."""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema

from . import permissions, selectors, services
from .api_schemas import Message
from .models import Delivery

router = Router(tags=["inbox"])


class InboxItemOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    urgent: bool
    sent_at: datetime
    read_at: datetime | None


class InboxOut(Schema):
    unread: int
    items: list[InboxItemOut]


class PreferenceIn(Schema):
    push: bool
    sms: bool


class PreferenceOut(Schema):
    push: bool
    sms: bool
    inbox: bool = True


class KeysIn(Schema):
    p256dh: str
    auth: str


class SubscriptionIn(Schema):
    endpoint: str
    keys: KeysIn


class SubscriptionOut(Schema):
    id: int
    endpoint: str


class UnsubscribeIn(Schema):
    endpoint: str


class PushKeyOut(Schema):
    public_key: str


def _item(d: Delivery) -> dict:
    n = d.notification
    return {
        "id": d.pk,
        "kind": n.kind,
        "title": n.title,
        "body": n.body,
        "url": n.url,
        "urgent": n.urgent,
        "sent_at": n.send_after,
        "read_at": d.read_at,
    }


@router.get("/inbox", response={200: InboxOut, 401: Message})
def inbox(request):
    items = selectors.inbox_of(request.user)
    unread = sum(1 for d in items if d.read_at is None)
    if len(items) == 100:  # more than the page holds: count them all
        unread = selectors.inbox_unread(request.user)
    return {"unread": unread, "items": [_item(d) for d in items]}


@router.post("/inbox/{delivery_id}/read", response={200: InboxItemOut, 404: Message})
def inbox_read(request, delivery_id: int):
    try:
        delivery = services.inbox_mark_read(user=request.user, delivery_id=delivery_id)
    except Delivery.DoesNotExist as exc:
        raise Http404 from exc
    return _item(delivery)


@router.get("/inbox/preferences", response={200: PreferenceOut, 403: Message})
def preferences(request):
    villager = permissions.villager_of(request.user)
    if villager is None:
        raise PermissionDenied(_("只有村民账号可以设置消息接收方式。"))
    p = selectors.reach_preference_of(villager)
    return {"push": p.push, "sms": p.sms}


@router.put("/inbox/preferences", response={200: PreferenceOut, 403: Message})
def preferences_set(request, payload: PreferenceIn):
    p = services.reach_preference_set(actor=request.user, push=payload.push, sms=payload.sms)
    return {"push": p.push, "sms": p.sms}


@router.get("/push/key", response={200: PushKeyOut, 404: Message}, auth=None)
def push_key(request):
    """The VAPID public key a browser subscribes with (no key: no push on this site)."""
    if not settings.CUNZHI_VAPID_PUBLIC_KEY:
        raise Http404
    return {"public_key": settings.CUNZHI_VAPID_PUBLIC_KEY}


@router.post("/push/subscriptions", response={201: SubscriptionOut, 400: Message, 401: Message})
def push_subscribe(request, payload: SubscriptionIn):
    s = services.push_subscribe(
        user=request.user,
        endpoint=payload.endpoint,
        p256dh=payload.keys.p256dh,
        auth=payload.keys.auth,
        user_agent=request.headers.get("User-Agent", ""),
    )
    return 201, {"id": s.pk, "endpoint": s.endpoint}


@router.post("/push/subscriptions/delete", response={200: dict, 401: Message})
def push_unsubscribe(request, payload: UnsubscribeIn):
    return {"deleted": services.push_unsubscribe(user=request.user, endpoint=payload.endpoint)}
