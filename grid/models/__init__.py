from .events import EventCategory, EventStatus, EventStep, GridEvent, StepKind
from .volunteering import (
    ActivityStatus,
    CheckinMethod,
    SignupStatus,
    VolunteerActivity,
    VolunteerAttendance,
    VolunteerHours,
    VolunteerProposal,
    VolunteerSignup,
)

__all__ = [
    "ActivityStatus",
    "CheckinMethod",
    "EventCategory",
    "EventStatus",
    "EventStep",
    "GridEvent",
    "SignupStatus",
    "StepKind",
    "VolunteerActivity",
    "VolunteerAttendance",
    "VolunteerHours",
    "VolunteerProposal",
    "VolunteerSignup",
]
