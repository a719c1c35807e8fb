"""The one permission table, action by action: which roles hold each action (pinned here, so a
refactor that changes a grant fails), an inspector never holds a write, a user with no role holds
nothing, and every registered action is a member of exactly one app's action enum."""

from enum import StrEnum
from importlib import import_module

import pytest
from django.db.models import Choices

from tests.factories import (
    TownshipMembershipFactory,
    UserFactory,
    VillageFactory,
    villager_with_role,
)
from village import permissions

APPS = ("village", "deliberation", "points", "pages", "grid")
CADRES = ("branch_committee", "secretary", "village_committee")
READERS = (*CADRES, "grid_officer", "supervision")
TOWNSHIP = ("inspector", "township_admin")

# action: (village roles, township roles, is a write)
MATRIX = {
    "activation.issue": (("secretary",), (), True),
    "admin.access": ((*READERS, "store_keeper", "xiangxian"), TOWNSHIP, False),
    "audit.view": ((*CADRES, "supervision"), TOWNSHIP, False),
    # 乡贤参事 (issue 18): reads the village's matters and advises before the vote.
    "matter.advise": (("xiangxian",), (), True),
    # 事在网中办 (issue 19): 随手拍 reported by villagers, handled by officers and cadres; volunteer
    # activities joined by villagers, run by the cadres, their hours read by the supervisors.
    "grid.handle": ((*CADRES, "grid_officer"), (), True),
    "grid.report": (("resident", "proxy", *CADRES, "grid_officer"), (), True),
    "grid.view": (READERS, TOWNSHIP, False),
    "grid.volunteer.join": (("resident",), (), True),
    "grid.volunteer.manage": (CADRES, (), True),
    "grid.volunteer.report": ((*CADRES, "supervision"), TOWNSHIP, False),
    "grid.volunteer.view": ((*READERS, "resident", "proxy"), TOWNSHIP, False),
    "matter.manage": (CADRES, (), True),
    "matter.view": ((*READERS, "xiangxian"), TOWNSHIP, False),
    "matter.view_public": ((*READERS, "xiangxian", "resident", "proxy"), TOWNSHIP, False),
    "matter.vote": (("resident",), (), True),
    "membership.change": (("secretary",), ("township_admin",), True),
    "notice.print": (CADRES, (), True),
    "objection.answer": (CADRES, (), True),
    "objection.file": (("resident", "proxy"), (), True),
    # 三亮 and 党建+N (issue 19): any card of the board, 包联, visit notes; the branch's note.
    "party.card.edit": (("secretary",), (), True),
    "party.commitment.fulfilment": (("branch_committee", "secretary"), (), True),
    "party.link.manage": (("secretary",), (), True),
    "party.visit.view": (("secretary",), (), False),
    "points.answer": (CADRES, (), True),
    "points.catalogue": ((), (), True),
    "points.catalogue.draft": (("secretary", "village_committee"), (), True),
    "points.claim": (("resident",), (), True),
    "points.import": (CADRES, (), True),
    "points.object": (("resident", "proxy"), (), True),
    "points.publish": (CADRES, (), True),
    "points.record": ((*CADRES, "grid_officer"), (), True),
    "points.reverse": (("secretary",), (), True),
    "points.review": (CADRES, (), True),
    "points.view": ((*READERS, "store_keeper"), TOWNSHIP, False),
    "roster.change": (CADRES, (), True),
    "roster.export": ((*CADRES, "supervision"), TOWNSHIP, False),
    "roster.import": (CADRES, (), True),
    "roster.view": (READERS, TOWNSHIP, False),
    "rules.change": ((), ("township_admin",), True),
    "store.manage": ((*CADRES, "store_keeper"), (), True),
    "store.serve": ((*CADRES, "store_keeper"), (), True),
    "suggestion.answer": (CADRES, (), True),
    "suggestion.submit": (("resident", "proxy"), (), True),
    # 村务监督委员会 (issue 18): countersign, dispute, opinion.
    "supervision.note": (("supervision",), (), True),
    "village.view": (
        (*READERS, "store_keeper", "xiangxian", "resident", "proxy"),
        TOWNSHIP,
        False,
    ),
    "villager.view_id_number": (CADRES, (), False),
    "welfare.manage": (("secretary", "village_committee"), (), True),
}
# Declared in an enum but answered by a rule of `can` rather than by a grant.
UNGRANTED = {"household.view"}


def granted(grants: dict, action: str) -> set[str]:
    return {role for role, actions in grants.items() if action in {str(a) for a in actions}}


def registered() -> set[str]:
    actions = {str(a) for grants in permissions.VILLAGE_GRANTS.values() for a in grants}
    actions |= {str(a) for grants in permissions.TOWNSHIP_GRANTS.values() for a in grants}
    return actions | {str(a) for a in permissions.WRITE_ACTIONS}


def writes() -> set[str]:
    return {str(a) for a in permissions.WRITE_ACTIONS}


def action_enums() -> list[type[StrEnum]]:
    """The StrEnum classes of the apps' permission modules (a module not written yet skipped)."""
    enums = []
    for app in APPS:
        try:
            module = import_module(f"{app}.permissions")
        except ModuleNotFoundError:
            continue
        enums += [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, StrEnum)
            and not issubclass(value, Choices)
            and value.__module__ == module.__name__
        ]
    return list(dict.fromkeys(enums))  # an alias (A = Action) lists a class twice


def test_the_registered_actions_are_those_of_the_matrix():
    assert registered() == set(MATRIX)


@pytest.mark.parametrize("action", sorted(MATRIX))
def test_the_roles_holding_each_action(action):
    village_roles, township_roles, write = MATRIX[action]
    assert granted(permissions.VILLAGE_GRANTS, action) == set(village_roles)
    assert granted(permissions.TOWNSHIP_GRANTS, action) == set(township_roles)
    assert (action in writes()) is write


def granted_writes(role: str) -> set[str]:
    return {str(a) for a in permissions.TOWNSHIP_GRANTS[role]} & writes()


def test_an_inspector_is_granted_no_write_action():
    assert not granted_writes("inspector")


def test_each_registered_action_is_a_member_of_exactly_one_enum():
    enums = action_enums()
    assert permissions.Action in enums
    owners = {action: [e.__name__ for e in enums if action in set(e)] for action in registered()}
    not_once = {action: names for action, names in owners.items() if len(names) != 1}
    assert not not_once, f"actions not declared in exactly one enum: {not_once}"


def test_every_enum_member_is_registered_or_a_rule_of_can():
    members = {str(m) for e in action_enums() for m in e}
    assert members - registered() <= UNGRANTED


def test_no_two_enums_share_a_value():
    seen: dict[str, str] = {}
    for enum in action_enums():
        for member in enum:
            assert str(member) not in seen, f"{member} in {seen.get(str(member))} and {enum}"
            seen[str(member)] = enum.__name__


# --- with real users -----------------------------------------------------------------------


@pytest.fixture
def village(db):
    return VillageFactory(name="东毛铺村")


def holds(user, village) -> set[str]:
    return {action for action in MATRIX if permissions.can(user, action, village)}


@pytest.mark.parametrize("role", ["resident", *READERS, "store_keeper"])
def test_a_villager_holds_the_actions_of_their_role_and_of_a_resident(village, role):
    user = villager_with_role(village, role).user
    expected = {
        action
        for action, (roles, _township, _write) in MATRIX.items()
        if role in roles or "resident" in roles
    }
    assert holds(user, village) == expected
    assert holds(user, VillageFactory(name="远方村")) == set()  # another township's village


def test_a_family_proxy_holds_only_what_it_does_for_its_household_and_never_the_vote(village):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import HouseholdFactory, UserFactory
    from village import services

    secretary = villager_with_role(village, "secretary").user
    household = HouseholdFactory(village=village)
    user = UserFactory(username="13812340000")
    services.proxy_bind(
        actor=secretary,
        household=household,
        name="张小梅",
        phone="13812340000",
        relation="女儿",
        ends_on=timezone.localdate() + timedelta(days=30),
    )
    expected = {action for action, (roles, _t, _w) in MATRIX.items() if "proxy" in roles}
    assert holds(user, village) == expected
    assert "matter.vote" not in expected and "points.claim" not in expected
    assert holds(user, VillageFactory(name="西河村", township=village.township)) == set()


@pytest.mark.parametrize("role", TOWNSHIP)
def test_a_township_role_holds_its_actions_in_every_village_of_the_township(village, role):
    user = TownshipMembershipFactory(township=village.township, role=role).user
    expected = {action for action, (_v, township, _w) in MATRIX.items() if role in township}
    neighbour = VillageFactory(name="西河村", township=village.township)
    assert holds(user, village) == holds(user, neighbour) == expected


def test_an_inspector_can_do_no_write_action_anywhere(village):
    inspector = TownshipMembershipFactory(township=village.township, role="inspector").user
    assert not {action for action in writes() if permissions.can(inspector, action, village)}
    assert not {action for action in writes() if permissions.can(inspector, action)}


def test_a_user_with_no_role_gets_nothing(village):
    nobody = UserFactory(username="nobody")
    assert holds(nobody, village) == set()
    assert not [action for action in MATRIX if permissions.can(nobody, action)]
    assert not [action for action in MATRIX if permissions.can(None, action, village)]
