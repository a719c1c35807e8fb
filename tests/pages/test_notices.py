"""Notices reach the households they are meant for, and no one else: lists, the page itself,
已读 (web and API), the unread report and its Excel export."""

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from wagtail.models import APIToken

from pages.models import NoticeRead
from tests.support.site_world import publish_notice
from village.models import AuditEvent, VillagerStatus


def _read_url(notice):
    return f"/site/notices/{notice.pk}/read/"


def _report_url(notice):
    return f"/admin/notices/{notice.pk}/unread/"


def _export_url(notice):
    return f"/admin/notices/{notice.pk}/unread.xlsx"


def _bearer(user):
    _row, token = APIToken.create_token(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _html(response):
    return response.content.decode()


def _position(html, text):
    assert text in html, f"{text!r} not on the page"
    return html.index(text)


# --- who sees what -------------------------------------------------------------------------


def test_villager_outside_the_audience_does_not_see_the_notice_in_any_list(site_world, client):
    w = site_world
    client.force_login(w.people.a3.user)  # 三片区, not 一片区
    for url in (w.home.url, w.index.url):
        html = _html(client.get(url))
        assert w.notices.everyone.title in html
        assert w.notices.area1.title not in html
        assert w.notices.party.title not in html
        assert w.notices.reps.title not in html
        assert w.notices.other.title not in html


def test_villager_outside_the_audience_cannot_open_the_notice_by_its_address(site_world, client):
    w = site_world
    client.force_login(w.people.a3.user)
    assert client.get(w.notices.area1.url).status_code == 404
    assert client.get(w.notices.party.url).status_code == 404
    assert client.get(w.notices.reps.url).status_code == 404


def test_a_visitor_from_another_village_sees_the_public_notices_as_when_logged_out(
    site_world, client
):
    w = site_world
    client.force_login(w.people.other_villager.user)
    for url in (w.home.url, w.index.url):
        html = _html(client.get(url))
        assert w.notices.everyone.title in html
        assert w.notices.area1.title not in html
        assert w.notices.party.title not in html
        assert "未读" not in html  # nothing for them to confirm here


def test_a_villager_of_another_village_cannot_open_a_targeted_notice(site_world, client):
    w = site_world
    client.force_login(w.people.other_villager.user)
    assert client.get(w.notices.area1.url).status_code == 404


def test_anonymous_visitor_is_sent_to_login_for_a_targeted_notice(site_world, client):
    w = site_world
    response = client.get(w.notices.area1.url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    html = _html(client.get(w.home.url))
    assert w.notices.everyone.title in html
    assert w.notices.area1.title not in html


def test_a_notice_to_everyone_is_public(site_world, client):
    w = site_world
    response = client.get(w.notices.everyone.url)
    assert response.status_code == 200
    assert w.notices.everyone.title in _html(response)


def test_villager_outside_the_audience_cannot_mark_it_read(site_world, client):
    w = site_world
    outsider = w.people.a3.user
    client.force_login(outsider)
    assert client.post(_read_url(w.notices.area1)).status_code == 404
    api = client.post(f"/api/v1/notices/{w.notices.area1.pk}/read", **_bearer(outsider))
    assert api.status_code == 404
    assert "message" in api.json()
    detail = client.get(f"/api/v1/notices/{w.notices.area1.pk}", **_bearer(outsider))
    assert detail.status_code == 404
    assert not NoticeRead.objects.filter(notice=w.notices.area1).exists()


def test_a_villager_of_another_village_cannot_mark_a_public_notice_read(site_world, client):
    w = site_world
    stranger = w.people.other_villager.user
    client.force_login(stranger)
    assert client.post(_read_url(w.notices.everyone)).status_code == 404
    api = client.post(f"/api/v1/notices/{w.notices.everyone.pk}/read", **_bearer(stranger))
    assert api.status_code == 404
    assert not NoticeRead.objects.filter(notice=w.notices.everyone).exists()


def test_the_api_opens_a_public_notice_to_anyone_as_the_web_does(site_world, client):
    w = site_world
    stranger = w.people.other_villager.user
    assert client.get(w.notices.everyone.url).status_code == 200
    detail = client.get(f"/api/v1/notices/{w.notices.everyone.pk}", **_bearer(stranger))
    assert detail.status_code == 200
    assert detail.json()["title"] == w.notices.everyone.title
    assert detail.json()["is_read"] is False
    targeted = client.get(f"/api/v1/notices/{w.notices.area1.pk}", **_bearer(stranger))
    assert targeted.status_code == 404


def test_marking_read_needs_a_login_and_a_post(site_world, client):
    w = site_world
    response = client.post(_read_url(w.notices.everyone))
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    client.force_login(w.people.a1.user)
    assert client.get(_read_url(w.notices.everyone)).status_code == 405
    assert not NoticeRead.objects.exists()


# --- reading and confirming ----------------------------------------------------------------


def test_villager_in_the_audience_sees_it_unread_then_confirms_once(site_world, client):
    w = site_world
    villager = w.people.a1
    client.force_login(villager.user)

    html = _html(client.get(w.home.url))
    assert w.notices.area1.title in html
    assert "2 条未读" in html

    page = _html(client.get(w.notices.area1.url))
    assert 'data-testid="confirm-read"' in page
    assert 'data-testid="read-state"' not in page

    response = client.post(_read_url(w.notices.area1))
    assert response.status_code == 302
    assert response["Location"] == w.notices.area1.url
    page = _html(client.get(w.notices.area1.url))
    assert 'data-testid="read-state"' in page
    assert "确认已读" in page
    assert 'data-testid="confirm-read"' not in page

    first = NoticeRead.objects.get(notice=w.notices.area1, villager=villager)
    client.post(_read_url(w.notices.area1))
    reads = NoticeRead.objects.filter(notice=w.notices.area1, villager=villager)
    assert list(reads) == [first]
    assert "1 条未读" in _html(client.get(w.home.url))


def test_unread_notices_come_first_in_the_list(site_world, client):
    w = site_world
    client.force_login(w.people.a1.user)
    # The area notice is newer; reading it moves it below the unread older one.
    html = _html(client.get(w.index.url))
    assert _position(html, w.notices.area1.title) < _position(html, w.notices.everyone.title)
    client.post(_read_url(w.notices.area1))
    html = _html(client.get(w.index.url))
    assert _position(html, w.notices.everyone.title) < _position(html, w.notices.area1.title)


def test_each_read_is_recorded_in_the_audit_chain(site_world, client):
    w = site_world
    client.force_login(w.people.a1.user)
    client.post(_read_url(w.notices.everyone))
    client.post(_read_url(w.notices.everyone))
    client.post(f"/api/v1/notices/{w.notices.area1.pk}/read", **_bearer(w.people.a1.user))
    events = AuditEvent.objects.filter(action="pages.notice.read").order_by("seq")
    assert [(e.object_id, e.actor_id) for e in events] == [
        (str(w.notices.everyone.pk), w.people.a1.user.pk),
        (str(w.notices.area1.pk), w.people.a1.user.pk),
    ]
    assert events[0].village_id == w.village.pk
    assert events[0].payload["household"] == w.households.h1.pk


def test_expired_notices_disappear_from_the_lists(site_world, client):
    w = site_world
    title = w.notices.expired.title
    assert title not in _html(client.get(w.home.url))
    assert title not in _html(client.get(w.index.url))
    client.force_login(w.people.a1.user)
    assert title not in _html(client.get(w.home.url))
    assert title not in _html(client.get(w.index.url))
    listed = client.get("/api/v1/notices", **_bearer(w.people.a1.user)).json()
    assert w.notices.expired.pk not in [n["id"] for n in listed]


def test_a_notice_to_a_large_grid_reaches_every_area_in_it(site_world, client):
    w = site_world
    notice = w.notices.grid2
    for person in (w.people.a3, w.people.party, w.people.rep):  # all in 三片区 of 第二网格
        client.force_login(person.user)
        assert notice.title in _html(client.get(w.index.url))
        assert client.get(notice.url).status_code == 200
    for person in (w.people.a1, w.people.a2):  # 第一网格
        client.force_login(person.user)
        assert notice.title not in _html(client.get(w.index.url))
        assert client.get(notice.url).status_code == 404


def test_a_notice_to_a_large_grid_includes_an_area_added_later(site_world, client):
    from tests.factories import AreaFactory, HouseholdFactory, UserFactory, VillagerFactory

    w = site_world
    new_area = AreaFactory(parent=w.grids.g2, name="四片区")
    newcomer = VillagerFactory(
        household=HouseholdFactory(village=w.village, area=new_area),
        user=UserFactory(username="newcomer"),
    )
    client.force_login(newcomer.user)
    assert w.notices.grid2.title in _html(client.get(w.index.url))
    assert client.post(_read_url(w.notices.grid2)).status_code == 302


def test_party_notices_reach_party_members_only(site_world, client):
    w = site_world
    client.force_login(w.people.party.user)
    assert w.notices.party.title in _html(client.get(w.index.url))
    assert client.post(_read_url(w.notices.party)).status_code == 302
    for person in (w.people.a1, w.people.rep):
        client.force_login(person.user)
        assert w.notices.party.title not in _html(client.get(w.index.url))
        assert client.post(_read_url(w.notices.party)).status_code == 404


def test_representative_notices_reach_serving_representatives_only(site_world, client):
    w = site_world
    client.force_login(w.people.rep.user)
    assert w.notices.reps.title in _html(client.get(w.index.url))
    assert client.post(_read_url(w.notices.reps)).status_code == 302
    for person in (w.people.a1, w.people.party):
        client.force_login(person.user)
        assert w.notices.reps.title not in _html(client.get(w.index.url))


def test_a_representative_whose_term_ended_no_longer_gets_their_notices(site_world, client):
    w = site_world
    rep = w.people.rep
    rep.representative_to = w.today - timedelta(days=1)
    rep.save()
    client.force_login(rep.user)
    assert w.notices.reps.title not in _html(client.get(w.index.url))
    assert client.get(w.notices.reps.url).status_code == 404


# --- the unread report ---------------------------------------------------------------------


def _summary(response):
    html = _html(response)
    start = html.index('data-testid="unread-summary"')
    return html[start : html.index("</p>", start)]


def test_unread_report_counts_households_after_reads(site_world, client):
    w = site_world
    notice = w.notices.area1  # 一片区: h1 (two members), h2, h_officer
    client.force_login(w.people.secretary.user)
    assert "应送达 3 户，已读 0 户，未读 3 户" in _summary(client.get(_report_url(notice)))

    client.force_login(w.people.a1b.user)  # not the head: the household still counts as read
    client.post(_read_url(notice))
    client.force_login(w.people.secretary.user)
    response = client.get(_report_url(notice))
    assert "应送达 3 户，已读 1 户，未读 2 户" in _summary(response)
    rows = _html(response).split('data-testid="unread-rows"')[1].split("</table>")[0]
    assert w.households.h1.number not in rows
    assert w.households.h2.number in rows and w.people.a1c.phone in rows
    assert w.households.h_officer.number in rows

    client.force_login(w.people.a1.user)  # the other member of the same household
    client.post(_read_url(notice))
    client.force_login(w.people.secretary.user)
    assert "应送达 3 户，已读 1 户，未读 2 户" in _summary(client.get(_report_url(notice)))

    client.force_login(w.people.a1c.user)
    client.post(_read_url(notice))
    client.force_login(w.people.secretary.user)
    assert "应送达 3 户，已读 2 户，未读 1 户" in _summary(client.get(_report_url(notice)))


def test_grid_officer_sees_only_the_households_of_their_area(site_world, client):
    w = site_world
    notice = w.notices.everyone  # 8 households in 3 areas
    client.force_login(w.people.a2.user)  # 二片区
    client.post(_read_url(notice))
    client.force_login(w.people.a1.user)  # 一片区
    client.post(_read_url(notice))

    client.force_login(w.people.officer.user)  # officer of 一片区
    response = client.get(_report_url(notice))
    assert response.status_code == 200
    summary = _summary(response)
    assert "应送达 3 户，已读 1 户，未读 2 户" in summary
    assert "仅显示您负责的网格" in summary
    rows = _html(response).split('data-testid="unread-rows"')[1].split("</table>")[0]
    assert w.households.h2.number in rows
    assert w.households.h4.number not in rows  # 三片区
    assert w.households.h3.number not in rows  # 二片区

    client.force_login(w.people.secretary.user)
    response = client.get(_report_url(notice))
    assert "应送达 8 户，已读 2 户，未读 6 户" in _summary(response)
    rows = _html(response).split('data-testid="unread-rows"')[1].split("</table>")[0]
    for household in (w.households.h2, w.households.h4, w.households.h5, w.households.h6):
        assert household.number in rows


def test_unread_report_of_a_large_grid_notice_counts_all_its_areas(site_world, client):
    w = site_world
    client.force_login(w.people.party.user)
    client.post(_read_url(w.notices.grid2))
    client.force_login(w.people.secretary.user)
    assert "应送达 3 户，已读 1 户，未读 2 户" in _summary(client.get(_report_url(w.notices.grid2)))


def test_unread_report_of_party_and_representative_notices(site_world, client):
    w = site_world
    client.force_login(w.people.secretary.user)
    assert "应送达 1 户，已读 0 户，未读 1 户" in _summary(client.get(_report_url(w.notices.party)))
    assert "应送达 1 户，已读 0 户，未读 1 户" in _summary(client.get(_report_url(w.notices.reps)))
    client.force_login(w.people.rep.user)
    client.post(_read_url(w.notices.reps))
    client.force_login(w.people.secretary.user)
    assert "应送达 1 户，已读 1 户，未读 0 户" in _summary(client.get(_report_url(w.notices.reps)))


def test_another_villages_secretary_cannot_open_the_report(site_world, client):
    w = site_world
    client.force_login(w.people.other_secretary.user)
    assert client.get(_report_url(w.notices.area1)).status_code == 404
    assert client.get(_export_url(w.notices.area1)).status_code == 404
    client.force_login(w.people.a1.user)  # a villager without a role
    assert client.get(_report_url(w.notices.area1)).status_code in (302, 403, 404)


def test_unread_overview_lists_current_notices_of_own_village_only(site_world, client):
    w = site_world
    client.force_login(w.people.secretary.user)
    response = client.get("/admin/notices/unread/")
    assert response.status_code == 200
    html = _html(response)
    assert w.notices.area1.title in html
    assert w.notices.other.title not in html
    assert w.notices.expired.title not in html


def test_excel_export_lists_unread_households_with_phone_numbers(site_world, client):
    w = site_world
    notice = w.notices.area1
    client.force_login(w.people.a1.user)
    client.post(_read_url(notice))
    client.force_login(w.people.secretary.user)
    response = client.get(_export_url(notice))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][1] == notice.title
    body = {row[0]: row for row in rows[2:]}
    assert set(body) == {w.households.h2.number, w.households.h_officer.number}
    assert body[w.households.h2.number][3] == w.people.a1c.phone
    assert body[w.households.h_officer.number][3] == w.people.officer.phone
    assert body[w.households.h2.number][2] == w.people.a1c.name


def test_excel_export_for_a_grid_officer_is_limited_to_their_area(site_world, client):
    w = site_world
    client.force_login(w.people.officer.user)
    response = client.get(_export_url(w.notices.everyone))
    sheet = load_workbook(io.BytesIO(response.content)).active
    numbers = {row[0] for row in list(sheet.iter_rows(values_only=True))[2:]}
    assert numbers == {
        w.households.h1.number,
        w.households.h2.number,
        w.households.h_officer.number,
    }


# --- the API -------------------------------------------------------------------------------


def test_api_lists_what_the_caller_may_read_unread_first_with_read_state(site_world, client):
    w = site_world
    headers = _bearer(w.people.a3.user)  # 三片区: everyone + grid2
    extra = publish_notice(w.index, "三片区停电通知", publish_on=w.today)
    listed = client.get("/api/v1/notices", **headers).json()
    assert [n["id"] for n in listed] == [extra.pk, w.notices.grid2.pk, w.notices.everyone.pk]
    assert all(n["is_read"] is False for n in listed)

    response = client.post(f"/api/v1/notices/{extra.pk}/read", **headers)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == extra.pk
    again = client.post(f"/api/v1/notices/{extra.pk}/read", **headers).json()
    assert again["read_at"] == body["read_at"]
    assert NoticeRead.objects.filter(notice=extra).count() == 1

    listed = client.get("/api/v1/notices", **headers).json()
    assert [(n["id"], n["is_read"]) for n in listed] == [
        (w.notices.grid2.pk, False),
        (w.notices.everyone.pk, False),
        (extra.pk, True),
    ]
    detail = client.get(f"/api/v1/notices/{extra.pk}", **headers).json()
    assert detail["is_read"] is True
    assert extra.title in detail["title"]


def test_api_needs_a_token(site_world, client):
    assert client.get("/api/v1/notices").status_code == 401
    response = client.post(f"/api/v1/notices/{site_world.notices.everyone.pk}/read")
    assert response.status_code == 401


@pytest.mark.parametrize("notice_id", [0, 999999])
def test_api_read_of_a_missing_notice_is_404(site_world, client, notice_id):
    response = client.post(
        f"/api/v1/notices/{notice_id}/read", **_bearer(site_world.people.a1.user)
    )
    assert response.status_code == 404
    assert "message" in response.json()


def test_an_unpublished_notice_cannot_be_read_or_confirmed(site_world, client):
    w = site_world
    notice = w.notices.everyone
    url = notice.url
    notice.unpublish()
    client.force_login(w.people.a1.user)
    assert client.get(url).status_code == 404
    assert client.post(_read_url(notice)).status_code == 404
    headers = _bearer(w.people.a1.user)
    assert client.post(f"/api/v1/notices/{notice.pk}/read", **headers).status_code == 404
    assert notice.pk not in [n["id"] for n in client.get("/api/v1/notices", **headers).json()]


def test_a_villager_who_moved_out_gets_only_public_notices_and_cannot_confirm(site_world, client):
    w = site_world
    moved = w.people.a1c
    moved.status = VillagerStatus.MOVED_OUT
    moved.save()
    headers = _bearer(moved.user)
    response = client.get("/api/v1/notices", **headers)
    assert response.status_code == 200
    assert [(n["id"], n["is_read"]) for n in response.json()] == [(w.notices.everyone.pk, False)]
    assert (
        client.post(f"/api/v1/notices/{w.notices.everyone.pk}/read", **headers).status_code == 404
    )
    client.force_login(moved.user)
    assert w.notices.area1.title not in _html(client.get(w.index.url))
    assert client.get(w.notices.area1.url).status_code == 404


def test_unread_report_shows_another_members_phone_when_the_head_has_none(site_world, client):
    w = site_world
    head = w.people.a1
    head.phone = ""
    head.save()
    client.force_login(w.people.officer.user)
    response = client.get(_report_url(w.notices.area1))
    rows = _html(response).split('data-testid="unread-rows"')[1].split("</table>")[0]
    row = rows.split(w.households.h1.number)[1].split("</tr>")[0]
    assert w.people.a1b.phone in row


def test_the_api_keeps_a_public_notice_under_a_private_or_unpublished_section_closed(
    site_world, client
):
    from wagtail.models import PageViewRestriction

    w = site_world
    stranger = w.people.other_villager.user
    url = f"/api/v1/notices/{w.notices.everyone.pk}"
    restriction = PageViewRestriction.objects.create(
        page=w.index, restriction_type=PageViewRestriction.LOGIN
    )
    assert client.get(url, **_bearer(stranger)).status_code == 404
    restriction.delete()
    assert client.get(url, **_bearer(stranger)).status_code == 200
    w.index.unpublish()
    assert client.get(url, **_bearer(stranger)).status_code == 404
