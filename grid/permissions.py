"""Every permission action of the grid app, and the roles that hold each (registered with the
one permission table in village.permissions when the app is ready)."""

from enum import StrEnum

from village import permissions


class GridAction(StrEnum):
    # 随手拍: a registered villager (or a household's 亲情账号) reports; officers of the area
    # and the cadres handle; the township's staff read.
    EVENT_REPORT = "grid.report"
    EVENT_HANDLE = "grid.handle"
    EVENT_VIEW = "grid.view"
    # 志愿服务: villagers of the village read the activities and sign themselves up; the cadres
    # post them (the named organiser also checks in and closes: grid.volunteer_selectors); the
    # cadres, the supervision committee and the township read the attendance and hours.
    VOLUNTEER_VIEW = "grid.volunteer.view"
    VOLUNTEER_SIGNUP = "grid.volunteer.join"
    VOLUNTEER_MANAGE = "grid.volunteer.manage"
    VOLUNTEER_REPORT = "grid.volunteer.report"


CADRES = ("secretary", "branch_committee", "village_committee")
TOWNSHIP = ("inspector", "township_admin")


def register_actions() -> None:
    """Add the grid actions to village.permissions with the roles that hold them."""
    g = GridAction
    register = permissions.register
    register(
        g.EVENT_REPORT, village_roles=("resident", "proxy", *CADRES, "grid_officer"), write=True
    )
    register(g.EVENT_HANDLE, village_roles=(*CADRES, "grid_officer"), write=True)
    register(
        g.EVENT_VIEW,
        village_roles=(*CADRES, "grid_officer", "supervision"),
        township_roles=TOWNSHIP,
    )
    register(
        g.VOLUNTEER_VIEW,
        village_roles=("resident", "proxy", *CADRES, "grid_officer", "supervision"),
        township_roles=TOWNSHIP,
    )
    register(g.VOLUNTEER_SIGNUP, village_roles=("resident",), write=True)
    register(g.VOLUNTEER_MANAGE, village_roles=CADRES, write=True)
    register(g.VOLUNTEER_REPORT, village_roles=(*CADRES, "supervision"), township_roles=TOWNSHIP)
