"""Every write of the village core. Each service checks permission, validates, saves
atomically and records the event in the audit chain (and so in Wagtail's log)."""

import hashlib
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit, extensions
from .models import (
    ActivationCode,
    Grid,
    Household,
    Membership,
    RuleSet,
    Township,
    TownshipMembership,
    Village,
    Villager,
    VillagerStatus,
)
from .permissions import Action, forget_roles, require


def _require(actor, action, target) -> None:
    # `actor=None` is the system itself (demo loader, management commands).
    if actor is not None:
        require(actor, action, target)


def _fields(obj, names) -> dict:
    return {name: getattr(obj, name + "_id", getattr(obj, name, None)) for name in names}


def _apply(obj, changes: dict) -> dict:
    """Set fields on `obj`; return {field: [old, new]} for those that changed."""
    diff = {}
    for name, value in changes.items():
        field = obj._meta.get_field(name)
        attname = field.attname
        old = getattr(obj, attname)
        setattr(obj, name, value)
        new = getattr(obj, attname)
        if old != new:
            diff[name] = [old, new]
    return diff


def _redact(diff: dict) -> dict:
    # The chain is read by inspectors: never put a whole ID number in it.
    if "id_number" in diff:
        from .models import mask_id_number

        diff = {**diff, "id_number": [mask_id_number(v or "") for v in diff["id_number"]]}
    return diff


# --- villages -----------------------------------------------------------------


@transaction.atomic
def village_create(*, actor, township: Township, name: str, code: str, **rules) -> Village:
    if actor is not None and not actor.is_superuser:
        require(actor, Action.CHANGE_RULES, Village(township=township))
    village = Village(township=township, name=name, code=code, seal_number=code.upper())
    village.full_clean()
    village.save()
    ruleset = RuleSet(village=village, **rules)
    ruleset.full_clean()
    ruleset.save()
    audit.record(actor=actor, action="village.village.create", obj=village, payload={"name": name})
    return village


@transaction.atomic
def ruleset_update(*, actor, ruleset: RuleSet, **changes) -> RuleSet:
    _require(actor, Action.CHANGE_RULES, ruleset.village)
    ruleset = RuleSet.objects.select_for_update().get(pk=ruleset.pk)
    diff = _apply(ruleset, changes)
    ruleset.full_clean()
    ruleset.save()
    if diff:
        audit.record(
            actor=actor,
            action="village.rules.update",
            obj=ruleset,
            village=ruleset.village,
            payload={"changes": diff, "sources": {k: RuleSet.source(k) for k in diff}},
        )
    return ruleset


# --- grids --------------------------------------------------------------------


@transaction.atomic
def grid_create(*, actor, village: Village, name: str, level: str, parent=None) -> Grid:
    _require(actor, Action.CHANGE_ROSTER, village)
    grid = Grid(village=village, name=name, level=level, parent=parent)
    grid.full_clean()
    grid.save()
    audit.record(
        actor=actor,
        action="village.grid.create",
        obj=grid,
        payload=_fields(grid, ["name", "level", "parent"]),
    )
    return grid


@transaction.atomic
def grid_update(*, actor, grid: Grid, **changes) -> Grid:
    _require(actor, Action.CHANGE_ROSTER, grid.village)
    changes.pop("village", None)
    diff = _apply(grid, changes)
    grid.full_clean()
    grid.save()
    if diff:
        audit.record(actor=actor, action="village.grid.update", obj=grid, payload=diff)
    return grid


# --- households ---------------------------------------------------------------


HOUSEHOLD_FIELDS = ["number", "area", "address", "head", "status", "merged_into"]


@transaction.atomic
def household_create(
    *, actor, village: Village, number: str, area: Grid, address: str = "", status=None
) -> Household:
    _require(actor, Action.CHANGE_ROSTER, village)
    household = Household(village=village, number=number, area=area, address=address)
    if status:
        household.status = status
    household.full_clean()
    household.save()
    audit.record(
        actor=actor,
        action="village.household.create",
        obj=household,
        payload=_fields(household, ["number", "area", "address", "status"]),
    )
    return household


@transaction.atomic
def household_update(*, actor, household: Household, **changes) -> Household:
    _require(actor, Action.CHANGE_ROSTER, household.village)
    unknown = set(changes) - set(HOUSEHOLD_FIELDS)
    if unknown:
        raise ValidationError(_("不能修改这些字段：%s") % ", ".join(sorted(unknown)))
    household = Household.objects.select_for_update().get(pk=household.pk)
    diff = _apply(household, changes)
    household.full_clean()
    household.save()
    if diff:
        audit.record(actor=actor, action="village.household.update", obj=household, payload=diff)
    return household


# --- villagers ----------------------------------------------------------------

VILLAGER_FIELDS = [
    "household",
    "name",
    "id_number",
    "birth_date",
    "gender",
    "phone",
    "relation_to_head",
    "status",
    "party_membership",
    "is_representative",
    "representative_from",
    "representative_to",
]


def villager_build(*, village: Village, **fields) -> Villager:
    unknown = set(fields) - set(VILLAGER_FIELDS)
    if unknown:
        raise ValidationError(_("未知字段：%s") % ", ".join(sorted(unknown)))
    if fields.get("id_number"):
        fields["id_number"] = fields["id_number"].strip().upper()
    villager = Villager(village=village, **fields)
    villager.full_clean()
    return villager


def _villager_payload(villager: Villager) -> dict:
    payload = _fields(villager, [f for f in VILLAGER_FIELDS if f != "id_number"])
    payload["id_number"] = villager.masked_id_number
    return payload


@transaction.atomic
def villager_id_number_reveal(*, actor, villager: Villager) -> str:
    """The whole ID number, for the village's staff only, each time written to the chain."""
    require(actor, Action.VIEW_ID_NUMBER, villager.village)
    audit.record(
        actor=actor,
        action="village.villager.reveal_id_number",
        obj=villager,
        village=villager.village,
        payload={"id_number": villager.masked_id_number},
    )
    return villager.id_number


@transaction.atomic
def villager_create(*, actor, village: Village, make_head: bool = False, **fields) -> Villager:
    _require(actor, Action.CHANGE_ROSTER, village)
    villager = villager_build(village=village, **fields)
    villager.save()
    audit.record(
        actor=actor,
        action="village.villager.create",
        obj=villager,
        payload=_villager_payload(villager),
    )
    if make_head:
        household_update(actor=actor, household=villager.household, head=villager)
    return villager


@transaction.atomic
def villager_update(*, actor, villager: Villager, **changes) -> Villager:
    _require(actor, Action.CHANGE_ROSTER, villager.village)
    unknown = set(changes) - set(VILLAGER_FIELDS)
    if unknown:
        raise ValidationError(_("不能修改这些字段：%s") % ", ".join(sorted(unknown)))
    villager = Villager.objects.select_for_update().get(pk=villager.pk)
    if changes.get("id_number"):
        changes["id_number"] = changes["id_number"].strip().upper()
    diff = _apply(villager, changes)
    villager.full_clean()
    villager.save()
    if diff:
        audit.record(
            actor=actor, action="village.villager.update", obj=villager, payload=_redact(diff)
        )
    return villager


# --- memberships ----------------------------------------------------------------


@transaction.atomic
def membership_create(
    *,
    actor,
    village: Village,
    villager: Villager,
    role: str,
    start: date,
    end: date | None = None,
    grid: Grid | None = None,
    note: str = "",
) -> Membership:
    _require(actor, Action.CHANGE_MEMBERSHIP, village)
    membership = Membership(
        village=village, villager=villager, role=role, start=start, end=end, grid=grid, note=note
    )
    membership.full_clean()
    overlapping = (
        Membership.objects.filter(villager=villager, role=role, grid=grid)
        .exclude(end__lt=start)
        .exclude(start__gt=end or date.max)
    )
    if overlapping.exists():
        raise ValidationError(_("该村民在这段时间已担任此职务。"))
    membership.save()
    audit.record(
        actor=actor,
        action="village.membership.create",
        obj=membership,
        payload=_fields(membership, ["villager", "role", "grid", "start", "end"]),
    )
    if villager.user_id:
        forget_roles(villager.user)
        extensions.roles_changed(villager.user)
    return membership


@transaction.atomic
def membership_update(
    *, actor, membership: Membership, _action="village.membership.update", **changes
) -> Membership:
    _require(actor, Action.CHANGE_MEMBERSHIP, membership.village)
    changes = {k: v for k, v in changes.items() if k in {"start", "end", "grid", "note", "role"}}
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    diff = _apply(membership, changes)
    membership.full_clean()
    membership.save()
    if diff:
        audit.record(actor=actor, action=_action, obj=membership, payload=diff)
        if membership.villager.user_id:
            forget_roles(membership.villager.user)
            extensions.roles_changed(membership.villager.user)
    return membership


def membership_end(*, actor, membership: Membership, end: date) -> Membership:
    """Roles are ended, never deleted: the past attendance lists depend on them."""
    if end < membership.start:
        raise ValidationError({"end": _("任职止日期不能早于起始日期。")})
    return membership_update(
        actor=actor, membership=membership, end=end, _action="village.membership.end"
    )


@transaction.atomic
def township_membership_create(
    *, actor, township: Township, user, role: str, start: date, end: date | None = None
) -> TownshipMembership:
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied(_("只有系统管理员可以任命乡镇职务。"))
    membership = TownshipMembership(township=township, user=user, role=role, start=start, end=end)
    membership.full_clean()
    membership.save()
    audit.record(
        actor=actor,
        action="village.township_membership.create",
        obj=membership,
        township=township,
        payload={"user": user.get_username(), "role": role, "start": start, "end": end},
    )
    forget_roles(user)
    return membership


# --- accounts -------------------------------------------------------------------

# No 0/O, 1/I/L: the code is typed by hand from a printed slip.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10


def _code_digest(code: str) -> str:
    normalised = code.replace("-", "").replace(" ", "").upper()
    return hashlib.sha256(f"{settings.SECRET_KEY}:{normalised}".encode()).hexdigest()


def format_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


@transaction.atomic
def activation_code_issue(*, actor, villager: Villager) -> tuple[ActivationCode, str]:
    """Issue a one-time code; earlier unused codes of the villager are revoked.

    Returns the stored row and the plaintext, which exists only on the printed slip.
    """
    _require(actor, Action.ISSUE_ACTIVATION, villager.village)
    if villager.status != VillagerStatus.REGISTERED:
        raise ValidationError(_("只能为在册村民签发激活码。"))
    if not villager.phone:
        raise ValidationError(_("请先为该村民登记手机号，激活后用手机号登录。"))
    now = timezone.now()
    ActivationCode.objects.filter(
        villager=villager, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
    row = ActivationCode.objects.create(
        villager=villager,
        code_hash=_code_digest(code),
        issued_by=actor,
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
    _require(actor, Action.ISSUE_ACTIVATION, villager.village)
    if villager.user_id:
        raise ValidationError(_("该村民已有账号。"))
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise ValidationError(_("用户名已被使用。"))
    user = User(username=username, first_name=villager.name)
    user.set_password(password)
    user.save()
    villager.user = user
    villager.save(update_fields=["user"])
    audit.record(
        actor=actor, action="village.account.create", obj=villager, payload={"username": username}
    )
    extensions.roles_changed(user)
    return user


@transaction.atomic
def account_activate(*, phone: str, code: str, password: str):
    """A villager turns a printed code into an account (username = phone)."""
    error = ValidationError(_("手机号或激活码不正确，或激活码已失效。"))
    row = (
        ActivationCode.objects.select_for_update()
        .select_related("villager__village")
        .filter(code_hash=_code_digest(code or ""))
        .first()
    )
    now = timezone.now()
    if (
        row is None
        or row.used_at
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
