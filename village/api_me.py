"""`GET /api/v1/me` kept across requests: the read a phone app sends most.

The rendered answer is kept per user, language and day (the roles in it are those valid on the
day), with the stamp it was computed under, and served only while that stamp still holds:

- the user's role generation (village/permissions.py), advanced by any change of their roles or
  villager record;
- the user's household generation, advanced by any change of their household or its members
  (a member's record, a member arriving or leaving) — apart from the roles, whose cache such a
  change leaves alone;
- the places generation, advanced by any township, village or grid saved or deleted: their
  names are in the answer, and a township role sees every village of its township;
- the user's own row as this request loaded it: username, name, superuser.

The stamp is read before anything the answer is computed from, so an answer computed while a
change was being written is kept under a stamp that no longer holds. Whether the user may ask at
all is never kept: the bearer token and the account's `is_active` are read from the database on
every request (BearerTokenAuth), so a revoked token or a deactivated account is refused at once.
"""

from collections.abc import Callable

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone
from django.utils.translation import get_language

from . import permissions
from .models import Grid, Household, Township, Village, Villager

PLACES_KEY = "cz:places-gen"
# As long as the roles are kept: a change made outside the application sends no signal.
TIMEOUT = permissions.ROLES_TIMEOUT


def _answer_key(user_id, today) -> str:
    return f"cz:me:u{user_id}:{get_language()}:{today.isoformat()}"


def _household_generation_key(user_id) -> str:
    return f"cz:me-household-gen:u{user_id}"


def answer(user, compute: Callable[[], bytes]) -> bytes:
    """The user's rendered answer: the one kept while its stamp holds, else `compute()`'s."""
    key = _answer_key(user.pk, timezone.localdate())
    generations = [
        permissions.role_generation_key(user.pk),
        _household_generation_key(user.pk),
        PLACES_KEY,
    ]
    found = cache.get_many([*generations, key])  # one round trip to the cache
    stamp = (
        *(permissions.generation(g, found.get(g)) for g in generations),
        user.get_username(),
        user.get_full_name(),
        user.is_superuser,
    )
    kept = found.get(key)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    body = compute()
    cache.set(key, (stamp, body), TIMEOUT)
    return body


def places_changed(sender=None, **kwargs) -> None:
    """A township, village or grid was saved or deleted: every kept answer is read afresh."""
    permissions.advance_generation(PLACES_KEY)


def household_changed(household_id) -> None:
    """What a household's members see of it changed (its row, a member's record, a member
    arriving or leaving): each member with an account has their answer read afresh."""
    if household_id is None:
        return
    members = Villager.objects.filter(household_id=household_id, user__isnull=False)
    for user_id in members.values_list("user_id", flat=True):
        permissions.advance_generation(_household_generation_key(user_id))


def _household_row_changed(sender, instance, **kwargs):
    household_changed(instance.pk)


def _member_changed(sender, instance, **kwargs):
    household_changed(instance.household_id)


def _member_moving(sender, instance, **kwargs):
    """A villager about to be saved into another household: the one they leave changes too."""
    if instance.pk is None:
        return
    before = Villager.objects.filter(pk=instance.pk).values_list("household_id", flat=True)
    before = before.first()
    if before is not None and before != instance.household_id:
        household_changed(before)


def connect() -> None:
    """Connected in VillageConfig.ready: every save or delete of a row the answer shows."""
    for signal in (post_save, post_delete):
        for model in (Township, Village, Grid):
            signal.connect(places_changed, sender=model, dispatch_uid=f"me-places-{model}")
        signal.connect(_household_row_changed, sender=Household, dispatch_uid="me-household")
        signal.connect(_member_changed, sender=Villager, dispatch_uid="me-member")
    pre_save.connect(_member_moving, sender=Villager, dispatch_uid="me-member-moving")
