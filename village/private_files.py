"""Core files that only some people may fetch (village/media.py serves them)."""

from . import media, permissions
from .permissions import Action


def _may_view_party_photo(user, card) -> bool:
    # Public while the person shows it on the board; otherwise themself and the secretary.
    if card.shown_photo:
        return True
    villager = permissions.villager_of(user)
    if villager is not None and villager.pk == card.villager_id:
        return True
    return permissions.can(user, Action.PARTY_CARD_EDIT, card.village)


media.register_private("party/photos/", "village.PartyCard", "photo", _may_view_party_photo)
