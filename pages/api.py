"""Notices for villagers' phones: GET /api/v1/notices, POST /api/v1/notices/{id}/read."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema

from village import permissions
from village.api import Message

from . import selectors, services
from .models import NoticePage

router = Router(tags=["notices"])


class NoticeOut(Schema):
    id: int
    title: str
    category: str
    urgency: str
    audience: str
    publish_on: date
    expires_on: date | None
    url: str
    is_read: bool


class NoticeDetailOut(NoticeOut):
    body: str


class ReadOut(Schema):
    id: int
    read_at: datetime


def _out(n: NoticePage, is_read: bool) -> dict:
    return {
        "id": n.pk,
        "title": n.title,
        "category": n.category,
        "urgency": n.urgency,
        "audience": n.audience,
        "publish_on": n.publish_on,
        "expires_on": n.expires_on,
        "url": n.url or "",
        "is_read": is_read,
    }


@router.get("/notices", response={200: list[NoticeOut], 403: Message})
def notices(request):
    villager = permissions.villager_of(request.user)
    if villager is None:
        raise PermissionDenied(_("只有村民账号可以查看通知列表。"))
    home = selectors.home_of(villager.village)
    if home is None:
        return []
    qs = selectors.notices_for(request.user, home)
    return [_out(n, bool(n.is_read)) for n in qs[:200]]


@router.get("/notices/{notice_id}", response={200: NoticeDetailOut, 404: Message})
def notice(request, notice_id: int):
    n = NoticePage.objects.live().filter(pk=notice_id).first()
    # As on the web: a notice to everyone is public; any other only for its audience.
    if n is None or not (selectors.open_to_everyone(n) or selectors.may_read(request.user, n)):
        raise Http404
    villager = permissions.villager_of(request.user)
    is_read = bool(villager) and n.reads.filter(villager=villager).exists()
    return {**_out(n, is_read), "body": n.body}


@router.post("/notices/{notice_id}/read", response={200: ReadOut, 404: Message})
def notice_read(request, notice_id: int):
    n = NoticePage.objects.live().filter(pk=notice_id).first()
    if n is None:
        raise Http404
    try:
        read = services.notice_mark_read(actor=request.user, notice=n)
    except PermissionDenied as exc:
        raise Http404 from exc
    return {"id": n.pk, "read_at": read.read_at}
