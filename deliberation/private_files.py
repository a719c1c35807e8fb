"""Deliberation files that only some people may fetch (village/media.py serves them)."""

from village import media, permissions

from . import selectors
from .permissions import DeliberationAction


def _may_view_register(user, meeting) -> bool:
    # A sign-in sheet carries villagers' names and signatures: the village's readers only.
    return permissions.can(user, DeliberationAction.MATTER_VIEW, meeting.matter.village)


def _may_view_update(user, update) -> bool:
    # Progress photos are published with the matter: whoever may see the matter.
    return selectors.may_see(user, update.matter)


def _may_view_suggestion(user, suggestion) -> bool:
    villager = permissions.villager_of(user)
    if villager is not None and villager.pk == suggestion.villager_id:
        return True
    if suggestion.proxy_id and suggestion.proxy.user_id == getattr(user, "pk", None):
        return True  # filed by this 亲情账号
    return permissions.can(user, DeliberationAction.MATTER_VIEW, suggestion.village)


media.register_private(
    "deliberation/registers/", "deliberation.Meeting", "register_photo", _may_view_register
)
media.register_private(
    "deliberation/updates/", "deliberation.ImplementationUpdate", "photo", _may_view_update
)
media.register_private(
    "deliberation/suggestions/", "deliberation.Suggestion", "photo", _may_view_suggestion
)
