"""我的消息: the inbox on the web and through the API, a villager's channels, and a device's push
subscription — each person sees only their own, bad input gets a clear 4xx and writes nothing,
and the lists cost the same for 3 messages as for 30."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from wagtail.models import APIToken

from pages.models import NoticePage
from pages.services import notice_mark_read
from tests.factories import UserFactory
from tests.support.outbox_servers import PushService
from tests.support.site_world import build_notice_village, publish_notice
from village.models import (
    AuditEvent,
    Channel,
    Delivery,
    Notification,
    PushSubscription,
    ReachPreference,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"
# Token, then the page of messages with their notifications (one join); the unread count comes
# from the page unless it is full.
INBOX_API_QUERIES = 2
# Session, user, then the villager (the preferences form), the preference and the messages.
INBOX_PAGE_QUERIES = 5


@pytest.fixture
def world():
    return build_notice_village()


def _bearer(user):
    _row, token = APIToken.create_token(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _inbox_row(world, who="reader3", title="明天上午发放冬季取暖补贴"):
    notice = publish_notice(world["notices"], title)
    return Delivery.objects.get(
        notification__key=f"notice:{notice.pk}", channel=Channel.INBOX, user=world[who].user
    )


# --- the API ----------------------------------------------------------------------------


def test_the_inbox_lists_ones_own_messages_newest_first_with_the_unread_count(world, client):
    first = _inbox_row(world, title="第一条")
    second = _inbox_row(world, title="第二条")
    Delivery.objects.filter(pk=first.pk).update(read_at=timezone.now())
    answer = client.get(f"{API}/inbox", **_bearer(world["reader3"].user)).json()
    assert answer["unread"] == 1
    assert [i["title"] for i in answer["items"]] == ["第二条", "第一条"]
    assert answer["items"][0]["id"] == second.pk and answer["items"][0]["read_at"] is None
    assert answer["items"][0]["url"] == second.notification.url
    # Another villager's inbox has their own rows, not these.
    other = client.get(f"{API}/inbox", **_bearer(world["reader4"].user)).json()
    assert {i["id"] for i in other["items"]}.isdisjoint({first.pk, second.pk})


def test_a_message_not_yet_due_is_not_in_the_inbox(world, client):
    row = _inbox_row(world)
    Notification.objects.filter(pk=row.notification_id).update(
        send_after=timezone.now() + timedelta(days=1)
    )
    answer = client.get(f"{API}/inbox", **_bearer(world["reader3"].user)).json()
    assert answer == {"unread": 0, "items": []}


def test_the_inbox_needs_a_token(client):
    response = client.get(f"{API}/inbox")
    assert response.status_code == 401 and response.json()["message"]


def test_reading_marks_once_and_someone_elses_message_is_not_found(world, client):
    row = _inbox_row(world)
    mine = _bearer(world["reader3"].user)
    first = client.post(f"{API}/inbox/{row.pk}/read", **mine)
    assert first.status_code == 200 and first.json()["read_at"]
    again = client.post(f"{API}/inbox/{row.pk}/read", **mine)
    assert again.json()["read_at"] == first.json()["read_at"]
    theirs = client.post(f"{API}/inbox/{row.pk}/read", **_bearer(world["reader4"].user))
    assert theirs.status_code == 404 and theirs.json()["message"]
    assert client.post(f"{API}/inbox/999999/read", **mine).status_code == 404


def test_a_push_or_sms_row_cannot_be_read_as_an_inbox_message(world, client):
    notice = publish_notice(world["notices"], "通知")
    n = Notification.objects.get(key=f"notice:{notice.pk}")
    sms = Delivery.objects.create(
        notification=n,
        channel=Channel.SMS,
        recipient="v-test",
        phone="13900000000",
        user=world["reader3"].user,
    )
    response = client.post(f"{API}/inbox/{sms.pk}/read", **_bearer(world["reader3"].user))
    assert response.status_code == 404
    sms.refresh_from_db()
    assert sms.read_at is None


def test_a_villager_chooses_channels_and_the_change_is_in_the_chain(world, client):
    auth = _bearer(world["reader3"].user)
    assert client.get(f"{API}/inbox/preferences", **auth).json() == {
        "push": True,
        "sms": True,
        "inbox": True,
    }
    response = client.put(
        f"{API}/inbox/preferences",
        data={"push": False, "sms": True},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200 and response.json()["push"] is False
    assert ReachPreference.objects.get(villager=world["reader3"]).push is False
    event = AuditEvent.objects.get(action="village.reach.preference")
    assert event.payload["after"] == {"push": False, "sms": True}


def test_preferences_bad_input_and_non_villagers_are_refused_without_writing(world, client):
    auth = _bearer(world["reader3"].user)
    bad = client.put(
        f"{API}/inbox/preferences", data={"push": "maybe"}, content_type="application/json", **auth
    )
    assert bad.status_code == 422 and bad.json()["message"]
    official = _bearer(UserFactory())
    assert client.get(f"{API}/inbox/preferences", **official).status_code == 403
    refused = client.put(
        f"{API}/inbox/preferences",
        data={"push": False, "sms": False},
        content_type="application/json",
        **official,
    )
    assert refused.status_code == 403 and "村民" in refused.json()["message"]
    assert not ReachPreference.objects.exists()


def _keys():
    with PushService() as push:
        return push.subscriber().subscription()


def test_a_device_subscribes_once_and_can_unsubscribe(world, client):
    auth = _bearer(world["reader3"].user)
    sub = _keys()
    sub["endpoint"] = "https://push.example.cn/send/abc"
    created = client.post(
        f"{API}/push/subscriptions", data=sub, content_type="application/json", **auth
    )
    assert created.status_code == 201
    again = client.post(
        f"{API}/push/subscriptions", data=sub, content_type="application/json", **auth
    )
    assert again.json()["id"] == created.json()["id"]
    assert PushSubscription.objects.filter(user=world["reader3"].user).count() == 1
    gone = client.post(
        f"{API}/push/subscriptions/delete",
        data={"endpoint": sub["endpoint"]},
        content_type="application/json",
        **auth,
    )
    assert gone.json() == {"deleted": 1} and not PushSubscription.objects.exists()


@override_settings(CUNZHI_PUSH_INSECURE_ENDPOINTS=False)
def test_bad_subscriptions_are_refused_with_a_message_and_nothing_kept(world, client):
    auth = _bearer(world["reader3"].user)
    good = _keys()
    cases = [
        {**good, "endpoint": "http://10.0.0.1/internal"},  # not https: no calls to the LAN
        {**good, "endpoint": "https://push.example.cn/x", "keys": {"p256dh": "abc", "auth": "x"}},
        {
            **good,
            "endpoint": "https://push.example.cn/y",
            "keys": {**good["keys"], "auth": "too-short"},
        },
    ]
    for case in cases:
        response = client.post(
            f"{API}/push/subscriptions", data=case, content_type="application/json", **auth
        )
        assert response.status_code == 400, case
        assert response.json()["message"]
    missing = client.post(
        f"{API}/push/subscriptions",
        data={"endpoint": "https://a.cn/"},
        content_type="application/json",
        **auth,
    )
    assert missing.status_code == 422
    assert not PushSubscription.objects.exists()


def test_the_push_key_is_public_and_absent_without_vapid(client):
    with override_settings(CUNZHI_VAPID_PUBLIC_KEY="BPublicKey"):
        assert client.get(f"{API}/push/key").json() == {"public_key": "BPublicKey"}
    with override_settings(CUNZHI_VAPID_PUBLIC_KEY=""):
        assert client.get(f"{API}/push/key").status_code == 404


def test_the_inbox_api_costs_the_same_for_3_messages_as_for_30(
    world, client, django_assert_num_queries
):
    auth = _bearer(world["reader3"].user)
    for i in range(3):
        _inbox_row(world, title=f"通知{i}")
    client.get(f"{API}/inbox", **auth)
    with django_assert_num_queries(INBOX_API_QUERIES):
        assert len(client.get(f"{API}/inbox", **auth).json()["items"]) == 3
    for i in range(3, 30):
        _inbox_row(world, title=f"通知{i}")
    with django_assert_num_queries(INBOX_API_QUERIES):
        assert len(client.get(f"{API}/inbox", **auth).json()["items"]) == 30


# --- the web ----------------------------------------------------------------------------


def test_the_inbox_page_lists_messages_and_opening_one_reads_it(world, client):
    row = _inbox_row(world)
    client.force_login(world["reader3"].user)
    html = client.get("/me/inbox/").content.decode()
    assert "明天上午发放冬季取暖补贴" in html and "●" in html
    opened = client.get(f"/me/inbox/{row.pk}/")
    assert opened.status_code == 302 and opened["Location"] == row.notification.url
    row.refresh_from_db()
    assert row.read_at is not None
    assert "●" not in client.get("/me/inbox/").content.decode()


def test_someone_elses_message_cannot_be_opened_on_the_web(world, client):
    row = _inbox_row(world)
    client.force_login(world["reader4"].user)
    assert client.get(f"/me/inbox/{row.pk}/").status_code == 404
    row.refresh_from_db()
    assert row.read_at is None


def test_the_inbox_page_needs_a_login(client):
    response = client.get("/me/inbox/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_preferences_form_saves_and_get_is_refused(world, client):
    client.force_login(world["reader3"].user)
    assert client.get("/me/inbox/preferences/").status_code == 405
    response = client.post("/me/inbox/preferences/", {"push": "on"}, follow=True)
    assert "已保存" in response.content.decode()
    saved = ReachPreference.objects.get(villager=world["reader3"])
    assert (saved.push, saved.sms) == (True, False)


def test_the_inbox_page_costs_the_same_for_3_messages_as_for_30(
    world, client, django_assert_num_queries
):
    client.force_login(world["reader3"].user)
    for i in range(3):
        _inbox_row(world, title=f"通知{i}")
    client.get("/me/inbox/")
    with django_assert_num_queries(INBOX_PAGE_QUERIES):
        client.get("/me/inbox/")
    for i in range(3, 30):
        _inbox_row(world, title=f"通知{i}")
    with django_assert_num_queries(INBOX_PAGE_QUERIES):
        assert client.get("/me/inbox/").content.decode().count('data-testid="inbox-item"') == 30


def test_confirming_the_notice_reads_its_message_too(world, client):
    row = _inbox_row(world)
    other = Delivery.objects.get(
        notification=row.notification, channel=Channel.INBOX, user=world["reader4"].user
    )
    notice = NoticePage.objects.get(pk=int(row.notification.key.split(":")[1]))
    notice_mark_read(actor=world["reader3"].user, notice=notice)
    row.refresh_from_db()
    other.refresh_from_db()
    assert row.read_at is not None and other.read_at is None
