"""Serving notices (audience check, 已读), the rules with earlier versions, site search, and the
unread report for grid officers and the secretary."""

import difflib
import io

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.dateparse import parse_date
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook
from wagtail.models import Revision

from village import documents as issued
from village import permissions

from . import documents, fragments, selectors, services
from .models import Audience, NoticePage, NoticeRead, RulesPage, VillageHomePage
from .search import search_pages


def notice_serve(page: NoticePage, request):
    village = selectors.village_of_page(page)
    if not selectors.may_read(request.user, page, village):
        if page.audience == Audience.EVERYONE:
            pass  # notices to everyone are public
        elif not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        else:
            raise Http404
    villager = selectors.villager_of(request.user)
    read = None
    if villager is not None:
        read = NoticeRead.objects.filter(notice=page, villager=villager).first()
    in_audience = (
        villager is not None
        and villager.village_id == getattr(village, "pk", None)
        and (selectors.in_audience(page, villager))
    )
    return TemplateResponse(
        request,
        "pages/notice_page.html",
        {
            "page": page,
            "self": page,
            "read": read,
            "can_confirm": in_audience and read is None,
            "can_report": village is not None
            and permissions.can(request.user, permissions.Action.VIEW_ROSTER, village),
        },
    )


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


def _earlier_versions(page: RulesPage) -> list:
    versions = list(
        Revision.page_revisions.filter(object_id=str(page.pk), approved_go_live_at__isnull=True)
        .exclude(pk=page.live_revision_id)
        .filter(pk__in=_published_revision_ids(page))
        .order_by("-created_at")
    )
    for revision in versions:
        # The revision's content is JSON: its dates are strings the template cannot format.
        revision.adopted_on = parse_date(revision.content.get("adopted_on") or "")
    # The empty page a new site starts with was never a version of the rules.
    return [r for r in versions if r.content.get("chapters") not in (None, "", "[]", [])]


def rules_serve(page: RulesPage, request):
    """The current rules; `?version=<revision>` an earlier published version; `?compare=` a
    line-by-line comparison of an earlier version with the current one. The current rules are
    kept as a rendered fragment (pages/fragments.py): the versions are read only when it is not
    cached."""
    version_id = request.GET.get("version") or ""
    compare_id = request.GET.get("compare") or ""
    shown = page
    version = None
    diff = None
    if version_id or compare_id:
        versions = _earlier_versions(page)
    else:
        versions = SimpleLazyObject(lambda: _earlier_versions(page))
    if version_id:
        version = next((r for r in versions if str(r.pk) == version_id), None)
        if version is None:
            raise Http404
        shown = version.as_object()
    if compare_id:
        other = next((r for r in versions if str(r.pk) == compare_id), None)
        if other is None:
            raise Http404
        diff = difflib.HtmlDiff(wrapcolumn=40).make_table(
            _lines(other.as_object()),
            _lines(page),
            fromdesc=_("%s 版") % (other.as_object().adopted_on or other.created_at.date()),
            todesc=_("现行版（%s）") % (page.adopted_on or ""),
        )
    return TemplateResponse(
        request,
        "pages/rules_page.html",
        {
            "page": page,
            "self": page,
            "shown": shown,
            "version": version,
            "versions": versions,
            "diff": diff,
            "fragment_key": fragments.fragment_key(fragments.village_id_of(page), None),
            "variant": f"{version_id}:{compare_id}",
        },
    )


def _published_revision_ids(page) -> list[int]:
    from wagtail.models import PageLogEntry

    ids = PageLogEntry.objects.filter(page=page, action="wagtail.publish").values_list(
        "revision_id", flat=True
    )
    return [i for i in ids if i]


def _lines(rules: RulesPage) -> list[str]:
    lines = [rules.preamble] if rules.preamble else []
    for block in rules.chapters:
        lines.append(block.value["title"])
        lines.extend(str(a) for a in block.value["articles"])
    return lines


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
    areas = selectors.officer_areas(request.user, village)
    report = selectors.unread_report(notice, village, areas=areas)
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


def unread_export(request, notice_id):
    notice, village = _report_notice(request, notice_id)
    areas = selectors.officer_areas(request.user, village)
    report = selectors.unread_report(notice, village, areas=areas)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("未读户"))
    ws.append([_("通知"), notice.title])
    ws.append([_("户号"), _("片区"), _("户主"), _("电话"), _("住址")])
    for row in report["rows"]:
        ws.append([row.household.number, row.area, row.head, row.phone, row.household.address])
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''unread-{notice.pk}.xlsx"
    return response


def unread_overview(request):
    villages = permissions.visible_villages(request.user, permissions.Action.VIEW_ROSTER)
    if not villages.exists():
        raise PermissionDenied
    rows = []
    for village in villages:
        home = selectors.home_of(village)
        if home is None:
            continue
        areas = selectors.officer_areas(request.user, village)
        for notice in selectors.current_notices(home)[:30]:
            report = selectors.unread_report(notice, village, areas=areas)
            rows.append(
                {
                    "notice": notice,
                    "village": village,
                    "report": report,
                    "can_print": documents.may_print(request.user, village),
                }
            )
    return TemplateResponse(request, "pages/admin/unread_overview.html", {"rows": rows})


# --- the notice printed for the board (admin) ----------------------------------------------


def notice_print(request, notice_id):
    """GET: what will be printed and a button; POST: issue the sealed PDF and open it."""
    notice = get_object_or_404(NoticePage, pk=notice_id)
    village = selectors.village_of_page(notice)
    if village is None or not permissions.can(
        request.user, permissions.Action.VIEW_VILLAGE, village
    ):
        raise Http404
    if not documents.may_print(request.user, village):
        raise PermissionDenied
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
