"""The villager roster in Excel: a template, an all-or-nothing import, an export.

Column layout (row 1 is the header, data from row 2), documented in README:
户号 | 片区 | 住址 | 姓名 | 身份证号 | 性别 | 出生日期 | 手机号 | 与户主关系 | 政治面貌 | 村民代表 |
代表任期起 | 代表任期止
"""

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException

from . import audit, permissions
from .models import (
    Gender,
    Grid,
    GridLevel,
    Household,
    PartyMembership,
    Village,
    Villager,
    mask_id_number,
    validate_id_number,
)
from .permissions import Action
from .services import household_create, household_update, villager_create

COLUMNS = [
    "户号",
    "片区",
    "住址",
    "姓名",
    "身份证号",
    "性别",
    "出生日期",
    "手机号",
    "与户主关系",
    "政治面貌",
    "村民代表",
    "代表任期起",
    "代表任期止",
]
REQUIRED = {"户号", "片区", "姓名", "身份证号", "性别"}
GENDERS = {label: value for value, label in [("m", "男"), ("f", "女")]}
PARTY = {"群众": "none", "": "none", "预备党员": "probationary", "正式党员": "full"}
YES = {"是", "Y", "y", "1", "TRUE", "true", "True"}
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000


class RosterFileError(Exception):
    """The file as a whole cannot be read (wrong type, empty, wrong header)."""


SheetFileError = RosterFileError  # the name other importers use


@dataclass
class RowError:
    row: int
    message: str


@dataclass
class ImportResult:
    created: int = 0
    households_created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def cell_date(value, label: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value).replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(
            _("%(label)s“%(value)s”不是日期（如 1980-05-17）")
            % {
                "label": label,
                "value": text,
            }
        ) from exc


def template_workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "村民花名册"
    ws.append(COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FFF2CC")
    ws.append(
        [
            "A-001",
            "一片区",
            "东毛铺村1号",
            "张三",
            "370102198005170016",
            "男",
            "1980-05-17",
            "13900000000",
            "户主",
            "群众",
            "否",
            "",
            "",
        ]
    )
    notes = wb.create_sheet("填写说明")
    for line in [
        "必填：户号、片区、姓名、身份证号、性别。",
        "片区填写本村已有片区的名称；户号不存在时按本行的片区和住址新建户。",
        "性别：男 / 女；政治面貌：群众 / 预备党员 / 正式党员；村民代表：是 / 否。",
        "出生日期可不填，按身份证号计算；与户主关系填“户主”者设为户主。",
        "整个文件先全部校验：只要有一行有错，就一行也不导入，并列出每行的错误。",
    ]:
        notes.append([line])
    for column, width in zip(
        "ABCDEFGHIJKLM", [10, 10, 18, 10, 22, 6, 12, 14, 10, 10, 8, 12, 12], strict=True
    ):
        ws.column_dimensions[column].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def read_rows(data: bytes, columns: list[str] | None = None) -> list[tuple[int, dict]]:
    """Rows of the first sheet as (row number, {column: value}); the header must match."""
    columns = columns or COLUMNS
    if not data:
        raise RosterFileError(_("文件是空的。请使用下载的模板填写后上传。"))
    if len(data) > MAX_BYTES:
        raise RosterFileError(_("文件超过 5 MB，请分批导入。"))
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise RosterFileError(
            _("不是 .xlsx 格式的 Excel 文件。请用 Excel 或 WPS 另存为 .xlsx 后上传。")
        )
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise RosterFileError(_("无法读取这个 Excel 文件：%s") % exc) from exc
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    header = [cell_text(c) for c in header or ()]
    while header and header[-1] == "":
        header.pop()
    if header[: len(columns)] != columns:
        raise RosterFileError(_("表头与模板不一致。第一行应为：%s") % " | ".join(columns))
    result = []
    for number, values in enumerate(rows, start=2):
        if values is None or all(v in (None, "") for v in values):
            continue
        if len(result) >= MAX_ROWS:
            raise RosterFileError(_("一次最多导入 %d 行。") % MAX_ROWS)
        padded = list(values) + [None] * len(columns)
        result.append((number, dict(zip(columns, padded[: len(columns)], strict=True))))
    wb.close()
    if not result:
        raise RosterFileError(_("文件中没有数据行。"))
    return result


@dataclass
class _Planned:
    row: int
    household_number: str
    area: Grid
    address: str
    fields: dict
    make_head: bool


@dataclass
class _PlanContext:
    """What the rows are checked against: the village's areas, households and ID numbers, and
    what earlier rows of the file already claimed."""

    village: Village
    areas: dict
    households: dict
    existing_ids: set
    seen_ids: dict = field(default_factory=dict)
    new_households: dict = field(default_factory=dict)

    @classmethod
    def load(cls, village: Village) -> "_PlanContext":
        return cls(
            village=village,
            areas={g.name: g for g in Grid.objects.filter(village=village, level=GridLevel.AREA)},
            households={h.number: h for h in Household.objects.filter(village=village)},
            existing_ids=set(
                Villager.objects.filter(village=village).values_list("id_number", flat=True)
            ),
        )


def _required_problems(text: dict) -> list:
    return [
        _("“%s”不能为空") % column for column in COLUMNS if column in REQUIRED and not text[column]
    ]


def _id_problems(ctx: _PlanContext, id_number: str, number: int) -> list:
    problems = []
    try:
        validate_id_number(id_number)
    except ValidationError as exc:
        problems.append(_("身份证号：%s") % exc.messages[0])
    if id_number in ctx.existing_ids:
        problems.append(_("身份证号 %s 已在本村花名册中") % mask_id_number(id_number))
    elif id_number in ctx.seen_ids:
        problems.append(_("身份证号与第 %d 行重复") % ctx.seen_ids[id_number])
    ctx.seen_ids.setdefault(id_number, number)
    return problems


def _dates(raw: dict, id_number: str, problems: list) -> tuple:
    """Birth date and representative term; the birth date falls back to the ID number's."""
    try:
        birth = cell_date(raw["出生日期"], "出生日期")
        rep_from = cell_date(raw["代表任期起"], "代表任期起")
        rep_to = cell_date(raw["代表任期止"], "代表任期止")
    except ValueError as exc:
        problems.append(str(exc))
        birth = rep_from = rep_to = None
    if birth is None and len(id_number) == 18 and id_number[6:14].isdigit():
        try:
            birth = datetime.strptime(id_number[6:14], "%Y%m%d").date()
        except ValueError:
            problems.append(_("无法从身份证号得出出生日期"))
    return birth, rep_from, rep_to


def _household_problems(ctx: _PlanContext, text: dict, area, number: int) -> list:
    household = ctx.households.get(text["户号"])
    if household is not None and area is not None and household.area_id != area.pk:
        return [_("户号 %s 已属于其他片区") % text["户号"]]
    if household is None and area is not None and text["户号"]:
        # A new household takes the area of its first row; later rows must agree.
        first_area, first_row = ctx.new_households.setdefault(text["户号"], (area, number))
        if first_area.pk != area.pk:
            return [
                _("户号 %(number)s 在第 %(row)d 行填写的片区是“%(area)s”，与本行不一致")
                % {"number": text["户号"], "row": first_row, "area": first_area.name}
            ]
    return []


def _model_problems(ctx: _PlanContext, text: dict, area, fields: dict) -> list:
    """Field-level checks of the model itself, against a stand-in household."""
    village = ctx.village
    household = ctx.households.get(text["户号"])
    stand_in = household or Household(village=village, number=text["户号"], area=area)
    try:
        candidate = Villager(village=village, household=stand_in, **fields)
        candidate.full_clean(exclude=["household"], validate_unique=False)
    except ValidationError as exc:
        problems = []
        for name, messages in exc.message_dict.items():
            label = Villager._meta.get_field(name).verbose_name if name != "__all__" else ""
            problems.extend(f"{label}：{m}" if label else m for m in messages)
        return problems
    return []


def _plan_row(ctx: _PlanContext, number: int, raw: dict) -> tuple[_Planned | None, list]:
    """One row planned, or the problems that keep it out."""
    text = {k: cell_text(v) for k, v in raw.items()}
    problems = _required_problems(text)
    area = ctx.areas.get(text["片区"])
    if text["片区"] and area is None:
        problems.append(_("片区“%s”不存在") % text["片区"])
    id_number = text["身份证号"].upper()
    if id_number:
        problems += _id_problems(ctx, id_number, number)
    gender = GENDERS.get(text["性别"])
    if text["性别"] and gender is None:
        problems.append(_("性别应为“男”或“女”"))
    party = PARTY.get(text["政治面貌"])
    if party is None:
        problems.append(_("政治面貌应为 群众 / 预备党员 / 正式党员"))
    birth, rep_from, rep_to = _dates(raw, id_number, problems)
    problems += _household_problems(ctx, text, area, number)
    fields = {
        "name": text["姓名"],
        "id_number": id_number,
        "birth_date": birth,
        "gender": gender or Gender.MALE,
        "phone": text["手机号"],
        "relation_to_head": text["与户主关系"],
        "party_membership": party or PartyMembership.NONE,
        "is_representative": text["村民代表"] in YES,
        "representative_from": rep_from,
        "representative_to": rep_to,
    }
    if not problems:
        problems = _model_problems(ctx, text, area, fields)
    if problems:
        return None, problems
    planned = _Planned(
        row=number,
        household_number=text["户号"],
        area=area,
        address=text["住址"],
        fields=fields,
        make_head=text["与户主关系"] == "户主",
    )
    return planned, []


def _plan(village: Village, rows) -> tuple[list[_Planned], list[RowError]]:
    ctx = _PlanContext.load(village)
    planned, errors = [], []
    for number, raw in rows:
        row, problems = _plan_row(ctx, number, raw)
        if problems:
            errors.append(RowError(number, "；".join(str(p) for p in problems)))
        else:
            planned.append(row)
    return planned, errors


def roster_import(*, actor, village: Village, data: bytes) -> ImportResult:
    """Validate every row first; then save all rows in one transaction, or none."""
    permissions.require(actor, Action.IMPORT_ROSTER, village)
    rows = read_rows(data)
    planned, errors = _plan(village, rows)
    result = ImportResult(errors=errors)
    if errors:
        return result
    with transaction.atomic():
        households = {h.number: h for h in Household.objects.filter(village=village)}
        for item in planned:
            household = households.get(item.household_number)
            if household is None:
                household = household_create(
                    actor=actor,
                    village=village,
                    number=item.household_number,
                    area=item.area,
                    address=item.address,
                )
                households[household.number] = household
                result.households_created += 1
            villager = villager_create(
                actor=actor, village=village, household=household, **item.fields
            )
            if item.make_head:
                household_update(actor=actor, household=household, head=villager)
            result.created += 1
        audit.record(
            actor=actor,
            action="village.villager.import",
            obj=village,
            village=village,
            payload={"rows": len(planned), "households_created": result.households_created},
        )
    return result


def roster_export(*, user, village: Village) -> bytes:
    """The roster as .xlsx; ID numbers whole only for the village's staff (it is the register
    they re-import), and then the export is written to the audit chain like any reveal."""
    permissions.require(user, Action.EXPORT_ROSTER, village)
    whole_ids = permissions.may_see_id_numbers(user, village)
    if whole_ids:
        audit.record(
            actor=user,
            action="village.roster.export",
            obj=village,
            village=village,
            payload={"whole_id_numbers": True},
        )
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("村民花名册")
    ws.append(COLUMNS)
    party_labels = dict(PartyMembership.choices)
    gender_labels = dict(Gender.choices)
    rows = Villager.objects.filter(village=village).select_related("household__area")
    for v in rows.order_by("household__number", "id").iterator(chunk_size=500):
        ws.append(
            [
                v.household.number,
                v.household.area.name,
                v.household.address,
                v.name,
                v.id_number if whole_ids else v.masked_id_number,
                str(gender_labels[v.gender]),
                v.birth_date,
                v.phone,
                v.relation_to_head,
                str(party_labels[v.party_membership]),
                "是" if v.is_representative else "否",
                v.representative_from,
                v.representative_to,
            ]
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
