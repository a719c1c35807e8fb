"""A database emptied by a flush (Wagtail's migrated root page, locale and site gone) still
gets a working village site: the services recreate what Wagtail's migrations made."""

from wagtail.models import Collection, Locale, Page, Site

from pages import services
from pages.models import NoticeIndexPage, VillageHomePage
from tests.factories import VillageFactory
from village.permissions import SYSTEM


def test_site_setup_recreates_the_page_tree_after_a_flush(db):
    Site.objects.all().delete()
    Page.objects.all().delete()
    Collection.objects.all().delete()
    Locale.objects.all().delete()
    village = VillageFactory()

    home = services.village_site_setup(actor=SYSTEM, village=village)

    assert VillageHomePage.objects.get(village=village).pk == home.pk
    assert NoticeIndexPage.objects.child_of(home).live().exists()
    site = Site.objects.get(is_default_site=True)
    assert home.get_parent().pk == site.root_page_id
