"""The points API under /api/v1/points/ as the phone app and the store counter use it: bearer
tokens; a villager sees only their own household; errors are JSON with a message and a 4xx."""

import json
from datetime import date, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from wagtail.models import APIToken

from points import services
from points.models import Entry, EntryStatus, Objection, Redemption
from tests.support.clock import travel
from tests.support.points_world import balance, published_resolution, reload


class Api:
    def __init__(self, client):
        self.client = client
        self.tokens = {}

    def headers(self, user):
        if user is None:
            return {}
        if user.pk not in self.tokens:
            _row, self.tokens[user.pk] = APIToken.create_token(
                user=user, name=settings.CUNZHI_API_TOKEN_NAME
            )
        return {"HTTP_AUTHORIZATION": f"Bearer {self.tokens[user.pk]}"}

    def get(self, path, user, **params):
        return self.client.get(f"/api/v1/points{path}", params, **self.headers(user))

    def post(self, path, user, data):
        return self.client.post(
            f"/api/v1/points{path}",
            data=json.dumps(data, default=str),
            content_type="application/json",
            **self.headers(user),
        )


@pytest.fixture
def api(client):
    return Api(client)


def message(response):
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["message"]
    return body["message"]


@pytest.fixture
def year_of_h1(points_world, ledger):
    """h1 and h2 opened with 100; h1 earned 5 + 2, lost 3, spent 10; h2 earned 5."""
    ledger.open_year(base=100)
    ledger.post(
        (points_world.h[1], "HJ01"),
        (points_world.h[1], "ZY01"),
        (points_world.h[1], "HJ02"),
        (points_world.h[2], "HJ01"),
    )
    services.redeem(
        actor=points_world.keeper, household=points_world.h[1], item=points_world.items["soap"]
    )
    return points_world


# --- reads: only the caller's household ----------------------------------------------------------


@pytest.mark.parametrize("path", ["/balance", "/entries", "/rules", "/store"])
def test_without_a_token_the_answer_is_401_json(api, points_world, path):
    response = api.get(path, None)
    assert response.status_code == 401
    assert "登录" in message(response)


def test_balance_of_the_callers_household(api, year_of_h1):
    world = year_of_h1
    response = api.get("/balance", world.resident)
    assert response.status_code == 200
    this_year = world.day.year == timezone.localdate().year  # not so in January
    assert response.json() == {
        "household": world.h[1].number,
        "head": world.h[1].head.name,
        "village": world.village.name,
        "balance": 94,
        "year": timezone.localdate().year,
        "year_score": 104 if this_year else 0,  # redemptions do not lower the score
        "earned": 107 if this_year else 0,
        "deducted": -3 if this_year else 0,
        "spent": 10,
    }
    assert api.get("/balance", world.neighbour).json()["balance"] == 105


def test_balance_before_any_entry_is_zero(api, points_world):
    body = api.get("/balance", points_world.resident).json()
    assert body["balance"] == 0 and body["household"] == points_world.h[1].number


@pytest.mark.parametrize("path", ["/balance", "/entries", "/rules", "/store"])
@pytest.mark.parametrize("who", ["outsider", "inspector"])
def test_callers_without_a_household_get_403(api, points_world, path, who):
    response = api.get(path, getattr(points_world, who))
    assert response.status_code == 403
    assert "户" in message(response)


def test_entries_are_the_callers_own_and_paged(api, year_of_h1, ledger):
    world = year_of_h1
    rejected = ledger.record(world.h[1], "HJ01")
    ledger.review([rejected], approve=False, note="不属实")
    response = api.get("/entries", world.resident)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "count"}
    h1_entries = Entry.objects.filter(account__household=world.h[1]).exclude(
        status=EntryStatus.REJECTED
    )
    assert body["count"] == h1_entries.count() == 5  # opening, 3 postings, a redemption
    assert {e["id"] for e in body["items"]} == set(h1_entries.values_list("pk", flat=True))
    assert rejected.pk not in {e["id"] for e in body["items"]}
    h2_ids = set(Entry.objects.filter(account__household=world.h[2]).values_list("pk", flat=True))
    assert not h2_ids & {e["id"] for e in body["items"]}
    by_rule = {e["rule"]: e for e in body["items"]}
    assert by_rule["HJ01"]["points"] == 5
    assert by_rule["HJ01"]["category"] == "环境卫生"
    assert by_rule["HJ01"]["status"] == "posted" and by_rule["HJ01"]["status_label"] == "已入账"
    assert by_rule["HJ01"]["can_object"] is False
    assert by_rule[None]["kind"] in {"opening", "redemption"}


def test_entries_page_by_fifty_and_filter_by_year(api, points_world, ledger):
    today = timezone.localdate()
    for _ in range(51):
        ledger.record(points_world.h[1], "HJ01", day=today)
    ledger.record(points_world.h[1], "HJ01", day=date(today.year - 1, 6, 1))
    first = api.get("/entries", points_world.resident).json()
    assert first["count"] == 52 and len(first["items"]) == 50
    second = api.get("/entries", points_world.resident, page=2).json()
    assert len(second["items"]) == 2
    assert {e["id"] for e in first["items"]}.isdisjoint({e["id"] for e in second["items"]})
    last_year = api.get("/entries", points_world.resident, year=today.year - 1).json()
    assert last_year["count"] == 1
    assert last_year["items"][0]["occurred_on"] == f"{today.year - 1}-06-01"
    assert api.get("/entries", points_world.neighbour).json() == {"items": [], "count": 0}


def test_entries_are_paged_in_the_database_with_pinned_queries(
    api, points_world, ledger, django_assert_num_queries
):
    ledger.open_year(year=points_world.day.year)
    ledger.published((points_world.h[1], "HJ02"))
    for _ in range(8):
        ledger.record(points_world.h[1], "HJ01")
    api.get("/entries", points_world.resident)  # the token is made on the first call
    with django_assert_num_queries(QUERIES_ENTRIES) as ten:
        assert len(api.get("/entries", points_world.resident).json()["items"]) == 10
    # Only one page's rows are read, however long the history.
    assert any("LIMIT 50" in q["sql"] for q in ten.captured_queries)
    for _ in range(90):
        ledger.record(points_world.h[1], "HJ01")
    with django_assert_num_queries(len(ten.captured_queries)):
        body = api.get("/entries", points_world.resident, page=2).json()
    assert body["count"] == 100 and len(body["items"]) == 50


def test_a_published_entry_says_until_when_it_can_be_objected(api, points_world, ledger):
    [entry], publication = ledger.published((points_world.h[1], "HJ02"))
    [item] = api.get("/entries", points_world.resident).json()["items"]
    assert item["id"] == entry.pk and item["can_object"] is True
    assert item["publication_id"] == publication.pk
    ends = datetime.fromisoformat(item["objection_ends_at"])
    assert abs(ends - publication.objection_ends_at) < timedelta(milliseconds=1)
    with ledger.after_window(publication):
        [item] = api.get("/entries", points_world.resident).json()["items"]
    assert item["can_object"] is False


def test_rules_of_the_callers_village(api, points_world):
    response = api.get("/rules", points_world.resident)
    assert response.status_code == 200
    rules = response.json()
    assert [r["code"] for r in rules] == ["HJ01", "HJ02", "XL01", "ZY01", "FL01"]
    xl01 = rules[2]
    assert xl01 == {
        "code": "XL01",
        "category": "孝老爱亲",
        "text": "赡养老人被评为孝亲之星",
        "points": 10,
        "cap_per_period": None,
        "evidence_required": True,
        "article": "村规民约第3条",
    }
    # a rule of this village's new version: not shown while a draft, shown once in effect,
    # and never the other village's
    draft = services.catalogue_draft(actor=points_world.secretary, village=points_world.village)
    services.catalogue_rule_save(
        actor=points_world.secretary,
        catalogue=draft,
        data={
            "code": "ZY02",
            "text": "参加应急救援",
            "points": 8,
            "category": points_world.categories["志愿服务"].pk,
        },
    )
    assert "ZY02" not in {r["code"] for r in api.get("/rules", points_world.resident).json()}
    services.catalogue_adopt(
        actor=points_world.secretary,
        catalogue=draft,
        resolution=published_resolution(points_world.village).pk,
        effective_from=timezone.localdate(),
    )
    assert "ZY02" in {r["code"] for r in api.get("/rules", points_world.resident).json()}
    foreign = api.get("/rules", points_world.foreign.resident).json()
    assert [r["code"] for r in foreign] == ["HJ01", "HJ02", "XL01", "ZY01", "FL01"]
    assert rules[3]["cap_per_period"] == 2


def test_store_of_the_callers_village_on_the_shelf(api, points_world):
    items = api.get("/store", points_world.resident).json()
    assert items == [
        {
            "id": points_world.items["soap"].pk,
            "name": "洗衣粉",
            "unit": "袋",
            "points_price": 10,
            "stock": 20,
        },
        {
            "id": points_world.items["rice"].pk,
            "name": "大米",
            "unit": "袋",
            "points_price": 50,
            "stock": 2,
        },
    ]
    foreign = api.get("/store", points_world.foreign.resident).json()
    assert {i["id"] for i in foreign} == {
        points_world.foreign.items["soap"].pk,
        points_world.foreign.items["rice"].pk,
    }


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


# --- pinned query counts -------------------------------------------------------------------------

# token, villager with household; then the account and the year's two sums / the count of the
# entries and their page / the catalogue and its rules / the items on the shelf
QUERIES_BALANCE = 5
QUERIES_ENTRIES = 4
QUERIES_RULES = 4
QUERIES_STORE = 3


def _grow(points_world, ledger):
    """More of everything the lists show: postings with rules and publications, objections,
    redemptions, reversals."""
    entries, publication = ledger.published(
        (points_world.h[1], "HJ01"),
        (points_world.h[1], "ZY01"),
        (points_world.h[1], "HJ02"),
        (points_world.h[1], "ZY01"),
    )
    services.objection_file(actor=points_world.neighbour, entry=entries[0], text="异议")
    ledger.close(publication)
    services.entry_reverse(actor=points_world.secretary, entry=reload(entries[1]), reason="冲正")
    for _ in range(3):
        services.redeem(
            actor=points_world.keeper, household=points_world.h[1], item=points_world.items["soap"]
        )
    for _ in range(4):
        ledger.record(points_world.h[1], "HJ01")


@pytest.mark.parametrize(
    ("path", "queries"),
    [
        ("/balance", QUERIES_BALANCE),
        ("/entries", QUERIES_ENTRIES),
        ("/rules", QUERIES_RULES),
        ("/store", QUERIES_STORE),
    ],
)
def test_list_query_counts_are_pinned_and_do_not_grow(
    api, points_world, ledger, django_assert_num_queries, path, queries
):
    ledger.open_year(base=100)
    ledger.post((points_world.h[1], "HJ01"))
    api.get(path, points_world.resident)  # warm-up: the token's last use is stamped once a minute
    with django_assert_num_queries(queries):
        small = api.get(path, points_world.resident)
    assert small.status_code == 200
    _grow(points_world, ledger)
    with django_assert_num_queries(queries):
        large = api.get(path, points_world.resident)
    assert large.status_code == 200
    if path == "/entries":
        assert large.json()["count"] == small.json()["count"] + 12
        assert large.json()["count"] == 14


def test_the_time_travel_helper_reaches_the_api(api, points_world, ledger):
    """The API reads the same clock as the services (the window is judged at request time)."""
    [entry], publication = ledger.published((points_world.h[1], "HJ01"))
    with travel(publication.objection_ends_at - timedelta(minutes=1)):
        ok = api.post(
            f"/entries/{entry.pk}/objection", points_world.neighbour, {"text": "最后一分钟"}
        )
    assert ok.status_code == 201
