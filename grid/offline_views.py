"""The grid officer's offline page (离线记录): a page the service worker keeps, and the data it
caches on the phone while in signal — the households of the officer's areas (number and head's
name, nothing more), the points rules in effect, the areas for 随手拍 and the notices each
household has not been reached by. What the officer records there waits in the phone's
storage and is sent to `POST /api/v1/offline/sync` (grid/api_offline.py)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from pages import worklist
from pages.models import ToldChannel
from points import selectors as points_selectors
from points.permissions import PointsAction
from village import officers, permissions
from village.models import Grid, GridLevel
from village.naming import grid_key, natural_key

from .models import EventCategory
from .permissions import GridAction
from .services.offline import DEFAULT_MAX_DAYS


def _texts() -> dict:
    """What offline.js says, in the page's language (the script holds no words of its own)."""
    return {
        "loaded": _("已存到本机：%(n)s 户，更新于 %(at)s"),
        "no_data": _("本机还没有数据：请先在有网络时打开本页一次。"),
        "cached": _("本页已存到本机，没有信号也能打开。"),
        "online": _("有网络"),
        "offline": _("没有网络：记录先存在本机，有网络后同步。"),
        "queued": _("已存到本机，待同步。"),
        "pending": _("待同步"),
        "refused": _("未通过"),
        "clear": _("清除"),
        "empty": _("没有待同步的记录。"),
        "syncing": _("正在同步……"),
        "synced": _("同步完成：通过 %(ok)s 条，未通过 %(no)s 条。"),
        "sync_failed": _("同步没有完成（网络或登录问题），记录仍在本机，稍后再试。"),
        "clock": _("手机时间与服务器相差 %(min)s 分钟，已按服务器时间校正并标记，请检查手机时间。"),
        "choose": _("请选择"),
        "missing": _("请填写完整（户、项目或情况说明）。"),
        "photo_needed": _("该项须附照片。"),
        "recorded_at": _("记录于"),
        "kinds": {"entry": _("记分"), "event": _("随手拍"), "told": _("已当面告知")},
    }


@login_required
def offline_page(request):
    """离线记录: the page itself; everything it lists comes from `offline_data`."""
    if not permissions.can(request.user, PointsAction.RECORD):
        raise PermissionDenied
    return render(
        request,
        "grid/offline/page.html",
        {
            "data_url": reverse("gridwork:offline_data"),
            "sync_url": reverse("api-v1:offline_sync"),
            "categories": EventCategory.choices,
            "texts": _texts(),
        },
    )


def _areas(user, villages) -> list[dict]:
    """The areas the user may report 随手拍 for: their grid's, or every area of a village
    where they act for the whole village."""
    rows = []
    grids = Grid.objects.filter(level=GridLevel.AREA, village__in=villages).select_related("parent")
    allowed = {v.pk: officers.officer_areas(user, v) for v in villages}
    for area in sorted(grids, key=grid_key):
        ids = allowed.get(area.village_id)
        if ids is None or area.pk in ids:
            rows.append({"id": area.pk, "village": area.village_id, "name": str(area.name)})
    return rows


def _rules(villages, today) -> list[dict]:
    rows = []
    for village in villages:
        for rule in points_selectors.rules_on(village, today):
            rows.append(
                {
                    "village": village.pk,
                    "code": rule.code,
                    "text": rule.text,
                    "points": rule.points,
                    "evidence_required": rule.evidence_required,
                    "category": rule.category.name,
                }
            )
    return rows


def _households_and_notices(user) -> tuple[list[dict], dict]:
    households = points_selectors.households_to_record(user)
    visits = worklist.visits(user, households)
    unread = {v.household.pk: [n.pk for n in v.unread] for v in visits}
    notices = {n.pk: n.title for v in visits for n in v.unread}
    rows = []
    for h in sorted(
        households.select_related("head", "area__parent"),
        key=lambda h: (grid_key(h.area), natural_key(h.number)),
    ):
        rows.append(
            {
                "id": h.pk,
                "village": h.village_id,
                "number": h.number,
                "head": h.head.name if h.head else "",
                "area": str(h.area.name),
                "notices": unread.get(h.pk, []),
            }
        )
    return rows, notices


@never_cache
def offline_data(request):
    """The phone's copy (JSON): who it is for, a fresh CSRF token for the sync, the households,
    areas, rules in effect today and notices to tell, and each village's offline_max_days."""
    user = request.user
    if not user.is_authenticated:
        return JsonResponse({"message": _("请先登录。"), "code": "unauthenticated"}, status=401)
    if not permissions.can(user, PointsAction.RECORD):
        return JsonResponse(
            {"message": _("您没有权限执行此操作。"), "code": "forbidden"}, status=403
        )
    recording = permissions.visible_villages(user, PointsAction.RECORD)
    villages = list(
        permissions.visible_villages(user, GridAction.EVENT_REPORT).filter(
            pk__in=recording.values("pk")
        )
    )
    today = timezone.localdate()
    households, notices = _households_and_notices(user)
    return JsonResponse(
        {
            "user": {"id": user.pk, "name": user.get_full_name() or user.get_username()},
            "csrf": get_token(request),
            "loaded_at": timezone.now().isoformat(),
            "villages": [
                {
                    "id": v.pk,
                    "name": v.name,
                    "offline_max_days": (v.rules.offline_max_days if v.rules else DEFAULT_MAX_DAYS),
                }
                for v in villages
            ],
            "households": households,
            "areas": _areas(user, villages),
            "rules": _rules(villages, today),
            "notices": [{"id": pk, "title": title} for pk, title in notices.items()],
            "channels": [{"value": v, "label": str(label)} for v, label in ToldChannel.choices],
        },
        json_dumps_params={"ensure_ascii": False},
    )
