"""Excel for the points ledger: the import of a month's paper sheet (every row checked first,
all rows saved or none, with the errors per row) and the exports of the ledger, a monthly
publication list and an allocation."""

import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from village import audit, permissions
from village.models import Household
from village.money import XLSX_FORMAT, yuan_decimal
from village.roster import SheetFileError, cell_date, cell_text, read_rows

from . import selectors, services
from .models import Allocation, Entry, Publication
from .permissions import PointsAction

COLUMNS = ["户号", "规则编码", "日期", "说明"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class RowError:
    row: int
    message: str


class SheetErrors(Exception):
    def __init__(self, rows: list[RowError]):
        super().__init__(f"{len(rows)} rows with errors")
        self.rows = rows


def _workbook(title: str, header: list[str], rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FFF2CC")
    for row in rows:
        ws.append(row)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, Decimal):  # an amount in 元: a number, shown as 80,000.00
                cell.number_format = XLSX_FORMAT
    for index in range(len(header)):
        ws.column_dimensions[chr(ord("A") + index)].width = 16
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def template_response() -> HttpResponse:
    data = _workbook(
        "积分登记表",
        COLUMNS,
        [["A-001", "HJ01", f"{timezone.localdate():%Y-%m-%d}", "门前干净整洁"]],
    )
    return _response(data, "积分登记表模板.xlsx")


def import_sheet(*, actor, village, upload) -> list[Entry]:
    """Record every row of a paper sheet as entries awaiting review, or none of them."""
    permissions.require(actor, PointsAction.IMPORT, village)
    data = upload.read()
    try:
        rows = read_rows(data, COLUMNS)
    except SheetFileError as exc:
        raise ValidationError(str(exc)) from exc
    # Each row's idempotency key is the file's fingerprint and the row: the same sheet uploaded
    # twice (a double click, a second cadre) records nothing the second time.
    sheet = hashlib.sha256(data).hexdigest()[:40]
    earlier = Entry.objects.filter(idempotency_key__startswith=f"sheet-{village.pk}-{sheet}-")
    if earlier.exists():
        first = earlier.order_by("recorded_at").first()
        raise ValidationError(
            _("这张登记表已于 %(when)s 导入过，没有重复登记。")
            % {"when": f"{timezone.localtime(first.recorded_at):%Y-%m-%d %H:%M}"},
            code="imported",
        )
    households = {h.number: h for h in Household.objects.filter(village=village)}
    planned, errors = [], []
    today = timezone.localdate()
    for number, row in rows:
        try:
            household = households.get(cell_text(row["户号"]))
            if household is None:
                raise ValueError(_("户号“%(n)s”不是本村的户") % {"n": cell_text(row["户号"])})
            day = cell_date(row["日期"], _("日期")) or today
            code = cell_text(row["规则编码"])
            rule = selectors.rules_on(village, day).filter(code=code).first()
            if rule is None:
                raise ValueError(_("规则编码“%(c)s”在该日期的细则中不存在") % {"c": code})
            if rule.evidence_required:
                raise ValueError(_("“%(r)s”须附照片，请用手机登记") % {"r": rule.text})
            planned.append((number, household, rule, day, cell_text(row["说明"])))
        except ValueError as exc:
            errors.append(RowError(number, str(exc)))
    if errors:
        raise SheetErrors(errors)
    created = []
    with transaction.atomic():
        for number, household, rule, day, reason in planned:
            try:
                created.append(
                    services.entry_record(
                        actor=actor,
                        household=household,
                        rule=rule,
                        occurred_on=day,
                        reason=reason,
                        idempotency_key=f"sheet-{village.pk}-{sheet}-{number}",
                    )
                )
            except (ValidationError, PermissionDenied) as exc:
                message = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                errors.append(RowError(number, message))
        if errors:
            raise SheetErrors(errors)
        audit.record(
            actor=actor,
            action=PointsAction.IMPORT,  # the audit event is named as the action
            obj=village,
            village=village,
            payload={"rows": len(created), "entries": [e.pk for e in created]},
        )
    return created


def ledger_response(entries, village) -> HttpResponse:
    header = ["户号", "户主", "日期", "种类", "规则", "说明", "分值", "状态", "入账时间"]
    rows = [
        [
            e.account.household.number,
            e.account.household.head.name if e.account.household.head else "",
            f"{e.occurred_on:%Y-%m-%d}",
            str(e.get_kind_display()),
            e.rule.code if e.rule else "",
            e.reason,
            e.points,
            str(e.get_status_display()),
            f"{timezone.localtime(e.posted_at):%Y-%m-%d %H:%M}" if e.posted_at else "",
        ]
        for e in entries.iterator(chunk_size=2000)
    ]
    name = f"{village.name if village else '积分'}台账.xlsx"
    return _response(_workbook("积分台账", header, rows), name)


def publication_response(publication: Publication) -> HttpResponse:
    header = ["户号", "户主", "日期", "事项", "分值", "状态"]
    rows = [
        [
            e.account.household.number,
            e.account.household.head.name if e.account.household.head else "",
            f"{e.occurred_on:%Y-%m-%d}",
            e.reason,
            e.points,
            str(e.get_status_display()),
        ]
        for e in publication.entries.select_related("account__household__head").order_by(
            "account__household__number", "occurred_on", "pk"
        )
    ]
    title = f"{publication.village.name}{publication}"
    return _response(_workbook("积分公示", header, rows), f"{title}.xlsx")


def allocation_response(allocation: Allocation) -> HttpResponse:
    header = ["名次", "户号", "户主", "年度得分", "计分", "金额（元）", "说明"]
    rows = [
        [
            s.rank,
            s.household.number,
            s.household.head.name if s.household.head else "",
            s.score,
            s.weight,
            yuan_decimal(s.amount_fen),
            s.reason,
        ]
        for s in allocation.shares.select_related("household__head").order_by("rank")
    ]
    rows.append(
        [
            "",
            "",
            _("合计"),
            "",
            "",
            yuan_decimal(allocation.pool_fen),
            allocation.rule_text,
        ]
    )
    return _response(_workbook("福利分配", header, rows), f"{allocation.title}.xlsx")
