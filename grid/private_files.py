"""Grid files only some people may fetch (village/media.py serves them): an event's photos,
to whoever may see the event (its reporter's household, its area's officer, the cadres, the
township's staff)."""

from village import media

from . import selectors


def _may_view_event(user, event) -> bool:
    return selectors.may_see(user, event)


media.register_private("grid/events/reported/", "grid.GridEvent", "photo", _may_view_event)
media.register_private("grid/events/handled/", "grid.GridEvent", "after_photo", _may_view_event)
