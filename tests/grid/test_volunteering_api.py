"""/api/v1/activities: the list and one activity, sign-up and withdrawal, check-in, close and
the export — with every door tried: another village's activity is not there (404), a villager
checking people in is refused (403), a full activity says so in Chinese (400), malformed input
is 422, and nothing is half written. The list's query count is pinned."""

import io
import json

import pytest
from openpyxl import load_workbook

from grid.models import VolunteerActivity, VolunteerAttendance, VolunteerHours
from points.cards import card_token
from points.models import Entry, EntryStatus
from tests.grid.volunteering_world import at, post_activity, sign_up, start_of
from tests.support.points_api import Api as BearerApi
from village.permissions import villager_of

pytestmark = pytest.mark.django_db

QUERIES_LIST = 4  # the token, the villages visible, the count, the page of activities


class Api(BearerApi):
    prefix = "/api/v1/activities"

    def post(self, path, user, data=None, *, raw=None):
        body = raw if raw is not None else json.dumps(data or {}, default=str)
        return self.client.post(
            f"{self.prefix}{path}",
            data=body,
            content_type="application/json",
            **self.headers(user),
        )


@pytest.fixture
def api(client):
    return Api(client)


def message(response) -> str:
    body = response.json()
    assert body["message"]
    return body["message"]


def test_villagers_list_and_read_their_villages_activities(points_world, api):
    w = points_world
    activity = post_activity(w, capacity=3)
    sign_up(w, activity, w.resident)
    with at(w, -24):
        listed = api.get("", w.neighbour)
        assert listed.status_code == 200
        (item,) = listed.json()["items"]
        assert item["title"] == activity.title and item["places_left"] == 2
        assert item["hours"] == 3.0
        detail = api.get(f"/{activity.pk}", w.resident).json()
    assert detail["signed_up"] is True and detail["may_organise"] is False
    assert "/grid/activities/code/" in detail["checkin_code"]
    assert api.get("", w.foreign.resident).json()["items"] == []


def test_another_villages_activity_is_not_there(points_world, api):
    w = points_world
    activity = post_activity(w)
    with at(w, -24):
        for response in (
            api.get(f"/{activity.pk}", w.foreign.resident),
            api.post(f"/{activity.pk}/signup", w.foreign.resident),
            api.post(f"/{activity.pk}/checkin", w.foreign.secretary, {"villager": 1}),
            api.post(f"/{activity.pk}/close", w.foreign.secretary, {}),
            api.get(f"/{activity.pk}/export.xlsx", w.foreign.secretary),
            api.get("/999999", w.resident),
        ):
            assert response.status_code == 404, response.content


def test_sign_up_until_full_then_a_clear_refusal(points_world, api):
    w = points_world
    activity = post_activity(w, capacity=1)
    with at(w, -24):
        ok = api.post(f"/{activity.pk}/signup", w.resident)
        assert ok.status_code == 200 and ok.json() == {
            "activity": activity.pk,
            "status": "signed",
            "places_left": 0,
        }
        full = api.post(f"/{activity.pk}/signup", w.neighbour)
        assert full.status_code == 400
        assert "名额已满" in message(full)
        withdrawn = api.post(f"/{activity.pk}/withdraw", w.resident)
        assert withdrawn.json()["status"] == "withdrawn"
        assert api.post(f"/{activity.pk}/signup", w.neighbour).status_code == 200
        again = api.post(f"/{activity.pk}/withdraw", w.resident)
        assert again.status_code == 400 and "没有报名" in message(again)


def test_a_villager_checking_people_in_is_refused(points_world, api):
    w = points_world
    activity = post_activity(w)
    sign_up(w, activity, w.neighbour)
    neighbour = villager_of(w.neighbour)
    with at(w, 0.5):
        response = api.post(f"/{activity.pk}/checkin", w.resident, {"villager": neighbour.pk})
        assert response.status_code == 403
        assert "组织人" in message(response)
        inspector = api.post(f"/{activity.pk}/checkin", w.inspector, {"villager": neighbour.pk})
        assert inspector.status_code == 403
        closing = api.post(f"/{activity.pk}/close", w.resident, {})
        assert closing.status_code == 403
    assert not VolunteerAttendance.objects.exists()


def test_the_organiser_checks_in_by_code_card_and_list(points_world, api):
    w = points_world
    activity = post_activity(w)
    sign_up(w, activity, w.resident, w.neighbour)
    resident, neighbour, secretary = (
        villager_of(u) for u in (w.resident, w.neighbour, w.secretary)
    )
    detail = None
    with at(w, -24):
        detail = api.get(f"/{activity.pk}", w.resident).json()
    with at(w, 0.5):
        first = api.post(f"/{activity.pk}/checkin", w.officer, {"code": detail["checkin_code"]})
        assert first.status_code == 201 and first.json()["method"] == "phone"
        twice = api.post(f"/{activity.pk}/checkin", w.officer, {"code": detail["checkin_code"]})
        assert twice.status_code == 200 and twice.json()["created"] is False
        card = {"code": card_token(w.h[2]), "villager": neighbour.pk}
        by_card = api.post(f"/{activity.pk}/checkin", w.officer, card)
        assert by_card.status_code == 201 and by_card.json()["method"] == "card"
        refused = api.post(f"/{activity.pk}/checkin", w.officer, {"villager": secretary.pk})
        assert refused.status_code == 400 and "没有报名该活动" in message(refused)
        walk_in = {"villager": secretary.pk, "walk_in": True}
        walked = api.post(f"/{activity.pk}/checkin", w.officer, walk_in)
        assert walked.status_code == 201 and walked.json()["walk_in"] is True
        forged = api.post(f"/{activity.pk}/checkin", w.officer, {"code": "abc:def:ghi"})
        assert forged.status_code == 400 and "无法识别" in message(forged)
        foreign = {"code": card_token(w.foreign.household), "villager": 1}
        assert api.post(f"/{activity.pk}/checkin", w.officer, foreign).status_code == 400
    assert VolunteerAttendance.objects.filter(activity=activity).count() == 3
    assert {a.villager for a in VolunteerAttendance.objects.all()} == {
        resident,
        neighbour,
        secretary,
    }


def test_malformed_requests_are_422_and_change_nothing(points_world, api):
    w = points_world
    activity = post_activity(w)
    with at(w, 0.5):
        bad = api.post(f"/{activity.pk}/checkin", w.officer, raw="{not json")
        assert bad.status_code in (400, 422)
        typed = api.post(f"/{activity.pk}/checkin", w.officer, {"villager": "某某"})
        assert typed.status_code == 422 and message(typed)
        empty = api.post(f"/{activity.pk}/checkin", w.officer, {})
        assert empty.status_code == 400 and "请扫描签到码" in message(empty)
    with at(w, 4):
        hours = {"corrections": [{"villager": 1, "minutes": "三小时"}]}
        assert api.post(f"/{activity.pk}/close", w.officer, hours).status_code == 422
    assert not VolunteerAttendance.objects.exists() and not VolunteerHours.objects.exists()


def test_close_with_corrections_proposes_entries_and_bad_hours_write_nothing(points_world, api):
    w = points_world
    activity = post_activity(w)
    sign_up(w, activity, w.resident, w.neighbour)
    neighbour = villager_of(w.neighbour)
    with at(w, 0.5):
        for user in (w.resident, w.neighbour):
            api.post(f"/{activity.pk}/checkin", w.officer, {"villager": villager_of(user).pk})
    with at(w, 4):
        bad = {"corrections": [{"villager": neighbour.pk, "minutes": -5, "reason": "早退"}]}
        refused = api.post(f"/{activity.pk}/close", w.officer, bad)
        assert refused.status_code == 400 and "不能为负数" in message(refused)
        assert not VolunteerHours.objects.exists()
        good = {"corrections": [{"villager": neighbour.pk, "minutes": 60, "reason": "早退"}]}
        closed = api.post(f"/{activity.pk}/close", w.officer, good)
    assert closed.status_code == 200, closed.content
    rows = {row["household"]: row for row in closed.json()}
    assert rows[w.h[2].number]["minutes"] == 60
    assert rows[w.h[2].number]["entry_status"] == EntryStatus.RECORDED
    assert Entry.objects.get(pk=rows[w.h[1].number]["entry"]).source.endswith(" 3 小时")


def test_the_export_lists_attendance_and_hours(points_world, api):
    w = points_world
    activity = post_activity(w)
    sign_up(w, activity, w.resident)
    with at(w, 0.5):
        api.post(f"/{activity.pk}/checkin", w.officer, {"villager": villager_of(w.resident).pk})
    with at(w, 4):
        api.post(f"/{activity.pk}/close", w.officer, {})
        response = api.get(f"/{activity.pk}/export.xlsx", w.secretary)
        assert api.get(f"/{activity.pk}/export.xlsx", w.neighbour).status_code == 403
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[2][:2] == ("姓名", "户号")
    assert rows[3][0] == villager_of(w.resident).name
    assert rows[3][1] == w.h[1].number
    assert rows[3][5] == 3


def test_cadres_post_through_the_api_and_villagers_cannot(points_world, api):
    w = points_world
    start = start_of(w)
    body = {
        "village": w.village.pk,
        "title": "重阳节敬老志愿服务",
        "place": "村老年活动中心",
        "starts_at": start.isoformat(),
        "ends_at": start.replace(hour=11).isoformat(),
        "capacity": 10,
        "organiser": w.officer.username,
        "rule": "ZY01",
    }
    with at(w, -72):
        assert api.post("", w.resident, body).status_code == 403
        assert api.post("", w.foreign.secretary, body).status_code == 404
        wrong = api.post("", w.secretary, {**body, "rule": "HJ01"})
        assert wrong.status_code == 400 and "志愿服务" in message(wrong)
        assert not VolunteerActivity.objects.exists()
        made = api.post("", w.secretary, body)
    assert made.status_code == 201, made.content
    assert made.json()["may_organise"] is True


def test_the_list_costs_the_same_for_few_and_many(points_world, api, django_assert_num_queries):
    w = points_world
    post_activity(w)
    with at(w, -24):
        api.get("", w.resident)  # warm: the token and the roles
        with django_assert_num_queries(QUERIES_LIST):
            assert len(api.get("", w.resident).json()["items"]) == 1
    for n in range(5):
        post_activity(w, title=f"活动{n}")
    with at(w, -24), django_assert_num_queries(QUERIES_LIST):
        assert len(api.get("", w.resident).json()["items"]) == 6
