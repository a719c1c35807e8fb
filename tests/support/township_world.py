"""The township world of `township_world` (tests/conftest.py), built once per test module.

Building it for every test costs more than most tests themselves. The fixture
`shared_township_pks` (tests/village/conftest.py) builds it once per module inside a transaction
rolled back at the end of the module; the fixture `shared_township` gives each test (itself inside
a savepoint) freshly loaded objects, so nothing one test changes in memory or in the database
reaches the next.
"""

from django.contrib.auth import get_user_model

from tests.factories import (
    AreaFactory,
    HouseholdFactory,
    TownshipMembershipFactory,
    UserFactory,
    VillageFactory,
    VillagerFactory,
    villager_with_role,
)
from village.models import Grid, Village, Villager

VILLAGE_ROLES = [
    "secretary",
    "branch_committee",
    "village_committee",
    "grid_officer",
    "supervision",
    "resident",
]


def build_township_pks() -> dict:
    """The same villages and users as `township_world`, plus a few more; returns primary keys.

    Extra: ``villager`` (own village, phone 13912345678, no account), ``other_secretary``
    (secretary of the neighbour village) and ``root`` (a superuser).
    """
    own = VillageFactory(name="东毛铺村")
    neighbour = VillageFactory(name="西河村", township=own.township)
    foreign = VillageFactory(name="远方村")
    area = AreaFactory(parent__village=own)
    users = {}
    for role in VILLAGE_ROLES:
        users[role] = villager_with_role(own, role, username=role, grid=area).user
    for role in ("inspector", "township_admin"):
        users[role] = TownshipMembershipFactory(
            township=own.township, role=role, user=UserFactory(username=role)
        ).user
    users["outsider"] = UserFactory(username="outsider")
    villager = VillagerFactory(
        household=HouseholdFactory(village=own, area=area), phone="13912345678"
    )
    other_secretary = villager_with_role(neighbour, "secretary", username="xihe_secretary").user
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    return {
        "villages": {"own": own.pk, "neighbour": neighbour.pk, "foreign": foreign.pk},
        "area": area.pk,
        "users": {role: user.pk for role, user in users.items()},
        "villager": villager.pk,
        "other_secretary": other_secretary.pk,
        "root": root.pk,
    }


def load_township(pks: dict) -> dict:
    """The township world of `build_township_pks`, read afresh from the database."""
    User = get_user_model()
    world = {key: Village.objects.get(pk=pk) for key, pk in pks["villages"].items()}
    world["area"] = Grid.objects.get(pk=pks["area"])
    world["users"] = {role: User.objects.get(pk=pk) for role, pk in pks["users"].items()}
    world["villager"] = Villager.objects.get(pk=pks["villager"])
    world["secretary"] = world["users"]["secretary"]
    world["other_secretary"] = User.objects.get(pk=pks["other_secretary"])
    world["root"] = User.objects.get(pk=pks["root"])
    return world
