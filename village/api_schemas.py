"""Schemas every API router shares: the error answer. Its own module, so that the routers the
API root imports can use it without importing the root."""

from ninja import Schema


class Message(Schema):
    message: str
    code: str | None = None
