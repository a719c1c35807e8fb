"""Writes of the roster: grids, households and villagers."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
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
    household = _household_save(village, number=number, area=area, address=address, status=status)
    audit.record(
        actor=actor,
        action="village.household.create",
        obj=household,
        payload=_household_payload(household),
    )
    return household


def _household_save(village: Village, *, number, area, address="", status=None) -> Household:
    household = Household(village=village, number=number, area=area, address=address)
    if status:
        household.status = status
    household.full_clean()
    household.save()
    return household


def _household_payload(household: Household) -> dict:
    return fields_of(household, ["number", "area", "address", "status"])


@transaction.atomic
def household_update(*, actor, household: Household, **changes) -> Household:
    require(actor, Action.CHANGE_ROSTER, household.village)
    unknown = set(changes) - set(HOUSEHOLD_FIELDS)
    if unknown:
        raise ValidationError(_("不能修改这些字段：%s") % ", ".join(sorted(unknown)))
    household, diff = _household_change(household, changes)
    if diff:
        audit.record(actor=actor, action="village.household.update", obj=household, payload=diff)
    return household


def _household_change(household: Household, changes: dict) -> tuple[Household, dict]:
    """Change the stored row (locked) and save it; returns it and what changed."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    diff = apply_changes(household, changes)
    household.full_clean()
    household.save()
    return household, diff


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
    villager = _villager_new(village, fields)
    villager.full_clean()
    return villager


def _villager_new(village: Village, fields: dict) -> Villager:
    unknown = set(fields) - set(VILLAGER_FIELDS)
    if unknown:
        raise ValidationError(_("未知字段：%s") % ", ".join(sorted(unknown)))
    if fields.get("id_number"):
        fields["id_number"] = fields["id_number"].strip().upper()
    return Villager(village=village, **fields)


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
    diff = _villager_change(villager, changes)
    if diff:
        audit.record(
            actor=actor, action="village.villager.update", obj=villager, payload=redact(diff)
        )
    return villager


def _villager_change(villager: Villager, changes: dict) -> dict:
    """Apply `changes` to the stored (locked) row and save it; returns what changed."""
    if changes.get("id_number"):
        changes = {**changes, "id_number": changes["id_number"].strip().upper()}
    diff = apply_changes(villager, changes)
    villager.full_clean()
    villager.save()
    return diff


# --- many at once ---------------------------------------------------------------
# A roster entered in one go (an import, the demo): each row validated, saved with its history
# and written to the chain exactly as the single services would, in the same order, but the
# chain's head is locked, extended and sealed once rather than once per row.


@transaction.atomic
def households_create(*, actor, village: Village, households: list[dict]) -> list[Household]:
    """`household_create` for each of `households` (its keyword arguments)."""
    require(actor, Action.CHANGE_ROSTER, village)
    created = [_household_save(village, **fields) for fields in households]
    events = [audit.Event("village.household.create", h, _household_payload(h)) for h in created]
    if events:
        audit.record_many(actor=actor, events=events, village=village)
    return created


@transaction.atomic
def villagers_create(*, actor, village: Village, people: list[dict]) -> list[Villager]:
    """`villager_create` for each of `people` (its keyword arguments, `make_head` included)."""
    require(actor, Action.CHANGE_ROSTER, village)
    people = [dict(fields) for fields in people]
    ours = set(
        Household.objects.filter(
            village=village, pk__in={getattr(f.get("household"), "pk", None) for f in people}
        ).values_list("pk", flat=True)
    )
    villagers, events = [], []
    for fields in people:
        make_head = fields.pop("make_head", False)
        villager = _villager_insert(village, ours, fields)
        villagers.append(villager)
        events.append(audit.Event("village.villager.create", villager, _villager_payload(villager)))
        if make_head:
            household, diff = _household_change(villager.household, {"head": villager})
            if diff:
                events.append(audit.Event("village.household.update", household, diff))
    if events:
        audit.record_many(actor=actor, events=events, village=village)
    return villagers


def _villager_insert(village: Village, households: set[int], fields: dict) -> Villager:
    """One row of a batch, checked as `villager_build` checks it but without a query per row:
    the households were read together, and the database's constraints (one ID number per
    village, the representative's term in order) refuse a row, which the full check then
    explains in the single service's words."""
    villager = _villager_new(village, fields)
    if getattr(villager.household, "pk", None) not in households:
        villager.full_clean()  # not a household of this village: says so
    villager.full_clean(
        exclude=["village", "household"], validate_unique=False, validate_constraints=False
    )
    try:
        with transaction.atomic():
            villager.save()
    except IntegrityError:
        villager.full_clean()
        raise
    return villager


@transaction.atomic
def villagers_update(*, actor, village: Village, villagers: list[Villager], **changes) -> list:
    """`villager_update` with the same `changes` for each of `villagers` (of `village`)."""
    require(actor, Action.CHANGE_ROSTER, village)
    unknown = set(changes) - set(VILLAGER_FIELDS)
    if unknown:
        raise ValidationError(_("不能修改这些字段：%s") % ", ".join(sorted(unknown)))
    # Locked in primary-key order (as concurrent writers lock them), changed in the caller's.
    ids = [v.pk for v in villagers]
    stored = Villager.objects.select_for_update().filter(village=village, pk__in=ids)
    by_id = {v.pk: v for v in stored.order_by("pk")}
    if len(by_id) != len(set(ids)):
        raise ValidationError(_("只能修改本村的村民。"))
    updated, events = [], []
    for pk in ids:
        villager = by_id[pk]
        diff = _villager_change(villager, changes)
        updated.append(villager)
        if diff:
            events.append(audit.Event("village.villager.update", villager, redact(diff)))
    if events:
        audit.record_many(actor=actor, events=events, village=village)
    return updated
