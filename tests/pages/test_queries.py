"""Pinned query counts of every page type; a list costs the same for 10 items as for 100.

Each count is of a second request: the first warms Wagtail's site-root cache, Django's
content-type cache and the image renditions, as they are on any running server. The counts
include the session and user lookups of a signed-in villager. Pages whose lists are kept as
rendered fragments (pages/fragments.py) are counted twice: rendered afresh (after a publication
elsewhere made every fragment stale) and then from the cache, with the same list shown.
"""

import io
import re
from datetime import date

import pytest
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import APIToken

from pages import fragments
from pages.models import (
    Audience,
    MoralModelIndexPage,
    MoralModelPage,
    NoticeRead,
    RulesPage,
    TransparencyPage,
)
from tests.support.site_world import publish_notice

# Anonymous visitor: site + page route (by depth) + view restrictions, then the page's own
# (the home comes with its village: no query of its own for it).
HOME_ANONYMOUS = 7
NOTICE_INDEX_ANONYMOUS = 8
# From the cache: site, route (one query per level: the notice index is a level deeper), view
# restrictions; nothing of the page's own.
HOME_ANONYMOUS_CACHED = 5
NOTICE_INDEX_ANONYMOUS_CACHED = 7
# Signed-in villager: + session, user, the villager with household and area (the roles come
# from the cache: village/permissions.py), and the notices with read state.
HOME_VILLAGER = 11
NOTICE_INDEX_VILLAGER = 12
# From the cache: + session and user only.
HOME_VILLAGER_CACHED = 7
NOTICE_INDEX_VILLAGER_CACHED = 9
# A notice's page for a villager of its audience: 17 with the notice's 户情收集 questions
# (none here: the household's answer is only looked up when there are some).
NOTICE_PAGE_VILLAGER = 17
API_NOTICES = 5
RULES_ANONYMOUS = 9
RULES_ANONYMOUS_CACHED = 7
MORAL_MODEL_INDEX_ANONYMOUS = 9
MORAL_MODEL_INDEX_ANONYMOUS_CACHED = 7
MORAL_MODEL_PAGE_ANONYMOUS = 10
# + 1 query for the monthly points lists, + 2 for star ratings and allocations (points app)
TRANSPARENCY_ANONYMOUS = 13  # the home comes with its village


def add_notices(w, count, start):
    """Notices to each kind of audience; the villager a1 has read every fourth one."""
    for i in range(start, start + count):
        kind = i % 3
        notice = publish_notice(
            w.index,
            f"第{i}号通知",
            audience=[Audience.EVERYONE, Audience.GRIDS, Audience.PARTY][kind],
            grids=[w.grids.a1] if kind == 1 else (),
        )
        if i % 4 == 0 and kind != 2:
            NoticeRead.objects.create(
                notice=notice,
                villager=w.people.a1,
                household=w.people.a1.household,
                user=w.people.a1.user,
            )


def _without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


@pytest.fixture
def count(client, django_assert_num_queries):
    def measure(expected, url, *, cached=None, **extra):
        response = client.get(url, **extra)
        assert response.status_code == 200, url
        fragments.site_changed(None)  # as a publication anywhere does: render afresh
        with django_assert_num_queries(expected):
            response = client.get(url, **extra)
        assert response.status_code == 200
        if cached is not None:
            with django_assert_num_queries(cached):
                again = client.get(url, **extra)
            assert _without_csrf(again) == _without_csrf(response)
        return response

    return measure


def test_notice_lists_cost_the_same_for_10_and_100_notices(site_world, client, count):
    w = site_world
    _row, token = APIToken.create_token(user=w.people.a1.user, name="queries")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    live = w.index.get_children().live()
    add_notices(w, 10 - (live.count() - 1), start=0)  # 10 current, besides the expired one
    for total in (10, 100):
        if total == 100:
            add_notices(w, 90, start=100)
        assert live.count() == total + 1
        public = live.filter(noticepage__audience=Audience.EVERYONE).count() - 1  # not expired
        client.logout()
        count(HOME_ANONYMOUS, w.home.url, cached=HOME_ANONYMOUS_CACHED)
        response = count(NOTICE_INDEX_ANONYMOUS, w.index.url, cached=NOTICE_INDEX_ANONYMOUS_CACHED)
        assert _listed(response) == public
        client.force_login(w.people.a1.user)
        listed = count(API_NOTICES, "/api/v1/notices", **bearer).json()
        assert len(listed) > public
        count(HOME_VILLAGER, w.home.url, cached=HOME_VILLAGER_CACHED)
        response = count(NOTICE_INDEX_VILLAGER, w.index.url, cached=NOTICE_INDEX_VILLAGER_CACHED)
        assert _listed(response) == len(listed)


def _listed(response):
    html = response.content.decode()
    items = html.split('data-testid="notices"')[1].split("</ul>")[0]
    return items.count("<li ")


def test_notice_page(site_world, client, count):
    client.force_login(site_world.people.a1.user)
    count(NOTICE_PAGE_VILLAGER, site_world.notices.area1.url)


def test_rules_page_costs_the_same_for_2_and_6_versions(site_world, count):
    page = RulesPage.objects.child_of(site_world.home).get()
    for versions in (2, 6):
        # + the current one, + the empty page the site started with (not a version)
        while len(page.revisions.all()) < versions + 2:
            page.chapters = [
                ("chapter", {"title": "第一章", "articles": [f"第一条 第{versions}版"]})
            ]
            page.adopted_on = date(2020, 1, 1)
            page.save_revision().publish()
            page = RulesPage.objects.get(pk=page.pk)
        response = count(RULES_ANONYMOUS, page.url, cached=RULES_ANONYMOUS_CACHED)
        listed = response.content.decode().split('data-testid="rule-versions"')[1]
        assert listed.count("?version=") == versions


def _portrait(title):
    buffer = io.BytesIO()
    PILImage.new("RGB", (120, 160), "#8e44ad").save(buffer, format="PNG")
    image = get_image_model()(title=title)
    image.file.save(f"{title}.png", ImageFile(buffer, name=f"{title}.png"), save=False)
    image.save()
    return image


def _add_models(index, count, start):
    for i in range(start, start + count):
        page = MoralModelPage(
            title=f"模范{i}",
            category="moral_model",
            year=2020 + i % 5,
            headline="热心帮助邻里",
            story="<p>多年照顾孤寡老人。</p>",
            portrait=_portrait(f"portrait{i}"),
        )
        index.add_child(instance=page)
        page.save_revision().publish()


def test_moral_model_index_costs_the_same_for_3_and_12_models(site_world, count):
    index = MoralModelIndexPage.objects.child_of(site_world.home).get()
    _add_models(index, 3, start=0)
    response = count(
        MORAL_MODEL_INDEX_ANONYMOUS, index.url, cached=MORAL_MODEL_INDEX_ANONYMOUS_CACHED
    )
    assert response.content.decode().count("<img") == 3
    _add_models(index, 9, start=3)
    response = count(
        MORAL_MODEL_INDEX_ANONYMOUS, index.url, cached=MORAL_MODEL_INDEX_ANONYMOUS_CACHED
    )
    assert response.content.decode().count("<img") == 12
    count(MORAL_MODEL_PAGE_ANONYMOUS, MoralModelPage.objects.first().url)


def test_transparency_page(site_world, count):
    count(TRANSPARENCY_ANONYMOUS, TransparencyPage.objects.child_of(site_world.home).get().url)
