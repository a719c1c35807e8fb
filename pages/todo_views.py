"""我的待办: where a villager lands after login, and the grid officer's household visit."""

from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from deliberation.permissions import DeliberationAction
from village import permissions

from . import services, todo, worklist

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
        },
    )
