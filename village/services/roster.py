"""Writes of the roster: grids, households and villagers."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import audit
from ..models import (
    Grid,
    Household,
    Village,
    Villager,
)
from ..permissions import Action, require
from .changes import apply_changes, fields_of, redact

# --- grids --------------------------------------------------------------------


@transaction.atomic
def grid_create(*, actor, village: Village, name: str, level: str, parent=None) -> Grid:
    require(actor, Action.CHANGE_ROSTER, village)
    grid = Grid(village=village, name=name, level=level, parent=parent)
    grid.full_clean()
    grid.save()
    audit.record(
        actor=actor,
        action="village.grid.create",
        obj=grid,
        payload=fields_of(grid, ["name", "level", "parent"]),
    )
    return grid


@transaction.atomic
def grid_update(*, actor, grid: Grid, **changes) -> Grid:
    require(actor, Action.CHANGE_ROSTER, grid.village)
    changes.pop("village", None)
    # The stored row, not the caller's object: the admin's form has already set the new values
    # on its instance, and the change would be measured against itself (no audit event).
    grid = Grid.objects.select_for_update().get(pk=grid.pk)
    diff = apply_changes(grid, changes)
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
    require(actor, Action.CHANGE_ROSTER, village)
    household = Household(village=village, number=number, area=area, address=address)
    if status:
        household.status = status
    household.full_clean()
    household.save()
    audit.record(
        actor=actor,
        action="village.household.create",
        obj=household,
        payload=fields_of(household, ["number", "area", "address", "status"]),
    )
    return household


@transaction.atomic
def household_update(*, actor, household: Household, **changes) -> Household:
    require(actor, Action.CHANGE_ROSTER, household.village)
    unknown = set(changes) - set(HOUSEHOLD_FIELDS)
    if unknown:
        raise ValidationError(_("不能修改这些字段：%s") % ", ".join(sorted(unknown)))
    household = Household.objects.select_for_update().get(pk=household.pk)
    diff = apply_changes(household, changes)
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
    payload = fields_of(villager, [f for f in VILLAGER_FIELDS if f != "id_number"])
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
    require(actor, Action.CHANGE_ROSTER, village)
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
    require(actor, Action.CHANGE_ROSTER, villager.village)
    unknown = set(changes) - set(VILLAGER_FIELDS)
    if unknown:
        raise ValidationError(_("不能修改这些字段：%s") % ", ".join(sorted(unknown)))
    villager = Villager.objects.select_for_update().get(pk=villager.pk)
    if changes.get("id_number"):
        changes["id_number"] = changes["id_number"].strip().upper()
    diff = apply_changes(villager, changes)
    villager.full_clean()
    villager.save()
    if diff:
        audit.record(
            actor=actor, action="village.villager.update", obj=villager, payload=redact(diff)
        )
    return villager
