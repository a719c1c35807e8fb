"""The village home: the 一核五治 sections editors fill, unread notices first, open votes, the
larger-type switch, nothing from another host; `/` leads a villager to their village's site."""

import re
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

from deliberation import services as deliberation_services
from deliberation.models import Category, Origin
from pages import services
from pages.models import VillageHomePage
from tests.factories import deliberation_village
from village.permissions import SYSTEM

SECTIONS = [
    ("party", "党建引领", "支部书记带头，党员户挂牌亮身份。", "notices"),
    ("law", "法治", "法律顾问每月第一个周三到村坐班。", "rules"),
    ("virtue", "德治", "评选好媳妇、好婆婆，弘扬孝老爱亲。", "moral_models"),
    ("autonomy", "自治", "村里的大事，村民说了算。", "matters"),
    ("smart", "智治", "通知、表决、积分，手机上就能办。", "me"),
]


def _fill_sections(home):
    home.sections = [
        (
            "section",
            {
                "pillar": pillar,
                "title": f"{title}板块",
                "text": f"<p>{text}</p>",
                "links": [{"label": f"去看{title}", "target": target, "url": ""}],
            },
        )
        for pillar, title, text, target in SECTIONS
    ]
    home.save_revision().publish()
    return VillageHomePage.objects.get(pk=home.pk)


def _html(response):
    assert response.status_code == 200
    return response.content.decode()


def test_home_shows_the_sections_editors_filled(site_world, client):
    home = _fill_sections(site_world.home)
    html = _html(client.get(home.url))
    positions = []
    for pillar, title, text, _target in SECTIONS:
        assert f"pillar-{pillar}" in html
        assert f"{title}板块" in html and text in html
        positions.append(html.index(f"{title}板块"))
    assert positions == sorted(positions)  # in the order the editors put them
    assert '<a href="/dongmaopu/rules/">去看法治</a>' in html
    assert '<a href="/dongmaopu/models/">去看德治</a>' in html
    assert '<a href="/matters/">去看自治</a>' in html


def test_home_without_sections_has_no_fixed_text_for_them(site_world, client):
    html = _html(client.get(site_world.home.url))
    assert "pillar-" not in html


def test_villager_sees_unread_notices_first_on_the_home_page(site_world, client):
    w = site_world
    client.force_login(w.people.a3.user)  # 三片区: everyone (older) and grid2 (newer)
    client.post(f"/site/notices/{w.notices.grid2.pk}/read/")
    html = _html(client.get(w.home.url))
    notices = html.split('data-testid="home-notices"')[1]
    unread, read = w.notices.everyone.title, w.notices.grid2.title
    assert notices.index(unread) < notices.index(read)
    assert 'data-testid="unread-count">1 条未读' in html
    # The unread one is marked as such, the read one is not.
    unread_item = notices[: notices.index(unread)].rsplit("<li", 1)[1]
    read_item = notices[: notices.index(read)].rsplit("<li", 1)[1]
    assert 'class="unread' in unread_item
    assert "unread" not in read_item


def test_anonymous_home_shows_only_public_notices_without_read_marks(site_world, client):
    w = site_world
    html = _html(client.get(w.home.url))
    assert w.notices.everyone.title in html
    for notice in (w.notices.area1, w.notices.grid2, w.notices.party, w.notices.reps):
        assert notice.title not in html
    assert "未读" not in html


@pytest.fixture
def voting_village(db):
    """A village with a matter open for the villagers' vote, and its site."""
    world = deliberation_village(name="南岗村")
    actor = world.secretary.user
    today = timezone.localdate()
    matter = deliberation_services.matter_create(
        actor=actor,
        village=world.village,
        title="村东道路硬化方案",
        body="硬化村东道路800米，资金由上级补助和村集体承担。",
        category=Category.PUBLIC_WELFARE_FUNDING,
        origin=Origin.SUGGESTION,
    )
    for members in (world.branch, world.two_committees, world.party_full):
        deliberation_services.meeting_record(
            actor=actor,
            matter=matter,
            held_on=today,
            present=[p.pk for p in members],
            votes={p.pk: "yes" for p in members},
            minutes="会议纪要：与会人员逐项讨论，同意提交下一步。",
        )
    matter.refresh_from_db()
    now = timezone.now()
    deliberation_services.matter_open_vote(
        actor=actor,
        matter=matter,
        held_on=today,
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=2),
        place="村委会议室",
        chair=world.secretary,
        recorder=world.people["b1"],
    )
    matter.refresh_from_db()
    world.matter = matter
    world.home = services.village_site_setup(actor=SYSTEM, village=world.village)
    return world


def test_home_shows_open_votes_to_the_villagers(voting_village, client):
    world = voting_village
    assert world.matter.status == "voting"
    client.force_login(world.people["r1"].user)
    html = _html(client.get(world.home.url))
    assert "正在表决" in html
    assert world.matter.title in html
    assert f'href="/matters/{world.matter.pk}/"' in html
    # The board is one cached copy for the whole village: it cannot know who is on the voter
    # list, so it invites nobody (我的待办 and /matters/ do, by the may_vote rule).
    assert "去投票" not in html and "表决中，点开查看" in html
    client.logout()
    assert world.matter.title not in _html(client.get(world.home.url))


def test_larger_type_switch_enlarges_the_text(site_world, client):
    w = site_world
    assert 'class="large-text' not in _html(client.get(w.home.url))
    response = client.post("/text-size/", {"size": "large", "next": w.home.url})
    assert response.status_code == 302
    assert response["Location"] == w.home.url
    html = _html(client.get(w.home.url))
    assert re.search(r'<body class="[^"]*\blarge-text\b', html)
    assert "标准字号" in html
    client.post("/text-size/", {"size": "normal", "next": w.home.url})
    assert "large-text" not in _html(client.get(w.home.url))


def test_larger_type_switch_does_not_redirect_to_another_host(client, db):
    response = client.post("/text-size/", {"size": "large", "next": "https://evil.example/"})
    assert response["Location"] == "/"


URL_ATTRIBUTE = re.compile(r"""(?:src|href|action|srcset|poster|data)\s*=\s*["']([^"']+)""", re.I)


def _outside_references(html):
    found = [u for u in URL_ATTRIBUTE.findall(html) if re.match(r"(https?:)?//", u.strip())]
    found += re.findall(r"url\(\s*['\"]?((?:https?:)?//[^)'\"]+)", html)
    found += re.findall(r"@import\s+['\"]((?:https?:)?//[^'\"]+)", html)
    return [u for u in found if not re.match(r"(https?:)?//testserver(/|$)", u)]


def test_nothing_on_the_village_pages_is_loaded_from_another_host(site_world, client):
    w = site_world
    home = _fill_sections(w.home)
    urls = [home.url, w.index.url, w.notices.everyone.url, f"/site/{w.village.code}/search/?q=通知"]
    urls += [child.url for child in home.get_children().live()]
    for url in urls:
        assert _outside_references(_html(client.get(url))) == [], url
    client.force_login(w.people.a1.user)
    for url in [*urls, w.notices.area1.url, "/me/"]:
        assert _outside_references(_html(client.get(url))) == [], url
    stylesheet = finders.find("village/site.css")
    with open(stylesheet, encoding="utf-8") as css:
        assert _outside_references(css.read()) == []


def test_root_sends_a_signed_in_villager_to_their_village_site(site_world, client):
    w = site_world
    client.force_login(w.people.a1.user)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == w.home.url
    client.force_login(w.people.other_villager.user)
    assert client.get("/")["Location"] == w.other_home.url


def test_root_lists_the_village_sites_to_an_anonymous_visitor(site_world, client):
    w = site_world
    html = _html(client.get("/"))
    sites = html.split('data-testid="sites"')[1].split("</ul>")[0]
    assert f'href="{w.home.url}"' in sites and "东毛铺村" in sites
    assert f'href="{w.other_home.url}"' in sites and "西河村" in sites


def test_root_lists_no_unpublished_village_site(site_world, client):
    w = site_world
    w.other_home.unpublish()
    html = _html(client.get("/"))
    assert "西河村" not in html
    assert w.home.url in html
