"""The admin home's 随手拍 panel, each role's own: the officer's open events of their areas,
the secretary's late and unassigned ones, the township's events past the second deadline."""

from django.utils import timezone
from wagtail import hooks
from wagtail.admin.ui.components import Component

from village import permissions
from village.models import Village

from . import selectors

CADRES = {"secretary", "branch_committee", "village_committee"}


class EventsPanel(Component):
    name = "cunzhi_grid_events"
    order = 25
    template_name = "grid/admin/home_events.html"

    def __init__(self, request, *, officer: list[int], cadre: list[int], township: list[int]):
        self.request = request
        self.officer, self.cadre, self.township = officer, cadre, township

    def get_context_data(self, parent_context=None):
        now = timezone.now()
        late, unassigned = selectors.secretary_open(self.cadre, now=now) if self.cadre else ([], [])
        return {
            "mine": selectors.officer_open(self.request.user, self.officer) if self.officer else [],
            "late": late,
            "unassigned": unassigned,
            "township": list(
                selectors.late_events(self.township, level=2, now=now)[: selectors.SHOWN]
            )
            if self.township
            else [],
            "now": now,
            "cadre": bool(self.cadre),
            "officer": bool(self.officer or self.cadre),
        }


@hooks.register("construct_homepage_panels")
def add_events_panel(request, panels):
    roles = permissions.roles_of(request.user)
    officer = sorted(v for v, names in roles.village_roles.items() if "grid_officer" in names)
    cadre = sorted(v for v, names in roles.village_roles.items() if names & CADRES)
    townships = [t for t, names in roles.township_roles.items() if names]
    # The township's villages as a subquery of the panel's one read.
    township = Village.objects.filter(township_id__in=townships).values("pk") if townships else []
    if officer or cadre or township:
        panels.append(EventsPanel(request, officer=officer, cadre=cadre, township=township))
