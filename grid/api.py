"""The grid app's JSON API under /api/v1/: events (随手拍)."""

from ninja import Router

router = Router(tags=["grid"])
