"""The installation is named 村治 (with its township or village), never "localhost"; Wagtail's
admin carries the 村治 name and icon where Wagtail allows it; /favicon.ico is served."""

import pytest
from wagtail.models import Site

from pages import services
from tests.factories import TownshipFactory, VillageFactory
from village.permissions import SYSTEM


def test_default_site_is_named_for_the_township_not_localhost(site_world):
    site = Site.objects.get(is_default_site=True)
    assert site.site_name == "村治 · 东镇"


@pytest.mark.django_db
def test_one_village_names_the_site_with_township_and_village():
    Site.objects.filter(is_default_site=True).update(site_name="")
    village = VillageFactory(name="东毛铺村", township=TownshipFactory(name="东镇"))
    services.village_site_setup(actor=SYSTEM, village=village)
    assert Site.objects.get(is_default_site=True).site_name == "村治 · 东镇东毛铺村"


def test_villages_of_two_townships_name_the_site_only_cunzhi(site_world):
    far = VillageFactory(name="远方村", township=TownshipFactory(name="西镇"))
    services.village_site_setup(actor=SYSTEM, village=far)
    assert Site.objects.get(is_default_site=True).site_name == "村治"


def test_a_name_chosen_in_the_admin_is_kept(site_world):
    Site.objects.filter(is_default_site=True).update(site_name="东镇村务公开网")
    services.village_site_setup(actor=SYSTEM, village=site_world.other)
    assert Site.objects.get(is_default_site=True).site_name == "东镇村务公开网"


def test_admin_dashboard_and_title_say_cunzhi(site_world, client):
    client.force_login(site_world.people.secretary.user)
    html = client.get("/admin/").content.decode()
    assert "村治 · 东镇" in html
    assert "localhost" not in html
    assert "- 村治</title>" in html
    assert "village/favicon.svg" in html


def test_admin_login_is_branded(db, client):
    html = client.get("/admin/login/", follow=True).content.decode()
    assert "村治" in html and "Sign in to Wagtail" not in html


def test_public_pages_link_the_favicon_and_favicon_ico_is_served(site_world, client):
    html = client.get(site_world.home.url).content.decode()
    assert 'rel="icon"' in html and "village/favicon.svg" in html
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("village/favicon.ico")
