"""The villager-facing pages: Chinese by default, "my household", nothing loaded from another
host, and pinned query counts that do not grow with the length of a list."""

import re
from urllib.parse import urlparse

import pytest

from tests.factories import PASSWORD, HouseholdFactory, UserFactory, VillagerFactory
from village import api_me
from village.models import Villager

MASKED = re.compile(r"\d{4}\*{10}[\dX]{4}")

# Pinned query counts (steady state: after one warm-up request of the same page). The user's
# roles come from the cache from the second request on (village/permissions.py): 3 fewer each.
# /me/ for a villager, whatever the size of the household (6: the household's 亲情账号)
# + one query per registered section: 我的包联党员 (village/party_views.py), the volunteer hours
# of the year (grid).
QUERIES_ME = 8
QUERIES_HOME_VILLAGER = 7  # / for a logged-in villager (own-site lookup, sites list, household)
QUERIES_HOME_ANONYMOUS = 1  # / for a visitor (the list of village sites)
QUERIES_ADMIN_VILLAGERS = 12  # /admin/villager/ for the secretary, 5 or 30 villagers
# /admin/household/ for the secretary, 5 or 30 households (14: the area filter joins each
# area's large grid for its label, where it loaded it per area)
QUERIES_ADMIN_HOUSEHOLDS = 14
# GET /api/v1/me with a bearer token, whatever the size of the household: read afresh after a
# change in the household, the token, the household and its members; kept (village/api_me.py),
# the token alone (tests/village/test_request_speed.py pins the other cases).
QUERIES_API_ME = 3
QUERIES_API_ME_KEPT = 1


@pytest.fixture
def resident(township_world):
    """The own village's resident, head of a household of three."""
    villager = township_world["users"]["resident"].villager
    villager.name = "张大山"
    villager.relation_to_head = "户主"
    villager.save()
    household = villager.household
    household.head = villager
    household.save()
    VillagerFactory(household=household, name="李秀珍", relation_to_head="配偶", gender="f")
    VillagerFactory(household=household, name="张小雨", relation_to_head="子女", gender="f")
    return villager


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _add_members(household, count):
    for n in range(count):
        VillagerFactory(household=household, name=f"家人{n}号", relation_to_head="子女")


# --- language -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/login/", "/activate/"])
def test_pages_render_in_chinese_for_a_visitor(db, client, url):
    html = _html(client.get(url))
    assert '<html lang="zh-Hans">' in html
    assert "村治" in html


def test_pages_render_in_chinese_for_a_logged_in_villager(resident, client):
    client.force_login(resident.user)
    for url in ["/", "/me/"]:
        html = _html(client.get(url))
        assert '<html lang="zh-Hans">' in html, url
        assert "我的户" in html and "退出" in html


def test_an_english_browser_still_gets_chinese_until_the_switch_is_used(resident, client):
    client.force_login(resident.user)
    html = _html(client.get("/me/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))
    assert '<html lang="zh-Hans">' in html


def test_home_page_for_a_visitor_offers_login_and_activation(db, client):
    html = _html(client.get("/"))
    assert 'href="/login/"' in html and 'href="/activate/"' in html


def test_home_page_links_a_villager_to_the_household_and_not_to_the_admin(resident, client):
    client.force_login(resident.user)
    html = _html(client.get("/"))
    assert resident.household.number in html
    assert 'href="/admin/"' not in html


def test_home_page_links_a_cadre_to_the_admin(township_world, client):
    client.force_login(township_world["users"]["secretary"])
    html = _html(client.get("/"))
    assert 'href="/admin/"' in html and "东毛铺村" in html


# --- my household ------------------------------------------------------------------------


def test_my_household_shows_number_and_every_member_with_masked_ids(resident, client):
    client.force_login(resident.user)
    html = _html(client.get("/me/"))
    household = resident.household
    assert household.number in html
    assert "东毛铺村" in html
    members = list(Villager.objects.filter(household=household))
    assert len(members) == 3
    for member in members:
        assert member.name in html
        assert member.id_number not in html
        assert member.masked_id_number in html
    assert "家庭成员（3 人）" in html
    assert len(MASKED.findall(html)) == 3


def test_my_household_shows_only_my_household(resident, township_world, client):
    other = HouseholdFactory(village=township_world["own"], area=township_world["area"])
    VillagerFactory(household=other, name="隔壁老王")
    client.force_login(resident.user)
    html = _html(client.get("/me/"))
    assert "隔壁老王" not in html and other.number not in html


def test_secretary_sees_masked_id_numbers_of_their_own_household(township_world, client):
    secretary = township_world["users"]["secretary"].villager
    client.force_login(secretary.user)
    html = _html(client.get("/me/"))
    assert secretary.id_number not in html
    assert secretary.masked_id_number in html


def test_user_without_a_household_gets_a_clear_message(township_world, client):
    client.force_login(township_world["users"]["outsider"])
    html = _html(client.get("/me/"))
    assert "您的账号没有关联到本村的户。" in html
    assert "家庭成员" not in html


def test_inspector_sees_the_villages_of_the_township_on_my_page(township_world, client):
    client.force_login(township_world["users"]["inspector"])
    html = _html(client.get("/me/"))
    assert "东毛铺村" in html and "西河村" in html and "远方村" not in html
    assert 'href="/admin/"' in html


def test_my_household_needs_a_login(db, client):
    response = client.get("/me/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/me/"


# --- no outside host ------------------------------------------------------------------------

ASSET = re.compile(
    r"""<(?:script|img|iframe|source|video|audio)\b[^>]*\bsrc\s*=\s*["']([^"']+)"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']([^"']+)"""
    r"""|url\(\s*["']?([^"')]+)""",
    re.IGNORECASE,
)
ANY_URL = re.compile(r"""(?:src|href|action|srcset)\s*=\s*["']([^"']+)""", re.IGNORECASE)


def _outside(urls) -> list[str]:
    return [u for u in urls if urlparse(u.strip()).netloc not in ("", "testserver")]


def test_public_pages_load_and_link_nothing_from_another_host(resident, client):
    pages = [client.get(url) for url in ["/", "/login/", "/activate/"]]
    client.force_login(resident.user)
    pages += [client.get(url) for url in ["/", "/me/"]]
    for response in pages:
        html = _html(response)
        assert _outside(ANY_URL.findall(html)) == [], response.request["PATH_INFO"]
        assert not re.search(r"https?://(?!testserver)", html), response.request["PATH_INFO"]
        # A CDN appears as a host ("//cdn.…", "…cdn…/"); a random CSRF token may contain "cdn".
        assert "//fonts." not in html and not re.search(r"//[\w.-]*cdn", html, re.IGNORECASE)


@pytest.mark.parametrize("url", ["/admin/", "/admin/villager/", "/admin/roster/", "/admin/audit/"])
def test_admin_pages_load_no_asset_from_another_host(township_world, client, url):
    client.force_login(township_world["users"]["secretary"])
    html = _html(client.get(url))
    assets = [next(g for g in groups if g) for groups in ASSET.findall(html)]
    assert assets, "the page should load its own assets"
    assert _outside(assets) == []
    assert "gravatar" not in html.lower()


# --- pinned query counts ----------------------------------------------------------------------


def test_my_household_query_count_does_not_grow_with_the_household(
    resident, client, django_assert_num_queries
):
    client.force_login(resident.user)
    _html(client.get("/me/"))  # warm-up
    with django_assert_num_queries(QUERIES_ME):
        html = _html(client.get("/me/"))
    assert "家庭成员（3 人）" in html
    _add_members(resident.household, 5)
    with django_assert_num_queries(QUERIES_ME):
        html = _html(client.get("/me/"))
    assert "家庭成员（8 人）" in html
    assert "家人4号" in html


def test_home_page_query_counts(resident, client, django_assert_num_queries):
    _html(client.get("/"))
    with django_assert_num_queries(QUERIES_HOME_ANONYMOUS):
        _html(client.get("/"))
    client.force_login(resident.user)
    _html(client.get("/"))
    with django_assert_num_queries(QUERIES_HOME_VILLAGER):
        html = _html(client.get("/"))
    assert resident.household.number in html
    _add_members(resident.household, 5)
    with django_assert_num_queries(QUERIES_HOME_VILLAGER):
        _html(client.get("/"))


def test_admin_villager_index_query_count_does_not_grow_with_villagers(
    township_world, client, django_assert_num_queries
):
    household = HouseholdFactory(village=township_world["own"], area=township_world["area"])
    for n in range(5):
        VillagerFactory(household=household, name=f"花名册{n:02d}")
    client.force_login(township_world["users"]["secretary"])
    _html(client.get("/admin/villager/"))  # warm-up
    with django_assert_num_queries(QUERIES_ADMIN_VILLAGERS):
        html = _html(client.get("/admin/villager/"))
    assert "花名册04" in html
    for n in range(5, 30):
        VillagerFactory(household=household, name=f"花名册{n:02d}")
    with django_assert_num_queries(QUERIES_ADMIN_VILLAGERS):
        html = _html(client.get("/admin/villager/"))
    assert "花名册29" in html


def test_admin_household_index_query_count_does_not_grow_with_households(
    township_world, client, django_assert_num_queries
):
    own, area = township_world["own"], township_world["area"]

    def add_households(numbers):
        for n in numbers:
            household = HouseholdFactory(village=own, area=area, number=f"Q-{n:03d}")
            household.head = VillagerFactory(household=household, name=f"户主{n:02d}")
            household.save()

    add_households(range(5))
    client.force_login(township_world["users"]["secretary"])
    _html(client.get("/admin/household/"))  # warm-up
    with django_assert_num_queries(QUERIES_ADMIN_HOUSEHOLDS):
        html = _html(client.get("/admin/household/"))
    assert "Q-004" in html and "户主04" in html
    add_households(range(5, 30))
    with django_assert_num_queries(QUERIES_ADMIN_HOUSEHOLDS):
        html = _html(client.get("/admin/household/"))
    assert "Q-029" in html and "户主29" in html


def test_api_me_query_count_does_not_grow_with_the_household(
    resident, client, django_assert_num_queries
):
    response = client.post(
        "/api/v1/auth/token",
        {"username": "resident", "password": PASSWORD},
        content_type="application/json",
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}
    assert client.get("/api/v1/me", **headers).status_code == 200  # warm-up (marks token used)
    api_me.household_changed(resident.household_id)
    with django_assert_num_queries(QUERIES_API_ME):
        body = client.get("/api/v1/me", **headers).json()
    assert len(body["household"]["members"]) == 3
    with django_assert_num_queries(QUERIES_API_ME_KEPT):
        assert client.get("/api/v1/me", **headers).json() == body
    _add_members(resident.household, 5)
    with django_assert_num_queries(QUERIES_API_ME):
        body = client.get("/api/v1/me", **headers).json()
    assert len(body["household"]["members"]) == 8
    with django_assert_num_queries(QUERIES_API_ME_KEPT):
        assert client.get("/api/v1/me", **headers).json() == body


def test_a_user_with_no_villager_record_and_no_role_sees_no_admin_link(db, client):
    client.force_login(UserFactory(username="walk-in"))
    html = _html(client.get("/"))
    assert 'href="/admin/"' not in html
