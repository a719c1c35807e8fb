"""Pinned query counts of the points pages — the star households and the allocation as the
villagers read them, the admin's ratings and lists, the household's page and the grid
officer's recording form — each the same for a few rows as for many; and the officer's
household search, which offers only the households the officer may record for."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from points import services
from tests.factories import HouseholdFactory, VillagerFactory
from tests.support.points_world import publish_allocation, publish_star_round

# Each count is of a second request: the first warms the session's per-request caches.
QUERIES_STARS = 4  # points:stars for a villager, 5 or 20 rated households
QUERIES_ALLOCATION = 7  # points:allocation: + its objections and its resolution (2)
QUERIES_ADMIN_RATINGS = 15  # points_admin_ratings: + the fingerprint and the resolutions (2)
QUERIES_RECORD_FIND = 3  # points:record?q= for the grid officer, 3 or 20 households found
# points:record?household= for the grid officer, 1 or 7 entries (5 shown). The rule select
# starts on "请选择", so rendering no longer reads the first rule to decide on `required`.
QUERIES_RECORD_FORM = 7  # + the officer as a villager: is this their own household (回避)?
QUERIES_HOME = 14  # points:home for a villager, 2 or 8 entries (with the opening)
QUERIES_ADMIN_PUBLICATIONS = 13  # for the secretary, 1 or 2 publications; + supervision notes
QUERIES_ADMIN_OBJECTIONS = 10  # for the secretary, 1 or 3 objections
QUERIES_ADMIN_LEDGER = 13  # for the secretary, 1 or 3 entries; + their household (回避)


@pytest.fixture
def measure(client, django_assert_num_queries):
    def run(expected, url, user=None):
        if user is not None:
            client.force_login(user)
        assert client.get(url).status_code == 200  # warm-up
        with django_assert_num_queries(expected):
            response = client.get(url)
        assert response.status_code == 200, url
        return response.content.decode()

    return run


def _households(points_world, count):
    """`count` more active households in grid 1 (area 1), each with a head."""
    for _n in range(count):
        household = HouseholdFactory(village=points_world.village, area=points_world.area1)
        household.head = VillagerFactory(household=household, name=f"户主{household.number}")
        household.save()


def _welfare(points_world, ledger, year):
    """The year opened for every household, its star round and an allocation, published."""
    ledger.open_year(year=year)
    rnd = services.star_round_rate(
        actor=points_world.secretary, village=points_world.village, year=year, thresholds={"1": 90}
    )
    publish_star_round(points_world, rnd)
    allocation = services.allocation_create(
        actor=points_world.secretary,
        village=points_world.village,
        year=year,
        title=f"{year}年终奖励",
        pool_fen=99999,
    )
    publish_allocation(points_world, allocation)
    return rnd, allocation


def test_welfare_pages_cost_the_same_for_5_and_20_households(points_world, ledger, measure):
    this_year = timezone.localdate().year
    for year, households in ((this_year - 1, 5), (this_year, 20)):
        if households == 20:
            _households(points_world, 15)
        rnd, allocation = _welfare(points_world, ledger, year)
        assert rnd.ratings.count() == households
        html = measure(QUERIES_STARS, reverse("points:stars", args=[rnd.pk]), points_world.resident)
        assert html.count('class="member"') == households
        html = measure(QUERIES_ALLOCATION, reverse("points:allocation", args=[allocation.pk]))
        assert html.count("<tr><td>") == households
        url = reverse("points_admin_ratings", args=[rnd.pk])
        html = measure(QUERIES_ADMIN_RATINGS, url, points_world.secretary)
        assert html.count('name="rating"') == households


def test_record_search_costs_the_same_for_3_and_20_households(points_world, measure):
    url = reverse("points:record") + "?q=H-"
    html = measure(QUERIES_RECORD_FIND, url, points_world.officer)
    assert html.count("?household=") == 3
    _households(points_world, 17)
    html = measure(QUERIES_RECORD_FIND, url)
    assert html.count("?household=") == 20


def test_record_form_costs_the_same_for_1_and_7_entries(points_world, ledger, measure):
    url = reverse("points:record") + f"?household={points_world.h[1].pk}"
    ledger.record(points_world.h[1], "HJ01")
    html = measure(QUERIES_RECORD_FORM, url, points_world.officer)
    assert html.count('class="member"') == 1
    for n in range(6):
        ledger.record(points_world.h[1], "HJ02", reason=f"第{n}次")
    html = measure(QUERIES_RECORD_FORM, url)
    assert html.count('class="member"') == 5  # the five most recent


def test_household_page_costs_the_same_for_1_and_7_entries(points_world, ledger, measure):
    ledger.open_year(year=points_world.day.year)
    ledger.post((points_world.h[1], "HJ01"))
    html = measure(QUERIES_HOME, reverse("points:home"), points_world.resident)
    entries = html.split('data-testid="entries"')[1].split("</ul>")[0]
    assert entries.count('class="member"') == 2  # the opening and the entry
    for _ in range(6):
        ledger.post((points_world.h[1], "HJ02"))
    html = measure(QUERIES_HOME, reverse("points:home"))
    entries = html.split('data-testid="entries"')[1].split("</ul>")[0]
    assert entries.count('class="member"') == 8


@pytest.mark.parametrize(
    ("url_name", "expected", "rows"),
    [
        ("points_admin_publications", QUERIES_ADMIN_PUBLICATIONS, ("publication-row", 1, 2)),
        ("points_admin_objections", QUERIES_ADMIN_OBJECTIONS, ("objection-row", 1, 3)),
        ("points_admin_ledger", QUERIES_ADMIN_LEDGER, ("ledger-row", 1, 3)),
    ],
)
def test_admin_lists_cost_the_same_for_few_and_many_rows(
    points_world, ledger, measure, url_name, expected, rows
):
    url = reverse(url_name)
    [entry], _publication = ledger.published((points_world.h[1], "HJ02"))
    services.objection_file(actor=points_world.resident, entry=entry, text="不是我家")
    marker, few, many = rows
    html = measure(expected, url, points_world.secretary)
    assert html.count(f'data-testid="{marker}"') == few
    points_world.day = points_world.day.replace(day=12)
    entries, _publication = ledger.published(
        (points_world.h[2], "HJ02"), (points_world.h[3], "HJ01")
    )
    for e in entries:
        services.objection_file(actor=points_world.neighbour, entry=e, text="有出入")
    html = measure(expected, url)
    assert html.count(f'data-testid="{marker}"') == many


# --- the grid officer's household search ---------------------------------------------------


def _found(client, q) -> set[str]:
    html = client.get(reverse("points:record"), {"q": q}).content.decode()
    listed = html.split('data-testid="found"')[1].split("</ul>")[0]
    return set(re.findall(r"<strong>([^<]+)</strong>", listed))


def test_officer_search_lists_only_the_households_of_the_grid(points_world, client):
    client.force_login(points_world.officer)
    found = _found(client, "H-")
    assert found == {points_world.h[1].number, points_world.h[2].number, points_world.h[3].number}
    assert points_world.h[4].number not in found  # grid 2: the service would refuse it


def test_cadre_search_lists_every_household_of_the_village(points_world, client):
    client.force_login(points_world.committee)
    found = _found(client, points_world.h[4].number)
    assert found == {points_world.h[4].number}
    assert {h.number for h in points_world.h[1:]} <= _found(client, "H-")
    assert points_world.foreign.household.number not in _found(client, "H-")
