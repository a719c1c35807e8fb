"""The permission actions of the village sites, registered in the one permission table
(village.permissions) with the roles that hold them."""

from enum import StrEnum

from village import permissions


class PagesAction(StrEnum):
    # A notice printed for the board carries the village's seal: its cadres issue it.
    NOTICE_PRINT = "notice.print"


def register_actions() -> None:
    """Add the pages actions to village.permissions with the roles that hold them."""
    permissions.register(
        PagesAction.NOTICE_PRINT,
        village_roles=("secretary", "branch_committee", "village_committee"),
        write=True,
    )
