"""What the offline tests share: items as the phone queues them, and a sync through the API as
the offline page sends it (multipart: items JSON, the device's send time, a part per photo)."""

import json
import uuid
from datetime import datetime, timedelta

from django.utils import timezone

from points.models import Entry
from tests.support.points_world import photo
from village.models import AuditEvent

SYNC = "/api/v1/offline/sync"


def key() -> str:
    return str(uuid.uuid4())


def entry_item(household, rule="HJ01", *, at=None, photo_part="", **fields) -> dict:
    """A points entry as the phone queued it `at` (device time; default a minute ago)."""
    return {
        "key": key(),
        "kind": "entry",
        "recorded_at": (at or timezone.now() - timedelta(minutes=1)).isoformat(),
        "household": household.pk,
        "rule": rule,
        "reason": fields.pop("reason", ""),
        "photo": photo_part,
        **fields,
    }


def event_item(area, *, at=None, **fields) -> dict:
    return {
        "key": key(),
        "kind": "event",
        "recorded_at": (at or timezone.now() - timedelta(minutes=1)).isoformat(),
        "area": area.pk,
        "category": fields.pop("category", "environment"),
        "text": fields.pop("text", "山路边排水沟堵了"),
        "place": fields.pop("place", "后山小路"),
        **fields,
    }


def told_item(household, notice, *, at=None) -> dict:
    return {
        "key": key(),
        "kind": "told",
        "recorded_at": (at or timezone.now() - timedelta(minutes=1)).isoformat(),
        "household": household.pk,
        "notice": notice.pk,
        "channel": "in_person",
        "note": "在地头说的",
    }


def sync_api(client, items, *, sent_at: datetime | None = None, photos=None, raw=None, **headers):
    """POST the batch as the offline page does; `raw` sends `items` as given (bad input)."""
    data = {
        "items": raw if raw is not None else json.dumps(items),
        "sent_at": (sent_at or timezone.now()).isoformat(),
        **(photos or {}),
    }
    return client.post(SYNC, data, **headers)


def answers(response) -> dict:
    """The per-item answers by key."""
    return {a["key"]: a for a in response.json()["items"]}


def offline_chain(**filters):
    return AuditEvent.objects.filter(action="grid.offline.sync", **filters)


def entries_by(actor):
    return Entry.objects.filter(recorded_by=actor)


def png(name="door.png"):
    return photo(name)


def not_an_image(name="door.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, b"this is not a picture", content_type="image/png")
