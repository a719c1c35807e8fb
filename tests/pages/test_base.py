"""What every page shares (pages/models/base.py): the village whose site holds a page, found in
one query and remembered per page and tree position."""

from wagtail.models import Page

from pages.models import village_id_of, village_of_page


def test_a_notice_belongs_to_the_village_whose_home_holds_it(site_world, django_assert_num_queries):
    notice = Page.objects.get(pk=site_world.notices.area1.pk)
    with django_assert_num_queries(1):
        assert village_of_page(notice) == site_world.village
    assert village_of_page(site_world.other_index) == site_world.other
    assert village_of_page(site_world.home) == site_world.village


def test_a_page_outside_every_village_site_has_no_village(site_world):
    root = Page.get_first_root_node()
    assert village_of_page(root) is None
    assert village_id_of(root) is None


def test_the_village_of_a_page_is_remembered_until_the_page_moves(
    site_world, django_assert_num_queries
):
    notice = Page.objects.get(pk=site_world.notices.everyone.pk)
    assert village_id_of(notice) == site_world.village.pk
    with django_assert_num_queries(0):
        assert village_id_of(notice) == site_world.village.pk
    notice.move(site_world.other_index, pos="last-child")
    moved = Page.objects.get(pk=notice.pk)
    assert village_id_of(moved) == site_world.other.pk
