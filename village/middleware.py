"""Request-wide behaviour: the interface language, and a clear answer when the database is busy."""

import logging
import sqlite3

from django.db import OperationalError
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Seconds a client should wait before it sends the request again.
RETRY_AFTER = 1

# PostgreSQL refusals that are over once the other transaction ends (psycopg errors
# LockNotAvailable — lock_timeout —, SerializationFailure, DeadlockDetected).
_PG_RETRYABLE = {"55P03", "40001", "40P01"}
# SQLite's "database is locked" (SQLITE_BUSY) and "database table is locked" (SQLITE_LOCKED).
_SQLITE_RETRYABLE = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


class ChineseFirstMiddleware:
    """Chinese first: the interface language is 简体中文 unless the user chose another one.

    Browsers of cadres' office PCs often send an English Accept-Language; a village platform
    should not switch to English because of it. The choice made with the language switcher (a
    cookie) and a Wagtail admin user's preferred language still apply.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


def database_busy(exc: BaseException) -> bool:
    """Whether `exc` is the database asking to come back later (another writer holds a lock),
    not a fault: the transaction was rolled back and the same request may simply be repeated."""
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__ or exc
    if getattr(cause, "sqlstate", None) in _PG_RETRYABLE:
        return True
    code = getattr(cause, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_RETRYABLE  # the primary code of an extended one
    message = str(exc).lower()
    return "database is locked" in message or "database table is locked" in message


def busy_response(request) -> HttpResponse:
    """503 with Retry-After: JSON like every API error under /api/, a short page elsewhere."""
    message = _("系统正忙，操作未完成，请稍后重试。")
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"message": message, "code": "busy"},
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        title = escape(_("系统正忙"))
        response = HttpResponse(
            f"<!doctype html><meta charset=utf-8><title>{title}</title>"
            f"<h1>{title}</h1><p>{escape(message)}</p>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER)
    return response


class DatabaseBusyMiddleware:
    """A view that met a locked database answers 503 + Retry-After instead of a 500.

    The JSON API catches its exceptions itself; village/api.py hands this case to
    `busy_response` too, so both look the same."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not database_busy(exception):
            return None
        logger.warning(
            "database busy, answered 503: %s %s (%s)", request.method, request.path, exception
        )
        return busy_response(request)


def server_error(request):
    """handler500: a lock met outside a view (a middleware saving the session, say) is a busy
    database too — 503 with Retry-After; anything else is Django's own 500 page."""
    import sys

    from django.views import defaults

    exc = sys.exc_info()[1]
    if exc is not None and database_busy(exc):
        return busy_response(request)
    return defaults.server_error(request)
