"""Every write of the procedure. Each service checks the guard and the permission, validates,
locks the matter row, writes, and records the event in the audit chain (and Wagtail's log).

Order: matter_create → meeting_record (steps 1–3, or a joint 1+2) → matter_open_vote (step 4,
text frozen) → vote_cast / hall_votes_enter → matter_close_vote → matter_publish (step 5) →
objection_file / objection_answer → publication_close → implementation_add → result_publish
(step 6) → publication_close → archived. A failed step returns the matter; matter_revise makes
a new version and restarts at step 1; matter_withdraw ends it. Nothing is deleted.

Modules: `matters` (the text), `meetings` (steps 1–3; checks in `attendance`, the tally in
`counting`), `votes` and `hall` (step 4), `publications` (steps 5 and 6), `suggestions`
(村民说事); shared helpers in `common`.
"""

from .hall import hall_votes_enter
from .implementation import ADVISING, PLANNING, advisory_add, milestone_add, milestone_done
from .matters import matter_create, matter_open_for, matter_revise, matter_withdraw
from .meetings import meeting_record
from .publications import (
    implementation_add,
    matter_publish,
    objection_answer,
    objection_file,
    publication_close,
    result_publish,
)
from .suggestions import suggestion_adopt, suggestion_answer, suggestion_submit
from .supervision import matter_opinion, meeting_supervise
from .votes import ballot_box_open, matter_close_vote, matter_open_vote, vote_cast

__all__ = [
    "ADVISING",
    "PLANNING",
    "advisory_add",
    "ballot_box_open",
    "hall_votes_enter",
    "implementation_add",
    "matter_close_vote",
    "matter_create",
    "matter_open_for",
    "matter_open_vote",
    "matter_opinion",
    "matter_publish",
    "matter_revise",
    "matter_withdraw",
    "meeting_record",
    "meeting_supervise",
    "milestone_add",
    "milestone_done",
    "objection_answer",
    "objection_file",
    "publication_close",
    "result_publish",
    "suggestion_adopt",
    "suggestion_answer",
    "suggestion_submit",
    "vote_cast",
]
