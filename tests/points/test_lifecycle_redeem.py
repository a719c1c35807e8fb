"""The store counter through the services: a redemption debits points and stock together, or
writes nothing when points or stock fall short, the input is bad, the item is another
village's, or the key was already used; only the counter redeems."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from points import services
from points.models import (
    Entry,
    EntryKind,
    EntryStatus,
    Redemption,
)
from tests.support.points_lifecycle import chain_ok, count
from tests.support.points_world import balance, history_statuses, posted_sum, reload
from village.models import AuditEvent

# --- redeem --------------------------------------------------------------------------------------


def test_redemption_debits_points_and_stock_together(points_world, ledger):
    ledger.open_year(base=100)
    redemption = services.redeem(
        actor=points_world.keeper,
        household=points_world.h[1],
        item=points_world.items["soap"],
        quantity=3,
    )
    assert redemption.points == 30 and redemption.quantity == 3
    assert redemption.served_by == points_world.keeper
    assert len(redemption.receipt) == 11 and redemption.receipt.startswith("R")
    assert balance(points_world.h[1]) == 70 == posted_sum(points_world.h[1])
    assert reload(points_world.items["soap"]).stock == 17
    entry = redemption.entry
    assert entry.kind == EntryKind.REDEMPTION and entry.points == -30
    assert entry.status == EntryStatus.POSTED
    assert history_statuses(entry) == ["posted"]
    event = AuditEvent.objects.get(action="points.redeem")
    assert event.payload["receipt"] == redemption.receipt and event.payload["points"] == 30
    assert chain_ok()


def _nothing_redeemed(points_world, stock_before, balance_before, events_before):
    assert not Redemption.objects.exists()
    assert not Entry.objects.filter(kind=EntryKind.REDEMPTION).exists()
    assert balance(points_world.h[1]) == balance_before
    assert reload(points_world.items["rice"]).stock == stock_before
    assert AuditEvent.objects.count() == events_before
    return True


def test_redemption_with_too_few_points_writes_nothing(points_world, ledger):
    ledger.open_year(base=60)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.redeem(
            actor=points_world.keeper,
            household=points_world.h[1],
            item=points_world.items["rice"],
            quantity=2,
        )
    assert refused.value.code == "insufficient"
    assert "本户可用 60 分" in refused.value.messages[0]
    assert _nothing_redeemed(points_world, 2, 60, events)


def test_redemption_beyond_the_stock_writes_nothing(points_world, ledger):
    ledger.open_year(base=500)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.redeem(
            actor=points_world.keeper,
            household=points_world.h[1],
            item=points_world.items["rice"],
            quantity=3,
        )
    assert "库存不足" in refused.value.message_dict["quantity"][0]
    assert _nothing_redeemed(points_world, 2, 500, events)
    services.redeem(
        actor=points_world.keeper,
        household=points_world.h[1],
        item=points_world.items["rice"],
        quantity=2,
    )
    assert reload(points_world.items["rice"]).stock == 0
    with pytest.raises(ValidationError):
        services.redeem(
            actor=points_world.keeper, household=points_world.h[1], item=points_world.items["rice"]
        )
    assert balance(points_world.h[1]) == 400


def test_the_same_redemption_key_twice_redeems_once(points_world, ledger):
    ledger.open_year(base=100)
    first = services.redeem(
        actor=points_world.keeper,
        household=points_world.h[1],
        item=points_world.items["soap"],
        idempotency_key="till-1-0001",
    )
    again = services.redeem(
        actor=points_world.keeper,
        household=points_world.h[1],
        item=points_world.items["soap"],
        idempotency_key="till-1-0001",
    )
    assert again.pk == first.pk
    assert Redemption.objects.count() == 1
    assert balance(points_world.h[1]) == 90
    assert reload(points_world.items["soap"]).stock == 19
    assert count("points.redeem", points_world.village) == 1
    # The same key for another item, or for the same item and another household (not the first
    # household's redemption back): a conflict.
    for household, item in ((1, "rice"), (2, "soap")):
        with pytest.raises(ValidationError) as conflict:
            services.redeem(
                actor=points_world.keeper,
                household=points_world.h[household],
                item=points_world.items[item],
                idempotency_key="till-1-0001",
            )
        assert conflict.value.code == "key_conflict"
    assert Redemption.objects.count() == 1 and balance(points_world.h[2]) == 100


@pytest.mark.parametrize(
    ("item", "quantity", "field"),
    [("old", 1, "item"), ("soap", 0, "quantity"), ("soap", 100, "quantity")],
)
def test_redemption_bad_input(points_world, ledger, item, quantity, field):
    ledger.open_year(base=1000)
    with pytest.raises(ValidationError) as refused:
        services.redeem(
            actor=points_world.keeper,
            household=points_world.h[1],
            item=points_world.items[item],
            quantity=quantity,
        )
    assert field in refused.value.message_dict
    assert not Redemption.objects.exists()
    assert balance(points_world.h[1]) == 1000


def test_redemption_of_another_villages_item_is_refused(points_world, ledger):
    ledger.open_year(base=100)
    with pytest.raises(ValidationError):
        services.redeem(
            actor=points_world.keeper,
            household=points_world.h[1],
            item=points_world.foreign.items["soap"],
        )
    assert balance(points_world.h[1]) == 100


@pytest.mark.parametrize("who", ["resident", "officer", "inspector", "outsider"])
def test_only_the_counter_redeems(points_world, ledger, who):
    ledger.open_year(base=100)
    with pytest.raises(PermissionDenied):
        services.redeem(
            actor=getattr(points_world, who),
            household=points_world.h[1],
            item=points_world.items["soap"],
        )
    with pytest.raises(PermissionDenied):
        services.redeem(
            actor=points_world.keeper,
            household=points_world.foreign.household,
            item=points_world.foreign.items["soap"],
        )
    assert not Redemption.objects.exists()
