"""志愿服务 web pages: the list, an activity with sign-up and the villager's code, posting one,
the organiser's check-in (code, card, list), the code's landing, closing with corrections, the
export, and the hours on 我的户 — with the doors tried and each page's query count pinned."""

import re

import pytest
from django.urls import reverse

from grid import volunteer_selectors as selectors
from grid.models import SignupStatus, VolunteerActivity, VolunteerAttendance, VolunteerHours
from points.cards import card_token
from tests.grid.volunteering_world import at, check_in, close, post_activity, sign_up, start_of
from tests.support.points_world import reload
from village.permissions import villager_of

pytestmark = pytest.mark.django_db

# Each count is of a second request: the first warms the session's per-request caches.
QUERIES_LIST = 6  # session, user, villages visible, activities, my sign-ups, my villager
QUERIES_DETAIL = 6  # session, user, the activity, my villager, sign-up, check-in
QUERIES_CHECKIN = 5  # session, user, the activity, who is checked in, who signed up
QUERIES_CLOSE = 4  # session, user, the activity, who is checked in
QUERIES_DETAIL_CLOSED = 7  # + the households' proposals with their entries
QUERIES_ME_SECTION = 1  # the hours of the year, on top of what 我的户 reads


def url(name, *args):
    return reverse(f"gridwork:volunteer:{name}", args=args)


@pytest.fixture
def measure(client, django_assert_num_queries):
    def run(expected, path, user):
        client.force_login(user)
        assert client.get(path).status_code == 200  # warm-up
        with django_assert_num_queries(expected):
            response = client.get(path)
        assert response.status_code == 200, path
        return response.content.decode()

    return run


def test_the_list_and_the_nav_link(points_world, client):
    w = points_world
    activity = post_activity(w, capacity=5)
    sign_up(w, activity, w.resident)
    client.force_login(w.resident)
    with at(w, -24):
        page = client.get(url("list")).content.decode()
    assert f'href="{url("list")}"' in page  # the header's 志愿服务 link
    assert activity.title in page and "剩余 4 / 5 个名额" in page and "已报名" in page
    assert "发布活动" not in page
    client.force_login(w.foreign.resident)
    assert activity.title not in client.get(url("list")).content.decode()


def test_a_villager_signs_up_on_the_page_and_sees_a_code(points_world, client):
    w = points_world
    activity = post_activity(w, capacity=1)
    client.force_login(w.resident)
    with at(w, -24):
        response = client.post(url("signup", activity.pk), follow=True)
        page = response.content.decode()
        assert "报名成功" in page and "我的签到码" in page
        assert re.search(r'<img src="data:image/svg\+xml', page)
        client.force_login(w.neighbour)
        full = client.post(url("signup", activity.pk), follow=True).content.decode()
        assert "名额已满" in full
        client.force_login(w.resident)
        client.post(url("withdraw", activity.pk))
    signup = activity.signups.get()
    assert signup.status == SignupStatus.WITHDRAWN


def test_another_villages_activity_is_404_on_every_page(points_world, client):
    w = points_world
    activity = post_activity(w)
    client.force_login(w.foreign.secretary)
    with at(w, 0.5):
        for name in ("detail", "checkin", "close", "export"):
            assert client.get(url(name, activity.pk)).status_code == 404
        for name in ("signup", "withdraw", "checkin", "close"):
            assert client.post(url(name, activity.pk)).status_code == 404


def test_a_villager_cannot_open_the_organisers_pages(points_world, client):
    w = points_world
    activity = post_activity(w)
    sign_up(w, activity, w.neighbour)
    client.force_login(w.resident)
    token = selectors.checkin_token(activity, villager_of(w.neighbour))
    with at(w, 0.5):
        for path in (url("checkin", activity.pk), url("close", activity.pk), url("code", token)):
            assert client.get(path).status_code == 403
        tick = {"action": "tick", "villager": [villager_of(w.neighbour).pk]}
        assert client.post(url("checkin", activity.pk), tick).status_code == 403
        assert client.post(url("code", token)).status_code == 403
        assert client.get(url("new")).status_code == 403
    assert not VolunteerAttendance.objects.exists()


def test_the_secretary_posts_an_activity_on_the_page(points_world, client):
    w = points_world
    client.force_login(w.secretary)
    start = start_of(w)
    form = {
        "title": "周六上午清理河道",
        "place": "村东小河",
        "starts_at": f"{start:%Y-%m-%dT08:00}",
        "ends_at": f"{start:%Y-%m-%dT07:00}",
        "capacity": "20",
        "organiser": w.officer.username,
        "rule": w.rules["ZY01"].pk,
    }
    with at(w, -72):
        assert client.get(url("new")).status_code == 200
        refused = client.post(url("new"), form)
        assert refused.status_code == 400 and "结束时间须晚于开始时间" in refused.content.decode()
        assert not VolunteerActivity.objects.exists()
        made = client.post(url("new"), {**form, "ends_at": f"{start:%Y-%m-%dT11:00}"})
    activity = VolunteerActivity.objects.get()
    assert made.status_code == 302 and made["Location"] == url("detail", activity.pk)
    assert activity.organiser == w.officer and activity.capacity == 20


def test_the_organiser_checks_in_by_code_card_and_list(points_world, client):
    w = points_world
    activity = post_activity(w)
    sign_up(w, activity, w.resident, w.neighbour, w.secretary)
    resident, neighbour, secretary = (
        villager_of(u) for u in (w.resident, w.neighbour, w.secretary)
    )
    client.force_login(w.officer)
    token = selectors.checkin_token(activity, resident)
    with at(w, 0.5):
        landing = client.get(url("code", token)).content.decode()
        assert resident.name in landing and "确认签到" in landing
        done = client.post(url("code", token), follow=True).content.decode()
        assert f"已签到：{resident.name}" in done
        card = client.post(
            url("checkin", activity.pk), {"action": "code", "code": card_token(w.h[2])}
        )
        assert card.status_code == 200 and "请选择到场的成员" in card.content.decode()
        assert f'name="code" value="{card_token(w.h[2])}"' in card.content.decode()
        # The attack: the card of household 2, the member ticked of household 4 — refused.
        stranger = {"action": "member", "code": card_token(w.h[2]), "villager": [secretary.pk]}
        client.post(url("checkin", activity.pk), stranger)
        assert not VolunteerAttendance.objects.filter(villager=secretary).exists()
        no_card = {"action": "member", "villager": [neighbour.pk]}
        client.post(url("checkin", activity.pk), no_card)
        assert not VolunteerAttendance.objects.filter(villager=neighbour).exists()
        member = {"action": "member", "code": card_token(w.h[2]), "villager": [neighbour.pk]}
        client.post(url("checkin", activity.pk), member)
        tick = {"action": "tick", "villager": [secretary.pk]}
        page = client.post(url("checkin", activity.pk), tick, follow=True).content.decode()
        assert "报名的人都已签到" in page
        forged = {"action": "code", "code": token[:-3] + "xyz"}
        refused = client.post(url("checkin", activity.pk), forged, follow=True)
        assert "无法识别" in refused.content.decode()
    methods = dict(VolunteerAttendance.objects.values_list("villager_id", "method"))
    assert methods == {resident.pk: "phone", neighbour.pk: "card", secretary.pk: "list"}


def test_closing_on_the_page_with_a_correction(points_world, client):
    w = points_world
    activity = post_activity(w)
    sign_up(w, activity, w.resident, w.neighbour)
    check_in(w, activity, villager_of(w.resident))
    check_in(w, activity, villager_of(w.neighbour))
    neighbour = villager_of(w.neighbour).pk
    client.force_login(w.officer)
    with at(w, 4):
        bad = {f"hours-{neighbour}": "五", f"reason-{neighbour}": "早退"}
        page = client.post(url("close", activity.pk), bad).content.decode()
        assert "时长须是数字" in page and not VolunteerHours.objects.exists()
        good = {f"hours-{neighbour}": "1.5", f"reason-{neighbour}": "家中有事提前离开"}
        done = client.post(url("close", activity.pk), good, follow=True).content.decode()
    assert "已为 2 户建议志愿服务积分" in done
    assert "志愿服务：周六上午清理河道 1.5 小时" in done
    assert VolunteerHours.objects.get(villager_id=neighbour).minutes == 90
    assert reload(activity).status == "closed"


def test_the_villagers_page_shows_the_years_hours(points_world, client, django_assert_num_queries):
    w = points_world
    activity = post_activity(w)
    sign_up(w, activity, w.resident)
    check_in(w, activity, villager_of(w.resident))
    close(w, activity)
    client.force_login(w.resident)
    with at(w, 24):
        page = client.get(reverse("village:me")).content.decode()
    assert "志愿服务时长" in page and "我：3 小时" in page and "全户：3 小时" in page
    client.force_login(w.neighbour)
    with at(w, 24):
        assert "志愿服务时长" not in client.get(reverse("village:me")).content.decode()


def test_the_villagers_points_page_says_where_the_proposal_came_from(points_world, client):
    w = points_world
    activity = post_activity(w)
    sign_up(w, activity, w.resident)
    check_in(w, activity, villager_of(w.resident))
    close(w, activity)
    client.force_login(w.resident)
    with at(w, 24):
        page = client.get(reverse("points:home")).content.decode()
    assert "来源：志愿服务：周六上午清理河道 3 小时" in page


def test_me_section_is_one_query(points_world, rf, django_assert_num_queries):
    from grid.volunteer_views import me_section

    w = points_world
    activity = post_activity(w)
    sign_up(w, activity, w.resident)
    check_in(w, activity, villager_of(w.resident))
    close(w, activity)
    request = rf.get("/me/")
    request.user = w.resident
    with at(w, 24):
        me_section(request, w.h[1], villager_of(w.resident).pk)  # the user's roles, as 我的户 has
        with django_assert_num_queries(QUERIES_ME_SECTION):
            html = me_section(request, w.h[1], villager_of(w.resident).pk)
    assert "3 小时" in html


@pytest.mark.parametrize("many", [False, True])
def test_pages_cost_the_same_for_few_and_many(points_world, measure, many):
    w = points_world
    activity = post_activity(w, capacity=30)
    others = [post_activity(w, title=f"活动{n}") for n in range(4 if many else 0)]
    users = [w.resident, w.neighbour, w.secretary] if many else [w.resident]
    sign_up(w, activity, *users)
    for other in others:
        sign_up(w, other, w.resident)
    with at(w, 0.5):
        measure(QUERIES_LIST, url("list"), w.resident)
        measure(QUERIES_DETAIL, url("detail", activity.pk), w.resident)
    for user in users[:-1]:
        check_in(w, activity, villager_of(user))
    with at(w, 0.6):
        measure(QUERIES_CHECKIN, url("checkin", activity.pk), w.officer)
        measure(QUERIES_CLOSE, url("close", activity.pk), w.officer)
    close(w, activity)
    with at(w, 5):
        page = measure(QUERIES_DETAIL_CLOSED, url("detail", activity.pk), w.officer)
    assert page.count("志愿服务：周六上午清理河道 3 小时") == len(users) - 1
