"""Cadre screens for the catalogue's versions (积分 → 积分细则版本) and for opening a points year.

A secretary drafts a new version (the rules of the newest adopted one copied in), adds, changes
and removes its rules while it is a draft, and adopts it by naming the published resolution that
passed it and the day it takes effect. Adopted versions are shown, never edited.
"""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from village import permissions
from village.extensions import resolutions

from . import admin_common as common
from . import selectors, services
from .models import Catalogue, Category
from .permissions import PointsAction
from .views import parse_pk


def catalogues(request):
    """Every version of the visible villages' catalogues; a secretary drafts a new one here."""
    villages = common.villages_for(request, PointsAction.VIEW)
    if request.method == "POST":
        village = villages.filter(pk=parse_pk(request.POST.get("village"))).first()
        try:
            if village is None:
                raise ValidationError(_("请选择村。"))
            draft = services.catalogue_draft(
                actor=request.user, village=village, title=request.POST.get("title", "")
            )
        except (ValidationError, PermissionDenied) as exc:
            common.fail(request, exc)
            return redirect("points_admin_catalogues")
        messages.success(request, _("已起草新版本，规则已从现行细则复制过来。"))
        return redirect("points_admin_catalogue", draft.pk)
    today = timezone.localdate()
    rows = list(
        Catalogue.objects.filter(village__in=villages)
        .select_related("village")
        .annotate(n=Count("rules"))
        .order_by("village__name", "-version")
    )
    in_effect = {}
    for c in rows:  # newest first per village: the first adopted one in effect today
        if c.adopted_at and c.effective_from <= today and c.village_id not in in_effect:
            in_effect[c.village_id] = c.pk
    for c in rows:
        if c.is_draft:
            c.state = _("草案")
        elif c.pk == in_effect.get(c.village_id):
            c.state = _("现行")
        elif c.effective_from > today:
            c.state = _("待生效")
        else:
            c.state = _("已被取代")
    drafting = [
        v for v in villages if permissions.can(request.user, PointsAction.CATALOGUE_DRAFT, v)
    ]
    return TemplateResponse(
        request,
        "points/admin/catalogues.html",
        {"villages": villages, "catalogues": rows, "drafting": drafting},
    )


def _rule_data(post) -> dict:
    def integer(name, label, *, blank_ok=False):
        text = (post.get(name) or "").strip()
        if not text and blank_ok:
            return None
        try:
            return int(text)
        except ValueError as exc:
            raise ValidationError({name: _("%(label)s须为整数。") % {"label": label}}) from exc

    return {
        "code": post.get("code", ""),
        "text": post.get("text", ""),
        "points": integer("points", _("分值")),
        "cap_per_period": integer("cap_per_period", _("每年次数上限"), blank_ok=True),
        "evidence_required": bool(post.get("evidence_required")),
        "article": post.get("article", ""),
        "category": parse_pk(post.get("category")),
        "new_category": post.get("new_category", ""),
    }


def _date(value) -> date:
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError as exc:
        raise ValidationError({"effective_from": _("请填写生效日期。")}) from exc


def _posted_rule(request, version: Catalogue):
    rule = version.rules.filter(pk=parse_pk(request.POST.get("rule"))).first()
    if rule is None:
        raise Http404
    return rule


def _save_rule(request, version: Catalogue) -> str:
    rule = _posted_rule(request, version) if request.POST.get("rule") else None
    services.catalogue_rule_save(
        actor=request.user, catalogue=version, rule=rule, data=_rule_data(request.POST)
    )
    return _("规则已保存。")


def _remove_rule(request, version: Catalogue) -> str:
    services.catalogue_rule_remove(actor=request.user, rule=_posted_rule(request, version))
    return _("规则已从草案中删去。")


def _adopt(request, version: Catalogue) -> str:
    resolution = parse_pk(request.POST.get("resolution"))
    services.catalogue_adopt(
        actor=request.user,
        catalogue=version,
        resolution=resolution or 0,
        effective_from=_date(request.POST.get("effective_from")),
    )
    return _("新版本已通过，自生效日期起适用。")


# The catalogue page's forms post `action`: each names one step, which returns its message.
CATALOGUE_ACTIONS = {"save_rule": _save_rule, "remove_rule": _remove_rule, "adopt": _adopt}


def _catalogue_post(request, version: Catalogue):
    action = request.POST.get("action")
    step = CATALOGUE_ACTIONS.get(action)
    try:
        if step is None:
            raise ValidationError(_("未知操作。"))
        messages.success(request, step(request, version))
    except (ValidationError, PermissionDenied) as exc:
        common.fail(request, exc)
        if action == "save_rule" and request.POST.get("rule"):
            return redirect(
                reverse("points_admin_catalogue", args=[version.pk])
                + f"?edit={parse_pk(request.POST.get('rule')) or ''}"
            )
    return redirect("points_admin_catalogue", version.pk)


def catalogue(request, catalogue_id):
    villages = common.villages_for(request, PointsAction.VIEW)
    version = (
        Catalogue.objects.filter(pk=catalogue_id, village__in=villages)
        .select_related("village")
        .first()
    )
    if version is None:
        raise Http404
    may_draft = version.is_draft and permissions.can(
        request.user, PointsAction.CATALOGUE_DRAFT, version.village
    )
    if request.method == "POST":
        return _catalogue_post(request, version)
    rules = list(version.rules.select_related("category").order_by("category__order", "code"))
    editing = None
    if may_draft and request.GET.get("edit"):
        editing = next((r for r in rules if r.pk == parse_pk(request.GET.get("edit"))), None)
    return TemplateResponse(
        request,
        "points/admin/catalogue.html",
        {
            "catalogue": version,
            "rules": rules,
            "may_draft": may_draft,
            "editing": editing,
            "categories": (
                Category.objects.filter(village=version.village).order_by("order", "name")
                if may_draft
                else []
            ),
            "resolutions": resolutions(version.village) if may_draft else [],
            "earliest": timezone.localdate(),
            "fingerprint": None if version.is_draft else selectors.rules_fingerprint(version),
        },
    )


@require_POST
def year_open(request):
    """Give every registered household its base points for this year (idempotent)."""
    villages = common.villages_for(request, PointsAction.WELFARE_MANAGE)
    village = villages.filter(pk=parse_pk(request.POST.get("village"))).first()
    try:
        if village is None:
            raise ValidationError(_("请选择村。"))
        year = timezone.localdate().year
        opened = services.year_open(actor=request.user, village=village, year=year)
    except (ValidationError, PermissionDenied) as exc:
        common.fail(request, exc)
    else:
        if opened:
            messages.success(
                request,
                _("%(village)s %(year)s年度积分已开启：%(n)s 户得到基础分。")
                % {"village": village.name, "year": year, "n": opened},
            )
        else:
            messages.info(request, _("本年度积分已开启过，没有新的户。"))
    return redirect("points_admin_welfare")
