"""消息发送 in the admin: the village's cadres see every message's progress and what did not
arrive, with whom it was for; no one sees another village's; the list costs the same for 2
messages as for 12."""

import pytest

from tests.factories import HouseholdFactory, VillageFactory, VillagerFactory
from tests.support.site_world import (
    build_notice_village,
    notice_index_of,
    open_site,
    publish_notice,
)
from village.models import Channel, Delivery, DeliveryStatus, Notification

pytestmark = pytest.mark.django_db

# Session, user, Wagtail's user profile, whether the user sees a village, the messages with
# their counts (the villages as a subquery); then Wagtail's admin frame: locales, page and
# collection permissions, user and group permissions, the explorer's root page.
OUTBOX_QUERIES = 11


@pytest.fixture
def world():
    w = build_notice_village()
    offline = HouseholdFactory(area=w["area3"], number="DMP-0399")
    head = VillagerFactory(household=offline, name="刘奶奶", phone="13900000399")
    offline.head = head
    offline.save(update_fields=["head"])
    w["offline"] = offline
    return w


def _fail_the_text(notice):
    Delivery.objects.filter(notification__key=f"notice:{notice.pk}", channel=Channel.SMS).update(
        status=DeliveryStatus.FAILED, attempts=5, error="isv.BUSINESS_LIMIT_CONTROL: 流控"
    )


def test_the_secretary_sees_each_messages_progress_and_what_failed(world, client):
    notice = publish_notice(world["notices"], "明天上午发放冬季取暖补贴")
    _fail_the_text(notice)
    client.force_login(world["secretary"].user)
    html = client.get("/admin/outbox/").content.decode()
    assert "明天上午发放冬季取暖补贴" in html and "0/4" in html
    n = Notification.objects.get(key=f"notice:{notice.pk}")
    problems = client.get(f"/admin/outbox/{n.pk}/").content.decode()
    assert "DMP-0399" in problems and "13900000399" in problems and "流控" in problems


def test_another_villages_messages_are_not_shown_or_opened(world, client):
    other = VillageFactory(name="西村", code="xicun")
    home = open_site(other)
    HouseholdFactory(village=other)
    theirs = publish_notice(notice_index_of(home), "西村的通知")
    n = Notification.objects.get(key=f"notice:{theirs.pk}")
    client.force_login(world["secretary"].user)
    assert "西村的通知" not in client.get("/admin/outbox/").content.decode()
    assert client.get(f"/admin/outbox/{n.pk}/").status_code == 404


def test_a_villager_without_a_role_cannot_open_it(world, client):
    client.force_login(world["reader3"].user)
    assert client.get("/admin/outbox/").status_code in (302, 403)


def test_the_list_costs_the_same_for_2_messages_as_for_12(world, client, django_assert_num_queries):
    client.force_login(world["secretary"].user)
    for i in range(2):
        publish_notice(world["notices"], f"通知{i}")
    client.get("/admin/outbox/")
    with django_assert_num_queries(OUTBOX_QUERIES):
        client.get("/admin/outbox/")
    for i in range(2, 12):
        publish_notice(world["notices"], f"通知{i}")
    with django_assert_num_queries(OUTBOX_QUERIES):
        assert client.get("/admin/outbox/").content.decode().count("通知1") >= 3
