"""What a 亲情账号 does in its household's name — confirms reading, objects to the household's
points, files 说事 and objections to a published resolution — each marked as the proxy's in the
row and in the chain; what it is told (the household's messages, never a vote's); and the vote
it can never cast, through every door."""

from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.models import APIToken

from deliberation import selectors as deliberation_selectors
from deliberation import services as deliberation_services
from deliberation.models import Objection as DeliberationObjection
from deliberation.models import Participation, Suggestion
from pages.models import Audience, NoticeRead
from points import services as points_services
from points.models import Objection
from tests.support.site_world import publish_notice
from village import permissions, services
from village.models import AuditEvent, Channel, Delivery, HouseholdProxy, Notification

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


def proxy_for(secretary, household, phone=PHONE):
    """A bound and activated 亲情账号 of `household`: its user."""
    _proxy, code = services.proxy_bind(
        actor=secretary,
        household=household,
        name="张小梅",
        phone=phone,
        relation="女儿",
        ends_on=timezone.localdate() + timedelta(days=365),
    )
    return services.account_activate(phone=phone, code=code, password="Qinqing-2027!")


def _bearer(user):
    _row, token = APIToken.create_token(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


# --- notices ----------------------------------------------------------------------------------


def test_a_proxy_confirms_reading_in_the_households_name(site_world, client):
    w = site_world
    user = proxy_for(w.people.secretary.user, w.households.h1)
    notice = w.notices.everyone
    client.force_login(user)
    page = client.get(notice.url).content.decode()
    assert "代本户确认已读" in page
    assert client.post(f"/site/notices/{notice.pk}/read/").status_code == 302
    read = NoticeRead.objects.get(notice=notice)
    assert read.household == w.households.h1 and read.villager == w.people.a1  # the head
    assert read.user == user and read.proxy == HouseholdProxy.objects.get()
    event = AuditEvent.objects.get(action="pages.notice.read")
    assert event.payload["proxy"] == read.proxy_id and event.payload["proxy_relation"] == "女儿"
    assert "亲情账号代为确认" in client.get(notice.url).content.decode()
    # The reach ledger counts the household read, and says a proxy confirmed it.
    response = client.get(f"/api/v1/notices/{notice.pk}/reach", **_bearer(w.people.secretary.user))
    body = response.json()
    assert body["read"] == 1 and body["read_by_proxy"] == 1
    client.force_login(w.people.secretary.user)
    report = client.get(f"/admin/notices/{notice.pk}/unread/").content.decode()
    assert "亲情账号代确认 1 户" in report


def test_a_proxy_cannot_confirm_a_notice_to_party_members_or_another_area(site_world, client):
    w = site_world
    user = proxy_for(w.people.secretary.user, w.households.h1)
    client.force_login(user)
    for notice in (w.notices.party, w.notices.grid2, w.notices.other):
        assert client.post(f"/site/notices/{notice.pk}/read/").status_code == 404
    assert not NoticeRead.objects.exists()


def test_a_notice_to_everyone_reaches_the_proxys_inbox_but_no_text(site_world):
    w = site_world
    user = proxy_for(w.people.secretary.user, w.households.h1)
    area1 = publish_notice(w.index, "一片区停水通知", audience=Audience.GRIDS, grids=[w.grids.a1])
    n = Notification.objects.get(key=f"notice:{area1.pk}")
    assert Delivery.objects.filter(notification=n, channel=Channel.INBOX, user=user).exists()
    assert not Delivery.objects.filter(notification=n, channel=Channel.SMS, phone=PHONE).exists()
    # Not a notice to another area, nor one to party members (for the person, not the house).
    for audience, grids in ((Audience.GRIDS, [w.grids.a3]), (Audience.PARTY, [])):
        other = publish_notice(w.index, "另一条通知", audience=audience, grids=grids)
        n = Notification.objects.get(key=f"notice:{other.pk}")
        assert not Delivery.objects.filter(notification=n, user=user).exists()


# --- points -----------------------------------------------------------------------------------


def test_a_proxy_objects_to_its_households_entry_and_to_no_other(points_world, ledger, client):
    w = points_world
    user = proxy_for(w.secretary, w.h[1])
    [own, other], publication = ledger.published((w.h[1], "HJ01"), (w.h[2], "HJ01"))
    client.force_login(user)
    page = client.get(f"/points/publications/{publication.pk}/").content.decode()
    assert w.h[1].number in page and w.h[2].number not in page  # only its own household's rows
    response = client.post(f"/points/entries/{own.pk}/objection/", {"text": "时间记错了"})
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert objection.proxy.user == user and objection.villager == w.h[1].head
    event = AuditEvent.objects.get(action="points.objection.file")
    assert event.payload["proxy"] == objection.proxy_id
    # The cadres answering it see whose act it was.
    from django.urls import reverse

    client.force_login(w.secretary)
    assert "亲情账号代提" in client.get(reverse("points_admin_objections")).content.decode()
    client.force_login(user)
    with pytest.raises(permissions.PermissionDenied, match="本户"):
        points_services.objection_file(actor=user, entry=other, text="不属实")
    assert Objection.objects.count() == 1
    # Its balance through the API is the household's; a claim of a good deed is the villager's.
    bearer = _bearer(user)
    assert client.get("/api/v1/points/balance", **bearer).json()["household"] == w.h[1].number
    claim = client.post(
        "/api/v1/points/entries", {"rule": "HJ01"}, content_type="application/json", **bearer
    )
    assert claim.status_code == 403


# --- 说事, objections to a resolution, and the vote ---------------------------------------------


@pytest.fixture
def proxied(deliberation_world):
    """A 亲情账号 of the household of villager x2 (a voter) in the deliberation world."""
    w = deliberation_world
    household = w.people["x2"].household
    household.head = w.people["x2"]
    household.save()
    return proxy_for(w.secretary.user, household)


def test_a_proxy_files_saying_in_the_households_name(deliberation_world, proxied, client):
    w = deliberation_world
    client.force_login(proxied)
    response = client.post("/matters/suggestions/", {"text": "村口路灯坏了"})
    assert response.status_code == 302
    bearer = _bearer(proxied)
    api = client.post(
        "/api/v1/suggestions", {"text": "垃圾桶不够"}, content_type="application/json", **bearer
    )
    assert api.status_code == 201
    rows = Suggestion.objects.order_by("pk")
    assert [s.villager for s in rows] == [w.people["x2"]] * 2
    assert all(s.proxy and s.proxy.user == proxied for s in rows)
    listed = client.get("/api/v1/suggestions", **bearer).json()
    assert {s["text"] for s in listed} == {"村口路灯坏了", "垃圾桶不够"}
    # Answered: told to the household's villager and to its proxy.
    deliberation_services.suggestion_answer(
        actor=w.secretary.user, suggestion=rows[0], answer="已报修"
    )
    n = Notification.objects.get(key=f"saying:{rows[0].pk}")
    told = set(
        Delivery.objects.filter(notification=n, channel=Channel.INBOX).values_list(
            "user", flat=True
        )
    )
    assert proxied.pk in told


def test_a_proxy_is_refused_the_vote_with_a_clear_message(
    deliberation_world, procedure, proxied, client
):
    matter = procedure.to_vote()
    meeting = deliberation_selectors.current_vote_meeting(matter)
    client.force_login(proxied)
    page = client.get(f"/matters/{matter.pk}/").content.decode()
    assert 'data-testid="proxy-no-vote"' in page and 'name="choice"' not in page
    response = client.post(f"/matters/{matter.pk}/vote/", {"choice": "yes"})
    assert response.status_code == 403
    assert "亲情账号不能投票" in response.content.decode()
    with pytest.raises(permissions.ProxyRefused, match="亲情账号不能投票"):
        deliberation_services.vote_cast(actor=proxied, matter=matter, choice="no")
    assert not Participation.objects.filter(meeting=meeting).exists()
    # No vote's message reaches a proxy (it would say whether the villager has voted).
    opened = Notification.objects.get(key=f"vote-opened:{meeting.pk}")
    assert not Delivery.objects.filter(notification=opened, user=proxied).exists()


def test_a_proxy_objects_to_a_published_resolution_through_the_page(
    deliberation_world, procedure, proxied, client
):
    w = deliberation_world
    matter = procedure.to_vote()
    procedure.resolve(matter)
    procedure.publish(matter)
    client.force_login(proxied)
    response = client.post(f"/matters/{matter.pk}/objection/", {"text": "补偿标准没说清楚"})
    assert response.status_code == 302
    objection = DeliberationObjection.objects.get()
    assert objection.villager == w.people["x2"] and objection.proxy.user == proxied
    event = AuditEvent.objects.get(action="deliberation.objection.file")
    assert event.payload["proxy"] == objection.proxy_id
    # The chain's screen names the act as a proxy's.
    client.force_login(w.secretary.user)
    assert "亲情账号，代户办理" in client.get("/admin/audit/").content.decode()


def test_a_proxys_notice_list_is_its_households(site_world, client):
    w = site_world
    user = proxy_for(w.people.secretary.user, w.households.h1)
    listed = client.get("/api/v1/notices", **_bearer(user))
    titles = {n["title"] for n in listed.json()}
    assert w.notices.everyone.title in titles and w.notices.area1.title in titles
    assert not titles & {w.notices.party.title, w.notices.grid2.title, w.notices.other.title}
    client.force_login(user)
    page = client.get(w.index.url).content.decode()
    assert w.notices.area1.title in page and w.notices.grid2.title not in page


# --- the review's findings: a moved head, a closed household, what else a proxy reads ---------


def test_a_head_moved_to_another_household_is_not_whom_the_proxy_acts_for(site_world, client):
    w = site_world
    user = proxy_for(w.people.secretary.user, w.households.h1)
    head = w.people.a1
    head.household = w.households.h4  # moved; still recorded as h1's head
    head.save()
    villager, proxy = permissions.in_name_of(user, w.village)
    assert villager == w.people.a1b and villager.household == w.households.h1
    assert proxy.household == w.households.h1
    client.force_login(user)
    assert client.post(f"/site/notices/{w.notices.grid2.pk}/read/").status_code == 404
    assert client.post(f"/site/notices/{w.notices.everyone.pk}/read/").status_code == 302
    assert NoticeRead.objects.get().household == w.households.h1


def test_a_closed_households_proxy_acts_for_nobody(site_world, client):
    from village.models import HouseholdStatus

    w = site_world
    user = proxy_for(w.people.secretary.user, w.households.h1)
    w.households.h1.status = HouseholdStatus.MERGED
    w.households.h1.merged_into = w.households.h2
    w.households.h1.save()
    permissions.forget_roles(user)
    assert permissions.household_of(user) is None and permissions.proxy_of(user) is None
    client.force_login(user)
    assert client.post(f"/site/notices/{w.notices.everyone.pk}/read/").status_code == 404


def test_a_proxy_reads_the_passbook_but_not_the_members_or_the_villages_shares(
    points_world, client
):
    from points import documents

    w = points_world
    user = proxy_for(w.secretary, w.h[1])
    assert documents.may_print_statement(user, w.h[1])
    assert not documents.may_print_statement(user, w.h[2])
    me = client.get("/api/v1/me", **_bearer(user)).json()
    assert me["household"]["number"] == w.h[1].number and me["household"]["members"] == []


def test_a_proxy_does_not_see_the_villages_star_ratings(points_world, client):
    from points.services.welfare import star_round_rate
    from tests.support.points_world import publish_star_round

    w = points_world
    user = proxy_for(w.secretary, w.h[1])
    rated = star_round_rate(
        actor=w.secretary,
        village=w.village,
        year=timezone.localdate().year,
        thresholds={"5": 180, "4": 160, "3": 140, "2": 120, "1": 100},
    )
    publish_star_round(w, rated)
    client.force_login(w.neighbour)
    assert client.get(f"/points/stars/{rated.pk}/").status_code == 200
    client.force_login(user)
    assert client.get(f"/points/stars/{rated.pk}/").status_code == 404
