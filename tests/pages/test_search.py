"""Search over a village's pages finds a part of an unspaced Chinese phrase, stays inside the
village, and never shows a targeted notice to someone outside its audience."""

import pytest
from wagtail.rich_text import RichText

from pages.models import Audience, StandardPage
from pages.search import bigrams, search_pages
from tests.support.site_world import publish_notice


def _standard_page(parent, title, text, slug):
    page = StandardPage(title=title, slug=slug, body=[("paragraph", RichText(f"<p>{text}</p>"))])
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture
def fireworks(site_world):
    return _standard_page(
        site_world.home,
        "春节安全须知",
        "春节期间本村严禁燃放烟花爆竹，违者按村规民约处理。",
        "chunjie",
    )


def _results(client, code, query):
    response = client.get(f"/site/{code}/search/", {"q": query})
    assert response.status_code == 200
    html = response.content.decode()
    return html.split('data-testid="results"')[1] if 'data-testid="results"' in html else ""


def test_query_is_cut_into_the_same_two_character_pieces():
    assert bigrams("严禁燃放烟花爆竹") == "严禁 禁燃 燃放 放烟 烟花 花爆 爆竹"
    assert bigrams("烟花") == "烟花"
    assert bigrams("<p>第3条 垃圾</p>") == "第 3 条 垃圾"


def test_a_partial_chinese_word_finds_its_page_in_the_search_view(site_world, fireworks, client):
    results = _results(client, site_world.village.code, "烟花")
    assert fireworks.title in results
    assert fireworks.url in results


def test_a_partial_chinese_word_finds_its_page_through_search_pages(site_world, fireworks):
    found = list(search_pages("烟花", site_world.home))
    assert fireworks.pk in [p.pk for p in found]
    longer = list(search_pages("燃放烟花", site_world.home))
    assert fireworks.pk in [p.pk for p in longer]


def test_a_word_that_is_not_on_any_page_finds_nothing(site_world, fireworks, client):
    assert list(search_pages("拖拉机", site_world.home)) == []
    results = _results(client, site_world.village.code, "拖拉机")
    assert "没有找到" in results
    assert fireworks.title not in results
    # Two pieces each present, but not together in the phrase, must all match.
    assert list(search_pages("烟花拖拉", site_world.home)) == []


def test_search_stays_inside_the_village(site_world, fireworks, client):
    results = _results(client, site_world.other.code, "烟花")
    assert fireworks.title not in results
    assert list(search_pages("烟花", site_world.other_home)) == []


def test_search_of_an_unknown_village_is_404(site_world, client):
    assert client.get("/site/no-such-village/search/", {"q": "烟花"}).status_code == 404


def test_an_empty_query_shows_no_results(site_world, fireworks, client):
    response = client.get(f"/site/{site_world.village.code}/search/", {"q": "  "})
    assert response.status_code == 200
    assert fireworks.title not in response.content.decode()


def test_a_targeted_notice_is_not_in_the_results_of_someone_outside_its_audience(
    site_world, client
):
    w = site_world
    notice = publish_notice(
        w.index,
        "一片区烟花爆竹收缴通知",
        audience=Audience.GRIDS,
        grids=[w.grids.a1],
        body="<p>请一片区各户将存放的烟花爆竹交到村委会。</p>",
    )
    public = publish_notice(w.index, "全村禁放烟花倡议书")

    anonymous = _results(client, w.village.code, "烟花")
    assert public.title in anonymous
    assert notice.title not in anonymous

    client.force_login(w.people.a3.user)  # 三片区
    outside = _results(client, w.village.code, "烟花")
    assert public.title in outside
    assert notice.title not in outside

    client.force_login(w.people.other_villager.user)
    assert notice.title not in _results(client, w.village.code, "烟花")

    client.force_login(w.people.a1.user)  # 一片区
    inside = _results(client, w.village.code, "烟花")
    assert notice.title in inside and public.title in inside

    client.force_login(w.people.secretary.user)
    assert notice.title in _results(client, w.village.code, "烟花")


def test_search_finds_a_notice_by_its_body_and_a_changed_page_by_its_new_text(site_world, client):
    w = site_world
    page = _standard_page(w.home, "村容村貌", "房前屋后垃圾不落地。", "cunrong")
    assert page.pk in [p.pk for p in search_pages("垃圾", w.home)]
    page.body = [("paragraph", RichText("<p>每月第一个周六全村大扫除。</p>"))]
    page.save_revision().publish()
    assert page.pk not in [p.pk for p in search_pages("垃圾", w.home)]
    assert page.pk in [p.pk for p in search_pages("扫除", w.home)]
    assert w.notices.everyone.pk in [p.pk for p in search_pages("留意", w.home)]
