"""The township's inspection screens: 议事巡查 (every village's matters with their flags and
the other apps' findings) and 议事规则变更预览 (what a rule set version not yet in force would
have judged otherwise)."""

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone

from village import permissions
from village.models import RuleSet

from . import compliance, selectors
from .permissions import DeliberationAction


def dashboard(request):
    if not permissions.can(request.user, DeliberationAction.MATTER_VIEW):
        raise PermissionDenied
    return TemplateResponse(
        request,
        "deliberation/admin/dashboard.html",
        {"rows": selectors.township_dashboard(request.user)},
    )


def rules_impact(request):
    """议事规则变更预览: for every village the user oversees, each rule set version that is not
    yet in force, and the pending matters' meetings its values would have judged otherwise."""
    if not permissions.can(request.user, DeliberationAction.MATTER_VIEW):
        raise PermissionDenied
    today = timezone.localdate()
    villages = permissions.visible_villages(request.user, DeliberationAction.MATTER_VIEW)
    pending = (
        RuleSet.objects.filter(village__in=villages, effective_from__gt=today)
        .select_related("village__township")
        .order_by("village__name", "effective_from", "version")
    )
    rows = [
        {
            "version": version,
            "in_force": version.village.rules,
            "changes": compliance.verdict_changes(version.village, version),
        }
        for version in pending
    ]
    return TemplateResponse(request, "deliberation/admin/rules_impact.html", {"rows": rows})
