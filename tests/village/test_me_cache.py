"""`GET /api/v1/me` kept across requests (village/api_me.py): the kept answer is the answer, byte
for byte, and any change of what it shows — a role, the household or one of its members, a
villager moving, a place's name, the user's own row — shows on the very next request. Whether
the user may ask at all is never kept: a deactivated account or a revoked token is refused on the
next request, the answer warm in the cache."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import APIToken

from tests.factories import PASSWORD, HouseholdFactory, VillageFactory, VillagerFactory
from tests.support.api_tokens import bearer, me
from village import api_me, services
from village.models import Membership, Villager
from village.permissions import SYSTEM

ME = "/api/v1/me"


def _kept(client, headers, django_assert_num_queries) -> dict:
    """/me answered from the cache: the token is the one query."""
    with django_assert_num_queries(1):
        return me(client, headers)


@pytest.fixture
def resident(township_world):
    return township_world["users"]["resident"]


@pytest.fixture
def headers(client, resident):
    headers = bearer(client, "resident")
    me(client, headers)  # kept from here on
    return headers


@pytest.mark.parametrize("username", ["resident", "secretary", "grid_officer", "inspector"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_kept_answer_is_the_answer_byte_for_byte(
    township_world, client, settings, username, language
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    headers = bearer(client, username)
    fresh = client.get(ME, **headers)
    kept = client.get(ME, **headers)
    assert kept.content == fresh.content
    assert {k: v for k, v in kept.items() if k != "Content-Security-Policy"} == {
        k: v for k, v in fresh.items() if k != "Content-Security-Policy"
    }
    assert kept["Content-Type"] == "application/json; charset=utf-8"


def test_each_language_is_kept_apart(township_world, client, settings):
    headers = bearer(client, "secretary")
    assert [r["label"] for r in me(client, headers)["roles"]] == ["党支部书记"]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert [r["label"] for r in me(client, headers)["roles"]] == ["Party branch secretary"]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert [r["label"] for r in me(client, headers)["roles"]] == ["党支部书记"]


def test_a_role_granted_and_revoked_by_a_plain_save_shows_on_the_next_request(
    township_world, client, resident, headers, django_assert_num_queries
):
    assert _kept(client, headers, django_assert_num_queries)["roles"] == []
    today = timezone.localdate()
    membership = services.membership_create(
        actor=SYSTEM,
        village=township_world["own"],
        villager=resident.villager,
        role="supervision",
        start=today - timedelta(days=3),
    )
    assert [r["role"] for r in me(client, headers)["roles"]] == ["supervision"]
    assert [r["role"] for r in _kept(client, headers, django_assert_num_queries)["roles"]] == [
        "supervision"
    ]
    membership = Membership.objects.get(pk=membership.pk)
    membership.end = today - timedelta(days=1)
    membership.save()
    assert me(client, headers)["roles"] == []


def test_a_township_role_ended_shows_on_the_next_request(township_world, client):
    headers = bearer(client, "inspector")
    assert len(me(client, headers)["villages"]) == 2
    membership = township_world["users"]["inspector"].township_memberships.get()
    today = timezone.localdate()
    membership.start, membership.end = today - timedelta(days=9), today - timedelta(days=1)
    membership.save()
    body = me(client, headers)
    assert body["roles"] == [] and body["villages"] == []


def test_a_new_household_member_shows_to_the_others_on_the_next_request(
    client, resident, headers, django_assert_num_queries
):
    before = _kept(client, headers, django_assert_num_queries)["household"]["members"]
    VillagerFactory(household=resident.villager.household, name="新生儿")
    members = me(client, headers)["household"]["members"]
    assert len(members) == len(before) + 1 and "新生儿" in {m["name"] for m in members}


def test_a_household_members_record_changed_shows_to_the_others(
    client, resident, headers, django_assert_num_queries
):
    household = resident.villager.household
    spouse = VillagerFactory(household=household, name="李秀珍")
    assert "李秀珍" in {m["name"] for m in me(client, headers)["household"]["members"]}
    _kept(client, headers, django_assert_num_queries)
    spouse.name = "李秀贞"
    spouse.is_representative = True
    spouse.save()
    members = {m["name"]: m for m in me(client, headers)["household"]["members"]}
    assert "李秀珍" not in members and members["李秀贞"]["is_representative"] is True
    spouse.delete()
    names = {m["name"] for m in me(client, headers)["household"]["members"]}
    assert "李秀贞" not in names


def test_the_household_row_changed_shows_on_the_next_request(
    client, resident, headers, django_assert_num_queries
):
    _kept(client, headers, django_assert_num_queries)
    household = resident.villager.household
    household.address = "东街 8 号"
    household.save()
    assert me(client, headers)["household"]["address"] == "东街 8 号"


def test_a_villager_moved_to_another_household_shows_to_everyone_concerned(
    township_world, client, resident, headers, django_assert_num_queries
):
    old = resident.villager.household
    stays = VillagerFactory(household=old, name="留守者")
    stays.user = township_world["users"]["outsider"]
    stays.save()
    stays_headers = bearer(client, "outsider")
    assert {m["name"] for m in me(client, stays_headers)["household"]["members"]} >= {
        resident.villager.name
    }
    new = HouseholdFactory(village=old.village, area=old.area, number="NEW-1")
    me(client, headers)  # the outsider joined the household: read afresh once
    _kept(client, headers, django_assert_num_queries)
    _kept(client, stays_headers, django_assert_num_queries)
    villager = Villager.objects.get(pk=resident.villager.pk)
    villager.household = new
    villager.save()
    assert me(client, headers)["household"]["number"] == "NEW-1"
    left_behind = {m["name"] for m in me(client, stays_headers)["household"]["members"]}
    assert resident.villager.name not in left_behind


def test_a_place_renamed_shows_on_the_next_request(
    township_world, client, resident, headers, django_assert_num_queries
):
    _kept(client, headers, django_assert_num_queries)
    own = township_world["own"]
    own.name = "东毛铺新村"
    own.save()
    body = me(client, headers)
    assert body["village"]["name"] == "东毛铺新村" and body["villages"][0]["name"] == "东毛铺新村"
    township = own.township
    township.name = "云岭新镇"
    township.save()
    assert me(client, headers)["village"]["township"] == "云岭新镇"
    area = resident.villager.household.area
    area.name = "新片区"
    area.save()
    assert me(client, headers)["household"]["area"].endswith("新片区")


def test_a_new_village_of_the_township_shows_to_its_inspector(township_world, client):
    headers = bearer(client, "inspector")
    assert len(me(client, headers)["villages"]) == 2
    VillageFactory(name="南山村", township=township_world["own"].township)
    assert "南山村" in {v["name"] for v in me(client, headers)["villages"]}


def test_the_users_own_row_changed_shows_on_the_next_request(
    township_world, client, django_assert_num_queries
):
    user = township_world["users"]["inspector"]  # no villager record: the account's name
    headers = bearer(client, "inspector")
    me(client, headers)
    _kept(client, headers, django_assert_num_queries)
    user.first_name = "巡查员"
    user.save()
    assert me(client, headers)["name"] == "巡查员"
    user.is_superuser = True
    user.save()
    assert len(me(client, headers)["villages"]) == 3  # every village, as for any superuser


def test_a_deactivated_user_is_refused_on_the_next_request(
    client, resident, headers, django_assert_num_queries
):
    _kept(client, headers, django_assert_num_queries)
    resident.is_active = False
    resident.save()
    assert client.get(ME, **headers).status_code == 401
    type(resident).objects.filter(pk=resident.pk).update(is_active=True)
    assert client.get(ME, **headers).status_code == 200
    # A bulk update sends no signal: refused all the same.
    type(resident).objects.filter(pk=resident.pk).update(is_active=False)
    assert client.get(ME, **headers).status_code == 401


def test_a_revoked_token_is_refused_on_the_next_request(
    client, resident, headers, django_assert_num_queries
):
    _kept(client, headers, django_assert_num_queries)
    token = APIToken.objects.get(user=resident)
    token.revoke()
    assert client.get(ME, **headers).status_code == 401
    # Another token of the same account still gets the (kept) answer.
    assert me(client, bearer(client, "resident"))["username"] == "resident"


def test_a_password_change_is_seen_on_the_next_request(
    client, resident, headers, django_assert_num_queries
):
    """A new password does not end the phone's token (it is the account's, as before the
    cache); the old password no longer gets a new one, the new one does — and both tokens are
    answered with the user's own answer."""
    kept = _kept(client, headers, django_assert_num_queries)
    resident.set_password("a-New-pass-456")
    resident.save()
    assert me(client, headers) == kept
    refused = client.post(
        "/api/v1/auth/token",
        {"username": "resident", "password": PASSWORD},
        content_type="application/json",
    )
    assert refused.status_code == 401
    fresh = client.post(
        "/api/v1/auth/token",
        {"username": "resident", "password": "a-New-pass-456"},
        content_type="application/json",
    )
    new_headers = {"HTTP_AUTHORIZATION": f"Bearer {fresh.json()['token']}"}
    assert me(client, new_headers) == kept


def test_a_session_logged_out_never_reaches_the_api(client, resident, headers):
    """The API answers bearer tokens only: a browser's session, logged in or out, is never the
    user of /me, cached or not."""
    client.force_login(resident)
    assert client.get(ME).status_code == 401
    assert me(client, headers)["username"] == "resident"
    client.logout()
    assert client.get(ME).status_code == 401
    assert me(client, headers)["username"] == "resident"


def test_roles_that_end_today_are_gone_from_the_answer_at_midnight(
    township_world, client, django_assert_num_queries
):
    user = township_world["users"]["secretary"]
    headers = bearer(client, "secretary")
    assert [r["role"] for r in me(client, headers)["roles"]] == ["secretary"]
    today = timezone.localdate()
    Membership.objects.filter(villager__user=user).update(end=today)  # a bulk update: no signal
    assert [r["role"] for r in _kept(client, headers, django_assert_num_queries)["roles"]] == [
        "secretary"
    ]
    with mock.patch("django.utils.timezone.localdate", return_value=today + timedelta(days=1)):
        assert me(client, headers)["roles"] == []


def test_an_answer_read_while_a_change_was_written_is_never_served_after_it(
    client, resident, headers
):
    """The race a cache invites: a request reads the stamp and computes the answer, meanwhile
    the household changes, then the request keeps its answer. It is kept under the stamp read
    before the change, which the next request no longer matches."""
    household = resident.villager.household
    real = api_me.answer

    def answer_while_a_member_arrives(user, compute):
        def compute_then_change():
            body = compute()
            VillagerFactory(household=household, name="后来者")
            return body

        return real(user, compute_then_change)

    with mock.patch.object(api_me, "answer", answer_while_a_member_arrives):
        api_me.household_changed(household.pk)
        stale = me(client, headers)
    assert "后来者" not in {m["name"] for m in stale["household"]["members"]}
    assert "后来者" in {m["name"] for m in me(client, headers)["household"]["members"]}


def test_changes_held_in_a_bulk_load_show_once_it_ends(
    township_world, client, resident, headers, django_assert_num_queries
):
    """`load_demo` holds household changes: none is lost, and the members of all the changed
    households are read once at the end, not once per change."""
    household = resident.villager.household
    _kept(client, headers, django_assert_num_queries)
    other = HouseholdFactory(village=household.village, area=household.area, number="HELD-2")
    with mock.patch.object(api_me, "_members_changed", wraps=api_me._members_changed) as reads:
        with api_me.household_changes_held():
            household.address = "西街 1 号"
            household.save()
            VillagerFactory(household=household, name="新来的")
            VillagerFactory(household=other, name="隔壁")
            assert reads.call_count == 0
        assert reads.call_count == 1
        assert sorted(reads.call_args.args[0]) == sorted([household.pk, other.pk])
    answer = me(client, headers)["household"]
    assert answer["address"] == "西街 1 号"
    assert "新来的" in {m["name"] for m in answer["members"]}


def test_a_villager_saved_reads_its_stored_row_once(resident):
    """Both caches that follow a villager (roles, the kept answer) learn what the stored row
    held — its account and its household — from one read."""
    villager = Villager.objects.get(pk=resident.villager.pk)
    villager.name = "改了名"
    with CaptureQueriesContext(connection) as queries:
        villager.save()
    # A read of the stored row's links alone: its account, its household, or both.
    links = r'"village_villager"\."(user_id|household_id)"( AS "\w+")?'
    stored = re.compile(rf'^SELECT {links}(, {links})? FROM .* WHERE "village_villager"\."id" = ')
    assert len([q for q in queries if stored.match(q["sql"])]) == 1
