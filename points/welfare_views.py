"""Cadre screens for star households and welfare allocations (积分 → 星级与福利), and every
household's passbook printed in the background from there."""

import uuid
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from village import documents, permissions
from village.documents import batch as batch_runner
from village.extensions import resolutions
from village.models import BatchStatus, DocumentBatch, DocumentKind, Stance
from village.money import fen_from_yuan, yuan_figure
from village.selectors import supervision_notes, supervision_row

from . import admin_common as common
from . import documents as print_
from . import excel, selectors, services, tasks, terms
from .models import Allocation, AllocationObjection, StarRating, StarRound
from .permissions import PointsAction
from .views import parse_pk

# --- star households and allocations -------------------------------------------------------


def _target(request, villages):
    target = common.row(villages, request.POST.get("village"))
    if target is None:
        raise ValidationError(_("请选择村。"))
    return target


def _rate(request, villages) -> str:
    target = _target(request, villages)
    thresholds = {
        str(k): request.POST.get(f"star{k}")
        for k in range(1, 6)
        if (request.POST.get(f"star{k}") or "").strip()
    }
    services.star_round_rate(
        actor=request.user,
        village=target,
        year=common.integer(request.POST.get("year"), _("年度")),
        thresholds=thresholds,
    )
    return _("已评定。请核对名单，发起议题，决议公开期满后按决议公布。")


def _revoke(request, villages) -> str:
    rating = get_object_or_404(
        StarRating, pk=parse_pk(request.POST.get("rating")), round__village__in=villages
    )
    services.star_rating_revoke(
        actor=request.user, rating=rating, reason=request.POST.get("reason", "")
    )
    return _("已撤销该户星级。")


def _allocate(request, villages) -> str:
    target = _target(request, villages)
    year = common.integer(request.POST.get("year"), _("年度"))
    cap = request.POST.get("cap", "").strip()
    ineligible = (
        selectors.revoked_star_households(target, year)
        if request.POST.get("exclude_revoked")
        else {}
    )
    services.allocation_create(
        actor=request.user,
        village=target,
        year=year,
        title=request.POST.get("title", ""),
        pool_fen=fen_from_yuan(request.POST.get("pool"), _("总额")),
        floor=common.integer(request.POST.get("floor") or "0", _("起算分")),
        cap_fen=fen_from_yuan(cap, _("每户上限")) if cap else None,
        ineligible=ineligible,
        idempotency_key=request.POST.get("form_key", "")[:80],
    )
    return _("已按积分分配（草案）。请核对名单，发起议题，决议公开期满后按决议公布。")


# The welfare page's forms post `action`: each names one step, which returns its message.
WELFARE_ACTIONS = {
    "rate": _rate,
    "revoke": _revoke,
    "allocate": _allocate,
}


def welfare(request):
    villages = common.villages_for(request, PointsAction.VIEW)
    village = common.village_choice(request, villages)
    if request.method == "POST":
        step = WELFARE_ACTIONS.get(request.POST.get("action"))
        try:
            if step is None:
                raise ValidationError(_("未知操作。"))
            messages.success(request, step(request, villages))
        except (ValidationError, PermissionDenied) as exc:
            common.fail(request, exc)
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
            "may_manage": permissions.can(request.user, PointsAction.WELFARE_MANAGE),
            "form_key": f"allocation-{uuid.uuid4().hex}",  # one allocation per form shown
        },
    )


def _decision_context(request, obj, items, heading) -> dict:
    """What the star round's and the allocation's pages show of their deciding resolution: the
    terms block the matter must carry, and the standing resolutions it may be published under
    (those of the welfare categories, the proposed matter first)."""
    found = resolutions(obj.village)
    standing = [r for r in found if r.category in terms.WELFARE_CATEGORIES]
    standing.sort(key=lambda r: r.ref != obj.proposed_matter)
    return {
        "terms": items,
        "terms_block": terms.block(heading, items),
        "resolutions": standing,
        "decided_by": next((r for r in found if r.ref == obj.matter_ref), None),
        "may_manage": permissions.can(request.user, PointsAction.WELFARE_MANAGE, obj.village),
    }


def _decision_step(request, obj, propose, publish) -> HttpResponse:
    """The POST of a star round's or an allocation's page: `propose` opens the matter and goes
    to it; `publish` publishes under the chosen resolution."""
    try:
        if request.POST.get("action") == "propose":
            _ref, url = propose()
            messages.success(request, _("已发起议题，请按“四议两公开”程序办理。"))
            return redirect(url)
        if request.POST.get("action") == "publish":
            publish(parse_pk(request.POST.get("resolution")))
            messages.success(request, _("已按决议公布。"))
        else:
            raise ValidationError(_("未知操作。"))
    except (ValidationError, PermissionDenied) as exc:
        common.fail(request, exc)
    return redirect(request.get_full_path())


def ratings(request, round_id):
    villages = common.villages_for(request, PointsAction.VIEW)
    rnd = get_object_or_404(StarRound.objects.filter(village__in=villages), pk=round_id)
    if request.method == "POST":
        return _decision_step(
            request,
            rnd,
            lambda: services.star_round_propose(actor=request.user, star_round=rnd),
            lambda ref: services.star_round_publish(
                actor=request.user, star_round=rnd, resolution=ref
            ),
        )
    return TemplateResponse(
        request,
        "points/admin/ratings.html",
        {
            "round": rnd,
            "ratings": rnd.ratings.select_related("household__head").order_by(
                "-stars", "-score", "household__number"
            ),
            **_decision_context(request, rnd, selectors.star_round_terms(rnd), terms.STARS),
        },
    )


def _answer(request, alloc) -> None:
    objection = get_object_or_404(
        AllocationObjection, pk=parse_pk(request.POST.get("objection")), allocation=alloc
    )
    services.allocation_objection_answer(
        actor=request.user, objection=objection, answer=request.POST.get("answer", "")
    )
    messages.success(request, _("已答复。"))


def allocation_page(request, allocation_id):
    """An allocation for the cadres: its terms and fingerprint, the matter that decides it,
    publication under that resolution, and the list's objections and their answers."""
    villages = common.villages_for(request, PointsAction.VIEW)
    alloc = get_object_or_404(
        Allocation.objects.filter(village__in=villages).select_related("village"),
        pk=allocation_id,
    )
    if request.method == "POST" and request.POST.get("action") == "answer":
        try:
            _answer(request, alloc)
        except (ValidationError, PermissionDenied) as exc:
            common.fail(request, exc)
        return redirect(request.get_full_path())
    if request.method == "POST":
        return _decision_step(
            request,
            alloc,
            lambda: services.allocation_propose(actor=request.user, allocation=alloc),
            lambda ref: services.allocation_publish(
                actor=request.user, allocation=alloc, resolution=ref
            ),
        )
    objections = list(alloc.objections.select_related("villager", "proxy", "answered_by"))
    state, when = selectors.allocation_state(alloc, objections)
    return TemplateResponse(
        request,
        "points/admin/allocation.html",
        {
            "allocation": alloc,
            "objections": objections,
            "state": state,
            "state_label": selectors.LIST_STATES[state],
            "state_when": when,
            "may_answer": permissions.can(request.user, PointsAction.ANSWER, alloc.village),
            "can_supervise": permissions.can(
                request.user, permissions.Action.SUPERVISE, alloc.village
            ),
            "supervision": [
                supervision_row(n, "")
                for n in supervision_notes([alloc]).get(("points.allocation", str(alloc.pk)), [])
            ],
            "supervision_stances": Stance.choices,
            "supervise_hidden": [("kind", "allocation"), ("id", alloc.pk), ("next", request.path)],
            **_decision_context(
                request, alloc, selectors.allocation_terms(alloc), terms.ALLOCATION
            ),
        },
    )


def export_allocation(request, allocation_id):
    villages = common.villages_for(request, PointsAction.VIEW)
    alloc = get_object_or_404(Allocation.objects.filter(village__in=villages), pk=allocation_id)
    return excel.allocation_response(alloc)


@require_POST
def print_allocation(request, allocation_id):
    villages = common.villages_for(request, PointsAction.VIEW)
    alloc = get_object_or_404(
        Allocation.objects.filter(village__in=villages).select_related("village__township"),
        pk=allocation_id,
    )
    return documents.response(print_.allocation_list(request.user, alloc))


@require_POST
def batch_start(request):
    """The "打印全村积分存折" button: queue the book and go to its progress page."""
    villages = common.villages_for(request, PointsAction.VIEW)
    back = request.POST.get("next") or ""
    if not (back.startswith("/") and not back.startswith("//")):
        back = reverse("points_admin_welfare")
    try:
        village = common.row(villages, request.POST.get("village"))
        if village is None:
            raise ValidationError(_("请选择村。"))
        batch = tasks.statements_batch_start(
            actor=request.user, village=village, year=common.posted_year(request)
        )
    except (ValidationError, PermissionDenied) as exc:
        common.fail(request, exc)
        return redirect(back)
    return redirect("points_admin_batch", batch.pk)


def _batch(request, batch_id) -> DocumentBatch:
    villages = common.villages_for(request, PointsAction.VIEW)
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
    stale = not finished and run.requested_at < timezone.now() - batch_runner.STALE_AFTER
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
            "passbooks": len(batch_runner.issued(run)),
        },
    )


@require_GET
def batch_zip(request, batch_id):
    """Every passbook of a finished batch as one zip, a folder per area, streamed as it is
    read (one stored PDF at a time)."""
    run = _batch(request, batch_id)
    if run.status != BatchStatus.DONE:
        raise Http404
    name = quote(f"{run.village.name}{run.params.get('year')}年度积分存折.zip")
    response = StreamingHttpResponse(
        batch_runner.zip_stream(print_.batch_members(run)), content_type="application/zip"
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response
