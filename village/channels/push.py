"""Web Push (RFC 8030, payloads encrypted per RFC 8291, VAPID per RFC 8292) through pywebpush:
the message reaches the phone where the villager installed the site, even with it closed."""

import json

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from pywebpush import WebPushException, webpush

from .base import Backend, Outgoing, SendError, Sent

# How long a push service keeps a message for a phone that is off: a day, the reach window.
TTL_SECONDS = 24 * 3600


def payload(message: Outgoing) -> str:
    """What the service worker receives (static/village/sw.js shows it)."""
    return json.dumps(
        {
            "title": message.title,
            "body": message.body,
            "url": message.url,
            "tag": message.key,
            "village": message.village,
        },
        ensure_ascii=False,
    )


class WebPushBackend(Backend):
    channel = "push"

    def send(self, message: Outgoing) -> Sent:
        if not settings.CUNZHI_VAPID_PRIVATE_KEY:
            raise SendError(_("手机推送未配置（缺少 VAPID 密钥）。"), permanent=True)
        headers = {
            "Urgency": "high" if message.urgent else "normal",
            # A later message of the same event replaces an undelivered one, never doubles it.
            "Topic": message.key.replace(":", "-")[:32],
        }
        try:
            response = webpush(
                message.subscription,
                payload(message),
                vapid_private_key=settings.CUNZHI_VAPID_PRIVATE_KEY,
                vapid_claims={"sub": settings.CUNZHI_VAPID_SUBJECT},
                ttl=TTL_SECONDS,
                timeout=settings.CUNZHI_PUSH_TIMEOUT,
                headers=headers,
            )
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in (404, 410):
                raise SendError(_("该设备已取消订阅。"), gone=True) from exc
            temporary = status is None or status == 429 or status >= 500
            raise SendError(
                _("推送服务拒绝：%s") % (status or exc.message), permanent=not temporary
            ) from exc
        except requests.RequestException as exc:
            raise SendError(_("推送服务连接失败：%s") % exc.__class__.__name__) from exc
        return Sent(ref=response.headers.get("Location", "")[:100] if response else "")


class OffBackend(Backend):
    """No push at all (an installation without VAPID keys that wants no failures shown)."""

    channel = "push"

    def send(self, message: Outgoing) -> Sent:
        raise SendError(_("本站未开通手机推送。"), permanent=True)
