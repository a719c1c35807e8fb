"""What advances the generations of the village sites' rendered fragments: the signal handlers,
connected in PagesConfig.ready. The keys and generations themselves are in pages/cache.py (see
there for what a fragment depends on); they are re-exported here."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from wagtail.images import get_image_model
from wagtail.models import Page, Revision, Site
from wagtail.signals import page_published, page_unpublished, post_page_move, pre_page_move

from village.models import (
    Grid,
    Household,
    Membership,
    Township,
    TownshipMembership,
    Village,
    Villager,
)

from .cache import (
    TIMEOUT,
    fragment_key,
    fragment_timeout,
    reader_changed,
    site_changed,
    villages_changed,
)
from .models import NoticeRead, RulesPage, village_id_of, village_of_page

__all__ = [
    "TIMEOUT",
    "connect",
    "fragment_key",
    "fragment_timeout",
    "reader_changed",
    "site_changed",
    "village_id_of",
]


def page_changed(sender, instance, **kwargs):
    if not getattr(instance, "path", None):
        return
    village = village_of_page(instance)
    site_changed(village.pk if village else None)


def village_row_changed(sender, instance, **kwargs):
    """A roster, role, grid or matter row: who sees what on the village's site may change."""
    site_changed(instance.village_id)
    user_id = getattr(instance, "user_id", None)
    if user_id is None and getattr(instance, "villager_id", None):
        user_id = (
            Villager.objects.filter(pk=instance.villager_id)
            .values_list("user_id", flat=True)
            .first()
        )
    reader_changed(user_id)


def matter_changed(sender, instance, **kwargs):
    """A matter: the open votes of its village, and any rules page naming it as the adopting
    matter (its title is shown there)."""
    village_row_changed(sender, instance, **kwargs)
    for page in RulesPage.objects.filter(adopting_matter_id=instance.pk).only("path"):
        page_changed(RulesPage, page)


def revision_deleted(sender, instance, **kwargs):
    """A purged revision: the rules page lists its earlier published revisions."""
    if not issubclass(instance.base_content_type.model_class() or object, Page):
        return
    page = Page.objects.filter(pk=instance.object_id).only("path").first()
    if page is not None:
        page_changed(Page, page)


def township_row_changed(sender, instance, **kwargs):
    """A Wagtail site, an image or a rendition: not tied to a village that can be known."""
    site_changed(None)


def village_changed(sender, instance, **kwargs):
    """A village's name, code or township: that village's pages."""
    site_changed(instance.pk)


def township_changed(sender, instance, **kwargs):
    """A township (its name shows on its villages' pages): its villages, no other."""
    villages_changed(Village.objects.filter(township_id=instance.pk).values_list("pk", flat=True))


def township_role_changed(sender, instance, **kwargs):
    """A township role: what its holder sees, on the villages of that township."""
    township_changed(Township, Township(pk=instance.township_id))
    reader_changed(instance.user_id)


def user_changed(sender, instance, **kwargs):
    reader_changed(instance.pk)


def notice_read(sender, instance, **kwargs):
    reader_changed(instance.user_id)


def connect() -> None:
    from deliberation.models import Matter

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
    for model in (Site, image, image.get_rendition_model()):
        for signal in (post_save, post_delete):
            signal.connect(township_row_changed, sender=model, dispatch_uid=f"fragments-{model}")
    for model, handler in (
        (Village, village_changed),
        (Township, township_changed),
        (TownshipMembership, township_role_changed),
    ):
        for signal in (post_save, post_delete):
            signal.connect(handler, sender=model, dispatch_uid=f"fragments-{model}")
    for signal in (post_save, post_delete):
        signal.connect(user_changed, sender=get_user_model(), dispatch_uid="fragments-user")
        signal.connect(notice_read, sender=NoticeRead, dispatch_uid="fragments-read")
