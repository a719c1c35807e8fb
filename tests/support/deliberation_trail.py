"""The audit trail of a deliberation matter, as the procedure tests read it."""

from deliberation import selectors
from deliberation.trail import matter_trail


def actions(matter):
    """The audit actions recorded for a matter, in order."""
    trail = matter_trail(selectors.matter_detail(matter.pk))
    return [e.action for e in trail["events"]]
