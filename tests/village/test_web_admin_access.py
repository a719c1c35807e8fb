"""Who may open and change what in the Wagtail admin of the village core: another village's objects
opened directly by URL, indexes limited to the own village, nothing deletable, the inspector
read-only over both villages, and a villager without a role kept out. Tenancy is the pitfall
DESIGN.md names: Wagtail filters only the index by `get_queryset`, so every view that loads an
object by primary key is opened here for another village's object."""

import pytest

from tests.support.village_admin import form_data, refused
from village.models import AuditEvent, Grid, RuleSet

VIEWSETS = ["grid", "household", "villager", "membership", "ruleset"]
OBJECT_VIEWS = ["edit", "inspect", "history", "history-results", "usage", "delete"]


# --- tenancy: another village's objects, opened directly ----------------------------------


@pytest.mark.parametrize("viewset", VIEWSETS)
def test_secretary_cannot_open_another_villages_object_on_any_admin_view(world, client, viewset):
    client.force_login(world["users"]["secretary"])
    for other in ["neighbour", "foreign"]:
        obj = world["objects"][other][viewset]
        for view in OBJECT_VIEWS:
            response = client.get(f"/admin/{viewset}/{view}/{obj.pk}/")
            assert refused(response), (other, view, response.status_code)
            # The other village's data never leaks into the answer.
            assert world[other].name not in response.content.decode()


def test_secretary_can_open_own_villages_objects(world, client):
    client.force_login(world["users"]["secretary"])
    villager = world["objects"]["own"]["villager"]
    for view in ["edit", "inspect", "history", "usage"]:
        response = client.get(f"/admin/villager/{view}/{villager.pk}/")
        assert response.status_code == 200, view
        assert villager.name in response.content.decode()


@pytest.mark.parametrize("other", ["neighbour", "foreign"])
def test_post_to_another_villages_edit_url_changes_nothing(world, client, other):
    client.force_login(world["users"]["secretary"])
    household = world["objects"][other]["household"]
    villager = world["objects"][other]["villager"]
    response = client.post(
        f"/admin/household/edit/{household.pk}/",
        {
            "village": household.village_id,
            "number": "HACKED",
            "area": household.area_id,
            "address": "被改的地址",
            "status": "active",
        },
    )
    assert refused(response)
    response = client.post(
        f"/admin/villager/edit/{villager.pk}/",
        {"village": villager.village_id, "household": villager.household_id, "name": "被改名"},
    )
    assert refused(response)
    response = client.post(f"/admin/villager/delete/{villager.pk}/")
    assert refused(response)
    household.refresh_from_db()
    villager.refresh_from_db()
    assert household.number != "HACKED" and household.address != "被改的地址"
    assert villager.name == f"{world[other].name}王秀英"
    assert not AuditEvent.objects.filter(village=world[other]).exists()


@pytest.mark.parametrize(
    "viewset, label",
    [("grid", None), ("household", "address"), ("villager", "name"), ("membership", None)],
)
def test_index_lists_only_own_village_rows(world, client, viewset, label):
    client.force_login(world["users"]["secretary"])
    response = client.get(f"/admin/{viewset}/")
    assert response.status_code == 200
    html = response.content.decode()
    objects = world["objects"]
    own_url = f"/admin/{viewset}/edit/{objects['own'][viewset].pk}/"
    assert own_url in html
    for other in ["neighbour", "foreign"]:
        obj = objects[other][viewset]
        assert f"/admin/{viewset}/edit/{obj.pk}/" not in html
        assert f"/admin/{viewset}/inspect/{obj.pk}/" not in html
        if label:
            assert getattr(obj, label) not in html


def test_ruleset_index_shows_only_own_village_and_secretary_cannot_edit_rules(world, client):
    client.force_login(world["users"]["secretary"])
    html = client.get("/admin/ruleset/").content.decode()
    assert world["own"].name in html
    assert world["neighbour"].name not in html and world["foreign"].name not in html
    own_rules = world["own"].rules
    response = client.post(f"/admin/ruleset/edit/{own_rules.pk}/", {"adult_age": 16})
    assert refused(response)
    assert RuleSet.objects.get(pk=own_rules.pk).adult_age == 18


# --- nothing is deleted --------------------------------------------------------------------


@pytest.mark.parametrize("role", ["secretary", "township_admin", "inspector"])
def test_nobody_can_delete_anything(world, client, role):
    client.force_login(world["users"][role])
    objects = world["objects"]["own"]
    for viewset in VIEWSETS:
        obj = objects[viewset]
        assert refused(client.get(f"/admin/{viewset}/delete/{obj.pk}/")), viewset
        assert refused(client.post(f"/admin/{viewset}/delete/{obj.pk}/")), viewset
        assert type(obj).objects.filter(pk=obj.pk).exists()
    html = client.get(f"/admin/villager/inspect/{objects['villager'].pk}/").content.decode()
    assert "/admin/villager/delete/" not in html


# --- the inspector: both villages, read-only ----------------------------------------------


def test_inspector_sees_both_villages_of_the_township_in_the_index(world, client):
    client.force_login(world["users"]["inspector"])
    response = client.get("/admin/villager/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "东毛铺村王秀英" in html and "西河村王秀英" in html
    assert "远方村王秀英" not in html
    # Rows link to the read-only inspect view, never to an edit form.
    assert "/admin/villager/edit/" not in html
    assert "/admin/villager/new/" not in html


def test_inspector_is_refused_every_edit_and_add_url(world, client):
    client.force_login(world["users"]["inspector"])
    for viewset in VIEWSETS:
        assert refused(client.get(f"/admin/{viewset}/new/")), viewset
        for key in ["own", "neighbour"]:
            obj = world["objects"][key][viewset]
            assert refused(client.get(f"/admin/{viewset}/edit/{obj.pk}/")), (viewset, key)
    household = world["objects"]["own"]["household"]
    response = client.post(
        f"/admin/household/edit/{household.pk}/",
        {"village": household.village_id, "number": household.number, "address": "巡查改的"},
    )
    assert refused(response)
    household.refresh_from_db()
    assert household.address != "巡查改的"


def test_inspector_inspect_page_has_no_edit_button_and_masks_the_id_number(world, client):
    client.force_login(world["users"]["inspector"])
    villager = world["objects"]["neighbour"]["villager"]
    response = client.get(f"/admin/villager/inspect/{villager.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert villager.name in html
    assert "/admin/villager/edit/" not in html
    assert "/activation/" not in html
    assert villager.id_number not in html
    assert villager.masked_id_number in html


def test_secretary_inspect_page_masks_the_id_number_offers_a_reveal_and_an_edit_button(
    world, client
):
    client.force_login(world["users"]["secretary"])
    villager = world["objects"]["own"]["villager"]
    html = client.get(f"/admin/villager/inspect/{villager.pk}/").content.decode()
    assert villager.id_number not in html
    assert villager.masked_id_number in html
    assert f"/admin/villagers/{villager.pk}/id-number/" in html and "显示完整身份证号" in html
    assert f"/admin/villager/edit/{villager.pk}/" in html
    assert f"/admin/villagers/{villager.pk}/activation/" in html


def test_grid_officer_can_list_but_not_edit(world, client):
    client.force_login(world["users"]["grid_officer"])
    villager = world["objects"]["own"]["villager"]
    response = client.get("/admin/villager/")
    assert response.status_code == 200
    html = response.content.decode()
    assert villager.name in html
    assert "西河村王秀英" not in html
    assert "/admin/villager/edit/" not in html
    assert refused(client.get(f"/admin/villager/edit/{villager.pk}/"))
    assert refused(client.get("/admin/villager/new/"))
    response = client.post(
        f"/admin/villager/edit/{villager.pk}/",
        {"village": villager.village_id, "household": villager.household_id, "name": "改名"},
    )
    assert refused(response)
    villager.refresh_from_db()
    assert villager.name == "东毛铺村王秀英"
    # Not the village's staff: the ID number is masked on the inspect page.
    html = client.get(f"/admin/villager/inspect/{villager.pk}/").content.decode()
    assert villager.id_number not in html


def test_a_villager_without_a_role_cannot_enter_the_admin(world, client):
    client.force_login(world["users"]["resident"])
    response = client.get("/admin/villager/")
    assert response.status_code in (302, 403)
    assert "东毛铺村王秀英" not in response.content.decode()


def test_grid_admin_edit_limits_parent_choices_to_own_village(world, client):
    client.force_login(world["users"]["secretary"])
    grid = world["objects"]["own"]["grid"]
    form = client.get(f"/admin/grid/edit/{grid.pk}/").context["form"]
    assert set(form.fields["parent"].queryset.values_list("village_id", flat=True)) == {
        world["own"].pk
    }
    data = form_data(form)
    data["name"] = "改名片区"
    response = client.post(f"/admin/grid/edit/{grid.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Grid.objects.get(pk=grid.pk).name == "改名片区"
