"""Accounts: one-time activation codes, and logins given or activated."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit, extensions
from ..models import (
    ActivationCode,
    Village,
    Villager,
    VillagerStatus,
)
from ..permissions import Action, require, user_of
from .codes import code_digest, format_code, new_code
from .proxies import proxy_activate

# --- accounts -------------------------------------------------------------------


@transaction.atomic
def activation_code_issue(*, actor, villager: Villager) -> tuple[ActivationCode, str]:
    """Issue a one-time code; earlier unused codes of the villager are revoked.

    Returns the stored row and the plaintext, which exists only on the printed slip.
    """
    require(actor, Action.ISSUE_ACTIVATION, villager.village)
    if villager.status != VillagerStatus.REGISTERED:
        raise ValidationError(_("只能为在册村民签发激活码。"))
    if not villager.phone:
        raise ValidationError(_("请先为该村民登记手机号，激活后用手机号登录。"))
    now = timezone.now()
    ActivationCode.objects.filter(
        villager=villager, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    code = new_code()
    row = ActivationCode.objects.create(
        villager=villager,
        code_hash=code_digest(code),
        issued_by=user_of(actor),
        issued_at=now,
        expires_at=now + timedelta(days=settings.CUNZHI_ACTIVATION_CODE_DAYS),
    )
    audit.record(
        actor=actor,
        action="village.activation.issue",
        obj=villager,
        payload={"activation_code_id": row.pk, "expires_at": row.expires_at},
    )
    return row, format_code(code)


@transaction.atomic
def account_create(*, actor, villager: Villager, username: str, password: str):
    """Give a villager a login directly (demo data, or a cadre at the counter)."""
    require(actor, Action.ISSUE_ACTIVATION, villager.village)
    if villager.user_id:
        raise ValidationError(_("该村民已有账号。"))
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise ValidationError(_("用户名已被使用。"))
    user = _login_give(villager, username, password)
    audit.record(
        actor=actor, action="village.account.create", obj=villager, payload={"username": username}
    )
    extensions.roles_changed(user)
    return user


def _login_give(villager: Villager, username: str, password: str):
    """The villager's new user, bound to them (the username checked free by the caller)."""
    user = get_user_model()(username=username, first_name=villager.name)
    user.set_password(password)
    user.save()
    villager.user = user
    villager.save(update_fields=["user"])
    return user


@transaction.atomic
def accounts_create(
    *, actor, village: Village, accounts: list[tuple[Villager, str]], password: str
) -> list:
    """`account_create` for each (villager of `village`, username), in one locked step: the same
    users, rows and chain events; refused whole if any row would be."""
    require(actor, Action.ISSUE_ACTIVATION, village)
    ids = [villager.pk for villager, _username in accounts]
    stored = Villager.objects.select_for_update().filter(village=village, pk__in=ids)
    by_id = {villager.pk: villager for villager in stored.order_by("pk")}
    if len(by_id) != len(set(ids)):
        raise ValidationError(_("只能修改本村的村民。"))
    usernames = [username for _villager, username in accounts]
    User = get_user_model()
    if (
        len(set(usernames)) != len(usernames)
        or User.objects.filter(username__in=usernames).exists()
    ):
        raise ValidationError(_("用户名已被使用。"))
    users, events = [], []
    for given, username in accounts:
        villager = by_id[given.pk]
        if villager.user_id:
            raise ValidationError(_("该村民已有账号。"))
        users.append(_login_give(villager, username, password))
        events.append(audit.Event("village.account.create", villager, {"username": username}))
    if events:
        audit.record_many(actor=actor, events=events, village=village)
    for user in users:
        extensions.roles_changed(user)
    return users


@transaction.atomic
def account_activate(*, phone: str, code: str, password: str):
    """A villager turns a printed code into an account (username = phone)."""
    error = ValidationError(_("手机号或激活码不正确，或激活码已失效。"))
    row = (
        ActivationCode.objects.select_for_update()
        .select_related("villager__village")
        .filter(code_hash=code_digest(code or ""))
        .first()
    )
    now = timezone.now()
    if row is None:
        # Not a villager's code: a 亲情账号's, or none.
        user = proxy_activate(phone=phone, code=code, password=password)
        if user is None:
            raise error
        return user
    if (
        row.used_at
        or row.revoked_at
        or row.expires_at < now
        or row.villager.phone != (phone or "").strip()
    ):
        raise error
    villager = row.villager
    if villager.status != VillagerStatus.REGISTERED:
        raise error
    User = get_user_model()
    user = villager.user
    if user is None:
        if User.objects.filter(username=villager.phone).exists():
            raise ValidationError(_("该手机号已被其他账号使用，请联系村委会。"))
        user = User(username=villager.phone, first_name=villager.name)
    validate_password(password, user)
    user.set_password(password)
    user.is_active = True
    user.save()
    if villager.user_id is None:
        villager.user = user
        villager.save(update_fields=["user"])
    row.used_at = now
    row.save(update_fields=["used_at"])
    audit.record(
        actor=user,
        action="village.activation.use",
        obj=villager,
        payload={"activation_code_id": row.pk},
    )
    extensions.roles_changed(user)
    return user
