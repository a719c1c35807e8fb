"""积分建议: the cadres' page where a closed villagers' meeting's attendance or an adopted 说事
proposes entries under a catalogue rule (for the committee's usual review)."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deliberation.models import Meeting, MeetingStatus, Suggestion, SuggestionStatus
from points import selectors as points_selectors
from points.permissions import PointsAction
from village import permissions

from .services.proposals import (
    MEETING_BODIES,
    meeting_attendance_propose,
    suggestion_propose,
)
from .views import village_for

RECENT_DAYS = 90


def _village(request):
    village = village_for(request)
    permissions.require(request.user, PointsAction.REVIEW, village)
    return village


@login_required
def proposals(request):
    village = _village(request)
    today = timezone.localdate()
    meetings = (
        Meeting.objects.filter(
            matter__village=village,
            body__in=MEETING_BODIES,
            status=MeetingStatus.CLOSED,
            held_on__gte=today - timedelta(days=RECENT_DAYS),
        )
        .select_related("matter")
        .order_by("-held_on", "-pk")[:20]
    )
    sayings = (
        Suggestion.objects.filter(village=village, status=SuggestionStatus.ADOPTED)
        .select_related("villager")
        .order_by("-created_at")[:20]
    )
    rules = points_selectors.rules_on(village, today).filter(points__gt=0).order_by("code")
    return render(
        request,
        "grid/proposals.html",
        {"village": village, "meetings": meetings, "sayings": sayings, "rules": rules},
    )


def _rule(village, code, day):
    return points_selectors.rules_on(village, day).filter(code=code).first()


@login_required
@require_POST
def propose_meeting(request, meeting_id: int):
    village = _village(request)
    meeting = get_object_or_404(
        Meeting.objects.select_related("matter"), pk=meeting_id, matter__village=village
    )
    rule = _rule(village, request.POST.get("rule"), meeting.held_on)
    if rule is None:
        messages.error(request, _("没有这条积分细则。"))
        return redirect(f"{reverse('gridwork:proposals')}?village={village.pk}")
    try:
        done = meeting_attendance_propose(actor=request.user, meeting=meeting, rule=rule)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("已为 %(n)s 户建议积分，待两委审核。") % {"n": len(done.entries)}
            + "".join(f" {number}：{reason}" for number, reason in done.refused),
        )
    return redirect(f"{reverse('gridwork:proposals')}?village={village.pk}")


@login_required
@require_POST
def propose_saying(request, suggestion_id: int):
    village = _village(request)
    saying = get_object_or_404(Suggestion, pk=suggestion_id, village=village)
    rule = _rule(village, request.POST.get("rule"), timezone.localdate(saying.created_at))
    if rule is None:
        messages.error(request, _("没有这条积分细则。"))
        return redirect(f"{reverse('gridwork:proposals')}?village={village.pk}")
    try:
        suggestion_propose(actor=request.user, suggestion=saying, rule=rule)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已建议积分，待两委审核。"))
    return redirect(f"{reverse('gridwork:proposals')}?village={village.pk}")
