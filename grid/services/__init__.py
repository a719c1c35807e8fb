"""Every write of the grid app (`<entity>_<action>(*, ...)`, atomic, validated, audited)."""

from .events import (
    event_accept,
    event_confirm,
    event_handle,
    event_link,
    event_reassign,
    event_reopen,
    event_report,
    event_reward,
    events_escalate,
)

__all__ = [
    "event_accept",
    "event_confirm",
    "event_handle",
    "event_link",
    "event_reassign",
    "event_reopen",
    "event_report",
    "event_reward",
    "events_escalate",
]
