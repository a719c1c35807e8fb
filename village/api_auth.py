"""The API's bearer tokens: checked as wagtail's BearerTokenAuth checks them, on every request
and against the database (a revoked token or a deactivated account is refused at once), with
the lookup's SQL built once.

Every API request looks its token up, and Django's ORM spends several times longer building
that query (two tables, two dozen columns) than the database spends answering it: on a kept
`GET /api/v1/me` it was most of the request. The query is built by the ORM once per database
and number of candidate digests; each request runs it with its own digests, and the row is
turned into the token and its user by the same compiler, its converters included. On a kept
connection the lookup is also the request's health check (`_rows`): one round trip, not two.
"""

from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connections
from wagtail.api.v3 import auth as wagtail_auth
from wagtail.models import APIToken

# (database alias, number of candidate digests) → the lookup's compiler, SQL and converters.
_compiled: dict[tuple[str, int], tuple] = {}


def _lookup(alias: str, digests: int) -> tuple:
    """The token lookup for `digests` candidate digests: its compiler, its SQL and the
    converters of its columns (from the database's values to the fields')."""
    key = (alias, digests)
    if key not in _compiled:
        # Distinct stand-ins: the ORM drops repeated values from an IN list.
        stand_ins = [f"digest-{i}" for i in range(digests)]
        queryset = APIToken.objects.using(alias).select_related("user")
        queryset = queryset.filter(key_hash__in=stand_ins, revoked_at__isnull=True)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()  # also lays out the columns (select, klass_info)
        if list(params) != stand_ins:
            raise RuntimeError(f"unexpected parameters in the token lookup: {params}")
        converters = compiler.get_converters([column for column, *_ in compiler.select])
        _compiled[key] = (compiler, sql, converters)
    return _compiled[key]


def _rows(connection, sql: str, digests: list[str]) -> list:
    """The lookup's rows. As a request's first query on a kept connection, it is also the
    connection's health check (CONN_HEALTH_CHECKS): rather than Django's `SELECT 1` and then the
    lookup, the lookup itself, and once more on a new connection if it failed because the kept
    one has gone (the database restarted); a read, so running it again changes nothing."""
    own_check = (
        connection.connection is not None
        and connection.health_check_enabled
        and not connection.health_check_done
        and not connection.in_atomic_block
    )
    if own_check:
        connection.health_check_done = True
        try:
            return _fetch(connection, sql, digests)
        except DatabaseError:
            if connection.is_usable():
                raise  # not the connection: a timeout, a lock — as without the check
            connection.close()
    return _fetch(connection, sql, digests)


def _fetch(connection, sql: str, digests: list[str]) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, digests)
        return cursor.fetchmany(2)


def _instance(model, compiler, row, columns, alias):
    names = [compiler.select[i][0].target.attname for i in columns]
    return model.from_db(alias, names, [row[i] for i in columns])


def find_token(plaintext: str) -> APIToken | None:
    """The unrevoked token behind `plaintext`, with its user, or None: the query of
    BearerTokenAuth.authenticate, compiled once."""
    alias = APIToken.objects.db
    digests = APIToken.candidate_key_hashes(plaintext)
    compiler, sql, converters = _lookup(alias, len(digests))
    rows = _rows(connections[alias], sql, digests)
    if len(rows) != 1:
        return None
    (row,) = compiler.apply_converters(rows, converters) if converters else rows
    token_info = compiler.klass_info
    (user_info,) = token_info["related_klass_infos"]
    token = _instance(APIToken, compiler, row, token_info["select_fields"], alias)
    token.user = _instance(user_info["model"], compiler, row, user_info["select_fields"], alias)
    return token


class BearerTokenAuth(wagtail_auth.BearerTokenAuth):
    """Wagtail's BearerTokenAuth with the lookup above; everything else as wagtail does it.
    Named as wagtail's: the OpenAPI schema names its security scheme after the class."""

    def authenticate(self, request, token: str):
        api_token = find_token(token)
        user = api_token.user if api_token is not None else None
        # As BearerTokenAuth: is_active is checked here, and request.user is the token's user
        # or anonymous, whatever a session cookie said.
        if not (user and user.is_active):
            user = AnonymousUser()
        request.user = user
        if not user.is_authenticated:
            return None
        self._touch_last_used(api_token)
        return api_token
