import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import translation

from tests.factories import AreaFactory, HouseholdFactory, MembershipFactory, VillagerFactory
from tests.support.township_world import build_township_pks, load_township
from tests.village._production import production_settings
from village import audit, services
from village.models import AuditEvent


@pytest.fixture
def production():
    """Run the test with production's serving settings (the database stays the test's)."""
    with override_settings(**production_settings()):
        yield


@pytest.fixture(scope="module")
def shared_township_pks(django_db_setup, django_db_blocker):
    """The township world built once for the test module, rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_township_pks()
        transaction.set_rollback(True)


@pytest.fixture
def shared_township(shared_township_pks, db):
    """The township world (tests/support/township_world.py), freshly loaded for this test."""
    return load_township(shared_township_pks)


@pytest.fixture
def _chinese():
    """Messages are compared in Chinese, whatever language an earlier test left active.

    Not autouse: a module asks for it with ``pytestmark = pytest.mark.usefixtures("_chinese")``.
    """
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def world(township_world):
    """`township_world` plus one grid, household, villager, membership per village."""
    w = township_world
    w["objects"] = {}
    for key in ["own", "neighbour", "foreign"]:
        village = w[key]
        area = w["area"] if key == "own" else AreaFactory(parent__village=village)
        household = HouseholdFactory(village=village, area=area, address=f"{village.name}前街")
        villager = VillagerFactory(household=household, name=f"{village.name}王秀英")
        membership = MembershipFactory(villager=villager, role="branch_committee")
        w["objects"][key] = {
            "grid": area,
            "household": household,
            "villager": villager,
            "membership": membership,
            "ruleset": village.rules,
        }
    return w


@pytest.fixture
def chain(shared_township):
    """Five events on the own village's chain, written by the secretary through services."""
    secretary = shared_township["users"]["secretary"]
    for n in range(1, 6):
        services.household_create(
            actor=secretary,
            village=shared_township["own"],
            number=f"A-{n:03d}",
            area=shared_township["area"],
            address=f"东街{n}号",
        )
    key = audit.chain_key(village=shared_township["own"])
    rows = list(AuditEvent.objects.filter(chain=key).order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    return rows
