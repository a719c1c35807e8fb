"""村规民约: the current articles, earlier published versions to open and compare, nothing else."""

from datetime import date

import pytest

from pages.models import RulesPage

OLD_ARTICLE = "第五条 燃放烟花爆竹须在指定地点。"
NEW_ARTICLE = "第五条 本村范围内严禁燃放烟花爆竹。"
KEPT_ARTICLE = "第一条 垃圾不落地，各户门前三包。"


def _chapters(article_five):
    return [
        (
            "chapter",
            {"title": "第一章 环境卫生", "articles": [KEPT_ARTICLE, "第二条 垃圾分类投放。"]},
        ),
        (
            "chapter",
            {"title": "第二章 移风易俗", "articles": ["第四条 红白喜事从简。", article_five]},
        ),
    ]


@pytest.fixture
def rules(site_world):
    page = RulesPage.objects.child_of(site_world.home).get()
    page.chapters = _chapters(OLD_ARTICLE)
    page.adopted_on = date(2021, 3, 1)
    page.filed_on = date(2021, 3, 15)
    first = page.save_revision()
    first.publish()
    page = RulesPage.objects.get(pk=page.pk)
    page.chapters = _chapters(NEW_ARTICLE)
    page.adopted_on = date(2024, 6, 1)
    page.filed_on = date(2024, 6, 20)
    second = page.save_revision()
    second.publish()
    page = RulesPage.objects.get(pk=page.pk)
    return page, first, second


def _get(client, page, **params):
    return client.get(page.url, params)


def test_the_rules_page_shows_the_current_articles_and_dates(rules, client):
    page, _first, _second = rules
    response = _get(client, page)
    assert response.status_code == 200
    html = response.content.decode()
    assert NEW_ARTICLE in html and KEPT_ARTICLE in html
    assert OLD_ARTICLE not in html
    assert "2024-06-01" in html and "2024-06-20" in html


def test_the_rules_page_lists_the_earlier_version(rules, client):
    page, first, second = rules
    html = _get(client, page).content.decode()
    versions = html.split('data-testid="rule-versions"')[1]
    assert f"?version={first.pk}" in versions
    assert f"?compare={first.pk}" in versions
    assert "2021-03-01" in versions
    assert f"?version={second.pk}" not in versions  # the current one is not "earlier"


def test_an_earlier_version_shows_its_own_articles(rules, client):
    page, first, _second = rules
    response = _get(client, page, version=first.pk)
    assert response.status_code == 200
    html = response.content.decode()
    assert OLD_ARTICLE in html
    assert NEW_ARTICLE not in html
    assert "旧版本" in html and "2021-03-01" in html


def test_compare_shows_a_table_with_the_changed_article(rules, client):
    page, first, _second = rules
    response = _get(client, page, compare=first.pk)
    assert response.status_code == 200
    html = response.content.decode()
    diff = html.split('<div class="diff">', 1)[1]
    assert "<table" in diff
    assert "烟花爆竹" in diff
    assert "指定地点" in diff  # the old wording
    assert "严禁燃放" in diff  # the new wording


@pytest.mark.parametrize("param", ["version", "compare"])
@pytest.mark.parametrize("value", ["999999", "abc", ""])
def test_an_unknown_version_is_404(rules, client, param, value):
    page, _first, _second = rules
    response = _get(client, page, **{param: value})
    if value == "":
        assert response.status_code == 200  # no version asked for: the current rules
    else:
        assert response.status_code == 404


def test_a_draft_or_another_pages_revision_is_not_a_version(rules, site_world, client):
    page, _first, _second = rules
    page.chapters = _chapters("第五条 草稿，尚未通过。")
    draft = page.save_revision()
    other = site_world.notices.everyone.get_latest_revision()
    for revision in (draft, other):
        assert _get(client, page, version=revision.pk).status_code == 404
        assert _get(client, page, compare=revision.pk).status_code == 404
    assert "草稿" not in _get(client, page).content.decode()


def test_the_empty_rules_the_site_started_with_are_not_a_version(rules, client):
    """Setting up a site publishes an empty rules page; it never was a version of the rules."""
    page, first, _second = rules
    placeholder = page.revisions.order_by("created_at").first()
    assert placeholder.pk != first.pk
    assert placeholder.content.get("chapters") in ("[]", [], None)
    html = _get(client, page).content.decode()
    versions = html.split('data-testid="rule-versions"')[1]
    assert versions.count("?version=") == 1
    assert f"?version={placeholder.pk}" not in versions
    assert _get(client, page, version=placeholder.pk).status_code == 404
