"""The points API at the store counter and for the inspector under /api/v1/points/: the store
keeper redeems by household number (once per key, never beyond the points, only in their
village), and the inspector reads but never writes."""

import pytest

from points.models import Entry, EntryStatus, Objection, Redemption
from tests.support.points_api import message
from tests.support.points_world import balance, reload

# --- the store counter ---------------------------------------------------------------------------


def test_store_keeper_redeems_by_household_number(api, points_world, ledger):
    ledger.open_year(base=100)
    response = api.post(
        "/redemptions",
        points_world.keeper,
        {
            "household": points_world.h[1].number,
            "item": points_world.items["soap"].pk,
            "quantity": 2,
        },
    )
    assert response.status_code == 201
    body = response.json()
    redemption = Redemption.objects.get()
    assert body == {
        "receipt": redemption.receipt,
        "household": points_world.h[1].number,
        "item": "洗衣粉",
        "quantity": 2,
        "points": 20,
        "balance": 80,
        "stock": 18,
    }
    assert balance(points_world.h[1]) == 80


def test_redemption_idempotency_key_over_the_api(api, points_world, ledger):
    ledger.open_year(base=100)
    data = {
        "household": points_world.h[1].number,
        "item": points_world.items["soap"].pk,
        "idempotency_key": "t-1",
    }
    first = api.post("/redemptions", points_world.keeper, data)
    second = api.post("/redemptions", points_world.keeper, data)
    assert first.status_code == second.status_code == 201
    assert first.json()["receipt"] == second.json()["receipt"]
    assert second.json()["balance"] == 90
    assert Redemption.objects.count() == 1


def test_redemption_without_enough_points_is_400_and_writes_nothing(api, points_world, ledger):
    ledger.open_year(base=40)
    response = api.post(
        "/redemptions",
        points_world.keeper,
        {"household": points_world.h[1].number, "item": points_world.items["rice"].pk},
    )
    assert response.status_code == 400
    assert "积分不足" in message(response)
    assert balance(points_world.h[1]) == 40
    assert reload(points_world.items["rice"]).stock == 2
    assert not Redemption.objects.exists()


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"quantity": 0}, 400),
        ({"quantity": 3, "item": "rice"}, 400),  # two bags left
        ({"item": "old"}, 400),  # taken off the shelf
        ({"item": "foreign"}, 404),
        ({"household": "H-NONE"}, 404),
        ({"quantity": "许多"}, 422),
    ],
)
def test_redemption_bad_input(api, points_world, ledger, data, status):
    ledger.open_year(base=1000)
    items = dict(points_world.items, foreign=points_world.foreign.items["soap"])
    payload = {"household": points_world.h[1].number, "item": points_world.items["soap"].pk, **data}
    if isinstance(payload["item"], str):
        payload["item"] = items[payload["item"]].pk
    response = api.post("/redemptions", points_world.keeper, payload)
    assert response.status_code == status
    assert message(response)
    assert not Redemption.objects.exists()
    assert balance(points_world.h[1]) == 1000


@pytest.mark.parametrize("who", ["resident", "officer"])
def test_villager_and_grid_officer_cannot_redeem(api, points_world, ledger, who):
    ledger.open_year(base=100)
    response = api.post(
        "/redemptions",
        getattr(points_world, who),
        {"household": points_world.h[1].number, "item": points_world.items["soap"].pk},
    )
    assert response.status_code == 403
    assert message(response)
    assert not Redemption.objects.exists()
    assert balance(points_world.h[1]) == 100


def test_store_keeper_of_this_village_cannot_redeem_elsewhere(api, points_world):
    response = api.post(
        "/redemptions",
        points_world.keeper,
        {
            "household": points_world.foreign.household.number,
            "item": points_world.foreign.items["soap"].pk,
        },
    )
    assert response.status_code == 404


# --- the inspector reads, never writes -----------------------------------------------------------


def test_inspector_cannot_write(api, points_world, ledger):
    ledger.open_year(base=100)
    [entry], _publication = ledger.published((points_world.h[1], "HJ01"))
    attempts = [
        ("/entries", {"rule": "HJ01", "household": points_world.h[1].number}),
        ("/entries", {"rule": "HJ01"}),
        (
            "/redemptions",
            {"household": points_world.h[1].number, "item": points_world.items["soap"].pk},
        ),
        (f"/entries/{entry.pk}/objection", {"text": "巡查意见"}),
    ]
    for path, data in attempts:
        response = api.post(path, points_world.inspector, data)
        assert response.status_code == 403, (path, response.content)
        assert message(response)
    assert Entry.objects.filter(status=EntryStatus.RECORDED).count() == 0
    assert not Redemption.objects.exists() and not Objection.objects.exists()
    assert balance(points_world.h[1]) == 100
