"""A request near the framework's floor (issue 16): a user's roles are kept across requests in
the cache, and read afresh on the very next request after any change of them — through the
services, through a plain save, and at midnight; a role read before its revocation is never
served after it. `GET /api/v1/me` costs a pinned number of queries, warm and on a user's first
request."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.factories import UserFactory
from tests.support.api_tokens import bearer, me
from village import permissions, services
from village.models import Membership, TownshipMembership, Villager, VillagerStatus
from village.permissions import SYSTEM, Action

# GET /api/v1/me for a resident: the token (the answer is kept, village/api_me.py); on the user's
# first request also their villager record, memberships and township memberships (the roles),
# the household and its members, and the token's last-used mark.
QUERIES_API_ME_WARM = 1
QUERIES_API_ME_FIRST = 7


def _fresh(user):
    """The user as the next request loads it: nothing kept on the object."""
    return type(user).objects.get(pk=user.pk)


def test_api_me_query_counts_first_and_warm(township_world, client, django_assert_num_queries):
    headers = bearer(client, "resident")
    cache.clear()  # the user's first request of the day: no roles cached
    with django_assert_num_queries(QUERIES_API_ME_FIRST):
        first = me(client, headers)
    with django_assert_num_queries(QUERIES_API_ME_WARM):
        warm = me(client, headers)
    assert first == warm
    assert warm["villages"] == [
        {"id": township_world["own"].pk, "name": "东毛铺村", "township": mock.ANY}
    ]


def test_api_me_of_an_officer_lists_roles_and_villages_as_before(township_world, client):
    body = me(client, bearer(client, "secretary"))
    assert [r["role"] for r in body["roles"]] == ["secretary"]
    assert [v["name"] for v in body["villages"]] == ["东毛铺村"]
    inspector = me(client, bearer(client, "inspector"))
    assert [r["role"] for r in inspector["roles"]] == ["inspector"]
    assert {v["name"] for v in inspector["villages"]} == {"东毛铺村", "西河村"}


def test_a_role_granted_and_ended_through_the_services_shows_on_the_very_next_request(
    township_world, client
):
    own = township_world["own"]
    secretary = township_world["users"]["secretary"]
    resident = township_world["users"]["resident"]
    headers = bearer(client, "resident")
    assert me(client, headers)["roles"] == []
    assert not permissions.can(_fresh(resident), Action.VIEW_ROSTER, own)  # cached now
    today = timezone.localdate()
    membership = services.membership_create(
        actor=secretary,
        village=own,
        villager=resident.villager,
        role="village_committee",
        start=today - timedelta(days=3),
    )
    assert [r["role"] for r in me(client, headers)["roles"]] == ["village_committee"]
    assert permissions.can(_fresh(resident), Action.VIEW_ROSTER, own)
    services.membership_end(actor=secretary, membership=membership, end=today - timedelta(days=1))
    assert me(client, headers)["roles"] == []
    assert not permissions.can(_fresh(resident), Action.VIEW_ROSTER, own)


def test_a_township_role_granted_through_the_service_shows_on_the_next_request(
    township_world, client
):
    user = UserFactory(username="newcomer")
    headers = bearer(client, "newcomer")
    assert me(client, headers)["villages"] == []
    services.township_membership_create(
        actor=SYSTEM,
        township=township_world["own"].township,
        user=user,
        role="inspector",
        start=timezone.localdate(),
    )
    assert {v["name"] for v in me(client, headers)["villages"]} == {"东毛铺村", "西河村"}


def test_a_plain_save_of_the_rows_roles_come_from_reads_them_afresh(township_world, client):
    own = township_world["own"]
    user = township_world["users"]["grid_officer"]
    assert permissions.can(_fresh(user), Action.VIEW_ROSTER, own)
    membership = Membership.objects.get(villager__user=user, role="grid_officer")
    membership.end = timezone.localdate() - timedelta(days=1)
    membership.save()
    assert not permissions.can(_fresh(user), Action.VIEW_ROSTER, own)
    resident = township_world["users"]["resident"]
    assert permissions.can(_fresh(resident), Action.VIEW_VILLAGE, own)
    villager = resident.villager
    villager.status = VillagerStatus.MOVED_OUT
    villager.save()
    assert not permissions.can(_fresh(resident), Action.VIEW_VILLAGE, own)
    Membership.objects.filter(villager__user=township_world["users"]["secretary"]).delete()
    assert not permissions.can(
        _fresh(township_world["users"]["secretary"]), Action.CHANGE_ROSTER, own
    )


def test_roles_read_before_a_revocation_are_never_served_after_it(township_world):
    """The race a cache invites: a request reads the roles, the role is revoked and the
    revocation advances the generation, then the first request stores what it read. What it
    stored sits under the old generation, which no request asks for again."""
    own = township_world["own"]
    user = township_world["users"]["village_committee"]
    today = timezone.localdate()
    stale_key = permissions._roles_key(user.pk, today)
    stale = permissions._load_roles(_fresh(user), today)  # read before the revocation
    membership = Membership.objects.get(villager__user=user, role="village_committee")
    services.membership_end(actor=SYSTEM, membership=membership, end=today - timedelta(days=1))
    cache.set(stale_key, stale, permissions.ROLES_TIMEOUT)  # stored after it
    assert not permissions.can(_fresh(user), Action.CHANGE_ROSTER, own)


def test_the_generation_advances_again_when_the_revocation_commits(
    township_world, django_capture_on_commit_callbacks
):
    """Roles another request read between the revocation and its commit (the old rows) are
    stored under the generation of that moment: the commit moves past it too."""
    user = township_world["users"]["village_committee"]
    membership = Membership.objects.get(villager__user=user, role="village_committee")
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_end(actor=SYSTEM, membership=membership, end=today)
        during = permissions._roles_key(user.pk, today)
    assert permissions._roles_key(user.pk, today) != during


def test_roles_end_at_midnight_whatever_the_cache_holds(township_world):
    own = township_world["own"]
    user = township_world["users"]["village_committee"]
    today = timezone.localdate()
    Membership.objects.filter(villager__user=user).update(end=today)  # no signal: a bulk update
    assert permissions.can(_fresh(user), Action.CHANGE_ROSTER, own)  # cached for today
    with mock.patch.object(permissions.timezone, "localdate", return_value=today + timedelta(1)):
        assert not permissions.can(_fresh(user), Action.CHANGE_ROSTER, own)


def test_a_user_linked_to_a_villager_gets_the_residents_role_at_once(township_world, client):
    own = township_world["own"]
    user = UserFactory(username="linked")
    assert not permissions.can(_fresh(user), Action.VIEW_VILLAGE, own)
    villager = township_world["users"]["resident"].villager
    villager.user = None
    villager.save()
    fresh = Villager.objects.get(pk=villager.pk)
    fresh.user = user
    fresh.save(update_fields=["user"])
    assert permissions.can(_fresh(user), Action.VIEW_VILLAGE, own)


def test_a_villager_record_moved_to_another_account_takes_its_roles_along(township_world):
    """The account the record leaves loses the roles it gave at once (not at midnight)."""
    own = township_world["own"]
    secretary = township_world["users"]["secretary"]
    assert permissions.can(_fresh(secretary), Action.CHANGE_ROSTER, own)  # now cached
    newcomer = UserFactory(username="newcomer")
    villager = Villager.objects.get(user=secretary)
    villager.user = newcomer
    villager.save(update_fields=["user"])
    assert not permissions.can(_fresh(secretary), Action.CHANGE_ROSTER, own)
    assert permissions.can(_fresh(newcomer), Action.CHANGE_ROSTER, own)


def test_a_membership_moved_to_another_holder_leaves_nothing_behind(township_world):
    """A plain save moving a membership (or a township membership) to someone else: the one it
    leaves loses the role on the next request."""
    own = township_world["own"]
    secretary = township_world["users"]["secretary"]
    inspector = township_world["users"]["inspector"]
    other = township_world["users"]["resident"]
    assert permissions.can(_fresh(secretary), Action.CHANGE_ROSTER, own)  # now cached
    assert permissions.can(_fresh(inspector), Action.VIEW_ROSTER, own)
    membership = Membership.objects.get(villager__user=secretary, role="secretary")
    membership.villager = Villager.objects.get(user=other)
    membership.save()
    township_membership = TownshipMembership.objects.get(user=inspector)
    township_membership.user = other
    township_membership.save()
    assert not permissions.can(_fresh(secretary), Action.CHANGE_ROSTER, own)
    assert not permissions.can(_fresh(inspector), Action.VIEW_ROSTER, own)
    assert permissions.can(_fresh(other), Action.CHANGE_ROSTER, own)


@pytest.mark.parametrize("username", ["resident", "secretary", "inspector"])
def test_no_permission_is_asked_twice_in_one_request(township_world, client, username):
    """One load of the roles per request, however often the request asks."""
    headers = bearer(client, username)
    me(client, headers)
    calls = []
    real = permissions._load_roles
    cache.clear()
    with mock.patch.object(
        permissions, "_load_roles", side_effect=lambda *a: calls.append(a) or real(*a)
    ):
        me(client, headers)
    assert len(calls) == 1
