"""The village sites keep their lists as rendered fragments (pages/fragments.py). Every test here
first renders a page, so that its fragment is in the cache, then changes what the page shows
the way the platform does, and reads the page again: it must show the change at once."""

from datetime import timedelta

from django.utils import timezone
from wagtail.models import APIToken

from deliberation.models import Matter
from pages.models import MoralModelIndexPage, MoralModelPage, RulesPage
from tests.factories import VillagerFactory
from tests.support.site_world import publish_notice

from .test_home import voting_village  # noqa: F401  (fixture)


def _html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def _pages(w):
    return (w.home.url, w.index.url)


def test_a_published_notice_appears_at_once_and_an_unpublished_one_goes(site_world, client):
    w = site_world
    for url in _pages(w):
        assert "秋季征兵通知" not in _html(client.get(url))
    notice = publish_notice(w.index, "秋季征兵通知")
    for url in _pages(w):
        assert "秋季征兵通知" in _html(client.get(url))
    notice.unpublish()
    for url in _pages(w):
        assert "秋季征兵通知" not in _html(client.get(url))


def test_a_notice_of_another_village_leaves_this_villages_pages_cached_and_right(
    site_world, client
):
    w = site_world
    before = _html(client.get(w.home.url))
    publish_notice(w.other_index, "西河村修路通知")
    after = _html(client.get(w.home.url))
    assert "西河村修路通知" not in after
    assert "春季防火通知" in before and "春季防火通知" in after


def test_confirming_a_notice_updates_the_villagers_unread_count_at_once(site_world, client):
    w = site_world
    client.force_login(w.people.a1.user)
    # everyone + area 1 + grid-less others: a1 is in the audience of two current notices
    assert "2 条未读" in _html(client.get(w.home.url))
    assert client.post(f"/site/notices/{w.notices.everyone.pk}/read/").status_code == 302
    assert "1 条未读" in _html(client.get(w.home.url))
    _row, token = APIToken.create_token(user=w.people.a1.user, name="phone")
    response = client.post(
        f"/api/v1/notices/{w.notices.area1.pk}/read", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 200
    html = _html(client.get(w.home.url))
    assert "条未读" not in html
    assert 'class="unread' not in _html(client.get(w.index.url))


def test_each_person_gets_their_own_list_from_the_cache(site_world, client):
    w = site_world
    client.force_login(w.people.a1.user)
    assert w.notices.area1.title in _html(client.get(w.home.url))
    client.force_login(w.people.a3.user)
    for url in _pages(w):
        html = _html(client.get(url))
        assert w.notices.area1.title not in html
        assert w.notices.grid2.title in html
    client.logout()
    for url in _pages(w):
        html = _html(client.get(url))
        assert w.notices.area1.title not in html
        assert w.notices.grid2.title not in html
        assert w.notices.everyone.title in html


def test_a_household_that_moves_area_sees_the_new_areas_notices(site_world, client):
    w = site_world
    client.force_login(w.people.a1.user)
    assert w.notices.area1.title in _html(client.get(w.home.url))
    w.households.h1.area = w.grids.a3
    w.households.h1.save()
    for url in _pages(w):
        html = _html(client.get(url))
        assert w.notices.area1.title not in html
        assert w.notices.grid2.title in html


def test_a_new_representative_sees_the_representatives_notices(site_world, client):
    w = site_world
    client.force_login(w.people.a2.user)
    assert w.notices.reps.title not in _html(client.get(w.index.url))
    w.people.a2.is_representative = True
    w.people.a2.representative_from = timezone.localdate() - timedelta(days=1)
    w.people.a2.save()
    assert w.notices.reps.title in _html(client.get(w.index.url))


def test_a_new_villager_account_sees_the_notices_of_their_area(site_world, client):
    """A user first seen as a visitor, then registered as a villager of area 1."""
    w = site_world
    from tests.factories import UserFactory

    user = UserFactory(username="newcomer")
    client.force_login(user)
    assert w.notices.area1.title not in _html(client.get(w.home.url))
    VillagerFactory(household=w.households.h2, name="新村民", phone="13900000099", user=user)
    assert w.notices.area1.title in _html(client.get(w.home.url))


def test_a_notice_leaves_the_cached_pages_the_day_after_it_expires(site_world, client, monkeypatch):
    w = site_world
    today = timezone.localdate()
    publish_notice(w.index, "今日停水通知", expires_on=today)
    for url in _pages(w):
        assert "今日停水通知" in _html(client.get(url))
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today + timedelta(days=1))
    for url in _pages(w):
        assert "今日停水通知" not in _html(client.get(url))


def test_the_cached_pages_follow_the_visitors_language(site_world, client):
    w = site_world
    assert "通知公告" in _html(client.get(w.home.url))
    client.cookies["django_language"] = "en"
    html = _html(client.get(w.home.url))
    assert "Notices" in html
    assert "通知公告" not in html


def test_new_rules_replace_the_cached_ones_and_the_old_become_a_version(site_world, client):
    w = site_world
    rules = RulesPage.objects.child_of(w.home).get()

    def adopt(article):
        page = RulesPage.objects.get(pk=rules.pk)
        page.chapters = [("chapter", {"title": "第一章 总则", "articles": [article]})]
        page.save_revision().publish()

    adopt("第一条 垃圾不落地。")
    before = _html(client.get(rules.url))
    assert "第一条 垃圾不落地。" in before
    adopt("第一条 垃圾分类投放，不落地。")
    after = _html(client.get(rules.url))
    assert "第一条 垃圾分类投放，不落地。" in after
    assert after.count("?version=") == before.count("?version=") + 1


def test_a_new_moral_model_appears_in_the_cached_index(site_world, client):
    w = site_world
    index = MoralModelIndexPage.objects.child_of(w.home).get()
    assert "孝老爱亲王大娘" not in _html(client.get(index.url))
    page = MoralModelPage(
        title="孝老爱亲王大娘", category="moral_model", year=2026, story="<p>照顾婆婆二十年。</p>"
    )
    index.add_child(instance=page)
    page.save_revision().publish()
    assert "孝老爱亲王大娘" in _html(client.get(index.url))
    assert "孝老爱亲王大娘" in _html(client.get(index.url + "?category=moral_model"))


def test_a_closed_vote_leaves_the_villagers_home(voting_village, client):  # noqa: F811
    world = voting_village
    client.force_login(world.people["r1"].user)
    assert world.matter.title in _html(client.get(world.home.url))
    matter = Matter.objects.get(pk=world.matter.pk)
    matter.status = "resolved"
    matter.save()
    assert world.matter.title not in _html(client.get(world.home.url))


def test_a_notice_moved_to_another_village_leaves_the_first_and_joins_the_second(
    site_world, client
):
    w = site_world
    notice = publish_notice(w.index, "临时搬迁通知")
    assert "临时搬迁通知" in _html(client.get(w.home.url))
    assert "临时搬迁通知" not in _html(client.get(w.other_home.url))
    notice.move(w.other_index, pos="last-child")
    assert "临时搬迁通知" not in _html(client.get(w.home.url))
    assert "临时搬迁通知" in _html(client.get(w.other_home.url))


def test_renaming_the_adopting_matter_shows_on_the_cached_rules(
    site_world,
    voting_village,  # noqa: F811
    client,
):
    """The matter is another village's: its change must reach this village's rules too."""
    rules = RulesPage.objects.child_of(site_world.home).get()
    rules.chapters = [("chapter", {"title": "第一章 总则", "articles": ["第一条 修路。"]})]
    rules.adopting_matter = voting_village.matter
    rules.save_revision().publish()
    assert voting_village.matter.title in _html(client.get(rules.url))
    matter = Matter.objects.get(pk=voting_village.matter.pk)
    matter.title = "村东道路硬化方案（修订）"
    matter.save()
    assert "村东道路硬化方案（修订）" in _html(client.get(rules.url))


def test_a_purged_version_leaves_the_cached_rules(site_world, client):
    w = site_world
    rules = RulesPage.objects.child_of(w.home).get()
    for article in ("第一条 旧。", "第一条 新。"):
        page = RulesPage.objects.get(pk=rules.pk)
        page.chapters = [("chapter", {"title": "第一章", "articles": [article]})]
        first = page.save_revision()
        first.publish()
    html = _html(client.get(rules.url))
    earlier = html.split('data-testid="rule-versions"')[1]
    old = page.revisions.exclude(pk=first.pk).order_by("-created_at").first()
    old_pk = old.pk  # delete() sets it to None
    assert f"?version={old_pk}" in earlier
    old.delete()
    assert f"?version={old_pk}" not in _html(client.get(rules.url))
