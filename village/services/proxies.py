"""亲情账号: the secretary binds a phone to a household as its family proxy, with an end
date; the secretary or the head of household ends it. A phone with no account gets a one-time
code, used on the same activation page as a villager's."""

import re
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit, extensions
from ..models import PHONE_RE, Household, HouseholdProxy, HouseholdStatus, Villager
from ..permissions import Action, can, require, user_of, villager_of
from .codes import code_digest, format_code, new_code

# The longest a binding may run before the secretary binds again (a worker's contract year,
# a study abroad): an account acting for a family is looked at again at least this often.
LONGEST = timedelta(days=3 * 366)
# Proxies of one household in force at once.
MOST_PER_HOUSEHOLD = 3


def _masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


def _check_phone_free(phone: str, household: Household, today) -> object | None:
    """The account of `phone`, if any, after refusing a phone that may not become a proxy."""
    user = get_user_model().objects.filter(username=phone).first()
    if (user is not None and villager_of(user) is not None) or (
        Villager.objects.filter(phone=phone).exists()
    ):
        # Its login is (or will be) the villager's own: one account never acts as two people.
        raise ValidationError(
            {
                "phone": _(
                    "这个手机号是村民本人的账号：村民用自己的账号；"
                    "如要做亲情账号，请用另一个手机号。"
                )
            }
        )
    taken = HouseholdProxy.objects.active_on(today).filter(phone=phone).first()
    if taken is None and user is not None:
        taken = HouseholdProxy.objects.active_on(today).filter(user=user).first()
    if taken is not None:
        if taken.household_id == household.pk:
            raise ValidationError({"phone": _("这个手机号已是本户的亲情账号。")})
        raise ValidationError(
            {"phone": _("这个手机号已是另一户的亲情账号：一个账号只能代一户，请先结束那一户的。")}
        )
    return user


def _end_expired(actor, phone: str, today) -> None:
    """Bindings of `phone` past their end date are ended now (their end date had already
    ended them for every permission): the phone may be bound again."""
    for proxy in HouseholdProxy.objects.select_for_update().filter(
        phone=phone, ended_at__isnull=True, ends_on__lt=today
    ):
        _end(actor, proxy, by="expiry", reason=_("已到期"))


@transaction.atomic
def proxy_bind(
    *, actor, household: Household, name: str, phone: str, relation: str, ends_on, starts_on=None
) -> tuple[HouseholdProxy, str | None]:
    """Bind `phone` to `household` until `ends_on`. Returns the binding and, for a phone with
    no account yet, the one-time code (plaintext only here, for the slip or a call)."""
    require(actor, Action.ISSUE_ACTIVATION, household.village)
    household = Household.objects.select_for_update().get(pk=household.pk)
    today = timezone.localdate()
    starts_on = starts_on or today
    name, relation, phone = (name or "").strip(), (relation or "").strip(), (phone or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("请填写亲情账号本人的姓名。")
    if not relation:
        errors["relation"] = _("请填写与户主的关系，例如：女儿。")
    if not re.match(PHONE_RE, phone):
        errors["phone"] = _("手机号应为11位数字，以1开头。")
    if ends_on is None or ends_on < max(starts_on, today):
        errors["ends_on"] = _("截止日期不能早于今天。")
    elif ends_on - starts_on > LONGEST:
        errors["ends_on"] = _("亲情账号最长绑定三年，到期可以再绑定。")
    if household.status != HouseholdStatus.ACTIVE:
        errors["household"] = _("这户已注销或并户，不能绑定亲情账号。")
    if errors:
        raise ValidationError(errors)
    _end_expired(actor, phone, today)
    user = _check_phone_free(phone, household, today)
    if HouseholdProxy.objects.active_on(today).filter(household=household).count() >= (
        MOST_PER_HOUSEHOLD
    ):
        raise ValidationError(_("每户最多同时有 %d 个亲情账号。") % MOST_PER_HOUSEHOLD)
    code = None
    proxy = HouseholdProxy(
        village=household.village,
        household=household,
        user=user,
        name=name,
        phone=phone,
        relation=relation,
        starts_on=starts_on,
        ends_on=ends_on,
        bound_by=user_of(actor),
    )
    if user is None:
        code = new_code()
        proxy.code_hash = code_digest(code)
        proxy.code_expires_at = timezone.now() + timedelta(
            days=settings.CUNZHI_ACTIVATION_CODE_DAYS
        )
    try:
        with transaction.atomic():
            proxy.save()
    except IntegrityError:
        # Bound to another household a moment ago, by another request.
        raise ValidationError(
            {"phone": _("这个手机号刚刚被绑定为另一户的亲情账号，请刷新后再看。")}
        ) from None
    audit.record(
        actor=actor,
        action="village.proxy.bind",
        obj=proxy,
        village=household.village,
        payload={
            "household": household.pk,
            "name": name,
            "relation": relation,
            "phone": _masked(phone),
            "starts_on": starts_on,
            "ends_on": ends_on,
            "account": user.pk if user else None,
        },
    )
    if user is not None:
        extensions.roles_changed(user)
    return proxy, (format_code(code) if code else None)


@transaction.atomic
def proxy_end(*, actor, proxy: HouseholdProxy, reason: str = "") -> HouseholdProxy:
    """End a binding now: the secretary, or the head of the household it acts for."""
    proxy = HouseholdProxy.objects.select_for_update().select_related("household").get(pk=proxy.pk)
    villager = villager_of(actor)
    is_head = villager is not None and villager.pk == proxy.household.head_id
    if not (is_head or can(actor, Action.ISSUE_ACTIVATION, proxy.village)):
        raise PermissionDenied(_("只有户主或村党组织书记可以结束亲情账号。"))
    if proxy.ended_at is not None:
        raise ValidationError(_("这个亲情账号已经结束了。"))
    return _end(actor, proxy, by="head" if is_head else "cadre", reason=reason)


def _end(actor, proxy: HouseholdProxy, *, by: str, reason: str) -> HouseholdProxy:
    proxy.ended_at = timezone.now()
    proxy.ended_by = user_of(actor)
    proxy.end_reason = (reason or "").strip()[:200]
    proxy.code_hash = ""
    proxy.save()
    audit.record(
        actor=actor,
        action="village.proxy.end",
        obj=proxy,
        village=proxy.village,
        payload={"household": proxy.household_id, "by": by, "reason": proxy.end_reason},
    )
    return proxy


def proxy_activate(*, phone: str, code: str, password: str):
    """The proxy's phone turns its code into an account (called by `account_activate` when the
    code is no villager's). None when no binding holds this code."""
    now = timezone.now()
    proxy = (
        HouseholdProxy.objects.select_for_update()
        .filter(code_hash=code_digest(code or ""), user__isnull=True)
        .first()
    )
    if (
        proxy is None
        or proxy.ended_at is not None
        or proxy.code_expires_at is None
        or proxy.code_expires_at < now
        or proxy.ends_on < timezone.localdate()
        or proxy.phone != (phone or "").strip()
    ):
        return None
    User = get_user_model()
    if User.objects.filter(username=proxy.phone).exists():
        raise ValidationError(_("该手机号已被其他账号使用，请联系村委会。"))
    user = User(username=proxy.phone, first_name=proxy.name)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    proxy.user = user
    proxy.code_hash = ""
    proxy.save()
    audit.record(
        actor=user,
        action="village.proxy.activate",
        obj=proxy,
        village=proxy.village,
        payload={"household": proxy.household_id},
    )
    extensions.roles_changed(user)
    return user
