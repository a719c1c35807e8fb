"""The scoped admin library (village/admin_scoped.py): its permission policy answers Wagtail
from the one permission module, its viewsets list only the user's villages and refuse another
village's object opened by URL, and its edit views save through services."""

import pytest

from tests.factories import AreaFactory, HouseholdFactory
from village import services
from village.admin_scoped import VillagePermissionPolicy, service_update
from village.models import AuditEvent, Grid, Household
from village.permissions import Action


@pytest.fixture
def grids(township_world):
    """One area per village of `township_world`: own, neighbour (same township), foreign."""
    w = township_world
    return {
        "own": w["area"],
        "neighbour": AreaFactory(parent__village=w["neighbour"], name="邻村片区"),
        "foreign": AreaFactory(parent__village=w["foreign"], name="远方片区"),
    }


@pytest.fixture
def policy():
    return VillagePermissionPolicy(Grid, Action.VIEW_ROSTER, Action.CHANGE_ROSTER)


def test_policy_lists_only_the_grids_of_villages_the_user_may_view(township_world, grids, policy):
    users = township_world["users"]
    mine = set(policy.instances_user_has_permission_for(users["secretary"], "view"))
    assert grids["own"] in mine
    assert grids["neighbour"] not in mine and grids["foreign"] not in mine
    # The township's inspector views both villages of the township, not the foreign one.
    seen = set(policy.instances_user_has_permission_for(users["inspector"], "view"))
    assert {grids["own"], grids["neighbour"]} <= seen and grids["foreign"] not in seen


def test_policy_maps_add_and_change_to_the_change_action_and_never_grants_delete(
    township_world, grids, policy
):
    users = township_world["users"]
    secretary, officer = users["secretary"], users["grid_officer"]
    assert policy.user_has_permission_for_instance(secretary, "change", grids["own"])
    assert not policy.user_has_permission_for_instance(secretary, "change", grids["neighbour"])
    assert policy.user_has_permission(secretary, "add")
    # A grid officer views the roster but does not change it.
    assert policy.user_has_permission_for_instance(officer, "view", grids["own"])
    assert not policy.user_has_permission_for_instance(officer, "change", grids["own"])
    for user in (secretary, users["township_admin"]):
        assert not policy.user_has_permission(user, "delete")
        assert not policy.user_has_permission_for_instance(user, "delete", grids["own"])
    assert not policy.instances_user_has_permission_for(secretary, "delete").exists()


def test_the_scoped_index_shows_only_the_users_village(township_world, grids, client):
    client.force_login(township_world["users"]["secretary"])
    response = client.get("/admin/grid/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"/admin/grid/edit/{grids['own'].pk}/" in html
    assert "邻村片区" not in html and "远方片区" not in html


@pytest.mark.parametrize("other", ["neighbour", "foreign"])
@pytest.mark.parametrize("view", ["edit", "inspect", "history", "usage", "delete"])
def test_another_villages_object_opened_by_url_is_not_found(
    township_world, grids, client, other, view
):
    client.force_login(township_world["users"]["secretary"])
    response = client.get(f"/admin/grid/{view}/{grids[other].pk}/")
    assert response.status_code == 404
    assert township_world[other].name not in response.content.decode()


def test_a_user_who_may_only_view_is_refused_the_edit_view_of_an_own_object(
    township_world, grids, client
):
    client.force_login(township_world["users"]["grid_officer"])
    assert client.get(f"/admin/grid/inspect/{grids['own'].pk}/").status_code == 200
    response = client.get(f"/admin/grid/edit/{grids['own'].pk}/")
    assert response.status_code in (302, 403)
    response = client.post(f"/admin/grid/edit/{grids['own'].pk}/", {"name": "改名片区"})
    assert response.status_code in (302, 403)
    assert Grid.objects.get(pk=grids["own"].pk).name == grids["own"].name


def test_the_edit_view_saves_through_the_service_and_the_change_is_audited(township_world, client):
    household = HouseholdFactory(village=township_world["own"], area=township_world["area"])
    client.force_login(township_world["users"]["secretary"])
    response = client.post(
        f"/admin/household/edit/{household.pk}/",
        {
            "village": household.village_id,
            "number": household.number,
            "area": household.area_id,
            "address": "新街一号",
            "status": household.status,
        },
    )
    assert response.status_code == 302
    assert Household.objects.get(pk=household.pk).address == "新街一号"
    event = AuditEvent.objects.get(action="village.household.update", object_id=str(household.pk))
    assert event.payload["address"][1] == "新街一号"


def test_service_update_passes_the_object_under_its_name_and_the_changes_as_keywords(
    township_world, grids
):
    update = service_update(services.grid_update, "grid")
    secretary = township_world["users"]["secretary"]
    grid = update(secretary, grids["own"], {"name": "改过的片区"})
    assert grid.name == "改过的片区"
    assert Grid.objects.get(pk=grids["own"].pk).name == "改过的片区"


def test_a_grid_renamed_in_the_admin_is_audited(township_world, grids, client):
    area = grids["own"]
    client.force_login(township_world["users"]["secretary"])
    response = client.post(
        f"/admin/grid/edit/{area.pk}/",
        {
            "village": area.village_id,
            "name": "河沿片区",
            "level": area.level,
            "parent": area.parent_id,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Grid.objects.get(pk=area.pk).name == "河沿片区"
    event = AuditEvent.objects.get(action="village.grid.update", object_id=str(area.pk))
    assert event.payload["name"] == [area.name, "河沿片区"]
