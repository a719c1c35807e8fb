"""A locked database is a "come back in a second", not a crash: 503 with Retry-After, JSON for
the API, a short page elsewhere; any other database error still goes up as a fault."""

import sqlite3
from unittest import mock

import psycopg.errors
import pytest
from django.db import OperationalError
from wagtail.models import APIToken

from tests.factories import UserFactory
from village.middleware import database_busy


def _locked():
    """What Django raises for SQLite's SQLITE_BUSY: its own error, the driver's as the cause."""
    cause = sqlite3.OperationalError("database is locked")
    cause.sqlite_errorcode = sqlite3.SQLITE_BUSY
    try:
        raise OperationalError(*cause.args) from cause
    except OperationalError as exc:
        return exc


def _failing(exc):
    """/me (page and API) raise `exc` where they first read the database."""
    return mock.patch("village.selectors.household_for_user", side_effect=exc)


@pytest.fixture
def token(db):
    return APIToken.create_token(user=UserFactory(), name="test")[1]


@pytest.mark.parametrize("debug", [False, True], ids=["production", "make-run"])
def test_locked_database_in_the_api_answers_503_json_with_retry_after(
    client, token, settings, debug
):
    # With DEBUG on (make run) ninja itself answers an exception with a 500 traceback, before
    # any middleware: its handler must know the case too.
    settings.DEBUG = debug
    with _failing(_locked()):
        response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"message": "系统正忙，操作未完成，请稍后重试。", "code": "busy"}


def test_busy_message_follows_the_chosen_language(client, token, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with _failing(OperationalError("database is locked")):
        response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 503
    assert response.json()["message"].startswith("The system is busy")


def test_locked_database_on_a_page_answers_503_page_with_retry_after(client, db):
    client.force_login(UserFactory())
    with _failing(_locked()):
        response = client.get("/me/")
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response["Content-Type"].startswith("text/html")
    assert "系统正忙，操作未完成，请稍后重试。" in response.content.decode()


@pytest.mark.parametrize(
    "cause",
    [
        psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"),
        psycopg.errors.SerializationFailure("could not serialize access"),
        psycopg.errors.DeadlockDetected("deadlock detected"),
    ],
    ids=["lock-timeout", "serialization", "deadlock"],
)
def test_postgresql_lock_refusals_answer_503(client, token, cause):
    try:
        raise OperationalError(str(cause)) from cause
    except OperationalError as exc:
        error = exc
    assert database_busy(error)
    with _failing(error):
        response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 503
    assert response.json()["code"] == "busy"


def test_other_database_errors_still_propagate(client, token):
    client.force_login(UserFactory())
    broken = OperationalError("no such table: village_household")
    assert not database_busy(broken)
    with _failing(broken), pytest.raises(OperationalError, match="no such table"):
        client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    with _failing(broken), pytest.raises(OperationalError, match="no such table"):
        client.get("/me/")


def test_other_errors_still_propagate(client, token):
    client.force_login(UserFactory())
    with _failing(RuntimeError("bug")), pytest.raises(RuntimeError):
        client.get("/me/")
    # Not even an error of the driver that says "locked" outside a Django OperationalError.
    assert not database_busy(sqlite3.OperationalError("database is locked"))


class _LockedOnTheWayOut:
    """A middleware that meets a locked database after the view (as saving a session can)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        self.get_response(request)
        raise OperationalError("database is locked")


def test_a_lock_met_after_the_view_is_a_503_too(client, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}._LockedOnTheWayOut"]
    client.raise_request_exception = False
    response = client.get("/verify/NOSUCHCODE/")
    assert response.status_code == 503
    assert response["Retry-After"] == "1"


class _BrokenOnTheWayOut(_LockedOnTheWayOut):
    def __call__(self, request):
        self.get_response(request)
        raise OperationalError("no such table: nothing")


def test_any_other_error_after_the_view_stays_a_500(client, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}._BrokenOnTheWayOut"]
    client.raise_request_exception = False
    assert client.get("/verify/NOSUCHCODE/").status_code == 500
