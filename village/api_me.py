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
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
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


class _Held:
    def __init__(self):
        self.ids: set = set()
        self.open = True


# Households changed while changes are held (a bulk load): their members' answers are read
# afresh once, when the holding ends, instead of once per change.
_held: ContextVar[_Held | None] = ContextVar("me_household_changes_held", default=None)


@contextmanager
def household_changes_held():
    """Within: household changes are collected, and at the end (also on failure: what changed
    before it stays changed) each member with an account of each such household has their
    answer read afresh — one read of the members per 500 households, not one per change.
    Until then a changed household's members may be answered as before the change (the
    writer too), so hold only a bulk load, outside any transaction of its own (the reads at
    the end need a usable connection). A copy of the context that outlives the block (a task
    it started) invalidates at once again."""
    held = _Held()
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
        held.open = False
        ids = sorted(held.ids)
        for start in range(0, len(ids), 500):
            _members_changed(ids[start : start + 500])


def household_changed(household_id) -> None:
    """What a household's members see of it changed (its row, a member's record, a member
    arriving or leaving): each member with an account has their answer read afresh."""
    if household_id is None:
        return
    held = _held.get()
    if held is not None and held.open:
        held.ids.add(household_id)
        return
    _members_changed([household_id])


def _members_changed(household_ids) -> None:
    members = Villager.objects.filter(household_id__in=household_ids, user__isnull=False)
    for user_id in members.values_list("user_id", flat=True):
        permissions.advance_generation(_household_generation_key(user_id))


def _household_row_changed(sender, instance, **kwargs):
    household_changed(instance.pk)


def _member_changed(sender, instance, **kwargs):
    household_changed(instance.household_id)


def _member_moving(sender, instance, stored_household_id, **kwargs):
    """A villager about to be saved into another household: the one they leave changes too
    (the stored row is read once, by permissions, for both caches)."""
    if stored_household_id is not None and stored_household_id != instance.household_id:
        household_changed(stored_household_id)


def connect() -> None:
    """Connected in VillageConfig.ready: every save or delete of a row the answer shows."""
    for signal in (post_save, post_delete):
        for model in (Township, Village, Grid):
            signal.connect(places_changed, sender=model, dispatch_uid=f"me-places-{model}")
        signal.connect(_household_row_changed, sender=Household, dispatch_uid="me-household")
        signal.connect(_member_changed, sender=Villager, dispatch_uid="me-member")
    permissions.villager_saving.connect(_member_moving, dispatch_uid="me-member-moving")
