"""The store counter (redeem) and the store's items."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from village import audit, permissions
from village.models import Household, Village
from village.permissions import user_of

from ..models import (
    Entry,
    EntryKind,
    EntryStatus,
    Redemption,
    StoreItem,
)
from ..permissions import PointsAction
from .ledger import (
    account_lock,
    clean_key,
    entries_post,
    entry_by_key,
    new_receipt,
    stored,
)


@transaction.atomic
def redeem(
    *,
    actor,
    household: Household,
    item: StoreItem,
    quantity: int = 1,
    idempotency_key: str | None = None,
) -> Redemption:
    """Debit points and stock together; never below zero on either."""
    permissions.require(actor, PointsAction.STORE_SERVE, household.village)
    if item.village_id != household.village_id:
        raise ValidationError({"item": _("该物品不属于本村积分超市。")})
    if not isinstance(quantity, int) or quantity < 1 or quantity > 99:
        raise ValidationError({"quantity": _("数量须为 1 到 99 之间的整数。")})
    key = clean_key(key=idempotency_key)
    account = account_lock(household=household)
    # Read under the lock: the same key sent twice at once, the second waits, then finds the
    # first. A key made here for a request that sent none is new: nothing to read.
    existing = entry_by_key(key=key) if (idempotency_key or "").strip() else None
    if existing is not None:
        redemption = getattr(existing, "redemption", None)
        if redemption is None or (redemption.item_id, existing.account_id) != (item.pk, account.pk):
            raise ValidationError(_("该幂等键已用于另一笔积分。"), code="key_conflict")
        return redemption
    item = StoreItem.objects.select_for_update().get(pk=item.pk)
    if not item.active:
        raise ValidationError({"item": _("该物品已下架。")})
    if item.stock < quantity:
        raise ValidationError(
            {
                "quantity": _("库存不足：%(name)s 只剩 %(n)s%(unit)s。")
                % {"name": item.name, "n": item.stock, "unit": item.unit}
            },
        )
    cost = item.points_price * quantity
    balance = account.balance
    if balance < cost:
        raise ValidationError(
            _("积分不足：本户可用 %(b)s 分，兑换需要 %(c)s 分。") % {"b": balance, "c": cost},
            code="insufficient",
        )
    today = timezone.localdate()
    entry = Entry(
        idempotency_key=key,
        account=account,
        village_id=household.village_id,
        kind=EntryKind.REDEMPTION,
        points=-cost,
        year=today.year,
        occurred_on=today,
        reason=stored("兑换 %(name)s × %(n)s") % {"name": item.name, "n": quantity},
        status=EntryStatus.POSTED,
        recorded_by=user_of(actor),
    )
    entry.account.household = household
    entries_post(entries=[entry], actor=actor, locked={account.pk: account})
    try:
        entry.save()  # no savepoint: a refusal here ends the whole redemption
    except IntegrityError:
        # The same key committed by a concurrent request for another household: this one must
        # not debit again. Raised out of this function's atomic block, so all of it is undone.
        raise ValidationError(_("这笔兑换已经办理。"), code="duplicate") from None
    StoreItem.objects.filter(pk=item.pk).update(stock=F("stock") - quantity)
    redemption = Redemption.objects.create(
        village_id=household.village_id,
        account=account,
        item=item,
        quantity=quantity,
        points=cost,
        entry=entry,
        receipt=new_receipt(prefix="R"),
        served_by=user_of(actor),
    )
    audit.record(
        actor=actor,
        action="points.redeem",
        obj=redemption,
        village=household.village,
        payload={
            "household": household.number,
            "item": item.name,
            "quantity": quantity,
            "points": cost,
            "receipt": redemption.receipt,
        },
    )
    return redemption


# --- the store's items (the admin's "积分超市物品" screens) ------------------------------------

STORE_ITEM_FIELDS = ("name", "unit", "points_price", "stock", "active")


@transaction.atomic
def store_item_create(*, actor, village: Village, **fields) -> StoreItem:
    """A new item on the store's shelf; `fields`: any of STORE_ITEM_FIELDS."""
    permissions.require(actor, PointsAction.STORE_MANAGE, village)
    unknown = set(fields) - set(STORE_ITEM_FIELDS)
    if unknown:
        raise TypeError(f"not a store item field: {', '.join(sorted(unknown))}")
    item = StoreItem(village=village, **fields)
    item.full_clean()
    item._history_user = user_of(actor)
    item.save()
    audit.record(
        actor=actor,
        action="points.store.item",
        obj=item,
        payload={"name": item.name, "points_price": item.points_price, "stock": item.stock},
    )
    return item


@transaction.atomic
def store_item_update(*, actor, item: StoreItem, **changes) -> StoreItem:
    """Change an item (its price, stock, whether it is on the shelf…); the audit chain keeps
    each changed field's old and new value."""
    permissions.require(actor, PointsAction.STORE_MANAGE, item.village)
    unknown = set(changes) - {"village", *STORE_ITEM_FIELDS}
    if unknown:
        raise TypeError(f"not a store item field: {', '.join(sorted(unknown))}")
    if "village" in changes:  # moved to another village: the actor must manage that one too
        permissions.require(actor, PointsAction.STORE_MANAGE, changes["village"])
    # From the row as stored: an admin form has already set the new values on `item`.
    stored_row = StoreItem.objects.select_for_update().select_related("village").get(pk=item.pk)
    if stored_row.village_id != item.village_id:  # the form moved it: the old village counts too
        permissions.require(actor, PointsAction.STORE_MANAGE, stored_row.village)
    before = {name: getattr(stored_row, name) for name in changes}
    for name, new in changes.items():
        setattr(item, name, new)
    item.full_clean()
    item._history_user = user_of(actor)
    item.save()
    audit.record(
        actor=actor,
        action="points.store.item",
        obj=item,
        # A moved item's villages by id (the payload is JSON).
        payload={
            name: [getattr(before[name], "pk", before[name]), getattr(new, "pk", new)]
            for name, new in changes.items()
        },
    )
    return item
