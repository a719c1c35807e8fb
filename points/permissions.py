"""Every permission action of the points app, and the roles that hold each (registered with the
one permission table in village.permissions when the app is ready)."""

from enum import StrEnum

from village import permissions


class PointsAction(StrEnum):
    VIEW = "points.view"
    RECORD = "points.record"
    CLAIM = "points.claim"
    REVIEW = "points.review"
    PUBLISH = "points.publish"
    OBJECT = "points.object"
    ANSWER = "points.answer"
    REVERSE = "points.reverse"
    IMPORT = "points.import"
    STORE_SERVE = "store.serve"
    STORE_MANAGE = "store.manage"
    # Editing the catalogue in place: nobody (a new version is a new catalogue).
    CATALOGUE_EDIT = "points.catalogue"
    WELFARE_MANAGE = "welfare.manage"
    # Drafting a new catalogue version and adopting it by a published resolution.
    CATALOGUE_DRAFT = "points.catalogue.draft"


def register_actions() -> None:
    """Add the points actions to village.permissions with the roles that hold them."""
    p = PointsAction
    cadres = ("secretary", "branch_committee", "village_committee")
    township = ("inspector", "township_admin")
    register = permissions.register
    register(
        p.VIEW,
        village_roles=(*cadres, "grid_officer", "supervision", "store_keeper"),
        township_roles=township,
    )
    register(p.RECORD, village_roles=(*cadres, "grid_officer"), write=True)
    register(p.CLAIM, village_roles=("resident",), write=True)
    register(p.REVIEW, village_roles=cadres, write=True)
    register(p.PUBLISH, village_roles=cadres, write=True)
    # A 亲情账号 objects in its household's name (never claims: that is the villager's own act).
    register(p.OBJECT, village_roles=("resident", "proxy"), write=True)
    register(p.ANSWER, village_roles=cadres, write=True)
    register(p.REVERSE, village_roles=("secretary",), write=True)
    register(p.IMPORT, village_roles=cadres, write=True)
    register(p.STORE_SERVE, village_roles=(*cadres, "store_keeper"), write=True)
    register(p.STORE_MANAGE, village_roles=(*cadres, "store_keeper"), write=True)
    register(p.CATALOGUE_EDIT, write=True)
    register(p.WELFARE_MANAGE, village_roles=("secretary", "village_committee"), write=True)
    register(p.CATALOGUE_DRAFT, village_roles=("secretary", "village_committee"), write=True)
