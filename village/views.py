"""The villager-facing front end of the core: home, login, activation, my household."""

import hashlib

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from . import extensions, permissions, selectors, services
from .models import HouseholdProxy


class PhoneLoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("手机号或用户名"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "username", "inputmode": "text"}
        ),
    )
    password = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": _("手机号/用户名或密码不正确。"),
        "inactive": _("该账号已停用，请联系村委会。"),
    }


class CunzhiLoginView(LoginView):
    template_name = "village/login.html"
    authentication_form = PhoneLoginForm
    redirect_authenticated_user = True


def home(request):
    if request.user.is_authenticated and not request.GET.get("portal"):
        own_site = extensions.home_for(request.user)
        if own_site:
            return redirect(own_site)
    context = {"sites": extensions.site_links()}
    if request.user.is_authenticated:
        context["household"] = selectors.household_for_user(request.user)
        context["villages"] = permissions.visible_villages(request.user)
        context["admin_access"] = permissions.can(request.user, permissions.Action.ACCESS_ADMIN)
    return render(request, "village/home.html", context)


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links; send them to the static one."""
    return redirect(static("village/favicon.ico"), permanent=True)


@login_required
def me(request):
    household = selectors.household_for_user(request.user)
    # The user's own villager record (from their roles: no query), None for a 亲情账号.
    villager_id = permissions.roles_of(request.user).villager_id
    members, proxies = [], []
    # A 亲情账号 reads the household's notices and points, not its members' particulars.
    if household is not None and villager_id is not None:
        # The household's 亲情账号, for all its members to see; its head may end them.
        proxies = list(household.proxies.active_on(timezone.localdate()).order_by("bound_at", "pk"))
        # The head first, then the others from the eldest. ID numbers masked for everyone,
        # staff included: the whole number only on a logged reveal in the roster admin.
        ordered = sorted(household.members.all(), key=lambda m: (m.pk != household.head_id,))
        for member in ordered:
            member.shown_id_number = member.masked_id_number
            members.append(member)
    return render(
        request,
        "village/me.html",
        {
            "household": household,
            "members": members,
            "proxies": proxies,
            "is_head": villager_id is not None and household.head_id == villager_id,
            # Other apps' sections (volunteer hours, 包联党员), each its own small read.
            "sections": extensions.me_sections(request, household, villager_id)
            if household is not None
            else [],
            "villages": permissions.visible_villages(request.user),
            "admin_access": permissions.can(request.user, permissions.Action.ACCESS_ADMIN),
        },
    )


class ActivationForm(forms.Form):
    phone = forms.RegexField(
        label=_("手机号"),
        regex=r"^1\d{10}$",
        error_messages={"invalid": _("请输入11位手机号。")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}),
    )
    code = forms.CharField(label=_("激活码"), max_length=20)
    password1 = forms.CharField(
        label=_("设置密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )
    password2 = forms.CharField(
        label=_("再次输入密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data


@require_http_methods(["GET", "POST"])
def activate(request):
    form = ActivationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.account_activate(
                phone=form.cleaned_data["phone"],
                code=form.cleaned_data["code"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            login(request, user, backend="village.auth.PhoneOrUsernameBackend")
            return redirect("village:me")
    status = 400 if request.method == "POST" else 200
    return render(request, "village/activate.html", {"form": form}, status=status)


@require_http_methods(["POST"])
def text_size(request):
    """The larger-type switch for elderly readers: a cookie, no JavaScript needed."""
    large = request.POST.get("size") == "large"
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = redirect(target)
    response.set_cookie(
        "text_size", "large" if large else "normal", max_age=365 * 86400, samesite="Lax"
    )
    return response


MAX_VERIFY_UPLOAD = 20 * 1024 * 1024


@require_http_methods(["GET", "POST"])
def verify(request, code):
    """Public: what a document is, who issued it and when, its fingerprint; an uploaded PDF is
    compared byte for byte (by SHA-256) with the one issued."""
    from . import documents

    document = documents.find(code)
    if document is None:
        return render(request, "village/verify_unknown.html", {"code": code}, status=404)
    result = None
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None or upload.size == 0:
            result = {"error": _("请选择要核对的 PDF 文件。")}
            status = 400
        elif upload.size > MAX_VERIFY_UPLOAD:
            result = {"error": _("文件超过 20 MB，不是本平台签发的文书。")}
            status = 400
        else:
            data = upload.read()
            result = {
                "genuine": documents.is_genuine(document, data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "name": upload.name,
            }
    return render(
        request, "village/verify.html", {"document": document, "result": result}, status=status
    )


@login_required
@require_POST
def proxy_end(request, proxy_id):
    """The head of household ends a 亲情账号 of their household (from 我的户)."""
    household = selectors.household_for_user(request.user)
    if household is None or permissions.villager_of(request.user) is None:
        raise Http404
    proxy = get_object_or_404(HouseholdProxy, pk=proxy_id, household=household)
    try:
        services.proxy_end(actor=request.user, proxy=proxy, reason=_("户主结束"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        return HttpResponseForbidden(str(exc))
    else:
        messages.success(request, _("已结束 %s 的亲情账号。") % proxy.name)
    return redirect("village:me")
