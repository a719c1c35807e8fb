"""The store's items are written by services (points/services/store.py), not by the admin hook:
each checks "store.manage", validates, and records the change in the audit chain."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from points import services
from points.models import StoreItem
from village.models import AuditEvent
from village.permissions import SYSTEM


def item_events(village):
    return list(
        AuditEvent.objects.filter(village=village, action="points.store.item").order_by("pk")
    )


def test_keeper_adds_an_item_and_the_chain_records_it(points_world):
    item = services.store_item_create(
        actor=points_world.keeper,
        village=points_world.village,
        name="酱油",
        unit="瓶",
        points_price=15,
        stock=6,
    )
    assert StoreItem.objects.get(pk=item.pk).name == "酱油"
    [event] = item_events(points_world.village)
    assert event.payload == {"name": "酱油", "points_price": 15, "stock": 6}
    assert event.actor_id == points_world.keeper.pk


def test_a_change_records_each_field_old_and_new(points_world):
    soap = points_world.items["soap"]
    services.store_item_update(actor=points_world.keeper, item=soap, points_price=12, active=False)
    soap.refresh_from_db()
    assert (soap.points_price, soap.active) == (12, False)
    [event] = item_events(points_world.village)
    assert event.payload == {"points_price": [10, 12], "active": [True, False]}


@pytest.mark.parametrize("who", ["resident", "officer", "inspector", "outsider"])
def test_someone_without_store_manage_is_refused_and_nothing_is_written(points_world, who):
    soap = points_world.items["soap"]
    with pytest.raises(PermissionDenied):
        services.store_item_create(
            actor=getattr(points_world, who),
            village=points_world.village,
            name="盐",
            points_price=3,
        )
    with pytest.raises(PermissionDenied):
        services.store_item_update(actor=getattr(points_world, who), item=soap, points_price=1)
    soap.refresh_from_db()
    assert soap.points_price == 10
    assert not StoreItem.objects.filter(name="盐").exists()
    assert item_events(points_world.village) == []


def test_the_keeper_of_another_village_cannot_touch_this_store(points_world):
    with pytest.raises(PermissionDenied):
        services.store_item_update(
            actor=points_world.foreign.secretary, item=points_world.items["soap"], stock=0
        )
    assert points_world.items["soap"].stock == 20 and item_events(points_world.village) == []


def test_moving_an_item_to_a_village_the_keeper_does_not_manage_is_refused(points_world):
    with pytest.raises(PermissionDenied):
        services.store_item_update(
            actor=points_world.keeper,
            item=points_world.items["soap"],
            village=points_world.foreign.village,
        )
    assert (
        StoreItem.objects.get(pk=points_world.items["soap"].pk).village_id
        == points_world.village.pk
    )


def test_a_nameless_item_is_refused_with_the_field_named_and_nothing_written(points_world):
    with pytest.raises(ValidationError) as refused:
        services.store_item_create(
            actor=points_world.keeper, village=points_world.village, name="", points_price=5
        )
    assert "name" in refused.value.message_dict
    assert StoreItem.objects.filter(village=points_world.village).count() == 3
    assert item_events(points_world.village) == []


def test_a_free_item_is_refused_by_the_price_constraint_and_nothing_written(points_world):
    # The model's CheckConstraint answers (its message names it); the form shows the same.
    with pytest.raises(ValidationError) as refused:
        services.store_item_create(
            actor=points_world.keeper, village=points_world.village, name="盐", points_price=0
        )
    assert "store_price_positive" in " ".join(refused.value.messages)
    assert StoreItem.objects.filter(village=points_world.village).count() == 3
    assert item_events(points_world.village) == []


def test_a_bad_change_leaves_the_item_as_it_was(points_world):
    soap = points_world.items["soap"]
    with pytest.raises(ValidationError):
        services.store_item_update(actor=points_world.keeper, item=soap, points_price=0)
    with pytest.raises(ValidationError) as refused:
        services.store_item_update(actor=points_world.keeper, item=soap, name="x" * 61)
    assert "name" in refused.value.message_dict
    soap = StoreItem.objects.get(pk=soap.pk)
    assert (soap.points_price, soap.name) == (10, "洗衣粉")
    assert item_events(points_world.village) == []


def test_the_system_may_stock_a_store_and_is_stored_as_no_user(points_world):
    item = services.store_item_create(
        actor=SYSTEM, village=points_world.village, name="盐", points_price=3
    )
    assert item.history.first().history_user is None
    [event] = item_events(points_world.village)
    assert event.actor_id is None


def test_an_anonymous_caller_is_refused(points_world):
    with pytest.raises(PermissionDenied):
        services.store_item_create(
            actor=None, village=points_world.village, name="盐", points_price=3
        )


def test_the_admin_edit_screen_saves_through_the_service(points_world, client):
    soap = points_world.items["soap"]
    data = {
        "village": points_world.village.pk,
        "name": soap.name,
        "unit": soap.unit,
        "points_price": 12,
        "stock": soap.stock,
        "active": "on",
    }
    client.force_login(points_world.keeper)
    response = client.post(f"/admin/points/store-items/edit/{soap.pk}/", data)
    assert response.status_code == 302
    assert StoreItem.objects.get(pk=soap.pk).points_price == 12
    [event] = item_events(points_world.village)
    assert event.payload == {"points_price": [10, 12]}
