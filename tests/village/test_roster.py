"""The villager roster in Excel: all-or-nothing import with per-row errors, export, template."""

import io
import zipfile
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation
from openpyxl import Workbook, load_workbook
from PIL import Image

from tests.factories import AreaFactory, HouseholdFactory, VillagerFactory, make_id_number
from village import roster
from village.models import AuditEvent, Household, Villager
from village.roster import COLUMNS, RosterFileError, roster_import


@pytest.fixture(autouse=True)
def _chinese():
    """Messages are compared in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield


ROWS = 50


def xlsx(rows, header=COLUMNS) -> bytes:
    wb = Workbook()
    ws = wb.active
    if header is not None:
        ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def good_rows(area_name: str, count: int = ROWS) -> list[list]:
    """`count` villagers in households of two or three; the first of each is the head."""
    rows = []
    for i in range(count):
        household = i // 5 * 2 + (1 if i % 5 >= 3 else 0) + 1  # 3 then 2 per household
        head = i % 5 in (0, 3)
        birth = date(1950 + i % 40, 1 + i % 12, 1 + i % 28)
        male = i % 2 == 0
        rows.append(
            [
                f"T-{household:03d}",
                area_name,
                f"东街{household}号",
                f"村民{i + 1:02d}",
                make_id_number(birth, male=male),
                "男" if male else "女",
                birth if i % 3 else birth.isoformat(),  # a date cell or text
                f"139{i:08d}" if i % 4 == 0 else "",
                "户主" if head else "子女",
                ["群众", "正式党员", "预备党员", ""][i % 4],
                "是" if i % 10 == 0 else "否",
                "2021-03-01" if i % 10 == 0 else None,
                None,
            ]
        )
    return rows


def spreadsheet_row(index: int) -> int:
    """Row number in Excel of data row `index` (0-based): the header is row 1."""
    return index + 2


def bad_checksum(id_number: str) -> str:
    last = id_number[-1]
    return id_number[:-1] + ("0" if last != "0" else "1")


@pytest.fixture
def secretary(shared_township):
    return shared_township["users"]["secretary"]


def snapshot(village):
    return (
        Villager.objects.filter(village=village).count(),
        Household.objects.filter(village=village).count(),
        AuditEvent.objects.count(),
        Villager.history.count(),
        Household.history.count(),
    )


# --- import: success --------------------------------------------------------------


def test_fifty_good_rows_are_all_imported(shared_township, secretary):
    own = shared_township["own"]
    villagers_before = Villager.objects.filter(village=own).count()
    result = roster_import(
        actor=secretary, village=own, data=xlsx(good_rows(shared_township["area"].name))
    )
    assert result.ok, result.errors
    assert result.created == ROWS
    assert result.households_created == 20
    assert Villager.objects.filter(village=own).count() == villagers_before + ROWS
    households = Household.objects.filter(village=own, number__startswith="T-")
    assert households.count() == 20
    for household in households:
        assert household.head is not None
        assert household.head.household_id == household.pk
        assert household.head.relation_to_head == "户主"
        assert household.area == shared_township["area"]
    first = Villager.objects.get(village=own, name="村民01")
    assert first.household.number == "T-001"
    assert first.phone == "13900000000"
    assert first.is_representative and first.representative_from == date(2021, 3, 1)
    assert Villager.objects.get(village=own, name="村民02").party_membership == "full"
    assert Villager.objects.get(village=own, name="村民03").party_membership == "probationary"


def test_import_writes_an_audit_event_for_every_change(shared_township, secretary):
    own = shared_township["own"]
    roster_import(actor=secretary, village=own, data=xlsx(good_rows(shared_township["area"].name)))
    chain = AuditEvent.objects.filter(chain=f"v{own.pk}")
    assert chain.filter(action="village.villager.create").count() == ROWS
    assert chain.filter(action="village.household.create").count() == 20
    assert chain.filter(action="village.household.update").count() == 20  # the heads
    summary = chain.get(action="village.villager.import")
    assert summary.payload == {"rows": ROWS, "households_created": 20}
    assert summary.actor == secretary
    assert Villager.history.filter(village=own, history_type="+").count() >= ROWS
    # no whole ID number in the chain
    imported = Villager.objects.filter(village=own, name__startswith="村民").first()
    assert imported.id_number not in str(list(chain.values_list("payload", flat=True)))


def test_birth_date_may_be_left_for_the_id_number_to_give(shared_township, secretary):
    rows = good_rows(shared_township["area"].name, 1)
    rows[0][6] = None
    result = roster_import(actor=secretary, village=shared_township["own"], data=xlsx(rows))
    assert result.ok
    assert Villager.objects.get(name="村民01").birth_date == date(1950, 1, 1)


def test_rows_join_an_existing_household_of_the_same_area(shared_township, secretary):
    existing = HouseholdFactory(
        village=shared_township["own"], area=shared_township["area"], number="OLD-1"
    )
    rows = good_rows(shared_township["area"].name, 2)
    for row in rows:
        row[0] = "OLD-1"
    result = roster_import(actor=secretary, village=shared_township["own"], data=xlsx(rows))
    assert result.ok and result.households_created == 0
    assert existing.members.count() == 2


def test_the_template_imports_as_it_is(shared_township, secretary):
    AreaFactory(parent=shared_township["area"].parent, name="一片区")
    result = roster_import(
        actor=secretary, village=shared_township["own"], data=roster.template_workbook()
    )
    assert result.ok, result.errors
    assert (
        Villager.objects.get(village=shared_township["own"], name="张三").id_number
        == "370102198005170016"
    )


# --- import: all or nothing ---------------------------------------------------------


def test_one_bad_row_among_fifty_imports_nothing_and_names_the_row(shared_township, secretary):
    own = shared_township["own"]
    rows = good_rows(shared_township["area"].name)
    rows[25][4] = bad_checksum(rows[25][4])
    assert spreadsheet_row(25) == 27
    before = snapshot(own)
    result = roster_import(actor=secretary, village=own, data=xlsx(rows))
    assert not result.ok
    assert result.created == 0
    assert [e.row for e in result.errors] == [27]
    assert "身份证号" in result.errors[0].message
    assert "校验位不正确" in result.errors[0].message
    assert snapshot(own) == before
    assert not Household.objects.filter(number__startswith="T-").exists()


def test_every_bad_row_is_listed_with_its_reason(shared_township, secretary):
    rows = good_rows(shared_township["area"].name)
    rows[3][1] = "不存在片区"
    rows[10][5] = "未知"
    rows[20][6] = "1980-13-45"
    rows[30][3] = ""
    rows[40][9] = "团员"
    rows[45][6] = date(1999, 1, 1)  # disagrees with the ID number
    before = snapshot(shared_township["own"])
    result = roster_import(actor=secretary, village=shared_township["own"], data=xlsx(rows))
    errors = {e.row: e.message for e in result.errors}
    assert sorted(errors) == [5, 12, 22, 32, 42, 47]
    assert "片区“不存在片区”不存在" in errors[5]
    assert "性别应为“男”或“女”" in errors[12]
    assert "出生日期“1980-13-45”不是日期" in errors[22]
    assert "“姓名”不能为空" in errors[32]
    assert "政治面貌应为" in errors[42]
    assert "出生日期与身份证号不一致" in errors[47]
    assert snapshot(shared_township["own"]) == before


def test_duplicate_id_number_inside_the_file_names_both_rows(shared_township, secretary):
    rows = good_rows(shared_township["area"].name)
    rows[28][4] = rows[8][4]
    rows[28][5], rows[28][6] = rows[8][5], rows[8][6]
    before = snapshot(shared_township["own"])
    result = roster_import(actor=secretary, village=shared_township["own"], data=xlsx(rows))
    assert [e.row for e in result.errors] == [30]
    assert "身份证号与第 10 行重复" in result.errors[0].message
    assert snapshot(shared_township["own"]) == before


def test_id_number_already_on_the_roster_is_refused_masked(shared_township, secretary):
    existing = VillagerFactory(
        household__area=shared_township["area"], household__village=shared_township["own"]
    )
    rows = good_rows(shared_township["area"].name)
    rows[49][4] = existing.id_number
    rows[49][6] = existing.birth_date
    rows[49][5] = "男"
    before = snapshot(shared_township["own"])
    result = roster_import(actor=secretary, village=shared_township["own"], data=xlsx(rows))
    assert [e.row for e in result.errors] == [51]
    assert f"身份证号 {existing.masked_id_number} 已在本村花名册中" in result.errors[0].message
    assert existing.id_number not in result.errors[0].message
    assert snapshot(shared_township["own"]) == before


def test_id_number_of_another_village_is_no_duplicate(shared_township, secretary):
    stranger = VillagerFactory(household__area__parent__village=shared_township["neighbour"])
    rows = good_rows(shared_township["area"].name, 1)
    rows[0][4], rows[0][6], rows[0][5] = stranger.id_number, stranger.birth_date, "男"
    assert roster_import(actor=secretary, village=shared_township["own"], data=xlsx(rows)).ok


def test_unknown_area_is_named(shared_township, secretary):
    rows = good_rows(shared_township["area"].name, 3)
    rows[2][1] = "九十九片区"
    result = roster_import(actor=secretary, village=shared_township["own"], data=xlsx(rows))
    assert [(e.row, e.message) for e in result.errors] == [(4, "片区“九十九片区”不存在")]


def test_area_of_another_village_is_unknown_here(shared_township, secretary):
    foreign = AreaFactory(parent__village=shared_township["neighbour"], name="西河一片区")
    rows = good_rows(foreign.name, 1)
    result = roster_import(actor=secretary, village=shared_township["own"], data=xlsx(rows))
    assert "片区“西河一片区”不存在" in result.errors[0].message


def test_existing_household_in_another_area_is_refused(shared_township, secretary):
    other_area = AreaFactory(parent=shared_township["area"].parent, name="另一片区")
    HouseholdFactory(village=shared_township["own"], area=other_area, number="OLD-2")
    rows = good_rows(shared_township["area"].name, 1)
    rows[0][0] = "OLD-2"
    result = roster_import(actor=secretary, village=shared_township["own"], data=xlsx(rows))
    assert "户号 OLD-2 已属于其他片区" in result.errors[0].message


def test_new_household_given_two_areas_in_the_file_is_refused(shared_township, secretary):
    other_area = AreaFactory(parent=shared_township["area"].parent, name="另一片区")
    rows = good_rows(shared_township["area"].name, 3)  # T-001: rows 2, 3, 4
    rows[2][1] = other_area.name
    before = snapshot(shared_township["own"])
    result = roster_import(actor=secretary, village=shared_township["own"], data=xlsx(rows))
    assert [e.row for e in result.errors] == [4]
    assert "户号 T-001 在第 2 行填写的片区" in result.errors[0].message
    assert snapshot(shared_township["own"]) == before


# --- import: the file as a whole ------------------------------------------------------


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "不是表格")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(_png(), "不是 .xlsx 格式的 Excel 文件", id="png"),
        pytest.param("户号,片区,姓名\nA-1,一片区,张三\n".encode(), "不是 .xlsx", id="csv-text"),
        pytest.param(b"", "文件是空的", id="empty"),
        pytest.param(xlsx([]), "文件中没有数据行", id="header-only"),
        pytest.param(xlsx([], header=None), "表头与模板不一致", id="blank-sheet"),
        pytest.param(xlsx([["A-1"]], header=["户号", "姓名"]), "表头与模板不一致", id="header"),
        pytest.param(_zip_without_workbook(), "无法读取这个 Excel 文件", id="zip"),
    ],
)
def test_unreadable_file_gets_a_clear_message_and_imports_nothing(
    shared_township, secretary, data, message
):
    before = snapshot(shared_township["own"])
    with pytest.raises(RosterFileError) as excinfo:
        roster_import(actor=secretary, village=shared_township["own"], data=data)
    assert message in str(excinfo.value)
    assert snapshot(shared_township["own"]) == before


def test_wrong_header_message_shows_the_expected_header(shared_township, secretary):
    header = list(COLUMNS)
    header[3], header[4] = header[4], header[3]
    with pytest.raises(RosterFileError) as excinfo:
        roster_import(actor=secretary, village=shared_township["own"], data=xlsx([], header=header))
    assert " | ".join(COLUMNS) in str(excinfo.value)


def test_blank_rows_between_data_are_skipped(shared_township, secretary):
    rows = good_rows(shared_township["area"].name, 4)
    rows.insert(2, [None] * len(COLUMNS))
    result = roster_import(actor=secretary, village=shared_township["own"], data=xlsx(rows))
    assert result.ok and result.created == 4


@pytest.mark.parametrize("role", ["grid_officer", "supervision", "inspector", "resident"])
def test_only_the_villages_staff_may_import(shared_township, role):
    before = snapshot(shared_township["own"])
    with pytest.raises(PermissionDenied):
        roster_import(
            actor=shared_township["users"][role],
            village=shared_township["own"],
            data=xlsx(good_rows(shared_township["area"].name, 2)),
        )
    assert snapshot(shared_township["own"]) == before


def test_secretary_cannot_import_into_another_village(shared_township, secretary):
    AreaFactory(parent__village=shared_township["neighbour"], name=shared_township["area"].name)
    with pytest.raises(PermissionDenied):
        roster_import(
            actor=secretary,
            village=shared_township["neighbour"],
            data=xlsx(good_rows(shared_township["area"].name, 2)),
        )


# --- export and template ---------------------------------------------------------------


def _read(data: bytes) -> list[tuple]:
    wb = load_workbook(io.BytesIO(data), read_only=True)
    return [tuple(row) for row in wb.worksheets[0].iter_rows(values_only=True)]


def _exported_ids(user, village) -> dict[str, str]:
    rows = _read(roster.roster_export(user=user, village=village))
    assert list(rows[0]) == COLUMNS
    name, id_column = COLUMNS.index("姓名"), COLUMNS.index("身份证号")
    return {row[name]: row[id_column] for row in rows[1:]}


@pytest.mark.parametrize("role", ["secretary", "branch_committee", "village_committee"])
def test_staff_export_whole_id_numbers(shared_township, role):
    villagers = Villager.objects.filter(village=shared_township["own"])
    exported = _exported_ids(shared_township["users"][role], shared_township["own"])
    assert exported == {v.name: v.id_number for v in villagers}


@pytest.mark.parametrize("role", ["supervision", "inspector", "township_admin"])
def test_supervision_and_inspector_export_masked_id_numbers(shared_township, role):
    villagers = Villager.objects.filter(village=shared_township["own"])
    exported = _exported_ids(shared_township["users"][role], shared_township["own"])
    assert exported == {v.name: v.masked_id_number for v in villagers}
    for value in exported.values():
        assert value[4:14] == "*" * 10


def test_inspector_exports_a_neighbour_village_masked(shared_township):
    VillagerFactory(household__area__parent__village=shared_township["neighbour"], name="西河人")
    exported = _exported_ids(shared_township["users"]["inspector"], shared_township["neighbour"])
    neighbours = Villager.objects.filter(village=shared_township["neighbour"])
    assert exported == {v.name: v.masked_id_number for v in neighbours}
    assert "*" * 10 in exported["西河人"]


@pytest.mark.parametrize("role", ["grid_officer", "resident", "outsider"])
def test_export_is_refused_to_others(shared_township, role):
    with pytest.raises(PermissionDenied):
        roster.roster_export(user=shared_township["users"][role], village=shared_township["own"])


def test_secretary_cannot_export_another_village(shared_township, secretary):
    with pytest.raises(PermissionDenied):
        roster.roster_export(user=secretary, village=shared_township["neighbour"])


def test_export_after_import_lists_every_row(shared_township, secretary):
    roster_import(
        actor=secretary,
        village=shared_township["own"],
        data=xlsx(good_rows(shared_township["area"].name, 10)),
    )
    rows = _read(roster.roster_export(user=secretary, village=shared_township["own"]))
    imported = [r for r in rows[1:] if str(r[0]).startswith("T-")]
    assert len(imported) == 10
    assert len(rows) == 1 + Villager.objects.filter(village=shared_township["own"]).count()
    first = next(r for r in imported if r[3] == "村民01")
    assert first[:6] == ("T-001", shared_township["area"].name, "东街1号", "村民01", first[4], "男")
    assert first[9] == "群众" and first[10] == "是"


def test_template_has_the_documented_header_and_an_example(db):
    rows = _read(roster.template_workbook())
    assert list(rows[0]) == COLUMNS
    assert rows[1][COLUMNS.index("身份证号")] == "370102198005170016"
    wb = load_workbook(io.BytesIO(roster.template_workbook()))
    assert "填写说明" in wb.sheetnames
