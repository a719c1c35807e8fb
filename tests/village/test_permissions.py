"""The permission matrix: every role × every action × own / neighbour / foreign village.

The expected table is written out by hand: a change in the rules of village/permissions.py must
change this table too, or a test fails.
"""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import translation

from tests.factories import (
    AreaFactory,
    HouseholdFactory,
    MembershipFactory,
    TownshipMembershipFactory,
    UserFactory,
    VillageFactory,
    VillagerFactory,
    villager_with_role,
)
from village import permissions
from village.models import Household, Villager
from village.permissions import Action


@pytest.fixture(autouse=True)
def _chinese():
    """Messages are compared in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield


A = Action
PLACES = ("own", "neighbour", "foreign")
ROLES = (
    "secretary",
    "branch_committee",
    "village_committee",
    "grid_officer",
    "supervision",
    "xiangxian",
    "resident",
    "inspector",
    "township_admin",
    "outsider",
    "superuser",
)

# For each role and action: may the user do it in the own village, a neighbour village of the
# same township, a foreign village of another township? "Y" yes, "." no.
EXPECTED: dict[str, dict[Action, str]] = {
    "secretary": {
        A.ACCESS_ADMIN: "Y..",
        A.VIEW_VILLAGE: "Y..",
        A.VIEW_ROSTER: "Y..",
        A.VIEW_ID_NUMBER: "Y..",
        A.CHANGE_ROSTER: "Y..",
        A.IMPORT_ROSTER: "Y..",
        A.EXPORT_ROSTER: "Y..",
        A.CHANGE_MEMBERSHIP: "Y..",
        A.ISSUE_ACTIVATION: "Y..",
        A.CHANGE_RULES: "...",
        A.VIEW_AUDIT: "Y..",
        A.VIEW_HOUSEHOLD: "Y..",
        A.SUPERVISE: "...",
    },
    "branch_committee": {
        A.ACCESS_ADMIN: "Y..",
        A.VIEW_VILLAGE: "Y..",
        A.VIEW_ROSTER: "Y..",
        A.VIEW_ID_NUMBER: "Y..",
        A.CHANGE_ROSTER: "Y..",
        A.IMPORT_ROSTER: "Y..",
        A.EXPORT_ROSTER: "Y..",
        A.CHANGE_MEMBERSHIP: "...",
        A.ISSUE_ACTIVATION: "...",
        A.CHANGE_RULES: "...",
        A.VIEW_AUDIT: "Y..",
        A.VIEW_HOUSEHOLD: "Y..",
        A.SUPERVISE: "...",
    },
    "village_committee": {
        A.ACCESS_ADMIN: "Y..",
        A.VIEW_VILLAGE: "Y..",
        A.VIEW_ROSTER: "Y..",
        A.VIEW_ID_NUMBER: "Y..",
        A.CHANGE_ROSTER: "Y..",
        A.IMPORT_ROSTER: "Y..",
        A.EXPORT_ROSTER: "Y..",
        A.CHANGE_MEMBERSHIP: "...",
        A.ISSUE_ACTIVATION: "...",
        A.CHANGE_RULES: "...",
        A.VIEW_AUDIT: "Y..",
        A.VIEW_HOUSEHOLD: "Y..",
        A.SUPERVISE: "...",
    },
    "grid_officer": {
        A.ACCESS_ADMIN: "Y..",
        A.VIEW_VILLAGE: "Y..",
        A.VIEW_ROSTER: "Y..",
        A.VIEW_ID_NUMBER: "...",
        A.CHANGE_ROSTER: "...",
        A.IMPORT_ROSTER: "...",
        A.EXPORT_ROSTER: "...",
        A.CHANGE_MEMBERSHIP: "...",
        A.ISSUE_ACTIVATION: "...",
        A.CHANGE_RULES: "...",
        A.VIEW_AUDIT: "...",
        A.VIEW_HOUSEHOLD: "Y..",
        A.SUPERVISE: "...",
    },
    "supervision": {
        A.ACCESS_ADMIN: "Y..",
        A.VIEW_VILLAGE: "Y..",
        A.VIEW_ROSTER: "Y..",
        A.VIEW_ID_NUMBER: "...",
        A.CHANGE_ROSTER: "...",
        A.IMPORT_ROSTER: "...",
        A.EXPORT_ROSTER: "Y..",
        A.CHANGE_MEMBERSHIP: "...",
        A.ISSUE_ACTIVATION: "...",
        A.CHANGE_RULES: "...",
        A.VIEW_AUDIT: "Y..",
        A.VIEW_HOUSEHOLD: "Y..",
        A.SUPERVISE: "Y..",
    },
    # 乡贤参事: the admin and the village, to read matters and advise (deliberation's action).
    "xiangxian": {
        **{action: "..." for action in Action},
        A.ACCESS_ADMIN: "Y..",
        A.VIEW_VILLAGE: "Y..",
    },
    "resident": {
        A.ACCESS_ADMIN: "...",
        A.VIEW_VILLAGE: "Y..",
        A.VIEW_ROSTER: "...",
        A.VIEW_ID_NUMBER: "...",
        A.CHANGE_ROSTER: "...",
        A.IMPORT_ROSTER: "...",
        A.EXPORT_ROSTER: "...",
        A.CHANGE_MEMBERSHIP: "...",
        A.ISSUE_ACTIVATION: "...",
        A.CHANGE_RULES: "...",
        A.VIEW_AUDIT: "...",
        A.VIEW_HOUSEHOLD: "...",  # another household; their own is tested below
        A.SUPERVISE: "...",
    },
    "inspector": {
        A.ACCESS_ADMIN: "YY.",
        A.VIEW_VILLAGE: "YY.",
        A.VIEW_ROSTER: "YY.",
        A.VIEW_ID_NUMBER: "...",
        A.CHANGE_ROSTER: "...",
        A.IMPORT_ROSTER: "...",
        A.EXPORT_ROSTER: "YY.",
        A.CHANGE_MEMBERSHIP: "...",
        A.ISSUE_ACTIVATION: "...",
        A.CHANGE_RULES: "...",
        A.VIEW_AUDIT: "YY.",
        A.VIEW_HOUSEHOLD: "YY.",
        A.SUPERVISE: "...",
    },
    "township_admin": {
        A.ACCESS_ADMIN: "YY.",
        A.VIEW_VILLAGE: "YY.",
        A.VIEW_ROSTER: "YY.",
        A.VIEW_ID_NUMBER: "...",
        A.CHANGE_ROSTER: "...",
        A.IMPORT_ROSTER: "...",
        A.EXPORT_ROSTER: "YY.",
        A.CHANGE_MEMBERSHIP: "YY.",
        A.ISSUE_ACTIVATION: "...",
        A.CHANGE_RULES: "YY.",
        A.VIEW_AUDIT: "YY.",
        A.VIEW_HOUSEHOLD: "YY.",
        A.SUPERVISE: "...",
    },
    "outsider": {action: "..." for action in Action},
    "superuser": {action: "YYY" for action in Action},
}

# 三亮 and 党建+N: the secretary edits any card of the board, makes the 包联 assignments and reads
# the visit notes; the branch (the secretary and the branch committee) notes the fulfilment of
# the members' commitments. Nobody else, and never in another village.
NO_PARTY = {
    A.PARTY_CARD_EDIT: "...",
    A.PARTY_FULFILMENT: "...",
    A.PARTY_LINK_MANAGE: "...",
    A.PARTY_VISITS_VIEW: "...",
}
EXPECTED["secretary"].update(
    {
        A.PARTY_CARD_EDIT: "Y..",
        A.PARTY_FULFILMENT: "Y..",
        A.PARTY_LINK_MANAGE: "Y..",
        A.PARTY_VISITS_VIEW: "Y..",
    }
)
EXPECTED["branch_committee"].update({**NO_PARTY, A.PARTY_FULFILMENT: "Y.."})
for _role in (
    "village_committee",
    "grid_officer",
    "supervision",
    "resident",
    "inspector",
    "township_admin",
):
    EXPECTED[_role].update(NO_PARTY)

MATRIX = [
    pytest.param(
        role, action, place, EXPECTED[role][action][i] == "Y", id=f"{role}-{action}-{place}"
    )
    for role in ROLES
    for action in Action
    for i, place in enumerate(PLACES)
]


def test_expected_table_covers_every_role_and_action():
    assert set(EXPECTED) == set(ROLES)
    for role, row in EXPECTED.items():
        assert set(row) == set(Action), role
        assert all(len(v) == 3 and set(v) <= {"Y", "."} for v in row.values()), role


def _build_world():
    own = VillageFactory(name="东毛铺村")
    neighbour = VillageFactory(name="西河村", township=own.township)
    foreign = VillageFactory(name="远方村")
    area = AreaFactory(parent__village=own)
    users = {}
    for role in ROLES[:7]:
        users[role] = villager_with_role(own, role, username=role, grid=area).user
    for role in ("inspector", "township_admin"):
        users[role] = TownshipMembershipFactory(
            township=own.township, role=role, user=UserFactory(username=role)
        ).user
    users["outsider"] = UserFactory(username="outsider")
    users["superuser"] = UserFactory(username="root", is_superuser=True, is_staff=True)
    villages = {"own": own, "neighbour": neighbour, "foreign": foreign}
    # In each village, a household that belongs to none of the users.
    households = {
        "own": HouseholdFactory(village=own, area=area),
        "neighbour": HouseholdFactory(area__parent__village=neighbour),
        "foreign": HouseholdFactory(area__parent__village=foreign),
    }
    return {"villages": villages, "households": households, "users": users, "area": area}


@pytest.mark.django_db
class TestInOneWorld:
    """The matrix and the listings, all against one world built once."""

    @pytest.fixture(scope="class")
    def world(self, django_db_setup, django_db_blocker):
        """The township world, built once for the class and rolled back afterwards."""
        with django_db_blocker.unblock(), transaction.atomic():
            yield _build_world()
            transaction.set_rollback(True)

    @pytest.mark.django_db
    @pytest.mark.parametrize(("role", "action", "place", "allowed"), MATRIX)
    def test_permission_matrix(self, world, role, action, place, allowed):
        user = world["users"][role]
        target = (
            world["households"][place] if action == A.VIEW_HOUSEHOLD else world["villages"][place]
        )
        assert permissions.can(user, action, target) is allowed
        if allowed:
            permissions.require(user, action, target)
        else:
            with pytest.raises(PermissionDenied):
                permissions.require(user, action, target)

    @pytest.mark.django_db
    @pytest.mark.parametrize("role", ROLES)
    def test_visible_villages_are_where_the_user_may_view(self, world, role):
        user = world["users"][role]
        expected = {
            world["villages"][place]
            for i, place in enumerate(PLACES)
            if EXPECTED[role][A.VIEW_VILLAGE][i] == "Y"
        }
        visible = set(permissions.visible_villages(user))
        if role == "superuser":
            assert expected <= visible
        else:
            assert visible == expected

    @pytest.mark.django_db
    @pytest.mark.parametrize("role", ROLES)
    def test_visible_villages_for_an_action_follow_the_table(self, world, role):
        user = world["users"][role]
        for action in Action:
            if action == A.VIEW_HOUSEHOLD:
                continue  # granted per household, never per village
            expected = {
                world["villages"][place]
                for i, place in enumerate(PLACES)
                if EXPECTED[role][action][i] == "Y"
            }
            visible = set(permissions.visible_villages(user, action))
            if role == "superuser":
                assert expected <= visible, action
            else:
                assert visible == expected, action

    @pytest.mark.django_db
    @pytest.mark.parametrize("role", ROLES)
    def test_can_without_target_asks_whether_the_user_holds_the_action_anywhere(self, world, role):
        user = world["users"][role]
        for action in Action:
            if action == A.VIEW_HOUSEHOLD:
                continue
            anywhere = "Y" in EXPECTED[role][action]
            assert permissions.can(user, action) is anywhere, action

    @pytest.mark.django_db
    @pytest.mark.parametrize("role", ROLES)
    def test_scope_keeps_only_rows_of_villages_the_user_may_view(self, world, role):
        user = world["users"][role]
        expected_villages = {
            world["villages"][place]
            for i, place in enumerate(PLACES)
            if EXPECTED[role][A.VIEW_ROSTER][i] == "Y"
        }
        in_world = Household.objects.filter(village__in=world["villages"].values())
        scoped = permissions.scope(user, A.VIEW_ROSTER, in_world)
        assert {h.village for h in scoped} == expected_villages
        if expected_villages:
            assert scoped.count() == in_world.filter(village__in=expected_villages).count()
        else:
            assert not scoped.exists()

    @pytest.mark.django_db
    def test_scope_follows_a_related_village_field(self, world):
        inspector = world["users"]["inspector"]
        villagers = Villager.objects.filter(village__in=world["villages"].values())
        scoped = permissions.scope(inspector, A.VIEW_ROSTER, villagers, "household__village")
        assert scoped.exists()
        assert {v.village for v in scoped} <= {
            world["villages"]["own"],
            world["villages"]["neighbour"],
        }

    @pytest.mark.django_db
    @pytest.mark.parametrize(
        ("role", "whole"),
        [
            ("secretary", True),
            ("branch_committee", True),
            ("village_committee", True),
            ("grid_officer", False),
            ("supervision", False),
            ("resident", False),
            ("inspector", False),
            ("township_admin", False),
            ("outsider", False),
            ("superuser", True),
        ],
    )
    def test_id_number_is_whole_only_for_the_villages_staff(self, world, role, whole):
        user = world["users"][role]
        household = world["households"]["own"]
        villager = VillagerFactory(household=household)
        shown = permissions.id_number_for(user, villager)
        if whole:
            assert shown == villager.id_number
        else:
            assert shown == villager.masked_id_number
            assert shown[4:14] == "*" * 10
            assert villager.id_number[6:14] not in shown

    @pytest.mark.django_db
    def test_staff_of_one_village_see_masked_id_numbers_of_another(self, world):
        secretary = world["users"]["secretary"]
        stranger = VillagerFactory(household=world["households"]["neighbour"])
        assert permissions.id_number_for(secretary, stranger) == stranger.masked_id_number


# --- each with its own world ---------------------------------------------


def test_resident_may_view_their_own_household_only(township_world):
    resident = township_world["users"]["resident"]
    home = resident.villager.household
    neighbour_household = HouseholdFactory(village=home.village, area=home.area)
    assert permissions.can(resident, A.VIEW_HOUSEHOLD, home)
    assert not permissions.can(resident, A.VIEW_HOUSEHOLD, neighbour_household)


def test_ended_membership_grants_nothing(township_world):
    own = township_world["own"]
    area = township_world["area"]
    villager = VillagerFactory(
        household=HouseholdFactory(village=own, area=area), user=UserFactory(username="former")
    )
    yesterday = date.today() - timedelta(days=1)
    MembershipFactory(villager=villager, role="secretary", start=date(2018, 1, 1), end=yesterday)
    user = villager.user
    assert not permissions.can(user, A.CHANGE_ROSTER, own)
    assert not permissions.can(user, A.VIEW_ID_NUMBER, own)
    assert not permissions.can(user, A.ACCESS_ADMIN, own)
    # still a resident of the village, nothing more
    assert set(permissions.visible_villages(user)) == {own}
    assert not permissions.roles_of(user).is_staff_anywhere


def test_membership_starting_tomorrow_grants_nothing_yet(township_world):
    own = township_world["own"]
    villager = VillagerFactory(
        household=HouseholdFactory(village=own, area=township_world["area"]),
        user=UserFactory(username="incoming"),
    )
    MembershipFactory(villager=villager, role="secretary", start=date.today() + timedelta(days=1))
    assert not permissions.can(villager.user, A.CHANGE_ROSTER, own)


def test_ended_township_membership_grants_nothing(township_world):
    user = UserFactory(username="retired_inspector")
    TownshipMembershipFactory(
        township=township_world["own"].township,
        user=user,
        role="inspector",
        start=date(2018, 1, 1),
        end=date.today() - timedelta(days=1),
    )
    assert not permissions.can(user, A.VIEW_VILLAGE, township_world["own"])
    assert not permissions.visible_villages(user).exists()


def test_villager_who_moved_out_no_longer_sees_the_village(township_world):
    resident = township_world["users"]["resident"]
    Villager.objects.filter(user=resident).update(status="moved_out")
    permissions.forget_roles(resident)
    assert not permissions.can(resident, A.VIEW_VILLAGE, township_world["own"])


def test_inactive_user_may_do_nothing_even_as_superuser(township_world):
    secretary = township_world["users"]["secretary"]
    secretary.is_active = False
    assert not permissions.can(secretary, A.VIEW_VILLAGE, township_world["own"])
    assert not permissions.visible_villages(secretary).exists()
    root = UserFactory(username="disabled_root", is_superuser=True, is_active=False)
    assert not permissions.can(root, A.VIEW_VILLAGE, township_world["own"])


def test_anonymous_user_may_do_nothing(township_world):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert not permissions.can(anonymous, A.VIEW_VILLAGE, township_world["own"])
    assert not permissions.visible_villages(anonymous).exists()
    assert not permissions.scope(anonymous, A.VIEW_ROSTER, Household.objects.all()).exists()
    assert (
        permissions.id_number_for(anonymous, township_world["users"]["secretary"].villager)
        == township_world["users"]["secretary"].villager.masked_id_number
    )


def test_target_without_a_village_is_refused(township_world):
    secretary = township_world["users"]["secretary"]
    assert not permissions.can(secretary, A.VIEW_VILLAGE, object())


def test_roles_held_in_a_village_apply_to_its_rows(township_world):
    """A row of the village (household, villager, membership) carries the village's grants."""
    secretary = township_world["users"]["secretary"]
    officer = township_world["users"]["grid_officer"]
    villager = township_world["users"]["resident"].villager
    membership = secretary.villager.memberships.get()
    for row in (villager, villager.household, membership, township_world["area"]):
        assert permissions.can(secretary, A.CHANGE_ROSTER, row)
        assert not permissions.can(officer, A.CHANGE_ROSTER, row)
