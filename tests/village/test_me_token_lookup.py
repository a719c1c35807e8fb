"""The API's token lookup with its SQL built once (village/api_auth.py) finds what wagtail's
BearerTokenAuth finds — the same token and user, every field as the ORM reads it — and refuses
what it refuses: an unknown or revoked token, a deactivated account. On a kept connection it is
also the request's health check."""

import psycopg
import pytest
from django.db import OperationalError, connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import APIToken

from tests.factories import UserFactory
from tests.support.concurrency import skip_unless_postgresql
from village.api_auth import find_token


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


@pytest.fixture
def issued(db):
    user = UserFactory(username="lookup", first_name="查找", is_staff=True)
    user.last_login = timezone.now()
    user.save()
    row, plaintext = APIToken.create_token(user=user, name="phone")
    APIToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
    return row, plaintext


def test_the_token_and_its_user_are_those_the_orm_reads(issued):
    row, plaintext = issued
    found = find_token(plaintext)
    expected = APIToken.objects.select_related("user").get(pk=row.pk)
    assert _fields(found) == _fields(expected)
    assert _fields(found.user) == _fields(expected.user)
    assert found.last_used_at.tzinfo is not None and found.user.is_staff is True
    assert not found._state.adding and found.user._state.db == expected.user._state.db


def test_an_unknown_or_revoked_token_is_not_found(issued):
    row, plaintext = issued
    assert find_token(APIToken.generate_token()) is None
    assert find_token("") is None
    row.revoke()
    assert find_token(plaintext) is None


def test_a_token_of_a_rotated_secret_key_is_still_found(issued, settings):
    row, plaintext = issued
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-0123456789"
    assert find_token(plaintext).pk == row.pk


def test_the_api_refuses_a_deactivated_account_and_marks_a_token_used(issued, client):
    row, plaintext = issued
    APIToken.objects.filter(pk=row.pk).update(last_used_at=None)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    assert client.get("/api/v1/me", **headers).status_code == 200
    assert APIToken.objects.get(pk=row.pk).last_used_at is not None
    row.user.is_active = False
    row.user.save()
    response = client.get("/api/v1/me", **headers)
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


# -- the lookup as the kept connection's health check --------------------------------------------


def a_new_request(monkeypatch) -> list:
    """The state of a kept connection when a request begins (CONN_HEALTH_CHECKS on): its health
    not yet checked. Returns the calls of Django's own check (`SELECT 1`)."""
    wrapper = connections["default"]  # the connection itself, not its thread-local proxy
    wrapper.ensure_connection()
    monkeypatch.setattr(wrapper, "health_check_enabled", True)
    wrapper.health_check_done = False
    checks = []
    real = wrapper.is_usable
    monkeypatch.setattr(wrapper, "is_usable", lambda: checks.append(1) or real())
    return checks


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("flushable_audit_chain")
def test_the_lookup_is_the_requests_health_check(monkeypatch):
    user = UserFactory(username="kept")
    row, plaintext = APIToken.create_token(user=user, name="phone")
    checks = a_new_request(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        assert find_token(plaintext).pk == row.pk
    assert checks == [] and len(queries) == 1
    assert connection.health_check_done


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("flushable_audit_chain")
def test_a_connection_the_database_dropped_is_replaced_not_a_500(monkeypatch):
    skip_unless_postgresql()
    user = UserFactory(username="dropped")
    row, plaintext = APIToken.create_token(user=user, name="phone")
    a_new_request(monkeypatch)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    with psycopg.connect(**connection.get_connection_params()) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    connection.health_check_done = False  # the next request on the dead connection

    assert find_token(plaintext).pk == row.pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("flushable_audit_chain")
def test_an_error_on_a_sound_connection_is_not_run_again(monkeypatch):
    """A timeout or a lock is the database's answer, not a dropped connection: raised as it
    would be without the check, the lookup not run twice."""
    from village import api_auth

    a_new_request(monkeypatch)
    runs = []

    def timed_out(*args):
        runs.append(1)
        raise OperationalError("canceling statement due to statement timeout")

    monkeypatch.setattr(api_auth, "_fetch", timed_out)
    with pytest.raises(OperationalError):
        find_token(APIToken.generate_token())
    assert runs == [1]
