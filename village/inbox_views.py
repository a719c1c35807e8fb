"""我的消息: the signed-in user's inbox on the web, their choice of channels and this device's
push subscription; the service worker and the manifest that make the site an app."""

import json

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import permissions, selectors, services
from .models import Delivery


class PreferenceForm(forms.Form):
    push = forms.BooleanField(label=gettext_lazy("手机推送"), required=False)
    sms = forms.BooleanField(label=gettext_lazy("短信（家中无人有账号时发给户主）"), required=False)


@login_required
def inbox(request):
    villager = permissions.villager_of(request.user)
    preference = selectors.reach_preference_of(villager) if villager is not None else None
    form = (
        PreferenceForm(initial={"push": preference.push, "sms": preference.sms})
        if preference is not None
        else None
    )
    return render(
        request,
        "village/inbox.html",
        {
            "items": selectors.inbox_of(request.user),
            "form": form,
            "vapid_key": settings.CUNZHI_VAPID_PUBLIC_KEY,
        },
    )


@login_required
def inbox_open(request, delivery_id: int):
    """Opening a message marks it read and goes to what it is about."""
    try:
        delivery = services.inbox_mark_read(user=request.user, delivery_id=delivery_id)
    except Delivery.DoesNotExist as exc:
        raise Http404 from exc
    url = delivery.notification.url
    if not url or not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        url = reverse("village:inbox")
    return redirect(url)


@login_required
@require_POST
def inbox_preferences(request):
    form = PreferenceForm(request.POST)
    form.is_valid()  # two checkboxes: an absent one is "off"
    try:
        services.reach_preference_set(
            actor=request.user,
            push=form.cleaned_data.get("push", False),
            sms=form.cleaned_data.get("sms", False),
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(request, _("消息接收方式已保存。站内消息始终保留，紧急通知照常发送。"))
    return redirect("village:inbox")


@login_required
@require_POST
def push_subscribe(request):
    """This device's subscription (the browser's PushSubscription as JSON), from pwa.js."""
    try:
        data = json.loads(request.body or b"{}")
        keys = data.get("keys") or {}
        subscription = services.push_subscribe(
            user=request.user,
            endpoint=str(data.get("endpoint", "")),
            p256dh=str(keys.get("p256dh", "")),
            auth=str(keys.get("auth", "")),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except (ValueError, AttributeError):
        return JsonResponse({"message": _("推送订阅格式不正确。")}, status=400)
    except ValidationError as exc:
        return JsonResponse({"message": "；".join(exc.messages)}, status=400)
    return JsonResponse({"id": subscription.pk}, status=201)


def service_worker(request):
    """/sw.js at the root, so its scope is the whole site."""
    response = render(request, "village/sw.js", content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    return response


def manifest(request):
    """The web app manifest: the site installs on a phone's home screen as 村治."""
    icons = [
        {"src": static(f"village/icon-{n}.png"), "sizes": f"{n}x{n}", "type": "image/png"}
        for n in (192, 512)
    ]
    body = {
        "name": _("村治 · 村务公开"),
        "short_name": _("村治"),
        "lang": "zh-CN",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b8322a",
        "icons": icons,
    }
    return JsonResponse(
        body, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False}
    )
