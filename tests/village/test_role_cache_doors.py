"""A user's roles are cached across requests (village/permissions.py). A grant or a revocation
must reach the very next request whichever door it came through: the admin's membership
screens (add, edit), and — for a change made outside the application, by raw SQL or by
restoring a backup, which no signal sees — within the cache's lifetime (ROLES_TIMEOUT, minutes
not a day)."""

import time
from datetime import timedelta
from unittest import mock

from django.db import connection
from django.test import Client
from django.utils import timezone

from tests.support.api_tokens import bearer, me
from village.models import Membership


def _api(username) -> tuple[Client, dict]:
    client = Client()
    return client, bearer(client, username)


def _roles(api) -> list[str]:
    return sorted(r["role"] for r in me(*api)["roles"])


def _admin(township_world) -> Client:
    client = Client()
    client.force_login(township_world["users"]["secretary"])
    return client


def test_a_role_granted_and_ended_in_the_admin_shows_on_the_very_next_request(township_world):
    resident = township_world["users"]["resident"]
    api = _api("resident")
    assert _roles(api) == []  # now cached: no role
    today = timezone.localdate()
    response = _admin(township_world).post(
        "/admin/membership/new/",
        {
            "village": township_world["own"].pk,
            "villager": resident.villager.pk,
            "role": "village_committee",
            "start": (today - timedelta(days=2)).isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _roles(api) == ["village_committee"]

    membership = Membership.objects.get(villager=resident.villager, role="village_committee")
    response = _admin(township_world).post(
        f"/admin/membership/edit/{membership.pk}/",
        {
            "village": township_world["own"].pk,
            "villager": resident.villager.pk,
            "role": "village_committee",
            "start": (today - timedelta(days=2)).isoformat(),
            "end": (today - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _roles(api) == []


def test_a_role_ended_by_raw_sql_is_gone_once_the_cache_lifetime_has_passed(township_world):
    """No signal sees raw SQL (a DBA's fix, a restored backup): ten minutes later the cached
    roles must be gone — not kept until midnight."""
    api = _api("grid_officer")
    assert _roles(api) == ["grid_officer"]
    yesterday = timezone.localdate() - timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE {Membership._meta.db_table} SET "end" = %s WHERE villager_id = %s',
            [yesterday, township_world["users"]["grid_officer"].villager.pk],
        )
    ten_minutes_later = time.time() + 10 * 60 + 1
    with mock.patch("django.core.cache.backends.locmem.time.time", return_value=ten_minutes_later):
        assert _roles(api) == []
