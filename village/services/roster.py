"""Writes of the roster: grids, households and villagers."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .. import audit
from ..models import (
    Grid,
    GridLevel,
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


def _household_save(
    village: Village, *, number, area, address="", status=None, areas: set[int] | None = None
) -> Household:
    """A new household saved; in a batch, `areas` are the village's areas read together, and a
    household in one of them is checked as `_save_checked` does."""
    household = Household(village=village, number=number, area=area, address=address)
    if status:
        household.status = status
    if areas is not None and household.area_id in areas:
        _save_checked(household, exclude=["village", "area"])
    else:
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


def _household_change(
    household: Household, changes: dict, *, in_batch: bool = False
) -> tuple[Household, dict]:
    """Change the stored row (locked) and save it; returns it and what changed. In a batch, the
    fields not changed are not checked again (see `_save_checked`)."""
    stored = Household.objects.select_for_update(of=("self",)).select_related("area")
    household = stored.get(pk=household.pk)
    diff = apply_changes(household, changes)
    if in_batch:
        _save_checked(household, exclude=_unchanged(household, changes))
    else:
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
    diff = apply_changes(villager, _normalised(changes))
    villager.full_clean()
    villager.save()
    return diff


def _normalised(changes: dict) -> dict:
    if changes.get("id_number"):
        return {**changes, "id_number": changes["id_number"].strip().upper()}
    return changes


# --- many at once ---------------------------------------------------------------
# A roster entered in one go (an import, the demo): each row validated, saved with its history
# and written to the chain exactly as the single services would, in the same order, but the
# chain's head is locked, extended and sealed once rather than once per row.


@transaction.atomic
def households_create(*, actor, village: Village, households: list[dict]) -> list[Household]:
    """`household_create` for each of `households` (its keyword arguments)."""
    require(actor, Action.CHANGE_ROSTER, village)
    areas = set(
        Grid.objects.filter(village=village, level=GridLevel.AREA).values_list("pk", flat=True)
    )
    created = [_household_save(village, **fields, areas=areas) for fields in households]
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
            household, diff = _household_change(
                villager.household, {"head": villager}, in_batch=True
            )
            if diff:
                events.append(audit.Event("village.household.update", household, diff))
    if events:
        audit.record_many(actor=actor, events=events, village=village)
    return villagers


def _villager_insert(village: Village, households: set[int], fields: dict) -> Villager:
    """One row of a batch, checked as `villager_build` checks it: its households were read
    together, the rest as `_save_checked` does."""
    villager = _villager_new(village, fields)
    if villager.household_id not in households:
        villager.full_clean()  # not a household of this village: says so
    _save_checked(villager, exclude=["village", "household"])
    return villager


def _save_checked(row, *, exclude: list[str]) -> None:
    """Save a row of a batch, checked as the single services check it but without a query per
    row: the model's own rules (`clean`) and the fields not in `exclude` here, the database's
    constraints (an ID number once per village, a household number once, a term in order) in a
    savepoint. A row they refuse is then fully validated, so that the batch is refused in the
    single service's words."""
    row.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        row.full_clean()
        raise


def _unchanged(row, changes: dict) -> list[str]:
    return [field.name for field in row._meta.fields if field.name not in changes]


def villagers_update(*, actor, village: Village, villagers: list[Villager], **changes) -> list:
    """`villager_update` with the same `changes` for each of `villagers` (of `village`)."""
    return villagers_change(
        actor=actor, village=village, changes=[(villager, changes) for villager in villagers]
    )


@transaction.atomic
def villagers_change(*, actor, village: Village, changes: list[tuple[Villager, dict]]) -> list:
    """`villager_update` for each (villager of `village`, its changes), in one locked step; the
    fields a row does not change are not checked again (`_save_checked`)."""
    require(actor, Action.CHANGE_ROSTER, village)
    unknown = set().union(*(set(c) for _v, c in changes)) - set(VILLAGER_FIELDS)
    if unknown:
        raise ValidationError(_("不能修改这些字段：%s") % ", ".join(sorted(unknown)))
    # Locked in primary-key order (as concurrent writers lock them), changed in the caller's.
    ids = [v.pk for v, _c in changes]
    stored = Villager.objects.select_for_update(of=("self",)).filter(village=village, pk__in=ids)
    by_id = {v.pk: v for v in stored.select_related("household").order_by("pk")}
    if len(by_id) != len(set(ids)):
        raise ValidationError(_("只能修改本村的村民。"))
    updated, events = [], []
    for given, row_changes in changes:
        villager = by_id[given.pk]
        row_changes = _normalised(row_changes)
        diff = apply_changes(villager, row_changes)
        _save_checked(villager, exclude=_unchanged(villager, row_changes))
        updated.append(villager)
        if diff:
            events.append(audit.Event("village.villager.update", villager, redact(diff)))
    if events:
        audit.record_many(actor=actor, events=events, village=village)
    return updated
