"""The Wagtail admin screens of the village core, as the cadres and the inspector use them.

Tenancy is the pitfall DESIGN.md names: Wagtail filters only the index by `get_queryset`, so
every view that loads an object by primary key is opened here for another village's object.
"""

import io
import re
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from tests.factories import (
    AreaFactory,
    HouseholdFactory,
    MembershipFactory,
    VillagerFactory,
    make_id_number,
)
from village import roster as roster_io
from village.models import AuditEvent, Grid, Household, Membership, RuleSet, Villager

VIEWSETS = ["grid", "household", "villager", "membership", "ruleset"]
OBJECT_VIEWS = ["edit", "inspect", "history", "history-results", "usage", "delete"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def _refused(response) -> bool:
    """404, 403, or Wagtail's redirect to the dashboard with a permission-denied message."""
    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and response["Location"].rstrip("/") == "/admin"


def form_data(form) -> dict:
    """POST data reproducing the form's current values, as a browser would submit it."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if value is None:
            value = ""
        elif isinstance(value, date):
            value = value.isoformat()
        elif hasattr(value, "pk"):
            value = value.pk
        data[name] = value
    return data


def _xlsx(rows, header=roster_io.COLUMNS) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    buffer.name = "roster.xlsx"
    return buffer


def _roster_row(number: int, area_name: str, **overrides) -> list:
    birth = date(1970 + number % 30, 1 + number % 12, 1 + number % 28)
    values = {
        "户号": f"R-{number // 3:03d}",
        "片区": area_name,
        "住址": f"后街{number}号",
        "姓名": f"导入{number}号",
        "身份证号": make_id_number(birth, number % 2 == 0),
        "性别": "男" if number % 2 == 0 else "女",
        "出生日期": birth.isoformat(),
        "手机号": "",
        "与户主关系": "户主" if number % 3 == 0 else "子女",
        "政治面貌": "群众",
        "村民代表": "否",
        "代表任期起": "",
        "代表任期止": "",
    }
    values.update(overrides)
    return [values[c] for c in roster_io.COLUMNS]


# --- tenancy: another village's objects, opened directly ----------------------------------


@pytest.mark.parametrize("viewset", VIEWSETS)
def test_secretary_cannot_open_another_villages_object_on_any_admin_view(world, client, viewset):
    client.force_login(world["users"]["secretary"])
    for other in ["neighbour", "foreign"]:
        obj = world["objects"][other][viewset]
        for view in OBJECT_VIEWS:
            response = client.get(f"/admin/{viewset}/{view}/{obj.pk}/")
            assert _refused(response), (other, view, response.status_code)
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
    assert _refused(response)
    response = client.post(
        f"/admin/villager/edit/{villager.pk}/",
        {"village": villager.village_id, "household": villager.household_id, "name": "被改名"},
    )
    assert _refused(response)
    response = client.post(f"/admin/villager/delete/{villager.pk}/")
    assert _refused(response)
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
    assert _refused(response)
    assert RuleSet.objects.get(pk=own_rules.pk).adult_age == 18


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


def _edit(client, villager):
    return client.get(f"/admin/villager/edit/{villager.pk}/")


@pytest.mark.parametrize("role", ["secretary", "branch_committee", "village_committee"])
def test_the_edit_form_shows_the_id_number_masked_to_every_role(world, client, role):
    client.force_login(world["users"][role])
    villager = world["objects"]["own"]["villager"]
    response = _edit(client, villager)
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
    data = form_data(_edit(client, villager).context["form"])
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
    data = form_data(_edit(client, villager).context["form"])
    data["id_number"] = corrected.lower()  # a trailing x is taken as X
    response = client.post(f"/admin/villager/edit/{villager.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    villager.refresh_from_db()
    assert villager.id_number == corrected
    event = AuditEvent.objects.get(action="village.villager.update", object_id=str(villager.pk))
    assert event.payload == {"id_number": [old, villager.masked_id_number]}  # masked in the chain
    assert villager.id_number not in _edit(client, villager).content.decode()


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
    data = form_data(_edit(client, villager).context["form"])
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
    form = _edit(client, villager).context["form"]
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


# --- nothing is deleted --------------------------------------------------------------------


@pytest.mark.parametrize("role", ["secretary", "township_admin", "inspector"])
def test_nobody_can_delete_anything(world, client, role):
    client.force_login(world["users"][role])
    objects = world["objects"]["own"]
    for viewset in VIEWSETS:
        obj = objects[viewset]
        assert _refused(client.get(f"/admin/{viewset}/delete/{obj.pk}/")), viewset
        assert _refused(client.post(f"/admin/{viewset}/delete/{obj.pk}/")), viewset
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
        assert _refused(client.get(f"/admin/{viewset}/new/")), viewset
        for key in ["own", "neighbour"]:
            obj = world["objects"][key][viewset]
            assert _refused(client.get(f"/admin/{viewset}/edit/{obj.pk}/")), (viewset, key)
    household = world["objects"]["own"]["household"]
    response = client.post(
        f"/admin/household/edit/{household.pk}/",
        {"village": household.village_id, "number": household.number, "address": "巡查改的"},
    )
    assert _refused(response)
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
    assert _refused(client.get(f"/admin/villager/edit/{villager.pk}/"))
    assert _refused(client.get("/admin/villager/new/"))
    response = client.post(
        f"/admin/villager/edit/{villager.pk}/",
        {"village": villager.village_id, "household": villager.household_id, "name": "改名"},
    )
    assert _refused(response)
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


# --- roster import / export --------------------------------------------------------------


def test_roster_import_with_one_bad_row_imports_nothing_and_names_the_row(world, client):
    client.force_login(world["users"]["secretary"])
    area_name = world["area"].name
    rows = [_roster_row(n, area_name) for n in range(1, 21)]
    rows[11] = _roster_row(12, area_name, 性别="未知")  # spreadsheet row 13
    before = Villager.objects.count()
    response = client.post(
        "/admin/roster/", {"village": world["own"].pk, "file": _xlsx(rows)}, format="multipart"
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "第 13 行" in html
    assert "性别应为“男”或“女”" in html
    assert "未导入任何数据" in html
    assert Villager.objects.count() == before
    assert not Household.objects.filter(number__startswith="R-").exists()


def test_roster_import_of_a_good_file_imports_every_row(world, client):
    client.force_login(world["users"]["secretary"])
    rows = [_roster_row(n, world["area"].name) for n in range(1, 7)]
    response = client.post(
        "/admin/roster/", {"village": world["own"].pk, "file": _xlsx(rows)}, follow=True
    )
    assert response.status_code == 200
    assert "已导入 6 名村民" in response.content.decode()
    assert Villager.objects.filter(name__startswith="导入", village=world["own"]).count() == 6


@pytest.mark.parametrize(
    "content, name, message",
    [
        ("name,id\n张三,1\n".encode(), "roster.csv", "不是 .xlsx 格式的 Excel 文件"),
        (b"", "empty.xlsx", "文件是空的。请使用下载的模板填写后上传"),
    ],
)
def test_roster_import_refuses_a_wrong_file_with_a_clear_message(
    world, client, content, name, message
):
    client.force_login(world["users"]["secretary"])
    upload = io.BytesIO(content)
    upload.name = name
    before = Villager.objects.count()
    response = client.post("/admin/roster/", {"village": world["own"].pk, "file": upload})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Villager.objects.count() == before


def test_roster_import_reports_a_wrong_header(world, client):
    client.force_login(world["users"]["secretary"])
    upload = _xlsx([["x"]], header=["名字", "号码"])
    response = client.post("/admin/roster/", {"village": world["own"].pk, "file": upload})
    assert response.status_code == 400
    assert "表头与模板不一致" in response.content.decode()


def test_roster_import_cannot_target_another_village(world, client):
    client.force_login(world["users"]["secretary"])
    rows = [_roster_row(1, world["objects"]["neighbour"]["grid"].name)]
    response = client.post(
        "/admin/roster/", {"village": world["neighbour"].pk, "file": _xlsx(rows)}
    )
    assert response.status_code == 400
    assert not Villager.objects.filter(name="导入1号").exists()


def test_inspector_sees_no_import_form_and_cannot_post_one(world, client):
    client.force_login(world["users"]["inspector"])
    response = client.get("/admin/roster/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="file"' not in html
    rows = [_roster_row(1, world["area"].name)]
    response = client.post("/admin/roster/", {"village": world["own"].pk, "file": _xlsx(rows)})
    assert _refused(response)
    assert not Villager.objects.filter(name="导入1号").exists()


def test_roster_template_downloads_as_xlsx_with_the_documented_columns(world, client):
    client.force_login(world["users"]["secretary"])
    response = client.get("/admin/roster/template.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in ws[1]] == roster_io.COLUMNS


def _export_id_numbers(response) -> list[str]:
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == roster_io.COLUMNS
    column = roster_io.COLUMNS.index("身份证号")
    return [row[column] for row in rows[1:]]


def test_roster_export_gives_whole_ids_to_the_secretary_and_masked_to_the_inspector(world, client):
    own = world["own"]
    whole = sorted(Villager.objects.filter(village=own).values_list("id_number", flat=True))
    client.force_login(world["users"]["secretary"])
    assert sorted(_export_id_numbers(client.get(f"/admin/roster/{own.pk}/export.xlsx"))) == whole

    client.force_login(world["users"]["inspector"])
    ids = _export_id_numbers(client.get(f"/admin/roster/{own.pk}/export.xlsx"))
    assert len(ids) == len(whole)
    for value in ids:
        assert value not in whole
        assert value[4:14] == "*" * 10


def test_roster_export_of_another_village_is_refused(world, client):
    client.force_login(world["users"]["secretary"])
    response = client.get(f"/admin/roster/{world['neighbour'].pk}/export.xlsx")
    assert response.status_code == 404
    client.force_login(world["users"]["inspector"])
    response = client.get(f"/admin/roster/{world['foreign'].pk}/export.xlsx")
    assert response.status_code == 404


# --- activation slips ----------------------------------------------------------------------


def test_secretary_issues_an_activation_code_on_a_printable_slip(world, client):
    villager = world["objects"]["own"]["villager"]
    villager.phone = "13600001234"
    villager.save()
    client.force_login(world["users"]["secretary"])
    url = f"/admin/villagers/{villager.pk}/activation/"
    response = client.get(url)
    assert response.status_code == 200
    assert "13600001234" in response.content.decode()
    response = client.post(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="activation-slip"' in html
    # The 打印 button prints through admin-actions.js (no inline handler under the CSP).
    assert "data-cz-print" in html and "village/admin-actions.js" in html
    assert "13600001234" in html and villager.name in html
    code = response.context["code"]
    assert len(code.replace("-", "")) == 10 and code in html
    assert AuditEvent.objects.filter(
        action="village.activation.issue", object_id=str(villager.pk)
    ).exists()
    # The code itself is never stored or written to the chain.
    assert code not in str(list(AuditEvent.objects.values_list("payload", flat=True)))


def test_activation_without_a_phone_number_says_so(world, client):
    villager = world["objects"]["own"]["villager"]
    client.force_login(world["users"]["secretary"])
    response = client.post(f"/admin/villagers/{villager.pk}/activation/")
    html = response.content.decode()
    assert "请先为该村民登记手机号" in html
    assert 'data-testid="activation-slip"' not in html


@pytest.mark.parametrize("role", ["inspector", "grid_officer", "branch_committee"])
def test_only_the_secretary_issues_activation_codes(world, client, role):
    villager = world["objects"]["own"]["villager"]
    villager.phone = "13600001234"
    villager.save()
    client.force_login(world["users"][role])
    response = client.post(f"/admin/villagers/{villager.pk}/activation/")
    assert _refused(response)
    assert 'data-testid="activation-slip"' not in response.content.decode()
    assert not villager.activation_codes.exists()


def test_secretary_cannot_issue_a_code_for_another_villages_villager(world, client):
    villager = world["objects"]["neighbour"]["villager"]
    villager.phone = "13600009999"
    villager.save()
    client.force_login(world["users"]["secretary"])
    response = client.post(f"/admin/villagers/{villager.pk}/activation/")
    assert response.status_code == 404
    assert not villager.activation_codes.exists()


# --- audit screen ------------------------------------------------------------------------


def test_audit_screen_shows_the_chain_intact_after_admin_edits(world, client):
    client.force_login(world["users"]["secretary"])
    household = world["objects"]["own"]["household"]
    data = form_data(client.get(f"/admin/household/edit/{household.pk}/").context["form"])
    data["address"] = "审计路1号"
    assert client.post(f"/admin/household/edit/{household.pk}/", data).status_code == 302
    response = client.get("/admin/audit/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "东毛铺村" in html
    assert "完整" in html and "不完整" not in html
    assert "village.household.update" in html
    assert world["neighbour"].name not in html and world["foreign"].name not in html


def test_inspector_audit_screen_lists_both_villages(world, client):
    client.force_login(world["users"]["inspector"])
    html = client.get("/admin/audit/").content.decode()
    assert "东毛铺村" in html and "西河村" in html
    assert "远方村" not in html


def test_audit_screen_is_refused_to_a_villager(world, client):
    client.force_login(world["users"]["resident"])
    response = client.get("/admin/audit/")
    assert response.status_code in (302, 403)
    assert "链头哈希" not in response.content.decode()


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
