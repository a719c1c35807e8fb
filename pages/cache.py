"""The fragment cache of the village sites: keys and generations (a leaf: imports no model).

Rendered parts of the village sites are kept in the cache until what they show changes.

A page's lists (the home's notices and open votes, the notice index, the moral models, the rules
with their versions) are rendered once and reused until anything they show may have changed:
each is kept with the generations below (`fragment_key`, `PageFragments`), and is served only
while they are the current ones:

- the village's *site generation*, advanced when a page under its home is published,
  unpublished, moved or deleted, and when its roster, roles, grids or matters change (who is in
  a notice's audience, who may see which matter);
- the generations of the villages a township-wide row touches: a township or a township role
  advances its township's villages, a village row that village;
- the township-wide generation, advanced only when what changed cannot be tied to villages: a
  Wagtail site, an image or a rendition, a page outside every village;
- the signed-in user's *reader generation*, advanced when they confirm a notice or their account
  changes;
- the date, for the fragments that show dated things (notices expire and terms of office end by
  date: the lists of notices and open votes), the language and the user.

Expiry is staggered, so that no moment makes every village render afresh at once: the fragments
that show nothing dated (the search box, the 一核五治 sections, the section links, the rules, the
moral models) carry no date and live until what they show changes; every fragment's timeout is a
day plus a fixed share of an hour that differs from village to village (`fragment_timeout`), so
fragments of many villages rendered at one moment are not dropped at one moment either. The dated
lists still change key at midnight: a notice must not show the day after it expired.

A generation is a random token, never a counter: a token lost from the cache is replaced by a
new one, so a fragment rendered before can never match again. Nothing is ever deleted; old
fragments simply stop being asked for and expire. The base template (navigation, the CSRF token,
messages) is outside every fragment. Page previews bypass the cache (`{% fragment %}`).

A page reads its parts with `PageFragments`: the generations and every part of the page in one
round trip to the cache, the parts rendered afresh written back in one more.

The cache must be shared by every process that serves or writes (Redis with REDIS_URL, else files
on one machine: village/settings/base.py); a per-process cache would serve another process's stale
copy.

What advances the generations (the signal handlers) is in pages/fragments.py.
"""

import secrets
import zlib

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation

TIMEOUT = 24 * 60 * 60  # a day, plus the village's share of an hour (fragment_timeout)
STAGGER = 60 * 60
_ALL = "cz:site-gen:all"


def fragment_timeout(village_id) -> int:
    """How long a fragment of this village is kept: a day plus a share of an hour fixed by the
    village (the same in every process), so that villages' fragments expire at different
    moments."""
    return TIMEOUT + zlib.crc32(f"village-{village_id}".encode()) % STAGGER


def _village_key(village_id) -> str:
    return f"cz:site-gen:v{village_id}"


def _reader_key(user_id) -> str:
    return f"cz:site-gen:u{user_id}"


def _token() -> str:
    return secrets.token_hex(6)


def _generations(keys: list[str]) -> dict[str, str]:
    found = cache.get_many(keys)
    missing = {key: _token() for key in keys if key not in found}
    if missing:
        cache.set_many(missing, None)
        found.update(missing)
    return found


def _generation_keys(village_id, user_id) -> list[str]:
    """The generations a fragment of this village, for this user (or anyone), depends on."""
    keys = [_ALL, _village_key(village_id)]
    if user_id is not None:
        keys.append(_reader_key(user_id))
    return keys


def _key(found: dict, village_id, user_id, dated: bool) -> str:
    generations = ".".join(found[key] for key in _generation_keys(village_id, user_id))
    day = timezone.localdate().isoformat() if dated else "undated"
    return f"{generations}:{day}:{translation.get_language()}:{user_id or 0}"


def _user_id(user):
    return user.pk if getattr(user, "is_authenticated", False) else None


def fragment_key(village_id, user, *, dated: bool = True) -> str:
    """What a fragment of this village's site, rendered for this user, depends on; `dated`
    when it shows something that changes with the date (the lists of notices and votes)."""
    user_id = _user_id(user)
    return _key(_generations(_generation_keys(village_id, user_id)), village_id, user_id, dated)


class PageFragments:
    """The rendered parts of one page for one request (`{% fragment %}` in the templates), and
    the values they share, read and written in two round trips to the cache however many there
    are.

    A part is kept under a key naming what it is (the page, the language; for the user's own
    parts, the user and the date) together with the generations it was rendered under, and is
    served only while those are still the current ones. So the generations and every part are
    read at once, and the parts made afresh are written at once when the page is rendered
    (`save`). A part rendered from data read before a change is stored with the generation of
    before, so it is never served after the change, as with `fragment_key`."""

    def __init__(self, village_id, user, *, shared: dict[str, str], own: dict[str, str]):
        """`shared` and `own` map a part's name to what identifies it: the same for everyone,
        or the user's own (dated: notices expire and terms end by date)."""
        user_id = _user_id(user)
        language = translation.get_language()
        day = timezone.localdate().isoformat()
        self.keys = {name: f"cz:part:{what}:{language}" for name, what in shared.items()}
        self.keys.update(
            {name: f"cz:part:{what}:{language}:{day}:{user_id or 0}" for name, what in own.items()}
        )
        self._depends = {name: _generation_keys(village_id, None) for name in shared}
        self._depends.update({name: _generation_keys(village_id, user_id) for name in own})
        self._generation_keys = _generation_keys(village_id, user_id)
        self.timeout = fragment_timeout(village_id)
        self._generations: dict[str, str] | None = None
        self._found: dict[str, object] = {}
        self._made: dict[str, tuple[str, object]] = {}

    def _read(self) -> None:
        found = cache.get_many([*self._generation_keys, *self.keys.values()])
        missing = {key: _token() for key in self._generation_keys if key not in found}
        if missing:
            cache.set_many(missing, None)
            found.update(missing)
        self._generations = {
            name: ".".join(found[key] for key in keys) for name, keys in self._depends.items()
        }
        for name, key in self.keys.items():
            stored = found.get(key)
            if stored is not None and stored[0] == self._generations[name]:
                self._found[name] = stored[1]

    def get(self, name: str):
        if self._generations is None:
            self._read()
        return self._found.get(name)

    def keep(self, name: str, value) -> None:
        if self._generations is None:
            self._read()
        self._made[self.keys[name]] = (self._generations[name], value)

    def value(self, name: str, compute):
        """A value (not markup) kept beside the parts: computed once per generation."""
        value = self.get(name)
        if value is None:
            value = compute()
            self.keep(name, value)
        return value

    def save(self) -> None:
        if self._made:
            cache.set_many(self._made, self.timeout)
            self._made = {}


def _advance(key: str) -> None:
    """Now, so that the writing request (and a test inside one transaction) sees its change, and
    again once the transaction commits: a page rendered in between from data read before the
    commit was stored under the first token, which is then never asked for again."""
    cache.set(key, _token(), None)
    transaction.on_commit(lambda: cache.set(key, _token(), None))


def site_changed(village_id=None) -> None:
    """Advance one village's site generation, or every village's when `village_id` is None."""
    _advance(_village_key(village_id) if village_id else _ALL)


def villages_changed(village_ids) -> None:
    """Advance the site generations of these villages (and no other's)."""
    for village_id in village_ids:
        _advance(_village_key(village_id))


def reader_changed(user_id) -> None:
    if user_id:
        _advance(_reader_key(user_id))
