from .events import EventCategory, EventStatus, EventStep, GridEvent, StepKind

__all__ = ["EventCategory", "EventStatus", "EventStep", "GridEvent", "StepKind"]
