"""`POST /api/v1/offline/sync`: a grid officer's phone sends the items it recorded without
signal (multipart: `items` JSON, `sent_at`, and one file part per photo) and reads back, per
item, accepted (with the id written) or refused (with the reason). Bearer token, or the site's
session with its CSRF token (the offline page of grid/offline_views.py)."""

from datetime import datetime

from ninja import Router, Schema
from ninja.security import django_auth

from village.api_auth import BearerTokenAuth
from village.api_schemas import Message

from .services import offline

router = Router(tags=["offline"], auth=[BearerTokenAuth(), django_auth])


class ItemOut(Schema):
    key: str
    kind: str
    status: str  # "accepted" or "refused"
    id: int | None
    reason: str
    offline_at: datetime | None
    replayed: bool


class SyncOut(Schema):
    server_time: datetime
    sent_at: datetime
    clock_skew_seconds: int
    clock_flagged: bool
    accepted: int
    refused: int
    items: list[ItemOut]


SYNC_BODY = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["items", "sent_at"],
                    "properties": {
                        "items": {
                            "type": "string",
                            "description": (
                                "JSON 列表，每条 {key, kind: entry|event|told, recorded_at, …}；"
                                "entry: household, rule, reason, photo；event: area, category, "
                                "text, place, urgent, latitude, longitude, photo；told: notice, "
                                "household, channel, note。photo 为同一请求中文件字段的名称。"
                            ),
                        },
                        "sent_at": {
                            "type": "string",
                            "format": "date-time",
                            "description": "手机发送时的时间（与服务器相差超过 5 分钟即标记）",
                        },
                    },
                    "additionalProperties": {"type": "string", "format": "binary"},
                }
            }
        }
    }
}


@router.post(
    "/offline/sync",
    response={200: SyncOut, 400: Message, 403: Message},
    openapi_extra=SYNC_BODY,
)
def offline_sync(request):
    """Sync the phone's offline queue; each item is written once whatever the retries."""
    return 200, offline.offline_sync(
        actor=request.user,
        items=request.POST.get("items"),
        sent_at=request.POST.get("sent_at"),
        photos=request.FILES,
    )
