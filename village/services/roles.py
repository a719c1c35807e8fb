"""Writes of roles: dated village memberships and township memberships."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import audit, extensions
from ..models import (
    Grid,
    Membership,
    Township,
    TownshipMembership,
    Village,
    Villager,
)
from ..permissions import SYSTEM, Action, forget_roles, require
from .changes import apply_changes, fields_of

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
    require(actor, Action.CHANGE_MEMBERSHIP, village)
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
        payload=fields_of(membership, ["villager", "role", "grid", "start", "end"]),
    )
    if villager.user_id:
        forget_roles(villager.user)
        extensions.roles_changed(villager.user)
    return membership


@transaction.atomic
def membership_update(
    *, actor, membership: Membership, _action="village.membership.update", **changes
) -> Membership:
    require(actor, Action.CHANGE_MEMBERSHIP, membership.village)
    changes = {k: v for k, v in changes.items() if k in {"start", "end", "grid", "note", "role"}}
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    diff = apply_changes(membership, changes)
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
    if actor is not SYSTEM and not getattr(actor, "is_superuser", False):
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
