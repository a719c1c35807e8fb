"""Log in with a username or a villager's phone number; grant admin access by role."""

import re

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

PHONE = re.compile(r"^1\d{10}$")


def find_user(login: str):
    """The active account behind a username or a villager's phone number, or None."""
    login = (login or "").strip()
    if not login:
        return None
    User = get_user_model()
    user = User._default_manager.filter(username=login).first()
    if user is None and PHONE.match(login):
        matches = list(User._default_manager.filter(villager__phone=login)[:2])
        # A phone shared by two accounts identifies neither.
        user = matches[0] if len(matches) == 1 else None
    return user


def axes_username(request, credentials=None):
    """The name django-axes counts failures under: the account a login is aimed at.

    A villager may log in by phone or by username; without this, failures by phone and by
    username were counted apart (ten tries instead of five) and a successful login, which axes
    records under the account's username, did not clear the failures made by phone.
    """
    login = (credentials or {}).get("username")
    if login is None and request is not None:
        login = getattr(request, "POST", {}).get("username")
    user = find_user(login) if login else None
    return user.get_username() if user is not None else login


class PhoneOrUsernameBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = find_user(username)
        if user is None:
            # Run the hasher anyway so timing does not reveal which logins exist.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def has_perm(self, user_obj, perm, obj=None):
        if perm == "wagtailadmin.access_admin" and user_obj.is_active:
            from .permissions import Action, can

            if can(user_obj, Action.ACCESS_ADMIN):
                return True
        return super().has_perm(user_obj, perm, obj)


def lockout_response(request, original_response=None, credentials=None):
    """Axes lock-out: JSON 429 for the API, a readable page for people."""
    from django.conf import settings
    from django.http import JsonResponse
    from django.shortcuts import render
    from django.utils.translation import gettext as _

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _("登录失败次数过多，账号已暂时锁定，请 %(m)d 分钟后再试，或联系村委会。") % {
        "m": minutes
    }
    if request.path.startswith("/api/"):
        return JsonResponse({"message": message, "code": "locked_out"}, status=429)
    return render(request, "village/locked_out.html", {"message": message}, status=429)
