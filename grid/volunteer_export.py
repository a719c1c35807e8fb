"""An activity's attendance and hours as an Excel sheet (openpyxl), for the 文明实践站's records
and the village's paper files."""

import io
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from . import volunteer_selectors as selectors
from .models import VolunteerActivity

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rows(activity: VolunteerActivity):
    for attendance in selectors.attendances(activity):
        hours = getattr(attendance, "hours", None)
        yield [
            attendance.villager.name,
            attendance.household.number,
            timezone.localtime(attendance.checked_in_at).strftime("%Y-%m-%d %H:%M"),
            str(attendance.get_method_display()),
            _("是") if attendance.walk_in else _("否"),
            float(selectors.hours_text(hours.minutes)) if hours else None,
            hours.correction if hours else "",
        ]


def attendance_workbook(activity: VolunteerActivity) -> bytes:
    """Title lines, then one row per volunteer checked in: name, household, time, how, walk-in,
    hours credited (empty until the activity is closed) and the correction's reason."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("签到与时长")
    start = timezone.localtime(activity.starts_at)
    end = timezone.localtime(activity.ends_at)
    ws.append([f"{activity.village.name} · {activity.title}"])
    ws.append([f"{activity.place} · {start:%Y-%m-%d %H:%M}—{end:%H:%M}"])
    header = [
        _("姓名"),
        _("户号"),
        _("签到时间"),
        _("签到方式"),
        _("现场参加"),
        _("时长（小时）"),
        _("调整原因"),
    ]
    ws.append(header)
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FFF2CC")
    for row in _rows(activity):
        ws.append(row)
    for index in range(len(header)):
        ws.column_dimensions[chr(ord("A") + index)].width = 16
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def attendance_response(activity: VolunteerActivity) -> HttpResponse:
    response = HttpResponse(attendance_workbook(activity), content_type=XLSX)
    name = f"{activity.title}-签到与时长.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
