"""The permission actions of 四议两公开, registered in the one permission table
(village.permissions) with the roles that hold them."""

from enum import StrEnum

from village import permissions

# Village roles that run the procedure, and those that may read it.
CADRES = ("secretary", "branch_committee", "village_committee")
READERS = (*CADRES, "grid_officer", "supervision", "xiangxian")
TOWNSHIP = ("inspector", "township_admin")


class DeliberationAction(StrEnum):
    MATTER_VIEW = "matter.view"
    MATTER_VIEW_PUBLIC = "matter.view_public"
    MATTER_MANAGE = "matter.manage"
    MATTER_VOTE = "matter.vote"
    OBJECTION_FILE = "objection.file"
    OBJECTION_ANSWER = "objection.answer"
    SUGGESTION_SUBMIT = "suggestion.submit"
    SUGGESTION_ANSWER = "suggestion.answer"
    # 乡贤参事 (参事不决事): an advisory opinion on a matter before the vote.
    ADVISE = "matter.advise"


def register_actions() -> None:
    """Add deliberation's actions to the permission table (called from the app's `ready`)."""
    A = DeliberationAction
    permissions.register(A.MATTER_VIEW, village_roles=READERS, township_roles=TOWNSHIP)
    permissions.register(
        A.MATTER_VIEW_PUBLIC,
        village_roles=(*READERS, "resident", "proxy"),
        township_roles=TOWNSHIP,
    )
    permissions.register(A.MATTER_MANAGE, village_roles=CADRES, write=True)
    # Never a 亲情账号 ("proxy"): a vote is cast by the villager in person.
    permissions.register(A.MATTER_VOTE, village_roles=("resident",), write=True)
    permissions.register(A.OBJECTION_FILE, village_roles=("resident", "proxy"), write=True)
    permissions.register(A.OBJECTION_ANSWER, village_roles=CADRES, write=True)
    permissions.register(A.SUGGESTION_SUBMIT, village_roles=("resident", "proxy"), write=True)
    permissions.register(A.SUGGESTION_ANSWER, village_roles=CADRES, write=True)
    permissions.register(A.ADVISE, village_roles=("xiangxian",), write=True)
