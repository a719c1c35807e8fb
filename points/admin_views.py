"""Cadre screens in the Wagtail admin ("积分" menu): the week's review, monthly publications,
objections, the ledger with reversals, the store counter, star households and allocations,
and the Excel import and exports."""

import uuid
from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from village import documents, permissions
from village.models import BatchStatus, DocumentBatch, DocumentKind, Household
from village.money import fen_from_yuan, yuan_figure

from . import documents as print_
from . import excel, services
from .models import (
    Allocation,
    Entry,
    EntryStatus,
    Objection,
    ObjectionStatus,
    Publication,
    Redemption,
    StarRating,
    StarRound,
    StoreItem,
)
from .views import parse_pk


def _fail(request, exc) -> None:
    if isinstance(exc, ValidationError):
        messages.error(request, "；".join(exc.messages))
    else:
        messages.error(request, str(exc) or _("您没有权限执行此操作。"))


def _villages(request, action):
    villages = permissions.visible_villages(request.user, action)
    if not villages.exists():
        raise PermissionDenied
    return villages


def _row(queryset, value):
    """The row of `queryset` whose key was posted, or None when the key is missing, malformed
    or not there."""
    pk = parse_pk(value)
    return queryset.filter(pk=pk).first() if pk else None


def _village_choice(request, villages):
    """The village picked in ?village=, else the only one, else None (all visible)."""
    picked = request.GET.get("village") or request.POST.get("village")
    if picked:
        village = _row(villages, picked)
        if village is None:
            raise Http404
        return village
    return villages.first() if len(villages) == 1 else None


def _month(value: str) -> date:
    try:
        year, month = (int(x) for x in value.split("-")[:2])
        return date(year, month, 1)
    except (ValueError, AttributeError) as exc:
        raise ValidationError(_("请选择月份。")) from exc


# What an IntegerField holds on every database; more would fail at the insert, not here.
MAX_INT = 2**31 - 1


def _int(value, label) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("%(label)s须为整数。") % {"label": label}) from exc
    if abs(number) > MAX_INT:
        raise ValidationError(_("%(label)s数值过大。") % {"label": label})
    return number


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


# --- review --------------------------------------------------------------------------------


def review(request):
    villages = _villages(request, services.REVIEW)
    village = _village_choice(request, villages)
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
            _fail(request, exc)
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
    villages = _villages(request, services.VIEW)
    village = _village_choice(request, villages)
    if request.method == "POST":
        try:
            target = _row(villages, request.POST.get("village"))
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
            _fail(request, exc)
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
    last_month = services.month_start(services.month_start(today) - timedelta(days=1))
    return TemplateResponse(
        request,
        "points/admin/publications.html",
        {
            "publications": pubs,
            "villages": villages,
            "village": village,
            "pending": pending,
            "last_month": f"{last_month:%Y-%m}",
            "now": timezone.now(),
            "may_publish": permissions.can(request.user, services.PUBLISH),
        },
    )


def objections(request):
    villages = _villages(request, services.VIEW)
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
            _fail(request, exc)
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
        {"items": items, "may_answer": permissions.can(request.user, services.ANSWER)},
    )


# --- ledger and reversals ------------------------------------------------------------------


def ledger(request):
    villages = _villages(request, services.VIEW)
    village = _village_choice(request, villages)
    year = request.GET.get("year") or str(timezone.localdate().year)
    qs = (
        Entry.objects.filter(village__in=[village] if village else villages)
        .select_related("account__household__head", "rule", "village", "reverses")
        .prefetch_related("reversed_by")
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
    rows = list(qs[:300])
    for row in rows:
        try:
            row.reversal = row.reversed_by
        except Entry.DoesNotExist:
            row.reversal = None
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
    return TemplateResponse(
        request,
        "points/admin/ledger.html",
        {
            "rows": rows,
            "villages": villages,
            "village": village,
            "year": year,
            "household": number,
            "printable": printable,
            "status": status,
            "statuses": EntryStatus.choices,
            "may_reverse": permissions.can(request.user, services.REVERSE),
        },
    )


@require_POST
def reverse_entry(request, entry_id):
    villages = _villages(request, services.VIEW)
    entry = get_object_or_404(Entry.objects.filter(village__in=villages), pk=entry_id)
    try:
        services.entry_reverse(
            actor=request.user, entry=entry, reason=request.POST.get("reason", "")
        )
    except (ValidationError, PermissionDenied) as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("已冲正。"))
    return redirect(reverse("points_admin_ledger") + f"?household={entry.account.household.number}")


# --- the store counter ---------------------------------------------------------------------


def counter(request):
    villages = _villages(request, services.SERVE)
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
        item = _row(StoreItem.objects.filter(village=household.village), request.POST.get("item"))
        try:
            if item is None:
                raise ValidationError(_("请选择物品。"))
            receipt = services.redeem(
                actor=request.user,
                household=household,
                item=item,
                quantity=_int(request.POST.get("quantity", "1"), _("数量")),
                idempotency_key=f"counter-{request.user.pk}-{request.POST.get('key', '')}"
                if request.POST.get("key")
                else None,
            )
        except (ValidationError, PermissionDenied) as exc:
            _fail(request, exc)
        else:
            request.session["points_receipt"] = receipt.pk
            return redirect(f"{reverse('points_admin_counter')}?household={household.number}")
    if request.session.get("points_receipt"):
        receipt = (
            Redemption.objects.filter(pk=request.session.pop("points_receipt"))
            .select_related("item", "account__household")
            .first()
        )
    account = services.account_for(household) if household is not None else None
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
            and permissions.can(request.user, services.VIEW, household.village),
        },
    )


# --- star households and allocations -------------------------------------------------------


def welfare(request):
    villages = _villages(request, services.VIEW)
    village = _village_choice(request, villages)
    if request.method == "POST":
        try:
            target = _row(villages, request.POST.get("village"))
            action = request.POST.get("action")
            if action == "rate":
                if target is None:
                    raise ValidationError(_("请选择村。"))
                thresholds = {
                    str(k): request.POST.get(f"star{k}")
                    for k in range(1, 6)
                    if (request.POST.get(f"star{k}") or "").strip()
                }
                services.star_round_rate(
                    actor=request.user,
                    village=target,
                    year=_int(request.POST.get("year"), _("年度")),
                    thresholds=thresholds,
                )
                messages.success(request, _("已评定，核对后请公布。"))
            elif action == "publish_stars":
                rnd = get_object_or_404(
                    StarRound, pk=parse_pk(request.POST.get("round")), village__in=villages
                )
                services.star_round_publish(actor=request.user, star_round=rnd)
                messages.success(request, _("已公布。"))
            elif action == "revoke":
                rating = get_object_or_404(
                    StarRating,
                    pk=parse_pk(request.POST.get("rating")),
                    round__village__in=villages,
                )
                services.star_rating_revoke(
                    actor=request.user, rating=rating, reason=request.POST.get("reason", "")
                )
                messages.success(request, _("已撤销该户星级。"))
            elif action == "allocate":
                if target is None:
                    raise ValidationError(_("请选择村。"))
                year = _int(request.POST.get("year"), _("年度"))
                cap = request.POST.get("cap", "").strip()
                ineligible = (
                    services.revoked_star_households(target, year)
                    if request.POST.get("exclude_revoked")
                    else {}
                )
                services.allocation_create(
                    actor=request.user,
                    village=target,
                    year=year,
                    title=request.POST.get("title", ""),
                    pool_fen=fen_from_yuan(request.POST.get("pool"), _("总额")),
                    floor=_int(request.POST.get("floor") or "0", _("起算分")),
                    cap_fen=fen_from_yuan(cap, _("每户上限")) if cap else None,
                    ineligible=ineligible,
                    idempotency_key=request.POST.get("form_key", "")[:80],
                )
                messages.success(request, _("已按积分分配，核对后请公布。"))
            elif action == "publish_allocation":
                alloc = get_object_or_404(
                    Allocation, pk=parse_pk(request.POST.get("allocation")), village__in=villages
                )
                services.allocation_publish(actor=request.user, allocation=alloc)
                messages.success(request, _("已公布。"))
            else:
                raise ValidationError(_("未知操作。"))
        except (ValidationError, PermissionDenied) as exc:
            _fail(request, exc)
        return redirect(request.get_full_path())
    scope = [village] if village else villages
    rounds = list(
        StarRound.objects.filter(village__in=scope)
        .select_related("village")
        .annotate(n=Count("ratings"))
        .order_by("-year")[:10]
    )
    allocations = list(
        Allocation.objects.filter(village__in=scope)
        .select_related("village")
        .annotate(n=Count("shares"), total=Sum("shares__amount_fen"))
        .order_by("-year", "-pk")[:10]
    )
    for a in allocations:
        a.total_yuan = yuan_figure(a.total or 0)
    batches = list(
        DocumentBatch.objects.filter(village__in=scope, kind=DocumentKind.STATEMENTS)
        .select_related("village")
        .order_by("-requested_at")[:5]
    )
    return TemplateResponse(
        request,
        "points/admin/welfare.html",
        {
            "villages": villages,
            "village": village,
            "rounds": rounds,
            "allocations": allocations,
            "batches": batches,
            "year": timezone.localdate().year - 1,
            "this_year": timezone.localdate().year,
            "may_manage": permissions.can(request.user, services.WELFARE),
            "form_key": f"allocation-{uuid.uuid4().hex}",  # one allocation per form shown
        },
    )


def ratings(request, round_id):
    villages = _villages(request, services.VIEW)
    rnd = get_object_or_404(StarRound.objects.filter(village__in=villages), pk=round_id)
    return TemplateResponse(
        request,
        "points/admin/ratings.html",
        {
            "round": rnd,
            "ratings": rnd.ratings.select_related("household__head").order_by(
                "-stars", "-score", "household__number"
            ),
            "may_manage": permissions.can(request.user, services.WELFARE, rnd.village),
        },
    )


# --- Excel -----------------------------------------------------------------------------------


def export_publication(request, publication_id):
    villages = _villages(request, services.VIEW)
    pub = get_object_or_404(Publication.objects.filter(village__in=villages), pk=publication_id)
    return excel.publication_response(pub)


def export_allocation(request, allocation_id):
    villages = _villages(request, services.VIEW)
    alloc = get_object_or_404(Allocation.objects.filter(village__in=villages), pk=allocation_id)
    return excel.allocation_response(alloc)


def import_sheet(request):
    villages = _villages(request, "points.import")
    if request.GET.get("template"):
        return excel.template_response()
    errors = []
    if request.method == "POST":
        village = _row(villages, request.POST.get("village"))
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
            _fail(request, exc)
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


def _year(request) -> int:
    return print_.check_year(request.POST.get("year") or timezone.localdate().year)


@require_POST
def print_publication(request, publication_id):
    villages = _villages(request, services.VIEW)
    pub = get_object_or_404(
        Publication.objects.filter(village__in=villages).select_related("village__township"),
        pk=publication_id,
    )
    return documents.response(print_.publication_list(request.user, pub))


@require_POST
def print_allocation(request, allocation_id):
    villages = _villages(request, services.VIEW)
    alloc = get_object_or_404(
        Allocation.objects.filter(village__in=villages).select_related("village__township"),
        pk=allocation_id,
    )
    return documents.response(print_.allocation_list(request.user, alloc))


def _household(request, household_id) -> Household:
    villages = _villages(request, services.VIEW)
    return get_object_or_404(
        Household.objects.filter(village__in=villages).select_related("village"), pk=household_id
    )


@require_POST
def print_statement(request, household_id):
    household = _household(request, household_id)
    try:
        year = _year(request)
    except ValidationError as exc:
        _fail(request, exc)
        return redirect(reverse("points_admin_ledger") + f"?household={household.number}")
    return documents.response(print_.statement(request.user, household, year))


@require_POST
def print_card(request, household_id):
    household = _household(request, household_id)
    return documents.response(print_.household_card(request.user, household))


@require_POST
def batch_start(request):
    """The "打印全村积分存折" button: queue the book and go to its progress page."""
    villages = _villages(request, services.VIEW)
    back = request.POST.get("next") or ""
    if not (back.startswith("/") and not back.startswith("//")):
        back = reverse("points_admin_welfare")
    try:
        village = _row(villages, request.POST.get("village"))
        if village is None:
            raise ValidationError(_("请选择村。"))
        batch = print_.statements_batch_start(
            actor=request.user, village=village, year=_year(request)
        )
    except (ValidationError, PermissionDenied) as exc:
        _fail(request, exc)
        return redirect(back)
    return redirect("points_admin_batch", batch.pk)


def _batch(request, batch_id) -> DocumentBatch:
    villages = _villages(request, services.VIEW)
    return get_object_or_404(
        DocumentBatch.objects.filter(
            village__in=villages, kind=DocumentKind.STATEMENTS
        ).select_related("village", "document", "requested_by"),
        pk=batch_id,
    )


@require_GET
def batch(request, batch_id):
    """The progress page: a bar that refreshes itself every 2 s until the book is ready."""
    run = _batch(request, batch_id)
    finished = run.status in (BatchStatus.DONE, BatchStatus.FAILED)
    # Still queued or running long after the request: the worker probably stopped; say so and
    # stop refreshing.
    stale = not finished and run.requested_at < timezone.now() - print_.STALE_AFTER
    return TemplateResponse(
        request,
        "points/admin/batch.html",
        {
            "batch": run,
            "finished": finished,
            "stale": stale,
            "phase": print_.batch_phase(run),
            "year": run.params.get("year"),
            "households": print_.batch_households(run),
        },
    )


@require_GET
def batch_pdf(request, batch_id):
    run = _batch(request, batch_id)
    if run.document is None:
        raise Http404
    return documents.response(run.document, inline=False)
