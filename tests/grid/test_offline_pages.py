"""The grid officer's offline page and the copy it keeps on the phone: only for officers and
cadres, only the officer's households (number and head's name, nothing private), the rules in
effect, the areas; pinned query counts for the page, the copy and a sync."""

import json

import pytest
from django.utils import timezone

from tests.factories import HouseholdFactory
from tests.grid.offline_world import entry_item

PAGE = "/grid/offline/"
DATA = "/grid/offline/data.json"


@pytest.fixture
def w(points_world):
    return points_world


def test_the_officer_opens_the_offline_page(client, w):
    client.force_login(w.officer)
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "离线记录" in html
    assert 'src="/static/grid/offline.js"' in html
    assert "<script>" not in html  # the strict CSP: no inline script
    assert 'data-sync-url="/api/v1/offline/sync"' in html


@pytest.mark.parametrize("who", ["resident", "inspector", "outsider"])
def test_others_may_not_open_it(client, w, who):
    client.force_login(getattr(w, who))
    assert client.get(PAGE).status_code == 403
    assert client.get(DATA).status_code == 403


def test_without_login_the_page_asks_to_log_in_and_the_copy_is_401(client, w):
    assert client.get(PAGE).status_code == 302
    assert client.get(DATA).status_code == 401


def test_the_copy_holds_the_officers_households_and_nothing_private(client, w):
    client.force_login(w.officer)
    body = client.get(DATA).json()
    numbers = {h["number"] for h in body["households"]}
    assert numbers == {w.h[1].number, w.h[2].number, w.h[3].number}  # area 1 only
    assert set(body["households"][0]) == {"id", "village", "number", "head", "area", "notices"}
    text = json.dumps(body, ensure_ascii=False)
    for h in w.h[1:]:
        if h.address:
            assert h.address not in text
    assert {r["code"] for r in body["rules"]} == {"HJ01", "HJ02", "XL01", "ZY01", "FL01"}
    xl01 = next(r for r in body["rules"] if r["code"] == "XL01")
    assert xl01["evidence_required"] is True
    assert [a["id"] for a in body["areas"]] == [w.area1.pk]
    assert body["villages"][0]["offline_max_days"] == 7
    assert body["csrf"] and body["user"]["id"] == w.officer.pk


def test_a_cadre_keeps_every_household_of_the_village(client, w):
    client.force_login(w.secretary)
    body = client.get(DATA).json()
    assert len(body["households"]) == 5
    assert {a["id"] for a in body["areas"]} == {w.area1.pk, w.area2.pk}


def _sync(client, items):
    response = client.post(
        "/api/v1/offline/sync",
        {"items": json.dumps(items), "sent_at": timezone.now().isoformat()},
    )
    assert [a["status"] for a in response.json()["items"]] == ["accepted"] * len(items)


def test_the_page_and_the_copy_take_a_fixed_number_of_queries(client, w, django_assert_num_queries):
    client.force_login(w.officer)
    # session, user, roles (cached after this request)
    with django_assert_num_queries(5):
        assert client.get(PAGE).status_code == 200
    with django_assert_num_queries(14):
        assert client.get(DATA).status_code == 200
    for _ in range(5):
        HouseholdFactory(village=w.village, area=w.area1)
    with django_assert_num_queries(14):
        assert len(client.get(DATA).json()["households"]) == 8


def test_a_sync_takes_a_fixed_number_of_queries_per_item(client, w, django_assert_num_queries):
    client.force_login(w.officer)
    _sync(client, [entry_item(w.h[1]), entry_item(w.h[2])])  # accounts and chain opened
    with django_assert_num_queries(29):
        _sync(client, [entry_item(w.h[1], "HJ02")])
    with django_assert_num_queries(55):
        _sync(client, [entry_item(w.h[1], "FL01"), entry_item(w.h[2], "FL01")])
    # A replayed item is looked up, not judged again.
    items = [entry_item(w.h[2], "HJ02")]
    _sync(client, items)
    with django_assert_num_queries(6):
        _sync(client, items)


def test_the_entry_says_when_it_was_recorded_offline(client, w):
    at = timezone.localtime(timezone.now() - timezone.timedelta(minutes=40))
    client.force_login(w.officer)
    _sync(client, [entry_item(w.h[1], at=at)])
    said = f"离线记录于 {at:%H:%M}"
    client.force_login(w.committee)  # reviews it
    assert said in client.get("/admin/points/review/").content.decode()
    client.force_login(w.resident)  # the household's own list
    assert said in client.get("/points/").content.decode()
