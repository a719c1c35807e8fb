"""POST /api/v1/notices: cadres publish from a phone into their village's 通知公告, through the
same moderation as the admin (a grid officer's notice waits for the secretary); bad input is
refused with a message and writes nothing."""

import pytest
from wagtail.models import APIToken, WorkflowState

from pages.models import NoticePage
from village.models import Notification

pytestmark = pytest.mark.django_db

API = "/api/v1/notices"


def _post(client, user, **fields):
    _row, token = APIToken.create_token(user=user, name="test")
    body = {"title": "明天上午发放冬季取暖补贴", "body": "请带户口本。\n每户两百元。", **fields}
    body.setdefault("audience", "everyone")
    return client.post(
        API, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def test_the_secretary_publishes_a_notice_from_the_phone(site_world, client):
    w = site_world
    response = _post(client, w.people.secretary.user, publish=True, urgency="important")
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer["status"] == "published"
    page = NoticePage.objects.get(pk=answer["id"])
    assert page.live and page.get_parent().pk == w.index.pk
    assert page.body == "<p>请带户口本。</p><p>每户两百元。</p>"
    assert page.urgency == "important" and page.owner == w.people.secretary.user
    assert page.revisions.count() == 1 and page.live_revision.user == w.people.secretary.user
    # Published: told to the village in the same step.
    assert Notification.objects.filter(key=f"notice:{page.pk}").exists()


def test_a_draft_stays_a_draft(site_world, client):
    w = site_world
    answer = _post(client, w.people.secretary.user, publish=False).json()
    page = NoticePage.objects.get(pk=answer["id"])
    assert answer["status"] == "draft" and not page.live
    assert not Notification.objects.filter(key=f"notice:{page.pk}").exists()


def test_a_grid_officers_notice_waits_for_the_secretary(site_world, client):
    w = site_world
    response = _post(
        client,
        w.people.officer.user,
        publish=True,
        audience="grids",
        grids=[w.grids.a1.pk],
        title="一片区明天停水",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "in_moderation"
    page = NoticePage.objects.get(pk=response.json()["id"])
    assert not page.live and list(page.grids.all()) == [w.grids.a1]
    state = WorkflowState.objects.get(object_id=str(page.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert not Notification.objects.filter(key=f"notice:{page.pk}").exists()


def test_the_same_title_twice_gets_two_addresses(site_world, client):
    w = site_world
    first = _post(client, w.people.secretary.user, publish=True).json()
    second = _post(client, w.people.secretary.user, publish=True).json()
    assert first["url"] != second["url"] and second["url"].rstrip("/").endswith("-2")


def test_villagers_and_other_villages_cadres_cannot_publish(site_world, client):
    w = site_world
    before = NoticePage.objects.count()
    refused = _post(client, w.people.a1.user, publish=True)
    assert refused.status_code == 403 and refused.json()["message"]
    other = _post(client, w.people.other_secretary.user, publish=True, village=w.village.pk)
    assert other.status_code in (403, 404)
    assert NoticePage.objects.count() == before


@pytest.mark.parametrize(
    "fields, words",
    [
        ({"title": "  "}, "标题"),
        ({"body": " \n "}, "正文"),
        ({"audience": "grids"}, "请选择网格"),
        ({"audience": "grids", "grids": [999999]}, "不属于本村"),
        ({"category": "gossip"}, "gossip"),
        ({"audience": "aliens"}, "aliens"),
        ({"publish_on": "2026-12-10", "expires_on": "2026-12-01"}, "有效期"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_writes_nothing(site_world, client, fields, words):
    w = site_world
    before = NoticePage.objects.count()
    response = _post(client, w.people.secretary.user, publish=True, **fields)
    assert response.status_code == 400, response.json()
    assert words in response.json()["message"]
    assert NoticePage.objects.count() == before


def test_another_villages_grid_is_refused(site_world, client):
    w = site_world
    response = _post(
        client, w.people.secretary.user, audience="grids", grids=[w.grids.other.pk], publish=True
    )
    assert response.status_code == 400 and "不属于本村" in response.json()["message"]


def test_a_malformed_request_is_a_422(site_world, client):
    w = site_world
    response = _post(client, w.people.secretary.user, grids="一片区")
    assert response.status_code == 422
