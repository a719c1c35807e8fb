"""Points files that only some people may fetch (village/media.py serves them)."""

from village import media, permissions

from .permissions import PointsAction


def _may_view_evidence(user, entry) -> bool:
    # The household's own members and whoever may see the village's ledger (cadres, grid
    # officers, supervision, the township) — never another household.
    return permissions.can(
        user, permissions.Action.VIEW_HOUSEHOLD, entry.account.household
    ) or permissions.can(user, PointsAction.VIEW, entry.village)


media.register_private("points/", "points.Entry", "photo", _may_view_evidence)
