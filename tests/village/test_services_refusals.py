"""Refusals across the board for the village core's services: the inspector, a grid officer and
another village's secretary are refused every write, and nothing is written."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from tests.factories import UserFactory
from tests.support.village_services import NEW_PASSWORD, TERM, villager_fields, writes_nothing
from village import services

pytestmark = pytest.mark.usefixtures("_chinese")


# The township world of tests/conftest.py plus ``villager`` (phone 13912345678, no account),
# ``other_secretary`` (of the neighbour village) and ``root``; built once for the module.


# --- refusals across the board -------------------------------------------------


def _every_write(shared_township, actor, village_key="own"):
    """Each service, called by `actor` on the own village (or its rows)."""
    village = shared_township[village_key]
    villager = shared_township["villager"]
    membership = shared_township["users"]["grid_officer"].villager.memberships.get()
    new_villager = villager_fields(shared_township)
    someone = UserFactory(username="someone")
    return {
        "grid_create": lambda: services.grid_create(
            actor=actor, village=village, name="新网格", level="large"
        ),
        "grid_update": lambda: services.grid_update(
            actor=actor, grid=shared_township["area"], name="改名"
        ),
        "household_create": lambda: services.household_create(
            actor=actor, village=village, number="X-1", area=shared_township["area"]
        ),
        "household_update": lambda: services.household_update(
            actor=actor, household=villager.household, address="改址"
        ),
        "villager_create": lambda: services.villager_create(
            actor=actor, village=village, **new_villager
        ),
        "villager_update": lambda: services.villager_update(
            actor=actor, villager=villager, phone="13700000000"
        ),
        "membership_create": lambda: services.membership_create(
            actor=actor, village=village, villager=villager, role="supervision", start=TERM
        ),
        "membership_update": lambda: services.membership_update(
            actor=actor, membership=membership, note="改"
        ),
        "membership_end": lambda: services.membership_end(
            actor=actor, membership=membership, end=date.today()
        ),
        "ruleset_update": lambda: services.ruleset_update(
            actor=actor, ruleset=village.rules, villagers_pass=">=2/3"
        ),
        "activation_code_issue": lambda: services.activation_code_issue(
            actor=actor, villager=villager
        ),
        "account_create": lambda: services.account_create(
            actor=actor, villager=villager, username="x", password=NEW_PASSWORD
        ),
        "village_create": lambda: services.village_create(
            actor=actor, township=village.township, name="南山村", code="nanshan"
        ),
        "township_membership_create": lambda: services.township_membership_create(
            actor=actor,
            township=village.township,
            user=someone,
            role="inspector",
            start=TERM,
        ),
    }


WRITES = [
    "grid_create",
    "grid_update",
    "household_create",
    "household_update",
    "villager_create",
    "villager_update",
    "membership_create",
    "membership_update",
    "membership_end",
    "ruleset_update",
    "activation_code_issue",
    "account_create",
    "village_create",
    "township_membership_create",
]


@pytest.mark.parametrize("write", WRITES)
def test_inspector_cannot_write_anything(shared_township, write):
    call = _every_write(shared_township, shared_township["users"]["inspector"])[write]
    with writes_nothing(), pytest.raises(PermissionDenied):
        call()


@pytest.mark.parametrize(
    "write",
    [
        "grid_create",
        "grid_update",
        "household_create",
        "household_update",
        "villager_create",
        "villager_update",
        "membership_create",
        "membership_end",
        "activation_code_issue",
    ],
)
def test_grid_officer_cannot_change_the_roster(shared_township, write):
    call = _every_write(shared_township, shared_township["users"]["grid_officer"])[write]
    with writes_nothing(), pytest.raises(PermissionDenied):
        call()


@pytest.mark.parametrize(
    "write",
    [w for w in WRITES if w not in {"village_create", "township_membership_create"}],
)
def test_secretary_of_another_village_is_refused(shared_township, write):
    call = _every_write(shared_township, shared_township["other_secretary"])[write]
    with writes_nothing(), pytest.raises(PermissionDenied):
        call()
