import pytest

from tests.factories import (
    AreaFactory,
    TownshipMembershipFactory,
    UserFactory,
    VillageFactory,
    villager_with_role,
)


@pytest.fixture
def township_world(db):
    """Two villages in one township and a third in another, with one user per role.

    Returns a dict: villages ``own``, ``neighbour`` (same township), ``foreign`` (other
    township); users keyed by role, all belonging to ``own`` (or its township).
    """
    own = VillageFactory(name="东毛铺村")
    neighbour = VillageFactory(name="西河村", township=own.township)
    foreign = VillageFactory(name="远方村")
    area = AreaFactory(parent__village=own)
    users = {}
    for role in [
        "secretary",
        "branch_committee",
        "village_committee",
        "grid_officer",
        "supervision",
        "resident",
    ]:
        users[role] = villager_with_role(own, role, username=role, grid=area).user
    users["inspector"] = TownshipMembershipFactory(
        township=own.township, role="inspector", user=UserFactory(username="inspector")
    ).user
    users["township_admin"] = TownshipMembershipFactory(
        township=own.township, role="township_admin", user=UserFactory(username="township_admin")
    ).user
    users["outsider"] = UserFactory(username="outsider")
    return {"own": own, "neighbour": neighbour, "foreign": foreign, "area": area, "users": users}


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with no cached page fragments (the database was emptied too)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _chinese_by_default():
    """Every test starts in the default language, whatever a previous request activated."""
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.activate("zh-hans")


def _flush_past_audit_triggers(sql_flush):
    """The audit chain (village migration 0002) and the points ledger (points migration 0002)
    refuse DELETE and TRUNCATE, which also stops the flush that empties the database after a
    transactional test. Let the flush through: triggers dropped (SQLite) or disabled
    (PostgreSQL) inside the flush, restored after."""

    def flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = sql_flush(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        if not statements:
            return statements
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "sqlite":
                cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type='trigger'")
                triggers = [(n, sql) for n, table, sql in cursor.fetchall() if table in tables]
                return (
                    [f'DROP TRIGGER "{name}"' for name, _sql in triggers]
                    + statements
                    + [sql for _name, sql in triggers]
                )
            if self.connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT DISTINCT c.relname FROM pg_trigger t"
                    " JOIN pg_class c ON c.oid = t.tgrelid"
                    " WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"
                )
                guarded = [name for (name,) in cursor.fetchall() if name in tables]
                quote = self.quote_name
                return (
                    [f"ALTER TABLE {quote(t)} DISABLE TRIGGER USER" for t in guarded]
                    + statements
                    + [f"ALTER TABLE {quote(t)} ENABLE TRIGGER USER" for t in guarded]
                )
        return statements

    return flush


@pytest.fixture(scope="module")
def flushable_audit_chain():
    """For transactional tests: the database can be emptied afterwards despite the triggers.
    Module-scoped so it is still in place when the test's database teardown runs."""
    from django.db import connections

    with pytest.MonkeyPatch.context() as patch:
        for ops_class in {type(connections[alias].ops) for alias in connections}:
            if getattr(ops_class.sql_flush, "past_triggers", False):
                continue  # already let through by an enclosing fixture: never drop twice
            flush = _flush_past_audit_triggers(ops_class.sql_flush)
            flush.past_triggers = True
            patch.setattr(ops_class, "sql_flush", flush)
        yield
