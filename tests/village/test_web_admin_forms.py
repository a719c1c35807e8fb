"""The secretary's forms in the Wagtail admin of the village core: creating and editing households
and villagers with the changes audited, the ID number masked on the edit form and kept unless a
whole new number is typed, 政治面貌 chosen and never defaulted, overlapping memberships reported as
a message, and search by Chinese names."""

import re
from datetime import date

import pytest

from tests.factories import VillagerFactory, make_id_number
from tests.support.village_admin import edit_villager, form_data
from village.models import AuditEvent, Household, Membership, Villager

# --- the secretary's forms ----------------------------------------------------------------


def test_secretary_creates_a_household_through_the_admin_form(world, client):
    client.force_login(world["users"]["secretary"])
    own = world["own"]
    response = client.get("/admin/household/new/")
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields["village"].queryset) == [own]
    assert set(form.fields["area"].queryset.values_list("village_id", flat=True)) == {own.pk}
    html = response.content.decode()
    assert world["neighbour"].name not in html and world["foreign"].name not in html

    response = client.post(
        "/admin/household/new/",
        {
            "village": own.pk,
            "number": "新-001",
            "area": world["area"].pk,
            "address": "新村路8号",
            "status": "active",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    household = Household.objects.get(village=own, number="新-001")
    assert household.address == "新村路8号"
    event = AuditEvent.objects.get(action="village.household.create", object_id=str(household.pk))
    assert event.actor == world["users"]["secretary"]
    listing = client.get("/admin/household/").content.decode()
    assert "新-001" in listing


def test_secretary_cannot_create_a_household_in_another_village(world, client):
    client.force_login(world["users"]["secretary"])
    neighbour = world["neighbour"]
    response = client.post(
        "/admin/household/new/",
        {
            "village": neighbour.pk,
            "number": "越界-1",
            "area": world["objects"]["neighbour"]["grid"].pk,
            "address": "",
            "status": "active",
        },
    )
    assert response.status_code == 200  # the form again, with errors
    assert response.context["form"].errors
    assert not Household.objects.filter(number="越界-1").exists()


def test_secretary_edits_a_household_and_the_change_is_audited(world, client):
    client.force_login(world["users"]["secretary"])
    household = world["objects"]["own"]["household"]
    form = client.get(f"/admin/household/edit/{household.pk}/").context["form"]
    data = form_data(form)
    data["address"] = "幸福路18号"
    response = client.post(f"/admin/household/edit/{household.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    household.refresh_from_db()
    assert household.address == "幸福路18号"
    event = AuditEvent.objects.get(action="village.household.update", object_id=str(household.pk))
    assert event.payload["address"][1] == "幸福路18号"
    inspect = client.get(f"/admin/household/inspect/{household.pk}/").content.decode()
    assert "幸福路18号" in inspect


def test_secretary_creates_a_villager_through_the_admin_form(world, client):
    client.force_login(world["users"]["secretary"])
    own = world["own"]
    household = world["objects"]["own"]["household"]
    response = client.get("/admin/villager/new/")
    form = response.context["form"]
    assert list(form.fields["village"].queryset) == [own]
    assert set(form.fields["household"].queryset.values_list("village_id", flat=True)) == {own.pk}
    id_number = make_id_number(date(1991, 3, 8), male=False)
    response = client.post(
        "/admin/villager/new/",
        {
            "village": own.pk,
            "household": household.pk,
            "name": "李春花",
            "id_number": id_number,
            "birth_date": "1991-03-08",
            "gender": "f",
            "phone": "13912345678",
            "relation_to_head": "儿媳",
            "status": "registered",
            "party_membership": "none",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    villager = Villager.objects.get(name="李春花")
    assert villager.village == own and villager.id_number == id_number
    event = AuditEvent.objects.get(action="village.villager.create", object_id=str(villager.pk))
    # The chain is read by inspectors: the ID number in it is masked.
    assert event.payload["id_number"] == villager.masked_id_number
    assert "李春花" in client.get("/admin/villager/").content.decode()


def test_villager_form_with_a_bad_id_number_shows_the_error_and_saves_nothing(world, client):
    client.force_login(world["users"]["secretary"])
    response = client.post(
        "/admin/villager/new/",
        {
            "village": world["own"].pk,
            "household": world["objects"]["own"]["household"].pk,
            "name": "错号码",
            "id_number": "370124199103080001",
            "birth_date": "1991-03-08",
            "gender": "f",
            "status": "registered",
            "party_membership": "none",
        },
    )
    assert response.status_code == 200
    assert "身份证号校验位不正确" in response.content.decode()
    assert not Villager.objects.filter(name="错号码").exists()


def test_secretary_edits_a_villager_and_the_change_is_audited(world, client):
    client.force_login(world["users"]["secretary"])
    villager = world["objects"]["own"]["villager"]
    form = client.get(f"/admin/villager/edit/{villager.pk}/").context["form"]
    data = form_data(form)
    data["name"] = "王秀兰"
    data["phone"] = "13700001111"
    response = client.post(f"/admin/villager/edit/{villager.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    id_number = villager.id_number
    villager.refresh_from_db()
    assert villager.name == "王秀兰" and villager.phone == "13700001111"
    assert villager.id_number == id_number  # the masked number sent back keeps the stored one
    event = AuditEvent.objects.get(action="village.villager.update", object_id=str(villager.pk))
    assert event.payload["name"] == [f"{world['own'].name}王秀英", "王秀兰"]
    assert "id_number" not in event.payload
    assert event.actor == world["users"]["secretary"]


# --- the ID number on the edit form: masked, kept unless a whole new number is typed ---------

WHOLE_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


@pytest.mark.parametrize("role", ["secretary", "branch_committee", "village_committee"])
def test_the_edit_form_shows_the_id_number_masked_to_every_role(world, client, role):
    client.force_login(world["users"][role])
    villager = world["objects"]["own"]["villager"]
    response = edit_villager(client, villager)
    assert response.status_code == 200
    html = response.content.decode()
    assert not WHOLE_ID.findall(html), WHOLE_ID.findall(html)
    assert villager.id_number not in html
    assert response.context["form"]["id_number"].value() == villager.masked_id_number
    assert f'value="{villager.masked_id_number}"' in html
    assert "如需更正，请填写完整的新号码" in html
    assert not AuditEvent.objects.filter(action="village.villager.reveal_id_number").exists()


@pytest.mark.parametrize("sent", ["masked", "empty"])
def test_saving_the_untouched_edit_form_keeps_the_id_number(world, client, sent):
    client.force_login(world["users"]["secretary"])
    villager = world["objects"]["own"]["villager"]
    stored = villager.id_number
    data = form_data(edit_villager(client, villager).context["form"])
    assert data["id_number"] == villager.masked_id_number
    if sent == "empty":
        data["id_number"] = ""
    response = client.post(f"/admin/villager/edit/{villager.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    villager.refresh_from_db()
    assert villager.id_number == stored
    assert Villager.history.filter(id=villager.pk, id_number__contains="*").count() == 0
    # Nothing changed, nothing to record.
    assert not AuditEvent.objects.filter(
        action="village.villager.update", object_id=str(villager.pk)
    ).exists()


def test_saving_the_edit_form_with_a_corrected_whole_number_changes_it(world, client):
    client.force_login(world["users"]["secretary"])
    villager = world["objects"]["own"]["villager"]
    old = villager.masked_id_number
    corrected = make_id_number(villager.birth_date, male=villager.gender == "m")
    data = form_data(edit_villager(client, villager).context["form"])
    data["id_number"] = corrected.lower()  # a trailing x is taken as X
    response = client.post(f"/admin/villager/edit/{villager.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    villager.refresh_from_db()
    assert villager.id_number == corrected
    event = AuditEvent.objects.get(action="village.villager.update", object_id=str(villager.pk))
    assert event.payload == {"id_number": [old, villager.masked_id_number]}  # masked in the chain
    assert villager.id_number not in edit_villager(client, villager).content.decode()


@pytest.mark.parametrize(
    "bad, message",
    [("370124198005170001", "身份证号校验位不正确"), ("3701****1234", "身份证号应为18位")],
)
def test_a_bad_id_number_on_the_edit_form_is_refused_and_nothing_written(
    world, client, bad, message
):
    client.force_login(world["users"]["secretary"])
    villager = world["objects"]["own"]["villager"]
    stored, name = villager.id_number, villager.name
    data = form_data(edit_villager(client, villager).context["form"])
    data["id_number"] = bad
    data["name"] = "新名字"
    response = client.post(f"/admin/villager/edit/{villager.pk}/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert stored not in html
    villager.refresh_from_db()
    assert villager.id_number == stored and villager.name == name
    assert not AuditEvent.objects.filter(
        action="village.villager.update", object_id=str(villager.pk)
    ).exists()


# --- 政治面貌 on the create form: chosen, never defaulted --------------------------------------


def test_the_create_form_has_no_party_membership_preselected(world, client):
    client.force_login(world["users"]["secretary"])
    response = client.get("/admin/villager/new/")
    field = response.context["form"]["party_membership"]
    assert field.value() in (None, "")
    assert field.field.required
    assert field.field.choices[0] == ("", "请选择")
    html = response.content.decode()
    assert re.search(r'<option value="" selected>请选择</option>', html), html


def test_the_create_form_without_party_membership_is_refused(world, client):
    client.force_login(world["users"]["secretary"])
    response = client.post(
        "/admin/villager/new/",
        {
            "village": world["own"].pk,
            "household": world["objects"]["own"]["household"].pk,
            "name": "没选面貌",
            "id_number": make_id_number(date(1991, 3, 8), male=False),
            "birth_date": "1991-03-08",
            "gender": "f",
            "status": "registered",
        },
    )
    assert response.status_code == 200
    assert "请选择政治面貌。" in response.content.decode()
    assert not Villager.objects.filter(name="没选面貌").exists()
    assert not AuditEvent.objects.filter(action="village.villager.create").exists()


def test_the_edit_form_keeps_the_stored_party_membership(world, client):
    client.force_login(world["users"]["secretary"])
    villager = world["objects"]["own"]["villager"]
    Villager.objects.filter(pk=villager.pk).update(party_membership="full")
    form = edit_villager(client, villager).context["form"]
    assert form["party_membership"].value() == "full"


def test_overlapping_membership_in_the_admin_gets_a_message_not_a_server_error(world, client):
    client.force_login(world["users"]["secretary"])
    membership = world["objects"]["own"]["membership"]
    response = client.post(
        "/admin/membership/new/",
        {
            "village": world["own"].pk,
            "villager": membership.villager_id,
            "role": membership.role,
            "start": date.today().isoformat(),
        },
    )
    assert response.status_code == 200
    assert "该村民在这段时间已担任此职务" in response.content.decode()
    assert Membership.objects.filter(villager=membership.villager).count() == 1


# --- search ------------------------------------------------------------------------------


def test_searching_villagers_by_part_of_a_chinese_name_finds_them(world, client):
    household = world["objects"]["own"]["household"]
    VillagerFactory(household=household, name="欧阳春燕")
    VillagerFactory(household=household, name="张建国")
    VillagerFactory(household=world["objects"]["neighbour"]["household"], name="欧阳春生")
    client.force_login(world["users"]["secretary"])
    response = client.get("/admin/villager/", {"q": "春燕"})
    html = response.content.decode()
    assert "欧阳春燕" in html
    assert "张建国" not in html
    response = client.get("/admin/villager/", {"q": "欧阳"})
    html = response.content.decode()
    assert "欧阳春燕" in html
    assert "欧阳春生" not in html  # another village: never found


def test_searching_households_by_a_members_name_lists_the_household_once(world, client):
    household = world["objects"]["own"]["household"]
    VillagerFactory(household=household, name="王秀英之女")
    client.force_login(world["users"]["secretary"])
    edit_url = f"/admin/household/edit/{household.pk}/"
    per_row = client.get("/admin/household/").content.decode().count(edit_url)
    assert per_row >= 1
    response = client.get("/admin/household/", {"q": "秀英"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count(edit_url) == per_row  # two matching members, still one row
    assert world["objects"]["neighbour"]["household"].address not in html
