"""The reach ledger of a notice: who has been reached and how (read by a member, or told by a
person), through the API and the officer's phone; "told" only by the household's own officer
(or a cadre), once per household and channel; a notice joins the officer's round only after
its reach window, and the secretary's home flags households still not reached after two."""

from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.models import APIToken

from pages import worklist
from pages.models import NoticePage, NoticeTold
from pages.services import notice_mark_read
from tests.support.site_world import publish_notice
from village.models import AuditEvent, Channel, Delivery, DeliveryStatus, Notification

pytestmark = pytest.mark.django_db

API = "/api/v1"
# Token, the notice, its village, the areas a notice to grids addresses, then the report's
# five: reads, told with who recorded, deliveries, households, the members (phones).
REACH_API_QUERIES = 9


def _bearer(user):
    _row, token = APIToken.create_token(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _tell(client, user, notice, household, channel="in_person", note=""):
    return client.post(
        f"{API}/notices/{notice.pk}/told",
        data={"household": household.pk, "channel": channel, "note": note},
        content_type="application/json",
        **_bearer(user),
    )


def _reach(client, user, notice):
    return client.get(f"{API}/notices/{notice.pk}/reach", **_bearer(user))


# --- told --------------------------------------------------------------------------------


def test_an_officer_records_told_once_per_household_and_channel(site_world, client):
    w = site_world
    notice = w.notices.everyone
    first = _tell(client, w.people.officer.user, notice, w.households.h2, note="户主在家")
    assert first.status_code == 201 and first.json()["created"] is True
    again = _tell(client, w.people.officer.user, notice, w.households.h2, note="又去了一次")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert again.json()["note"] == "户主在家"
    by_phone = _tell(client, w.people.officer.user, notice, w.households.h2, channel="phone")
    assert by_phone.status_code == 201
    assert NoticeTold.objects.filter(notice=notice, household=w.households.h2).count() == 2
    events = AuditEvent.objects.filter(action="pages.notice.told")
    assert [e.payload["channel"] for e in events.order_by("seq")] == ["in_person", "phone"]
    assert events.first().actor == w.people.officer.user


def test_told_outside_the_officers_areas_is_refused_and_writes_nothing(site_world, client):
    w = site_world
    response = _tell(client, w.people.officer.user, w.notices.everyone, w.households.h4)
    assert response.status_code == 403 and "负责片区" in response.json()["message"]
    assert not NoticeTold.objects.exists()
    assert not AuditEvent.objects.filter(action="pages.notice.told").exists()


def test_the_secretary_may_record_told_for_any_household(site_world, client):
    w = site_world
    response = _tell(
        client, w.people.secretary.user, w.notices.everyone, w.households.h4, "loudspeaker"
    )
    assert response.status_code == 201


def test_told_refusals_through_every_door(site_world, client):
    w = site_world
    officer = w.people.officer.user
    notice = w.notices.everyone
    # Another village's household, another village's notice, no such notice: not found.
    foreign = w.people.other_villager.household
    assert _tell(client, officer, notice, foreign).status_code == 404
    assert _tell(client, officer, w.notices.other, w.households.h2).status_code == 404
    # A villager and an inspector-like reader: a villager learns nothing of the report.
    assert _tell(client, w.people.a1.user, notice, w.households.h1).status_code == 404
    # A way of telling that does not exist, a note too long, a household the notice is not for.
    bad = _tell(client, officer, notice, w.households.h2, channel="carrier_pigeon")
    assert bad.status_code == 400 and "in_person" in bad.json()["message"]
    long = _tell(client, officer, notice, w.households.h2, note="很" * 201)
    assert long.status_code == 400 and "200" in long.json()["message"]
    not_addressed = _tell(client, officer, w.notices.grid2, w.households.h2)
    assert not_addressed.status_code in (400, 403)
    malformed = client.post(
        f"{API}/notices/{notice.pk}/told",
        data={"channel": "phone"},
        content_type="application/json",
        **_bearer(officer),
    )
    assert malformed.status_code == 422
    assert not NoticeTold.objects.exists()


def test_an_inspector_reads_the_reach_but_cannot_record_told(site_world, client):
    from tests.factories import TownshipMembershipFactory, UserFactory

    w = site_world
    inspector = UserFactory(username="inspector")
    TownshipMembershipFactory(user=inspector, township=w.township, role="inspector")
    assert _reach(client, inspector, w.notices.everyone).status_code == 200
    response = _tell(client, inspector, w.notices.everyone, w.households.h2)
    assert response.status_code == 403
    assert not NoticeTold.objects.exists()


# --- the report --------------------------------------------------------------------------


def test_the_reach_report_says_how_each_household_was_first_reached(site_world, client):
    w = site_world
    notice = w.notices.everyone  # 8 households
    notice_mark_read(actor=w.people.a1b.user, notice=notice)  # h1 read it
    _tell(client, w.people.secretary.user, notice, w.households.h4, "loudspeaker")
    _tell(client, w.people.officer.user, notice, w.households.h2, "in_person")
    notice_mark_read(actor=w.people.a1c.user, notice=notice)  # h2 reads after being told
    n = Notification.objects.get(key=f"notice:{notice.pk}")
    Delivery.objects.create(
        notification=n,
        channel=Channel.SMS,
        recipient="v-test",
        household=w.households.h5,
        phone="13900000007",
        status=DeliveryStatus.SENT,
        sent_at=timezone.now(),
    )
    answer = _reach(client, w.people.secretary.user, notice).json()
    assert (answer["total"], answer["reached"], answer["not_reached"]) == (8, 3, 5)
    assert answer["read"] == 1
    assert answer["told"] == {"in_person": 1, "phone": 0, "loudspeaker": 1, "wechat_group": 0}
    assert answer["delivered"] == 1
    how = {h["number"]: (h["how"], h["delivered"]) for h in answer["households"]}
    assert how["A1-01"] == ("read", "")
    assert how["A1-02"] == ("in_person", "")  # told before it read
    assert how["A3-01"] == ("loudspeaker", "")
    assert how["A3-02"] == ("", "sms")  # a text reached the phone; nobody confirmed
    areas = {a["area"]: (a["total"], a["reached"]) for a in answer["areas"]}
    assert areas == {
        "第一网格 · 一片区": (3, 2),
        "第一网格 · 二片区": (2, 0),
        "第二网格 · 三片区": (3, 1),
    }


def test_an_officer_sees_the_reach_of_their_areas_only(site_world, client):
    w = site_world
    answer = _reach(client, w.people.officer.user, w.notices.everyone).json()
    assert answer["total"] == 3
    assert {h["number"] for h in answer["households"]} == {"A1-01", "A1-02", "A1-03"}


def test_a_villager_cannot_see_the_reach(site_world, client):
    w = site_world
    assert _reach(client, w.people.a1.user, w.notices.everyone).status_code == 404
    assert _reach(client, w.people.other_secretary.user, w.notices.everyone).status_code == 404


def test_the_admin_report_and_its_export_list_households_not_yet_reached(site_world, client):
    w = site_world
    notice = w.notices.area1
    _tell(client, w.people.officer.user, notice, w.households.h2, "phone", note="打了两次")
    client.force_login(w.people.secretary.user)
    html = client.get(f"/admin/notices/{notice.pk}/unread/").content.decode()
    assert "已触达 1 户：自己阅读 0 户，当面告知 0 户，电话告知 1 户" in html
    unread = html.split('data-testid="unread-rows"')[1].split("</table>")[0]
    reached = html.split('data-testid="reached-rows"')[1].split("</table>")[0]
    assert "A1-02" not in unread and "A1-01" in unread
    assert "A1-02" in reached and "电话告知" in reached and "打了两次" in reached


def test_the_reach_api_costs_the_same_for_3_households_as_for_30(
    site_world, client, django_assert_num_queries
):
    from tests.factories import HouseholdFactory, VillagerFactory

    w = site_world
    auth = _bearer(w.people.secretary.user)
    notice = publish_notice(w.index, "一片区通知", audience="grids", grids=[w.grids.a1])
    url = f"{API}/notices/{notice.pk}/reach"
    client.get(url, **auth)
    with django_assert_num_queries(REACH_API_QUERIES):
        assert client.get(url, **auth).json()["total"] == 3
    for i in range(27):
        h = HouseholdFactory(village=w.village, area=w.grids.a1, number=f"A1-{10 + i}")
        VillagerFactory(household=h, phone=f"1370000{i:04d}")
        NoticeTold.objects.create(
            notice=notice, household=h, channel="phone", recorded_by=w.people.officer.user
        )
    with django_assert_num_queries(REACH_API_QUERIES):
        assert client.get(url, **auth).json()["total"] == 30


# --- the officer's round and the secretary's home ----------------------------------------


def _age(notice: NoticePage, hours: float) -> None:
    """As if the notice had been published `hours` ago, on that day."""
    at = timezone.now() - timedelta(hours=hours)
    NoticePage.objects.filter(pk=notice.pk).update(
        first_published_at=at, publish_on=timezone.localdate(at)
    )
    notice.refresh_from_db()


def _round(officer) -> dict[int, list[int]]:
    """The officer's visit list: household → the notices it is to be visited for."""
    return {v.household.pk: [n.pk for n in v.unread] for v in worklist.visits(officer)}


def test_a_notice_joins_the_officers_round_after_its_window(site_world):
    w = site_world
    notice = publish_notice(w.index, "冬季取暖补贴发放")
    assert all(notice.pk not in notices for notices in _round(w.people.officer.user).values())
    _age(notice, 25)
    found = {
        v.household.pk: [n.pk for n in v.unread] for v in worklist.visits(w.people.officer.user)
    }
    assert notice.pk in found[w.households.h2.pk]


def test_a_household_told_in_person_leaves_the_round(site_world, client):
    w = site_world
    notice = publish_notice(w.index, "冬季取暖补贴发放")
    _age(notice, 25)
    client.force_login(w.people.officer.user)
    response = client.post(
        f"/me/todo/households/{w.households.h2.pk}/told/",
        {"notice": notice.pk, "channel": "in_person"},
        follow=True,
    )
    assert "已登记" in response.content.decode()
    found = {
        v.household.pk: [n.pk for n in v.unread] for v in worklist.visits(w.people.officer.user)
    }
    assert notice.pk not in found.get(w.households.h2.pk, [])
    assert NoticeTold.objects.get(household=w.households.h2).recorded_by == w.people.officer.user


def test_the_officers_told_button_is_refused_outside_the_grid(site_world, client):
    w = site_world
    client.force_login(w.people.officer.user)
    response = client.post(
        f"/me/todo/households/{w.households.h4.pk}/told/",
        {"notice": w.notices.everyone.pk, "channel": "in_person"},
    )
    assert response.status_code == 404
    assert client.get(f"/me/todo/households/{w.households.h2.pk}/told/").status_code == 405
    assert not NoticeTold.objects.exists()


def test_the_secretarys_home_flags_households_not_reached_after_two_windows(site_world, client):
    w = site_world
    notice = publish_notice(w.index, "冬季取暖补贴发放")
    _age(notice, 25)
    client.force_login(w.people.secretary.user)

    def line():
        html = client.get("/admin/").content.decode()
        return html.split(f"/admin/notices/{notice.pk}/unread/")[1].split("</li>")[0]

    assert "reach-overdue" not in line()  # one window passed: the officers' round
    _age(notice, 49)
    _tell(client, w.people.secretary.user, notice, w.households.h1, "loudspeaker")
    assert "超时仍有 7 户未触达" in line()


# --- at once -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("flushable_audit_chain")
def test_the_same_told_record_sent_at_once_is_kept_once_on_postgresql():
    from pages.services import notice_tell
    from tests.support.concurrency import in_threads, outcome_kinds, skip_unless_postgresql
    from tests.support.site_world import build_site_world

    skip_unless_postgresql()
    w = build_site_world()

    def tell():
        told, created = notice_tell(
            actor=w.people.officer.user,
            notice=w.notices.everyone,
            household=w.households.h2,
            channel="in_person",
        )
        return told.pk, created

    outcomes = in_threads([tell] * 8, threads=8)
    assert outcome_kinds(outcomes) == {"ok": 8}, outcomes
    assert len({pk for _kind, (pk, _created) in outcomes}) == 1
    assert sum(created for _kind, (_pk, created) in outcomes) == 1
    assert NoticeTold.objects.count() == 1
    assert AuditEvent.objects.filter(action="pages.notice.told").count() == 1


# --- what a person with the database can do -------------------------------------------------


def test_a_told_record_cannot_be_changed_or_removed_by_raw_sql_or_the_orm(site_world, client):
    from django.db import DatabaseError, connection, transaction

    w = site_world
    _tell(client, w.people.officer.user, w.notices.everyone, w.households.h2)
    told = NoticeTold.objects.get()
    table = NoticeTold._meta.db_table
    for sql in (
        f"UPDATE {table} SET channel = 'phone' WHERE id = %s",
        f"UPDATE {table} SET recorded_at = recorded_at WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
            c.execute(sql, [told.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        NoticeTold.objects.filter(pk=told.pk).delete()
    told.refresh_from_db()
    assert told.channel == "in_person"
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
            c.execute(f"TRUNCATE {table}")
    assert NoticeTold.objects.count() == 1
