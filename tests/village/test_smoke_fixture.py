from village import permissions
from village.permissions import Action


def test_world_roles_see_own_village_only(township_world):
    w = township_world
    secretary = w["users"]["secretary"]
    assert permissions.can(secretary, Action.CHANGE_ROSTER, w["own"])
    assert not permissions.can(secretary, Action.VIEW_VILLAGE, w["neighbour"])
    inspector = w["users"]["inspector"]
    assert permissions.can(inspector, Action.VIEW_ROSTER, w["neighbour"])
    assert not permissions.can(inspector, Action.CHANGE_ROSTER, w["own"])
    assert not permissions.can(inspector, Action.VIEW_VILLAGE, w["foreign"])
