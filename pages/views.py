"""Confirming a notice (已读), site search, the unread report for grid officers and the secretary,
and a notice printed for the board. The notice and rules pages serve themselves (pages/models/)."""

import io

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from village import documents as issued
from village import officers, permissions
from village.models import Household

from . import broadcast, documents, selectors, services
from .models import Audience, HouseholdAnswer, NoticePage, VillageHomePage
from .search import search_pages


@require_POST
def notice_read(request, notice_id):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    notice = get_object_or_404(NoticePage.objects.live(), pk=notice_id)
    try:
        services.notice_mark_read(actor=request.user, notice=notice)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        return HttpResponse("；".join(exc.messages), status=400)
    return redirect(notice.url)


def search(request, village_code):
    home = get_object_or_404(VillageHomePage.objects.live(), village__code=village_code)
    query = (request.GET.get("q") or "").strip()[:50]
    results = []
    if query:
        results = [
            p
            for p in search_pages(query, home)
            if not isinstance(p, NoticePage)
            or p.audience == Audience.EVERYONE
            or selectors.may_read(request.user, p, home.village)
        ][:50]
    return TemplateResponse(
        request,
        "pages/search.html",
        {"home": home, "query": query, "results": results, "page": home},
    )


# --- the unread report (admin) -------------------------------------------------------------


def _report_notice(request, notice_id):
    notice = get_object_or_404(NoticePage, pk=notice_id)
    village = selectors.village_of_page(notice)
    if village is None or not permissions.can(
        request.user, permissions.Action.VIEW_ROSTER, village
    ):
        raise Http404
    return notice, village


def unread_report(request, notice_id):
    notice, village = _report_notice(request, notice_id)
    areas = selectors.areas_reported_on(request.user, village)
    report = selectors.reach_report(notice, village, areas=areas)
    return TemplateResponse(
        request,
        "pages/admin/unread.html",
        {
            "notice": notice,
            "village": village,
            "report": report,
            "limited": areas is not None,
            "can_print": documents.may_print(request.user, village),
        },
    )


def _text_cell(ws, value: str) -> WriteOnlyCell:
    """A villager's words as text, never a formula: openpyxl stores a string starting with "="
    as one, which the cadre's spreadsheet would run."""
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    return cell


def _workbook_response(wb, filename: str) -> HttpResponse:
    """`wb` as a download named `filename`."""
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


def unread_export(request, notice_id):
    notice, village = _report_notice(request, notice_id)
    areas = selectors.areas_reported_on(request.user, village)
    report = selectors.reach_report(notice, village, areas=areas)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("未读户"))
    ws.append([_("通知"), notice.title])
    # The households still to reach: the officers' list to call or visit.
    ws.append([_("户号"), _("片区"), _("户主"), _("电话"), _("住址"), _("推送/短信")])
    delivered = {"sms": _("短信已送达"), "push": _("推送已送达")}
    for row in report["rows"]:
        ws.append(
            [
                row.household.number,
                row.area,
                row.head,
                row.phone,
                row.household.address,
                delivered.get(row.delivered, ""),
            ]
        )
    return _workbook_response(wb, f"unread-{notice.pk}.xlsx")


def unread_overview(request):
    villages = permissions.visible_villages(request.user, permissions.Action.VIEW_ROSTER)
    if not villages.exists():
        raise PermissionDenied
    rows = []
    for village in villages:
        home = selectors.home_of(village)
        if home is None:
            continue
        areas = selectors.areas_reported_on(request.user, village)
        can_print = documents.may_print(request.user, village)
        # Counted by the database for all the notices at once (the report lists the households).
        notices = selectors.notices_with_unread_counts(
            selectors.current_notices(home)[:30], village, areas=areas
        )
        for notice in notices:
            report = {"total": notice.households_total, "unread": notice.households_unread}
            rows.append(
                {"notice": notice, "village": village, "report": report, "can_print": can_print}
            )
    return TemplateResponse(request, "pages/admin/unread_overview.html", {"rows": rows})


# --- the notice printed for the board (admin) ----------------------------------------------


def _printable_notice(request, notice_id):
    """The notice and its village for one who may print the village's notices; 404 for another
    village's, 403 for one of the village who may not print."""
    notice = get_object_or_404(NoticePage, pk=notice_id)
    village = selectors.village_of_page(notice)
    if village is None or not permissions.can(
        request.user, permissions.Action.VIEW_VILLAGE, village
    ):
        raise Http404
    if not documents.may_print(request.user, village):
        raise PermissionDenied
    return notice, village


def notice_print(request, notice_id):
    """GET: what will be printed and a button; POST: issue the sealed PDF and open it."""
    notice, village = _printable_notice(request, notice_id)
    error = None
    if request.method == "POST":
        try:
            return issued.response(documents.notice(request.user, notice))
        except ValidationError as exc:
            error = "；".join(exc.messages)
    return TemplateResponse(
        request,
        "pages/admin/notice_print.html",
        {
            "notice": notice,
            "village": village,
            "audience": documents.audience_text(notice),
            "error": error,
        },
        status=400 if error else 200,
    )


def notice_broadcast(request, notice_id):
    """大喇叭播音稿: the notice as the loudspeaker reads it, to print or read from the screen."""
    notice, village = _printable_notice(request, notice_id)
    return TemplateResponse(
        request,
        "pages/admin/notice_broadcast.html",
        {"notice": notice, "village": village, "script": broadcast.script(notice)},
    )


# --- 户情收集 ----------------------------------------------------------------------------------


def _answers_of(request, questions) -> dict:
    return {str(q.pk): request.POST.get(f"q{q.pk}", "") for q in questions}


@require_POST
def notice_answer(request, notice_id):
    """A member (or the household's 亲情账号) answers the notice's questions for the household."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    notice = get_object_or_404(NoticePage.objects.live(), pk=notice_id)
    try:
        services.household_answer(
            actor=request.user,
            notice=notice,
            answers=_answers_of(request, notice.questions.all()),
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        response = notice.serve(request)
        response.status_code = 400
        return response
    messages.success(request, _("已提交，谢谢！本户的回答只有村干部和本片区网格员能看到。"))
    return redirect(notice.url)


def door_answer(request, notice_id, household_id):
    """上门代答: the household's officer (or a cadre) records its answers at the door."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    notice = get_object_or_404(NoticePage.objects.live(), pk=notice_id)
    village = selectors.village_of_page(notice)
    household = get_object_or_404(
        Household.objects.select_related("area", "head"), pk=household_id, village=village
    )
    if not officers.may_act_for(request.user, household):
        raise Http404
    questions = list(notice.questions.all())
    answered = HouseholdAnswer.objects.filter(notice=notice, household=household).first()
    status = 200
    if request.method == "POST" and answered is None:
        try:
            services.household_answer(
                actor=request.user,
                notice=notice,
                household=household,
                answers=_answers_of(request, questions),
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
            status = 400
        else:
            messages.success(
                request, _("已登记 %s 户的回答（网格员上门代答）。") % household.number
            )
            return redirect("pages_notice_answers", notice.pk)
    return TemplateResponse(
        request,
        "pages/door_answer.html",
        {
            "notice": notice,
            "household": household,
            "questions": questions,
            "answered": answered,
            "posted": request.POST,
        },
        status=status,
    )


def _answers_notice(request, notice_id):
    notice = get_object_or_404(NoticePage, pk=notice_id)
    village = selectors.village_of_page(notice)
    if village is None or not selectors.may_see_answers(request.user, village):
        raise Http404
    return notice, village


def notice_answers(request, notice_id):
    """The answers of the households, completion by area: cadres all, an officer their areas."""
    notice, village = _answers_notice(request, notice_id)
    areas = officers.officer_areas(request.user, village)
    return TemplateResponse(
        request,
        "pages/admin/answers.html",
        {
            "notice": notice,
            "report": selectors.answers_report(notice, village, areas=areas),
            "limited": areas is not None,
            "unmatched": selectors.answers_unmatched(notice),
        },
    )


def notice_answers_export(request, notice_id):
    notice, village = _answers_notice(request, notice_id)
    report = selectors.answers_report(
        notice, village, areas=officers.officer_areas(request.user, village)
    )
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("户情收集"))
    ws.append([_("通知"), notice.title])
    questions = report["questions"]
    ws.append(
        [_("片区"), _("户号"), _("户主"), _("回答方式"), _("回答时间")]
        + [q.text for q in questions]
    )
    for household, answer, values in report["rows"]:
        ws.append(
            [
                str(household.area),
                household.number,
                household.head.name if household.head else "",
                answer.get_way_display() if answer else _("未回答"),
                timezone.localtime(answer.answered_at).strftime("%Y-%m-%d %H:%M") if answer else "",
                *(_text_cell(ws, value) for value in values),
            ]
        )
    return _workbook_response(wb, f"answers-{notice.pk}.xlsx")
