"""points/permissions.py: every action of the app is in the enum, registered with its roles."""

import pytest

from points.permissions import PointsAction
from village import permissions


def test_every_action_is_registered_as_a_write_except_viewing():
    for action in PointsAction:
        assert (action in permissions.WRITE_ACTIONS) is (action != PointsAction.VIEW), action


@pytest.mark.parametrize(
    "role, granted",
    [
        ("grid_officer", {PointsAction.VIEW, PointsAction.RECORD}),
        ("store_keeper", {PointsAction.VIEW, PointsAction.STORE_SERVE, PointsAction.STORE_MANAGE}),
        ("resident", {PointsAction.CLAIM, PointsAction.OBJECT}),
        ("supervision", {PointsAction.VIEW}),
    ],
)
def test_each_role_holds_exactly_its_points_actions(role, granted):
    held = {a for a in PointsAction if a in permissions.VILLAGE_GRANTS[role]}
    assert held == granted


def test_only_the_secretary_reverses_and_nobody_edits_a_catalogue_in_place():
    holders = {
        r for r, grants in permissions.VILLAGE_GRANTS.items() if PointsAction.REVERSE in grants
    }
    assert holders == {"secretary"}
    assert not any(PointsAction.CATALOGUE_EDIT in g for g in permissions.VILLAGE_GRANTS.values())


def test_the_township_only_views():
    for grants in permissions.TOWNSHIP_GRANTS.values():
        assert {a for a in PointsAction if a in grants} == {PointsAction.VIEW}


def test_a_member_compares_equal_to_its_string():
    assert PointsAction.STORE_SERVE == "store.serve" and str(PointsAction.VIEW) == "points.view"
