"""我的待办: where a villager lands after login — the household's unread notices, votes open
to them, points changes and answers since the last visit — and the grid officer's visits."""

import pytest
from django.utils import timezone

from deliberation import selectors as deliberation_selectors
from deliberation import services as deliberation_services
from pages import services as pages_services
from pages import worklist
from pages.models import TodoVisit
from points import services as points_services
from tests.factories import PASSWORD, deliberation_village
from tests.support.deliberation_world import Procedure
from tests.support.site_world import publish_notice
from village.permissions import SYSTEM


def html_of(client, user, url="/me/todo/"):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response
    return response.content.decode()


# --- landing -------------------------------------------------------------------------------


def test_villager_lands_on_my_todo_after_login(role_world, client):
    username = role_world.resident.username
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/me/todo/"
    html = client.get("/me/todo/").content.decode()
    assert "<h1>我的待办</h1>" in html
    assert "村务管理后台" not in html  # a villager has no admin


def test_inspector_without_household_lands_on_the_inspection_dashboard(role_world, client):
    client.force_login(role_world.inspector)
    response = client.get("/me/todo/")
    assert response.status_code == 302 and response["Location"] == "/admin/matters/dashboard/"


def test_anonymous_is_sent_to_login(db, client):
    response = client.get("/me/todo/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


# --- notices -------------------------------------------------------------------------------


def test_todo_lists_notices_to_the_household_not_yet_read(role_world, client):
    html = html_of(client, role_world.resident)
    assert "春季防火通知" in html
    assert "西片自来水停水通知" not in html  # addressed to another area
    assert role_world.fire.url in html  # one tap away


def test_a_notice_read_by_anyone_of_the_household_leaves_the_todo(role_world, client):
    spouse = role_world.h[1].members.exclude(user=role_world.resident).first()
    reader = spouse.user if spouse and spouse.user else role_world.resident
    pages_services.notice_mark_read(actor=reader, notice=role_world.fire)
    html = html_of(client, role_world.resident)
    assert "春季防火通知" not in html
    assert "通知都已读过" in html


def test_a_villager_does_not_see_another_households_todo(role_world, client):
    entries, _pub = role_world.ledger.published((role_world.h[1], "HJ01"))
    pages_services.notice_mark_read(actor=role_world.neighbour, notice=role_world.fire)
    mine = html_of(client, role_world.resident)
    theirs = html_of(client, role_world.neighbour)
    assert entries[0].rule.text in mine and "公示中" in mine
    assert entries[0].rule.text not in theirs  # h1's points are not h2's business
    assert "春季防火通知" in mine and "春季防火通知" not in theirs
    # No parameter picks a household: the page is always the signed-in user's own.
    asked = html_of(client, role_world.neighbour, f"/me/todo/?household={role_world.h[1].pk}")
    assert entries[0].rule.text not in asked


# --- points since the last visit -----------------------------------------------------------


def test_points_changes_are_shown_since_the_last_visit(role_world, client):
    entries, publication = role_world.ledger.published((role_world.h[1], "HJ01"))
    html = html_of(client, role_world.resident)
    assert "公示中，有异议可提出" in html
    assert f"/points/publications/{publication.pk}/" in html
    assert TodoVisit.objects.filter(user=role_world.resident).exists()

    # A reload in the same session shows the same changes (the session keeps its mark)...
    assert "公示中，有异议可提出" in html_of(client, role_world.resident)
    # ...the next session starts from this visit: nothing changed since.
    client.logout()
    html = html_of(client, role_world.resident)
    assert "没有新的积分变动" in html

    # The window ends, the entry is posted: new since the last visit.
    client.logout()
    role_world.ledger.close(publication)
    html = html_of(client, role_world.resident)
    assert "已入账" in html and entries[0].rule.text in html


def test_an_objection_filed_on_the_households_entry_is_a_change(role_world, client):
    entries, _publication = role_world.ledger.published((role_world.h[1], "HJ01"))
    client.force_login(role_world.resident)
    client.get("/me/todo/")
    client.logout()
    points_services.objection_file(actor=role_world.resident, entry=entries[0], text="当天不在家。")
    assert "有人提出异议" in html_of(client, role_world.resident)


def test_answers_to_the_villagers_objection_and_suggestion(role_world, client):
    entries, _publication = role_world.ledger.published((role_world.h[1], "HJ01"))
    objection = points_services.objection_file(
        actor=role_world.resident, entry=entries[0], text="当天不在家。"
    )
    suggestion = deliberation_services.suggestion_submit(
        actor=role_world.resident, village=role_world.village, text="村口路灯坏了，晚上看不见路。"
    )
    client.force_login(role_world.resident)
    client.get("/me/todo/")
    client.logout()
    points_services.objection_answer(
        actor=role_world.secretary, objection=objection, upheld=False, answer="照片显示门前已清扫。"
    )
    deliberation_services.suggestion_answer(
        actor=role_world.secretary, suggestion=suggestion, answer="已报修，三天内修好。"
    )
    html = html_of(client, role_world.resident)
    assert "照片显示门前已清扫" in html and "异议不成立" in html
    assert "已报修，三天内修好" in html
    # The neighbour receives neither answer.
    theirs = html_of(client, role_world.neighbour)
    assert "照片显示门前已清扫" not in theirs and "已报修" not in theirs


# --- votes ---------------------------------------------------------------------------------


@pytest.fixture
def vote_world(db):
    world = deliberation_village(name="东毛铺村")
    pages_services.village_site_setup(actor=SYSTEM, village=world.village)
    return world


def test_open_vote_is_on_the_todo_of_those_on_the_voter_list_only(vote_world, client):
    procedure = Procedure(vote_world)
    matter = procedure.to_vote("村道硬化工程")  # a representatives' meeting
    listed = vote_world.people["r1"]
    html = html_of(client, listed.user)
    assert "去投票：村道硬化工程" in html
    assert f"/matters/{matter.pk}/" in html

    # An adult villager who is not a representative is not on this vote's list.
    meeting = deliberation_selectors.current_vote_meeting(matter)
    listed_ids = set(meeting.attendance.values_list("villager_id", flat=True))
    outsider = next(
        p
        for p in vote_world.people.values()
        if p.user_id and p.pk not in listed_ids and p.status == "registered"
    )
    assert "去投票" not in html_of(client, outsider.user)

    procedure.vote(matter, listed)
    assert "去投票" not in html_of(client, listed.user)


def test_a_vote_whose_window_has_closed_is_not_offered(vote_world, client):
    procedure = Procedure(vote_world)
    matter = procedure.to_vote("村道硬化工程")
    listed = vote_world.people["r1"]
    with procedure.after_window(matter):
        assert "去投票" not in html_of(client, listed.user)


# --- the grid officer's visits -------------------------------------------------------------


def test_grid_officer_sees_households_of_the_grid_to_visit(role_world, client):
    role_world.ledger.record(role_world.h[2], "HJ01")  # waiting for review
    pages_services.notice_mark_read(actor=role_world.resident, notice=role_world.fire)
    html = html_of(client, role_world.officer)
    visits = html[html.index('data-testid="todo-visits"') :]
    visits = visits[: visits.index("</section>")]
    assert f"/me/todo/households/{role_world.h[2].pk}/" in visits  # unread notice + pending entry
    assert "1 条积分待审核" in visits
    assert f"/me/todo/households/{role_world.h[1].pk}/" not in visits  # h1 read the notice
    assert f"/me/todo/households/{role_world.h[4].pk}/" not in visits  # another grid


def test_grid_officer_opens_a_household_of_the_grid(role_world, client):
    html = html_of(client, role_world.officer, f"/me/todo/households/{role_world.h[2].pk}/")
    assert role_world.h[2].number in html
    assert "春季防火通知" in html
    assert f"/points/record/?household={role_world.h[2].pk}" in html


def test_household_visit_is_refused_outside_the_grid_and_to_villagers(role_world, client):
    client.force_login(role_world.officer)
    assert client.get(f"/me/todo/households/{role_world.h[4].pk}/").status_code == 404
    assert client.get(f"/me/todo/households/{role_world.foreign.household.pk}/").status_code == 404
    client.force_login(role_world.resident)
    assert client.get(f"/me/todo/households/{role_world.h[2].pk}/").status_code == 404
    client.force_login(role_world.inspector)
    assert client.get(f"/me/todo/households/{role_world.h[2].pk}/").status_code == 404


def test_visits_selector_counts_unread_per_household(role_world):
    pages_services.notice_mark_read(actor=role_world.resident, notice=role_world.fire)
    found = {v.household.pk: v for v in worklist.visits(role_world.officer)}
    assert role_world.h[1].pk not in found
    assert [n.pk for n in found[role_world.h[2].pk].unread] == [role_world.fire.pk]
    assert role_world.h[4].pk not in found and role_world.h[5].pk not in found


# --- queries -------------------------------------------------------------------------------


def test_todo_queries_do_not_grow_with_the_lists(role_world, client, django_assert_num_queries):
    client.force_login(role_world.resident)
    role_world.ledger.published((role_world.h[1], "HJ01"))
    client.get("/me/todo/")  # the session's mark is set on the first visit
    # session, user, villager (read once with the roles), home, notices, votes, points, three
    # kinds of answers, the visit's mark, then the page frame (roles, the header's links, the
    # site).
    with django_assert_num_queries(12) as first:
        client.get("/me/todo/")
    today = timezone.localdate()
    for n in range(4):
        publish_notice(role_world.index, f"第{n}号通知", publish_on=today)
    role_world.ledger.published((role_world.h[1], "HJ01"), (role_world.h[1], "HJ01"))
    with django_assert_num_queries(len(first.captured_queries)):
        html = client.get("/me/todo/").content.decode()
    assert "第3号通知" in html


def test_officer_todo_queries_do_not_grow_with_households(
    role_world, client, django_assert_num_queries
):
    client.force_login(role_world.officer)
    client.get("/me/todo/")
    # 19: the round reads who was told beside who read (pages.worklist.visits).
    with django_assert_num_queries(19) as first:
        client.get("/me/todo/")
    for n in range(3):
        publish_notice(role_world.index, f"第{n}号通知")
        role_world.ledger.record(role_world.h[n + 1], "HJ01")
    with django_assert_num_queries(len(first.captured_queries)):
        client.get("/me/todo/")
    # 10: with who was told beside who read.
    with django_assert_num_queries(10) as one:
        client.get(f"/me/todo/households/{role_world.h[2].pk}/")
    role_world.ledger.record(role_world.h[2], "HJ01")
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(f"/me/todo/households/{role_world.h[2].pk}/")
