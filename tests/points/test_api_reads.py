"""The points API's reads under /api/v1/points/: bearer tokens; balance, entries, rules and
store of the caller's own household and village only; errors are JSON with a message and a 4xx;
the list query counts are pinned and the time-travel helper reaches the API."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from points import services
from points.models import Entry, EntryStatus
from tests.support.clock import travel
from tests.support.points_api import message
from tests.support.points_world import published_resolution, reload


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
