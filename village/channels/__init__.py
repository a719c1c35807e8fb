"""The channels the outbox sends through, behind one interface.

A backend takes an `Outgoing` message and either returns `Sent` (the provider took it) or raises
`SendError`: temporary (try again later), permanent (never), or gone (the device unsubscribed).
Which backend serves a channel is a setting (`CUNZHI_SMS_BACKEND`, `CUNZHI_PUSH_BACKEND`).

A later channel (WeChat subscribe messages) is one more module with a `send` like these and a
line in `backend()`: it needs the official account's AppID and secret, a template id per
message kind, and each villager's openid (bound when they open the site inside WeChat)."""

from django.conf import settings

from . import push, sms
from .base import Backend, Outgoing, SendError, Sent

__all__ = ["Backend", "Outgoing", "SendError", "Sent", "backend"]


def _backend(channel: str, name: str) -> Backend:
    found = {
        ("sms", "console"): sms.ConsoleBackend,
        ("sms", "file"): sms.FileBackend,
        ("sms", "aliyun"): sms.AliyunBackend,
        ("push", "webpush"): push.WebPushBackend,
        ("push", "off"): push.OffBackend,
    }.get((channel, name))
    if found is None:
        raise LookupError(f"no {channel} backend named {name!r}")
    return found()  # each reads its settings when it sends


def backend(channel: str) -> Backend:
    name = {"sms": settings.CUNZHI_SMS_BACKEND, "push": settings.CUNZHI_PUSH_BACKEND}[channel]
    return _backend(channel, name)
