import pytest

from tests.factories import (
    AreaFactory,
    TownshipMembershipFactory,
    UserFactory,
    VillageFactory,
    villager_with_role,
)
from tests.support.database import flush_past_audit_triggers

# Worlds more than one folder builds on: their fixtures are visible in every folder.
pytest_plugins = [
    "tests.support.deliberation_fixtures",
    "tests.support.points_fixtures",
    "tests.support.site_fixtures",
]


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


@pytest.fixture(scope="module")
def flushable_audit_chain():
    """For transactional tests: the database can be emptied afterwards despite the triggers.
    Module-scoped so it is still in place when the test's database teardown runs."""
    from django.db import connections

    with pytest.MonkeyPatch.context() as patch:
        for ops_class in {type(connections[alias].ops) for alias in connections}:
            if getattr(ops_class.sql_flush, "past_triggers", False):
                continue  # already let through by an enclosing fixture: never drop twice
            flush = flush_past_audit_triggers(ops_class.sql_flush)
            flush.past_triggers = True
            patch.setattr(ops_class, "sql_flush", flush)
        yield
