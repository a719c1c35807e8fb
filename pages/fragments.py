"""Rendered parts of the village sites, kept in the cache until what they show changes.

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


def village_id_of(page) -> int | None:
    """The village whose site holds `page`, remembered per page and tree position (a moved page
    has a new path, hence a new entry)."""
    if isinstance(getattr(page, "village_id", None), int):
        return page.village_id
    key = f"cz:page-village:{page.pk}:{page.path}"
    village_id = cache.get(key)
    if village_id is None:
        from .selectors import village_of_page

        village = village_of_page(page)
        village_id = village.pk if village else 0
        cache.set(key, village_id, None)
    return village_id or None


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


# --- what advances the generations (connected in PagesConfig.ready) ------------------------


def page_changed(sender, instance, **kwargs):
    from .selectors import village_of_page

    if not getattr(instance, "path", None):
        return
    village = village_of_page(instance)
    site_changed(village.pk if village else None)


def village_row_changed(sender, instance, **kwargs):
    """A roster, role, grid or matter row: who sees what on the village's site may change."""
    site_changed(instance.village_id)
    user_id = getattr(instance, "user_id", None)
    if user_id is None and getattr(instance, "villager_id", None):
        from village.models import Villager

        user_id = (
            Villager.objects.filter(pk=instance.villager_id)
            .values_list("user_id", flat=True)
            .first()
        )
    reader_changed(user_id)


def matter_changed(sender, instance, **kwargs):
    """A matter: the open votes of its village, and any rules page naming it as the adopting
    matter (its title is shown there)."""
    from .models import RulesPage

    village_row_changed(sender, instance, **kwargs)
    for page in RulesPage.objects.filter(adopting_matter_id=instance.pk).only("path"):
        page_changed(RulesPage, page)


def revision_deleted(sender, instance, **kwargs):
    """A purged revision: the rules page lists its earlier published revisions."""
    from wagtail.models import Page

    if not issubclass(instance.base_content_type.model_class() or object, Page):
        return
    page = Page.objects.filter(pk=instance.object_id).only("path").first()
    if page is not None:
        page_changed(Page, page)


def township_row_changed(sender, instance, **kwargs):
    site_changed(None)


def user_changed(sender, instance, **kwargs):
    reader_changed(instance.pk)


def notice_read(sender, instance, **kwargs):
    reader_changed(instance.user_id)


def connect() -> None:
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save
    from wagtail.images import get_image_model
    from wagtail.models import Page, Revision, Site
    from wagtail.signals import page_published, page_unpublished, post_page_move, pre_page_move

    from deliberation.models import Matter
    from village.models import (
        Grid,
        Household,
        Membership,
        Township,
        TownshipMembership,
        Village,
        Villager,
    )

    from .models import NoticeRead

    page_published.connect(page_changed, dispatch_uid="fragments-published")
    page_unpublished.connect(page_changed, dispatch_uid="fragments-unpublished")
    # Moved: the village it leaves (before) and the one it joins (after).
    pre_page_move.connect(page_changed, dispatch_uid="fragments-moving")
    post_page_move.connect(page_changed, dispatch_uid="fragments-moved")
    post_delete.connect(page_changed, sender=Page, dispatch_uid="fragments-deleted")
    post_delete.connect(revision_deleted, sender=Revision, dispatch_uid="fragments-revision")
    for model in (Villager, Household, Grid, Membership):
        for signal in (post_save, post_delete):
            signal.connect(village_row_changed, sender=model, dispatch_uid=f"fragments-{model}")
    for signal in (post_save, post_delete):
        signal.connect(matter_changed, sender=Matter, dispatch_uid="fragments-matter")
    # A site's host or root (page URLs), a replaced or deleted image or rendition (cached lists
    # point at renditions).
    image = get_image_model()
    for model in (Township, Village, TownshipMembership, Site, image, image.get_rendition_model()):
        for signal in (post_save, post_delete):
            signal.connect(township_row_changed, sender=model, dispatch_uid=f"fragments-{model}")
    for signal in (post_save, post_delete):
        signal.connect(user_changed, sender=get_user_model(), dispatch_uid="fragments-user")
        signal.connect(notice_read, sender=NoticeRead, dispatch_uid="fragments-read")
