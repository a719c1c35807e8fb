"""Grid officers: for which households of a village a user acts.

The one answer to "may this user act for this household" (record points, report on it…). The
cadres of the village committee and the party branch act for the whole village; a grid officer
who holds none of their roles acts only for the areas of their grid (a large grid covers its
areas). Apps ask here; they never rebuild the rule from memberships themselves.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from . import permissions
from .models import Grid, GridLevel, Household, Membership, Village, VillageRole

# The village roles that act for every household of their village.
WHOLE_VILLAGE_ROLES = frozenset(
    {VillageRole.SECRETARY, VillageRole.BRANCH_COMMITTEE, VillageRole.VILLAGE_COMMITTEE}
)


def acts_for_whole_village(user, village_id: int) -> bool:
    """Does `user` act for every household of the village (a cadre, a superuser, the system)?"""
    if user is permissions.SYSTEM or getattr(user, "is_superuser", False):
        return True
    roles = permissions.roles_of(user).village_roles.get(village_id, set())
    return bool(roles & WHOLE_VILLAGE_ROLES)


def officer_grids(user, village_id: int) -> set[int]:
    """The grids (large grids or areas) `user` is grid officer of in the village today."""
    return set(
        Membership.objects.valid_on(timezone.localdate())
        .filter(villager__user=user, role=VillageRole.GRID_OFFICER, village_id=village_id)
        .values_list("grid_id", flat=True)
    )


def grid_areas(user, village: Village) -> list[int]:
    """The areas of `village` in the grids `user` is grid officer of today, as sorted ids: an
    area of their grid, or every area of a large grid they hold."""
    grids = officer_grids(user, village.pk)
    areas = set(
        Grid.objects.filter(pk__in=grids, level=GridLevel.AREA).values_list("pk", flat=True)
    )
    areas |= set(Grid.objects.filter(parent_id__in=grids).values_list("pk", flat=True))
    return sorted(areas)


def officer_areas(user, village: Village) -> list[int] | None:
    """The areas of `village` that `user` acts for, as sorted ids; None means the whole village."""
    if acts_for_whole_village(user, village.pk):
        return None
    return grid_areas(user, village)


def may_act_for(user, household: Household) -> bool:
    """May `user` act for `household` (the household's area is in their grid, or they act for
    the whole village)?"""
    if acts_for_whole_village(user, household.village_id):
        return True
    grids = officer_grids(user, household.village_id)
    area = household.area
    return area.pk in grids or area.parent_id in grids


def households_acted_for(user, households: QuerySet) -> QuerySet:
    """`households` narrowed to those `user` acts for, in one query whatever the villages."""
    if user is permissions.SYSTEM or user.is_superuser:
        return households
    whole = [
        village_id
        for village_id, roles in permissions.roles_of(user).village_roles.items()
        if roles & WHOLE_VILLAGE_ROLES
    ]
    in_grid = Membership.objects.valid_on(timezone.localdate()).filter(
        Q(grid_id=OuterRef("area_id")) | Q(grid_id=OuterRef("area__parent_id")),
        villager__user=user,
        role=VillageRole.GRID_OFFICER,
        village_id=OuterRef("village_id"),
    )
    return households.filter(Q(village_id__in=whole) | Exists(in_grid))


def officer_area_condition(user, village_ids, *, field: str = "area") -> Q:
    """A filter on `field` (a Grid of level area) for the areas of `village_ids` in the grids
    `user` is grid officer of today — the same answer as `grid_areas`, as one subquery."""
    grids = (
        Membership.objects.valid_on(timezone.localdate())
        .filter(villager__user=user, role=VillageRole.GRID_OFFICER, village_id__in=village_ids)
        .values("grid_id")
    )
    return Q(**{f"{field}_id__in": grids}) | Q(**{f"{field}__parent_id__in": grids})
