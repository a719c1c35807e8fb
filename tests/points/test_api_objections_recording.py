"""The points API's writes by villagers and grid officers under /api/v1/points/: objections
during the window, claims for the own household, recording by household number — with JSON
errors (a message and a 4xx) for bad input and for what the caller may not do."""

from datetime import timedelta

from django.utils import timezone

from points import services
from points.models import Entry, EntryStatus, Objection
from tests.support.points_api import message

# --- objections ----------------------------------------------------------------------------------


def test_objection_during_the_window_is_201(api, points_world, ledger):
    [entry], _publication = ledger.published((points_world.h[1], "HJ01"))
    response = api.post(
        f"/entries/{entry.pk}/objection", points_world.neighbour, {"text": "门口没打扫"}
    )
    assert response.status_code == 201
    body = response.json()
    objection = Objection.objects.get()
    assert body["id"] == objection.pk and body["status"] == "open"
    assert objection.villager.user == points_world.neighbour and objection.text == "门口没打扫"
    # the same villager again: 400, one objection
    again = api.post(f"/entries/{entry.pk}/objection", points_world.neighbour, {"text": "再提一次"})
    assert again.status_code == 400
    assert "处理中" in message(again)
    assert Objection.objects.count() == 1


def test_objection_outside_the_window_is_400_with_a_message(api, points_world, ledger):
    recorded = ledger.record(points_world.h[2], "HJ01")
    response = api.post(
        f"/entries/{recorded.pk}/objection", points_world.resident, {"text": "不属实"}
    )
    assert response.status_code == 400
    assert "不在公示中" in message(response)
    [entry], publication = ledger.published((points_world.h[1], "HJ01"))
    with ledger.after_window(publication):
        response = api.post(
            f"/entries/{entry.pk}/objection", points_world.neighbour, {"text": "晚了"}
        )
    assert response.status_code == 400
    assert "公示期已结束" in message(response)
    assert not Objection.objects.exists()


def test_objection_bad_input(api, points_world, ledger):
    [entry], _publication = ledger.published((points_world.h[1], "HJ01"))
    response = api.post(f"/entries/{entry.pk}/objection", points_world.neighbour, {"text": "  "})
    assert response.status_code == 400
    assert "异议理由" in message(response)
    response = api.post(f"/entries/{entry.pk}/objection", points_world.neighbour, {})
    assert response.status_code == 422
    assert message(response)
    response = api.post(
        f"/entries/{entry.pk}/objection", points_world.neighbour, {"text": "长" * 1001}
    )
    assert response.status_code == 400
    assert not Objection.objects.exists()


def test_objection_to_another_villages_entry_is_404(api, points_world):
    foreign_entry = services.entry_record(
        actor=points_world.foreign.secretary,
        household=points_world.foreign.household,
        rule=points_world.foreign.rules["HJ01"],
        occurred_on=points_world.day,
    )
    response = api.post(
        f"/entries/{foreign_entry.pk}/objection", points_world.resident, {"text": "不对"}
    )
    assert response.status_code == 404
    assert message(response)
    response = api.post("/entries/999999/objection", points_world.resident, {"text": "不对"})
    assert response.status_code == 404


def test_objection_without_a_token_is_401(api, points_world, ledger):
    [entry], _publication = ledger.published((points_world.h[1], "HJ01"))
    response = api.post(f"/entries/{entry.pk}/objection", None, {"text": "不对"})
    assert response.status_code == 401
    assert message(response)
    assert not Objection.objects.exists()


# --- recording and claiming ----------------------------------------------------------------------


def test_villager_claims_for_their_own_household(api, points_world):
    response = api.post(
        "/entries", points_world.resident, {"rule": "HJ01", "reason": "院子打扫干净"}
    )
    assert response.status_code == 201
    body = response.json()
    entry = Entry.objects.get(pk=body["id"])
    assert entry.account.household == points_world.h[1]
    assert entry.status == EntryStatus.CLAIMED == body["status"]
    assert entry.occurred_on == timezone.localdate()
    assert entry.reason == "院子打扫干净"
    # the request's user is in the history too
    assert Entry.history.get(id=entry.pk).history_user == points_world.resident


def test_claim_idempotency_key_twice_is_one_entry(api, points_world):
    data = {"rule": "ZY01", "occurred_on": points_world.day, "idempotency_key": "phone-42-claim-1"}
    first = api.post("/entries", points_world.resident, data)
    second = api.post("/entries", points_world.resident, data)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert Entry.objects.count() == 1


def test_claim_bad_input(api, points_world):
    negative = api.post("/entries", points_world.resident, {"rule": "HJ02"})
    assert negative.status_code == 400
    assert "加分项" in message(negative)
    unknown = api.post("/entries", points_world.resident, {"rule": "NOPE"})
    assert unknown.status_code == 404
    future = api.post(
        "/entries",
        points_world.resident,
        {"rule": "HJ01", "occurred_on": timezone.localdate() + timedelta(days=3)},
    )
    assert future.status_code == 400
    assert "晚于今天" in message(future)
    photo_needed = api.post("/entries", points_world.resident, {"rule": "XL01"})
    assert photo_needed.status_code == 400
    assert "照片" in message(photo_needed)
    bad_date = api.post("/entries", points_world.resident, {"rule": "HJ01", "occurred_on": "昨天"})
    assert bad_date.status_code == 422
    assert not Entry.objects.exists()


def test_grid_officer_records_by_household_number(api, points_world):
    response = api.post(
        "/entries",
        points_world.officer,
        {
            "rule": "HJ02",
            "household": points_world.h[2].number,
            "occurred_on": points_world.day,
            "reason": "柴堆占道",
        },
    )
    assert response.status_code == 201
    entry = Entry.objects.get(pk=response.json()["id"])
    assert entry.account.household == points_world.h[2]
    assert entry.status == EntryStatus.RECORDED and entry.points == -3
    assert entry.recorded_by == points_world.officer
    assert Entry.history.get(id=entry.pk).history_user == points_world.officer


def test_grid_officer_outside_the_grid_is_403(api, points_world):
    response = api.post(
        "/entries", points_world.officer, {"rule": "HJ01", "household": points_world.h[4].number}
    )
    assert response.status_code == 403
    assert "本网格" in message(response)
    assert not Entry.objects.exists()


def test_recording_for_a_household_of_another_village_is_404(api, points_world):
    number = points_world.foreign.household.number
    response = api.post("/entries", points_world.secretary, {"rule": "HJ01", "household": number})
    assert response.status_code == 404
    assert message(response)
    response = api.post("/entries", points_world.secretary, {"rule": "HJ01", "household": "H-NONE"})
    assert response.status_code == 404
    assert not Entry.objects.exists()


def test_villager_cannot_record_for_another_household(api, points_world):
    response = api.post(
        "/entries", points_world.resident, {"rule": "HJ01", "household": points_world.h[2].number}
    )
    assert response.status_code == 403
    assert message(response)
    elsewhere = points_world.foreign.household.number
    response = api.post("/entries", points_world.resident, {"rule": "HJ01", "household": elsewhere})
    assert response.status_code == 404
    assert not Entry.objects.exists()
