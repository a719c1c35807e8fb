"""The fragment cache of the village sites: keys and generations (a leaf: imports no model).

Rendered parts of the village sites are kept in the cache until what they show changes.

A page's lists (the home's notices and open votes, the notice index, the moral models, the rules
with their versions) are rendered once and reused, under a key that changes whenever anything
they show may have changed:

- the village's *site generation*, advanced when a page under its home is published,
  unpublished, moved or deleted, and when its roster, roles, grids or matters change (who is in
  a notice's audience, who may see which matter);
- the township-wide generation, advanced when a township role, a village, a township, a Wagtail
  site, an image or a rendition changes;
- the signed-in user's *reader generation*, advanced when they confirm a notice or their account
  changes;
- the date (notices expire and terms of office end by date), the language and the user.

A generation is a random token, never a counter: a token lost from the cache is replaced by a
new one, so a fragment rendered before can never match again. Nothing is ever deleted; old
fragments simply stop being asked for and expire. The base template (navigation, the CSRF token,
messages) is outside every fragment. Page previews bypass the cache (`wagtailpagecache`).

The cache must be shared by every process that serves or writes (Redis with REDIS_URL, else files
on one machine: village/settings/base.py); a per-process cache would serve another process's stale
copy.

What advances the generations (the signal handlers) is in pages/fragments.py.
"""

import secrets

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation

TIMEOUT = 24 * 60 * 60  # the date is part of every key: a fragment is good for one day at most
_ALL = "cz:site-gen:all"


def _village_key(village_id) -> str:
    return f"cz:site-gen:v{village_id}"


def _reader_key(user_id) -> str:
    return f"cz:site-gen:u{user_id}"


def _token() -> str:
    return secrets.token_hex(6)


def fragment_key(village_id, user) -> str:
    """What a fragment of this village's site, rendered for this user, depends on."""
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    keys = [_ALL, _village_key(village_id)]
    if user_id is not None:
        keys.append(_reader_key(user_id))
    found = cache.get_many(keys)
    missing = {key: _token() for key in keys if key not in found}
    if missing:
        cache.set_many(missing, None)
        found.update(missing)
    generations = ".".join(found[key] for key in keys)
    today = timezone.localdate().isoformat()
    return f"{generations}:{today}:{translation.get_language()}:{user_id or 0}"


def remember(name: str, key: str, compute):
    """A value (not markup) kept under a fragment key: computed once per key."""
    full_key = f"cz:value:{name}:{key}"
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, TIMEOUT)
    return value


def _advance(key: str) -> None:
    """Now, so that the writing request (and a test inside one transaction) sees its change, and
    again once the transaction commits: a page rendered in between from data read before the
    commit was stored under the first token, which is then never asked for again."""
    cache.set(key, _token(), None)
    transaction.on_commit(lambda: cache.set(key, _token(), None))


def site_changed(village_id=None) -> None:
    """Advance one village's site generation, or every village's when `village_id` is None."""
    _advance(_village_key(village_id) if village_id else _ALL)


def reader_changed(user_id) -> None:
    if user_id:
        _advance(_reader_key(user_id))
