"""Roster import and export in the Wagtail admin of the village core: a file with one bad row
imports nothing and names the row, wrong files and headers get clear messages, the template has the
documented columns, and the export masks ID numbers for the inspector and is refused for another
village."""

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from tests.factories import make_id_number
from tests.support.village_admin import refused
from village import roster as roster_io
from village.models import Household, Villager

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    assert refused(response)
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
