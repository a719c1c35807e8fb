"""我的待办: where a villager lands after login, and the grid officer's household visit."""

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deliberation.permissions import DeliberationAction
from village import permissions

from . import services, todo, worklist
from .models import NoticePage, ToldChannel

# The mark a login session began with: reloading the page keeps showing what was new then.
SESSION_KEY = "todo_since"


def _landing_without_household(user):
    """Someone with no household of their own (a township inspector, a township admin) lands
    on their own work."""
    if permissions.roles_of(user).township_roles and permissions.can(
        user, DeliberationAction.MATTER_VIEW
    ):
        if not permissions.can(user, DeliberationAction.MATTER_MANAGE):
            return redirect("deliberation_admin_dashboard")
    if permissions.can(user, permissions.Action.ACCESS_ADMIN):
        return redirect("wagtailadmin_home")
    return redirect("village:me")


@login_required
def todo_home(request):
    user = request.user
    villager = permissions.villager_of(user)
    if villager is None:
        return _landing_without_household(user)
    stored = request.session.get(SESSION_KEY)
    if stored:
        since = datetime.fromisoformat(stored)
    else:
        since = todo.since_for(todo.last_seen(user))
        request.session[SESSION_KEY] = since.isoformat()
    data = todo.todo_for(villager, since=since)
    services.todo_visit_mark(user=user)
    visits = worklist.visits(user) if worklist.is_grid_officer(user) else []
    return render(
        request,
        "pages/todo.html",
        {
            "todo": data,
            "visits": visits[: worklist.SHOWN * 4],
            "visits_total": len(visits),
            "is_grid_officer": bool(visits) or worklist.is_grid_officer(user),
            "admin_access": permissions.can(user, permissions.Action.ACCESS_ADMIN),
        },
    )


@login_required
def household(request, household_id):
    """A household of the officer's grid: why to call on it, and the way to record points."""
    visit = worklist.visit_of(request.user, household_id)
    if visit is None:
        raise Http404
    return render(
        request,
        "pages/todo_household.html",
        {
            "visit": visit,
            "household": visit.household,
            "record_url": f"{reverse('points:record')}?household={visit.household.pk}",
            "told_channels": ToldChannel.choices,
        },
    )


@login_required
@require_POST
def household_told(request, household_id):
    """已当面告知 (or 电话告知, 大喇叭已播, 微信群) for a notice, from the officer's phone."""
    visit = worklist.visit_of(request.user, household_id)
    notice = NoticePage.objects.live().filter(pk=request.POST.get("notice") or 0).first()
    if visit is None or notice is None:
        raise Http404
    try:
        told, _created = services.notice_tell(
            actor=request.user,
            notice=notice,
            household=visit.household,
            channel=request.POST.get("channel", ""),
            note=request.POST.get("note", ""),
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(
            request,
            _("已登记：%(household)s 户 %(how)s《%(title)s》。")
            % {
                "household": visit.household.number,
                "how": told.get_channel_display(),
                "title": notice.title,
            },
        )
    return redirect("todo:household", household_id=visit.household.pk)
