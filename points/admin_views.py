"""Cadre screens in the Wagtail admin ("积分" menu): the week's review, monthly publications,
objections, the ledger with reversals, the store counter, star households and allocations,
and the Excel import and exports."""

import uuid
from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from village import documents, permissions
from village.models import Household, Stance
from village.selectors import supervision_notes, supervision_row

from . import admin_common as common
from . import documents as print_
from . import excel, selectors, services
from .models import (
    Allocation,
    Entry,
    EntryStatus,
    Objection,
    ObjectionStatus,
    Publication,
    Redemption,
    StoreItem,
)
from .permissions import PointsAction
from .views import parse_pk


def _month(value: str) -> date:
    try:
        year, month = (int(x) for x in value.split("-")[:2])
        return date(year, month, 1)
    except (ValueError, AttributeError) as exc:
        raise ValidationError(_("请选择月份。")) from exc


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


# --- review --------------------------------------------------------------------------------


def review(request):
    villages = common.villages_for(request, PointsAction.REVIEW)
    village = common.village_choice(request, villages)
    qs = Entry.objects.filter(
        village__in=[village] if village else villages,
        status__in=[EntryStatus.RECORDED, EntryStatus.CLAIMED],
    ).select_related("account__household__head", "rule__category", "recorded_by", "village")
    if request.method == "POST":
        ids = [pk for pk in map(parse_pk, request.POST.getlist("entry")) if pk]
        approve = request.POST.get("decision") == "approve"
        try:
            if approve and request.POST.get("checked") != "yes":
                raise ValidationError(_("批量通过前，请勾选“我已逐条核对照片和说明”。"))
            rows = services.entries_review(
                actor=request.user,
                entries=ids,
                approve=approve,
                note=request.POST.get("note", ""),
            )
        except (ValidationError, PermissionDenied) as exc:
            common.fail(request, exc)
        else:
            messages.success(
                request,
                (_("已通过 %(n)s 条。") if approve else _("已退回 %(n)s 条。")) % {"n": len(rows)},
            )
        return redirect(request.get_full_path())
    rows = list(qs.order_by("occurred_on", "pk")[:300])
    return TemplateResponse(
        request,
        "points/admin/review.html",
        {
            "rows": rows,
            "villages": villages,
            "village": village,
            "total": sum(r.points for r in rows),
        },
    )


# --- publications and objections -----------------------------------------------------------


def publications(request):
    villages = common.villages_for(request, PointsAction.VIEW)
    village = common.village_choice(request, villages)
    if request.method == "POST":
        try:
            target = common.row(villages, request.POST.get("village"))
            if target is None:
                raise ValidationError(_("请选择村。"))
            if request.POST.get("action") == "close":
                pub = get_object_or_404(
                    Publication, pk=parse_pk(request.POST.get("publication")), village=target
                )
                posted = services.publication_close(actor=request.user, publication=pub)
                messages.success(request, _("已入账 %(n)s 条。") % {"n": len(posted)})
            else:
                pub = services.publication_create(
                    actor=request.user, village=target, month=_month(request.POST.get("month"))
                )
                messages.success(
                    request,
                    _("已发布 %(title)s，异议期至 %(end)s。")
                    % {
                        "title": pub,
                        "end": f"{timezone.localtime(pub.objection_ends_at):%Y-%m-%d %H:%M}",
                    },
                )
        except (ValidationError, PermissionDenied) as exc:
            common.fail(request, exc)
        return redirect(request.get_full_path())
    pubs = (
        Publication.objects.filter(village__in=[village] if village else villages)
        .select_related("village")
        .annotate(
            n=Count("entries", distinct=True),
            total=Sum("entries__points"),
            open_objections=Count(
                "entries__objections",
                filter=Q(entries__objections__status=ObjectionStatus.OPEN),
                distinct=True,
            ),
        )
        .order_by("-month", "-pk")[:60]
    )
    pending = Entry.objects.filter(
        village__in=[village] if village else villages,
        status=EntryStatus.REVIEWED,
        publication__isnull=True,
    ).count()
    today = timezone.localdate()
    last_month = selectors.month_start(selectors.month_start(today) - timedelta(days=1))
    pubs = list(pubs)
    notes = supervision_notes(pubs)
    for p in pubs:
        p.supervision = [
            supervision_row(n, "") for n in notes.get(("points.publication", str(p.pk)), [])
        ]
        p.supervise_hidden = [("kind", "publication"), ("id", p.pk), ("next", request.path)]
    return TemplateResponse(
        request,
        "points/admin/publications.html",
        {
            "can_supervise": permissions.can(request.user, permissions.Action.SUPERVISE),
            "supervision_stances": Stance.choices,
            "publications": pubs,
            "villages": villages,
            "village": village,
            "pending": pending,
            "last_month": f"{last_month:%Y-%m}",
            "now": timezone.now(),
            "may_publish": permissions.can(request.user, PointsAction.PUBLISH),
        },
    )


def objections(request):
    villages = common.villages_for(request, PointsAction.VIEW)
    if request.method == "POST":
        objection = get_object_or_404(
            Objection.objects.filter(village__in=villages),
            pk=parse_pk(request.POST.get("objection")),
        )
        try:
            services.objection_answer(
                actor=request.user,
                objection=objection,
                upheld=request.POST.get("decision") == "upheld",
                answer=request.POST.get("answer", ""),
            )
        except (ValidationError, PermissionDenied) as exc:
            common.fail(request, exc)
        else:
            messages.success(request, _("已答复。"))
        return redirect("points_admin_objections")
    items = (
        Objection.objects.filter(village__in=villages)
        .select_related(
            "entry__account__household__head", "entry__publication", "villager", "village"
        )
        .order_by("status", "-filed_at")[:200]
    )
    return TemplateResponse(
        request,
        "points/admin/objections.html",
        {"items": items, "may_answer": permissions.can(request.user, PointsAction.ANSWER)},
    )


# --- ledger and reversals ------------------------------------------------------------------


# The ledger is shown a page at a time (a year of a village is thousands of entries); the
# count and the totals of the whole filtered ledger come from the database.
LEDGER_PER_PAGE = 100


def _page_number(value, pages: int) -> int:
    value = value or ""
    return min(max(int(value), 1), pages) if _digits(value) else 1


def ledger(request):
    villages = common.villages_for(request, PointsAction.VIEW)
    village = common.village_choice(request, villages)
    year = request.GET.get("year") or str(timezone.localdate().year)
    reversal = Entry.objects.filter(reverses=OuterRef("pk")).values("pk")[:1]
    qs = (
        Entry.objects.filter(village__in=[village] if village else villages)
        .select_related("account__household__head", "rule", "village", "reverses")
        .annotate(reversal=Subquery(reversal))
        .order_by("-occurred_on", "-pk")
    )
    if _digits(year) and len(year) == 4:
        qs = qs.filter(year=int(year))
    number = (request.GET.get("household") or "").strip()
    if number:
        qs = qs.filter(account__household__number=number)
    status = request.GET.get("status")
    if status in EntryStatus.values:
        qs = qs.filter(status=status)
    if request.GET.get("format") == "xlsx":
        return excel.ledger_response(qs, village)
    totals = qs.aggregate(
        n=Count("pk"),
        posted=Coalesce(Sum("points", filter=Q(status=EntryStatus.POSTED)), 0),
        plus=Coalesce(Sum("points", filter=Q(status=EntryStatus.POSTED, points__gt=0)), 0),
        minus=Coalesce(Sum("points", filter=Q(status=EntryStatus.POSTED, points__lt=0)), 0),
    )
    pages = max(1, -(-totals["n"] // LEDGER_PER_PAGE))
    page = _page_number(request.GET.get("page"), pages)
    start = (page - 1) * LEDGER_PER_PAGE
    rows = list(qs[start : start + LEDGER_PER_PAGE])
    # Filtered by a household number: its passbook and card can be printed from here.
    printable = (
        list(
            Household.objects.filter(village__in=[village] if village else villages, number=number)
            .select_related("village", "head")
            .order_by("village__name")[:10]
        )
        if number
        else []
    )
    kept = {"village": village.pk if village else "", "year": year, "household": number}
    kept["status"] = status or ""
    return TemplateResponse(
        request,
        "points/admin/ledger.html",
        {
            "rows": rows,
            "totals": totals,
            "page": page,
            "pages": range(1, pages + 1) if pages > 1 else [],
            "page_query": urlencode({k: v for k, v in kept.items() if v}),
            "villages": villages,
            "village": village,
            "year": year,
            "household": number,
            "printable": printable,
            "status": status,
            "statuses": EntryStatus.choices,
            "may_reverse": permissions.can(request.user, PointsAction.REVERSE),
            # 回避: reversing the secretary's own household asks for a reason.
            "own_household_id": getattr(
                permissions.villager_of(request.user), "household_id", None
            ),
        },
    )


@require_POST
def reverse_entry(request, entry_id):
    villages = common.villages_for(request, PointsAction.VIEW)
    entry = get_object_or_404(Entry.objects.filter(village__in=villages), pk=entry_id)
    try:
        services.entry_reverse(
            actor=request.user,
            entry=entry,
            reason=request.POST.get("reason", ""),
            recusal=request.POST.get("recusal", ""),
        )
    except (ValidationError, PermissionDenied) as exc:
        common.fail(request, exc)
    else:
        messages.success(request, _("已冲正。"))
    return redirect(reverse("points_admin_ledger") + f"?household={entry.account.household.number}")


# --- the store counter ---------------------------------------------------------------------


def counter(request):
    villages = common.villages_for(request, PointsAction.STORE_SERVE)
    number = (request.GET.get("household") or request.POST.get("household") or "").strip()
    household = None
    if number:
        household = (
            Household.objects.filter(village__in=villages, number=number)
            .select_related("head", "village")
            .first()
        )
        if household is None:
            messages.error(request, _("没有找到户号 %(n)s。") % {"n": number})
    receipt = None
    if request.method == "POST" and household is not None:
        item = common.row(
            StoreItem.objects.filter(village=household.village), request.POST.get("item")
        )
        try:
            if item is None:
                raise ValidationError(_("请选择物品。"))
            receipt = services.redeem(
                actor=request.user,
                household=household,
                item=item,
                quantity=common.integer(request.POST.get("quantity", "1"), _("数量")),
                idempotency_key=f"counter-{request.user.pk}-{request.POST.get('key', '')}"
                if request.POST.get("key")
                else None,
            )
        except (ValidationError, PermissionDenied) as exc:
            common.fail(request, exc)
        else:
            request.session["points_receipt"] = receipt.pk
            return redirect(f"{reverse('points_admin_counter')}?household={household.number}")
    if request.session.get("points_receipt"):
        receipt = (
            Redemption.objects.filter(pk=request.session.pop("points_receipt"))
            .select_related("item", "account__household")
            .first()
        )
    account = services.account_for(household=household) if household is not None else None
    return TemplateResponse(
        request,
        "points/admin/counter.html",
        {
            "household": household,
            "number": number,
            "account": account,
            "items": StoreItem.objects.filter(village=household.village, active=True)
            if household
            else [],
            "receipt": receipt,
            "key": uuid.uuid4().hex,
            "may_print_card": household is not None
            and permissions.can(request.user, PointsAction.VIEW, household.village),
        },
    )


# --- Excel -----------------------------------------------------------------------------------


def export_publication(request, publication_id):
    villages = common.villages_for(request, PointsAction.VIEW)
    pub = get_object_or_404(Publication.objects.filter(village__in=villages), pk=publication_id)
    return excel.publication_response(pub)


def import_sheet(request):
    villages = common.villages_for(request, PointsAction.IMPORT)
    if request.GET.get("template"):
        return excel.template_response()
    errors = []
    if request.method == "POST":
        village = common.row(villages, request.POST.get("village"))
        upload = request.FILES.get("file")
        try:
            if village is None:
                raise ValidationError(_("请选择村。"))
            if upload is None:
                raise ValidationError(_("请选择要导入的 Excel 文件（.xlsx）。"))
            created = excel.import_sheet(actor=request.user, village=village, upload=upload)
        except excel.SheetErrors as exc:
            errors = exc.rows
            messages.error(request, _("表格有错误，没有导入任何一行。请改正后重新上传。"))
        except (ValidationError, PermissionDenied) as exc:
            common.fail(request, exc)
        else:
            messages.success(request, _("已导入 %(n)s 条，待审核。") % {"n": len(created)})
            return redirect("points_admin_review")
    response = TemplateResponse(
        request,
        "points/admin/import.html",
        {"villages": villages, "errors": errors, "columns": excel.COLUMNS},
    )
    if errors:
        response.status_code = 400
    return response


# --- printing (sealed PDFs, each registered as a new document) ---------------------------------


@require_POST
def print_publication(request, publication_id):
    villages = common.villages_for(request, PointsAction.VIEW)
    pub = get_object_or_404(
        Publication.objects.filter(village__in=villages).select_related("village__township"),
        pk=publication_id,
    )
    return documents.response(print_.publication_list(request.user, pub))


def _household_by_id(request, household_id) -> Household:
    villages = common.villages_for(request, PointsAction.VIEW)
    return get_object_or_404(
        Household.objects.filter(village__in=villages).select_related("village"), pk=household_id
    )


@require_POST
def print_statement(request, household_id):
    household = _household_by_id(request, household_id)
    try:
        year = common.posted_year(request)
    except ValidationError as exc:
        common.fail(request, exc)
        return redirect(reverse("points_admin_ledger") + f"?household={household.number}")
    return documents.response(print_.statement(request.user, household, year))


@require_POST
def print_card(request, household_id):
    household = _household_by_id(request, household_id)
    return documents.response(print_.household_card(request.user, household))


@require_POST
def supervise(request):
    """村务监督委员会 on a points list or an allocation: 会签, 有异议 (with a reason) or an
    opinion; back to the page the form was on."""
    villages = common.villages_for(request, PointsAction.VIEW)
    kind = request.POST.get("kind")
    pk = parse_pk(request.POST.get("id"))
    try:
        if kind == "allocation":
            allocation = get_object_or_404(Allocation, pk=pk, village__in=villages)
            services.allocation_supervise(
                actor=request.user,
                allocation=allocation,
                stance=request.POST.get("stance", ""),
                text=request.POST.get("text", ""),
            )
        elif kind == "publication":
            publication = get_object_or_404(Publication, pk=pk, village__in=villages)
            services.publication_supervise(
                actor=request.user,
                publication=publication,
                stance=request.POST.get("stance", ""),
                text=request.POST.get("text", ""),
            )
        else:
            raise Http404
        messages.success(request, _("监督意见已记录。"))
    except (ValidationError, PermissionDenied) as exc:
        common.fail(request, exc)
    back = request.POST.get("next") or ""
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect("points_admin_welfare")
