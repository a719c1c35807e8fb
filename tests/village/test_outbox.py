"""The outbox: a published notice is written as delivery rows per recipient and channel in the
publishing transaction, and the sender hands each row to its channel once — with retries, quiet
hours, the village's SMS budget, and rows left by a stopped worker never sent twice."""

import time as clock
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from pages.models import Audience, Urgency
from tests.factories import HouseholdFactory, PushSubscriptionFactory, VillagerFactory
from tests.support.outbox_servers import AliyunSms, PushService, vapid_keys
from tests.support.site_world import build_notice_village, publish_notice
from village import sending, services
from village.channels import SendError
from village.models import (
    AuditEvent,
    Channel,
    Delivery,
    DeliveryStatus,
    Notification,
    PushSubscription,
    SmsMonth,
    VillagerStatus,
)
from village.permissions import SYSTEM

pytestmark = pytest.mark.django_db

NOON = timezone.make_aware(datetime(2026, 12, 7, 12, 0))
NIGHT = timezone.make_aware(datetime(2026, 12, 7, 23, 30))


@pytest.fixture
def world():
    w = build_notice_village()
    # 三片区: a household with a phone and no account, one with neither, a moved-out member.
    w["offline"] = HouseholdFactory(area=w["area3"], number="DMP-0302")
    w["grandma"] = VillagerFactory(household=w["offline"], name="刘奶奶", phone="13900000302")
    w["offline"].head = w["grandma"]
    w["offline"].save(update_fields=["head"])
    w["son"] = VillagerFactory(household=w["offline"], name="刘大", phone="13900000303")
    w["nophone"] = HouseholdFactory(area=w["area3"], number="DMP-0303")
    VillagerFactory(household=w["nophone"], name="孙五", phone="")
    VillagerFactory(
        household=w["nophone"], name="孙六", phone="13900000304", status=VillagerStatus.MOVED_OUT
    )
    return w


def _rows(notification, channel):
    return Delivery.objects.filter(notification=notification, channel=channel)


# --- writing the rows ----------------------------------------------------------------------


def test_publishing_a_notice_writes_an_inbox_row_per_account_and_a_text_per_offline_household(
    world,
):
    notice = publish_notice(world["notices"], "明天上午发放冬季取暖补贴")
    n = Notification.objects.get(key=f"notice:{notice.pk}")
    inbox = {d.user_id for d in _rows(n, Channel.INBOX)}
    assert inbox == {world[k].user_id for k in ("secretary", "officer", "reader3", "reader4")}
    # The household without an account gets one text, to its head; the one with no phone
    # (and a moved-out member who has one) gets none: it is the officer's to visit.
    sms = list(_rows(n, Channel.SMS))
    assert [(d.household_id, d.phone) for d in sms] == [(world["offline"].pk, "13900000302")]
    assert n.title == "明天上午发放冬季取暖补贴" and n.url == urlsplit(notice.url).path
    event = AuditEvent.objects.get(action="village.notification.send")
    assert event.payload["deliveries"] == {"inbox": 4, "push": 0, "sms": 1}


def test_a_notice_to_one_area_reaches_only_that_area(world):
    notice = publish_notice(
        world["notices"], "三片区停水通知", audience=Audience.GRIDS, grids=[world["area3"]]
    )
    n = Notification.objects.get(key=f"notice:{notice.pk}")
    assert {d.user_id for d in _rows(n, Channel.INBOX)} == {world["reader3"].user_id}
    assert {d.household_id for d in _rows(n, Channel.SMS)} == {world["offline"].pk}


def test_publishing_again_tells_no_one_twice(world):
    notice = publish_notice(world["notices"], "村委会关于春耕的通知")
    before = Delivery.objects.count()
    notice.title = "村委会关于春耕的通知（更正）"
    notice.save_revision().publish()
    assert Notification.objects.filter(key=f"notice:{notice.pk}").count() == 1
    assert Delivery.objects.count() == before


def test_rows_are_written_in_the_publishing_transaction(world):
    with pytest.raises(RuntimeError), transaction.atomic():
        publish_notice(world["notices"], "撤回的通知")
        assert Delivery.objects.exists()
        raise RuntimeError("the publish fails after the rows were written")
    assert not Notification.objects.exists()
    assert not Delivery.objects.exists()


def test_push_row_per_device_and_preferences_are_kept(world):
    phone = PushSubscriptionFactory(user=world["reader3"].user)
    PushSubscriptionFactory(user=world["reader3"].user)  # a second device
    muted = PushSubscriptionFactory(user=world["reader4"].user)
    services.reach_preference_set(actor=world["reader4"].user, push=False, sms=True)
    notice = publish_notice(world["notices"], "关于秸秆禁烧的通知")
    n = Notification.objects.get(key=f"notice:{notice.pk}")
    devices = {d.subscription_id for d in _rows(n, Channel.PUSH)}
    assert phone.pk in devices and len(devices) == 2 and muted.pk not in devices
    # Urgent: past the opt-out.
    urgent = publish_notice(world["notices"], "山洪预警，立即转移", urgency=Urgency.URGENT)
    u = Notification.objects.get(key=f"notice:{urgent.pk}")
    assert u.urgent
    assert muted.pk in {d.subscription_id for d in _rows(u, Channel.PUSH)}


def test_a_head_who_turned_texts_off_leaves_the_text_to_another_member(world):
    from village.models import ReachPreference

    ReachPreference.objects.create(villager=world["grandma"], sms=False)
    notice = publish_notice(world["notices"], "医保缴费提醒")
    n = Notification.objects.get(key=f"notice:{notice.pk}")
    assert [d.phone for d in _rows(n, Channel.SMS)] == ["13900000303"]
    ReachPreference.objects.create(villager=world["son"], sms=False)
    later = publish_notice(world["notices"], "医保缴费再提醒")
    assert not _rows(Notification.objects.get(key=f"notice:{later.pk}"), Channel.SMS).exists()


# --- sending -------------------------------------------------------------------------------


class Recorder:
    """A backend that counts what it is handed, and fails as told."""

    def __init__(self, failures=()):
        self.sent, self.failures = [], list(failures)

    def send(self, message):
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)
        return sending.channels.Sent(ref=f"r{message.delivery_id}", segments=1)


@pytest.fixture
def recorder(monkeypatch):
    r = Recorder()
    monkeypatch.setattr(sending.channels, "backend", lambda channel: r)
    return r


def _text_row(world):
    notice = publish_notice(world["notices"], "明天上午发放冬季取暖补贴")
    Delivery.objects.filter(channel=Channel.SMS).update(next_attempt_at=NOON - timedelta(hours=1))
    return Delivery.objects.get(notification__key=f"notice:{notice.pk}", channel=Channel.SMS)


def test_each_due_row_is_sent_once_however_often_the_sender_runs(world, recorder):
    row = _text_row(world)
    first = sending.deliveries_send_due(now=NOON)
    second = sending.deliveries_send_due(now=NOON)
    assert (first.sent, second.sent) == (1, 0)
    assert [m.delivery_id for m in recorder.sent] == [row.pk]
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT and row.attempts == 1 and row.provider_ref


def test_a_temporary_failure_is_tried_again_later_then_marked_failed_with_its_words(
    world, recorder
):
    row = _text_row(world)
    recorder.failures = [SendError(f"isv.BUSINESS_LIMIT_CONTROL: 第{i}次") for i in range(5)]
    now = NOON
    for attempt, pause in enumerate(sending.BACKOFF, start=1):
        report = sending.deliveries_send_due(now=now)
        row.refresh_from_db()
        assert report.retry == 1 and row.status == DeliveryStatus.PENDING
        assert row.attempts == attempt and row.next_attempt_at == now + pause
        # Not before its time.
        assert sending.deliveries_send_due(now=now + pause - timedelta(seconds=1)).retry == 0
        now += pause
    report = sending.deliveries_send_due(now=now)
    row.refresh_from_db()
    assert report.failed == 1 and row.status == DeliveryStatus.FAILED
    assert row.error == "isv.BUSINESS_LIMIT_CONTROL: 第4次" and row.attempts == 5
    assert recorder.sent == []


def test_a_permanent_failure_is_not_tried_again(world, recorder):
    row = _text_row(world)
    recorder.failures = [SendError("isv.MOBILE_NUMBER_ILLEGAL: 非法手机号", permanent=True)]
    sending.deliveries_send_due(now=NOON)
    sending.deliveries_send_due(now=NOON + timedelta(days=1))
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED and row.attempts == 1
    assert "非法手机号" in row.error


def test_quiet_hours_hold_texts_until_morning_but_not_urgent_ones(world, recorder):
    row = _text_row(world)
    report = sending.deliveries_send_due(now=NIGHT)
    row.refresh_from_db()
    assert report.deferred == 1 and recorder.sent == []
    assert timezone.localtime(row.next_attempt_at).time() == time(7, 0)
    assert timezone.localdate(row.next_attempt_at) == timezone.localdate(NIGHT) + timedelta(days=1)
    assert row.attempts == 0
    morning = row.next_attempt_at
    assert sending.deliveries_send_due(now=morning - timedelta(minutes=1)).sent == 0
    assert sending.deliveries_send_due(now=morning).sent == 1
    urgent = publish_notice(world["notices"], "山洪预警，立即转移", urgency=Urgency.URGENT)
    Delivery.objects.filter(notification__key=f"notice:{urgent.pk}").update(
        next_attempt_at=NIGHT - timedelta(minutes=1)
    )
    assert sending.deliveries_send_due(now=NIGHT).sent == 1


def test_quiet_hours_come_from_the_village_rules(world, recorder):
    rules = world["village"].rules
    services.ruleset_update(
        actor=SYSTEM, ruleset=rules, quiet_hours_start=time(12, 0), quiet_hours_end=time(14, 0)
    )
    _text_row(world)
    assert sending.deliveries_send_due(now=NOON).deferred == 1
    assert sending.deliveries_send_due(now=NOON + timedelta(hours=2)).sent == 1


def test_the_monthly_text_budget_is_never_exceeded(world, recorder):
    services.ruleset_update(actor=SYSTEM, ruleset=world["village"].rules, sms_monthly_limit=1)
    _text_row(world)
    second = publish_notice(world["notices"], "第二条通知")
    Delivery.objects.filter(channel=Channel.SMS).update(next_attempt_at=NOON - timedelta(hours=1))
    report = sending.deliveries_send_due(now=NOON)
    assert (report.sent, report.skipped) == (1, 1)
    skipped = Delivery.objects.get(notification__key=f"notice:{second.pk}", channel=Channel.SMS)
    assert skipped.status == DeliveryStatus.SKIPPED and "额度" in skipped.error
    assert SmsMonth.objects.get(village=world["village"]).used == 1


def test_a_failed_text_gives_its_budget_back(world, recorder):
    services.ruleset_update(actor=SYSTEM, ruleset=world["village"].rules, sms_monthly_limit=1)
    _text_row(world)
    recorder.failures = [SendError("isp.SYSTEM_ERROR")]
    sending.deliveries_send_due(now=NOON)
    assert SmsMonth.objects.get(village=world["village"]).used == 0
    assert sending.deliveries_send_due(now=NOON + timedelta(minutes=1)).sent == 1


def test_a_row_left_sending_by_a_stopped_worker_is_never_sent_again(world, recorder):
    row = _text_row(world)
    Delivery.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.SENDING, attempts=1, claimed_at=NOON - timedelta(minutes=11)
    )
    report = sending.deliveries_send_due(now=NOON)
    row.refresh_from_db()
    assert report.unknown == 1 and row.status == DeliveryStatus.UNKNOWN and "未知" in row.error
    assert recorder.sent == []
    # A claim still fresh is another worker's, left alone.
    Delivery.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.SENDING, claimed_at=NOON - timedelta(minutes=2)
    )
    assert sending.deliveries_send_due(now=NOON).unknown == 0


def test_the_task_run_twice_sends_once(world, recorder):
    from village.tasks import outbox_send

    row = _text_row(world)
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(hours=1))
    rules = world["village"].rules
    services.ruleset_update(
        actor=SYSTEM, ruleset=rules, quiet_hours_start=time(0, 0), quiet_hours_end=time(0, 0)
    )
    outbox_send.enqueue()
    outbox_send.enqueue()
    assert [m.delivery_id for m in recorder.sent] == [row.pk]


# --- the real adapters against local servers -------------------------------------------


def test_aliyun_adapter_sends_a_signed_request_with_the_template_and_its_variables(world):
    row = _text_row(world)
    with (
        AliyunSms() as aliyun,
        override_settings(CUNZHI_SMS_BACKEND="aliyun", CUNZHI_SMS=aliyun.settings()),
    ):
        report = sending.deliveries_send_due(now=NOON)
    assert report.sent == 1, report.errors
    [sms] = aliyun.sent
    assert sms.phone == "13900000302" and sms.template == AliyunSms.TEMPLATE
    assert sms.params == {"village": "东毛铺村", "title": "明天上午发放冬季取暖补贴"}
    assert sms.out_id == str(row.pk)
    row.refresh_from_db()
    assert row.provider_ref == sms.biz_id and row.segments == 1


def test_aliyun_errors_are_retried_or_final_as_the_provider_means_them(world):
    row = _text_row(world)
    with (
        AliyunSms() as aliyun,
        override_settings(CUNZHI_SMS_BACKEND="aliyun", CUNZHI_SMS=aliyun.settings()),
    ):
        aliyun.script = [
            (200, "isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1"),
            (503, "ServiceUnavailable", "The request has failed due to a temporary failure."),
        ]
        now = NOON
        for _ in range(2):
            assert sending.deliveries_send_due(now=now).retry == 1
            row.refresh_from_db()
            assert not row.uncertain
            now = row.next_attempt_at
        assert "ServiceUnavailable" in row.error
        assert sending.deliveries_send_due(now=now).sent == 1
    assert len(aliyun.sent) == 1 and aliyun.queries == 0
    row.refresh_from_db()
    assert row.attempts == 3 and row.status == DeliveryStatus.SENT
    # Final answers: a wrong number is never tried again.
    other = publish_notice(world["notices"], "第二条通知")
    bad = Delivery.objects.get(notification__key=f"notice:{other.pk}", channel=Channel.SMS)
    Delivery.objects.filter(pk=bad.pk).update(phone="12345", next_attempt_at=NOON)
    with (
        AliyunSms() as aliyun,
        override_settings(CUNZHI_SMS_BACKEND="aliyun", CUNZHI_SMS=aliyun.settings()),
    ):
        assert sending.deliveries_send_due(now=NOON).failed == 1
    bad.refresh_from_db()
    assert bad.status == DeliveryStatus.FAILED and "isv.MOBILE_NUMBER_ILLEGAL" in bad.error


def test_a_timeout_after_the_provider_took_the_text_does_not_send_it_twice(world):
    """The provider answers after the adapter gave up: the text went. The next attempt asks the
    provider (QuerySendDetails, by our OutId) and records it sent instead of sending again."""
    row = _text_row(world)
    with (
        AliyunSms() as aliyun,
        override_settings(CUNZHI_SMS_BACKEND="aliyun", CUNZHI_SMS=aliyun.settings()),
    ):
        aliyun.script = ["stall"]
        assert sending.deliveries_send_due(now=NOON).retry == 1
        row.refresh_from_db()
        assert row.uncertain and row.status == DeliveryStatus.PENDING
        aliyun.wait_for(sent=1)  # the stalled request finishes on the server
        assert sending.deliveries_send_due(now=row.next_attempt_at).sent == 1
    row.refresh_from_db()
    assert len(aliyun.sent) == 1 and aliyun.queries == 1
    assert row.status == DeliveryStatus.SENT and not row.uncertain


def test_a_timeout_before_the_provider_took_the_text_sends_it_after_asking(world):
    row = _text_row(world)
    with (
        AliyunSms() as aliyun,
        override_settings(CUNZHI_SMS_BACKEND="aliyun", CUNZHI_SMS=aliyun.settings()),
    ):
        # The provider stalls and then refuses: nothing was taken.
        aliyun.script = ["stall-refuse"]
        sending.deliveries_send_due(now=NOON)
        row.refresh_from_db()
        assert row.uncertain
        clock.sleep(aliyun.stall_seconds)  # its refusal comes after the adapter gave up
        assert sending.deliveries_send_due(now=row.next_attempt_at).sent == 1
    assert len(aliyun.sent) == 1 and aliyun.queries == 1


def test_aliyun_refuses_a_wrong_secret_and_the_adapter_does_not_retry_it(world):
    row = _text_row(world)
    with AliyunSms() as aliyun:
        conf = {**aliyun.settings(), "ACCESS_KEY_SECRET": "not-the-secret"}
        with override_settings(CUNZHI_SMS_BACKEND="aliyun", CUNZHI_SMS=conf):
            assert sending.deliveries_send_due(now=NOON).failed == 1
    row.refresh_from_db()
    assert "SignatureDoesNotMatch" in row.error and aliyun.sent == []


def test_a_long_title_is_cut_to_the_providers_variable_limit_and_an_overlong_text_refused():
    from village.channels import sms

    params = sms.variables("东毛铺村", "关于" + "开展农村人居环境整治" * 6 + "的通知")
    assert len(params["title"]) == 35 and params["title"].endswith("…")
    assert sms.segments("字" * 70) == 1 and sms.segments("字" * 71) == 2
    assert sms.segments("字" * 500) == 8
    with pytest.raises(SendError) as refused:
        sms.segments("字" * 501)
    assert refused.value.permanent


def test_web_push_reaches_the_device_encrypted_and_a_gone_device_is_removed(world):
    private, public = vapid_keys()
    with (
        PushService(public) as push,
        override_settings(CUNZHI_VAPID_PRIVATE_KEY=private, CUNZHI_VAPID_PUBLIC_KEY=public),
    ):
        phone, old = push.subscriber(), push.subscriber()
        for device in (phone, old):
            keys = device.subscription()
            services.push_subscribe(
                user=world["reader3"].user,
                endpoint=keys["endpoint"],
                p256dh=keys["keys"]["p256dh"],
                auth=keys["keys"]["auth"],
            )
        push.answer_next(old, 410)
        notice = publish_notice(world["notices"], "明天上午发放冬季取暖补贴")
        Delivery.objects.update(next_attempt_at=NOON)
        report = sending.deliveries_send_due(now=NOON)
    assert report.failed == 1, report.errors
    push_rows = Delivery.objects.filter(channel=Channel.PUSH)
    assert sorted(push_rows.values_list("status", flat=True)) == ["failed", "sent"]
    [got] = phone.received
    assert got["payload"]["title"] == "明天上午发放冬季取暖补贴"
    assert got["payload"]["url"].endswith(notice.url) and got["urgency"] == "normal"
    assert got["topic"] == f"notice-{notice.pk}"
    assert not PushSubscription.objects.filter(endpoint=old.endpoint).exists()
    gone = Delivery.objects.get(channel=Channel.PUSH, status=DeliveryStatus.FAILED)
    assert "取消订阅" in gone.error


def test_push_service_busy_is_retried(world):
    private, public = vapid_keys()
    with (
        PushService(public) as push,
        override_settings(CUNZHI_VAPID_PRIVATE_KEY=private, CUNZHI_VAPID_PUBLIC_KEY=public),
    ):
        phone = push.subscriber()
        keys = phone.subscription()
        services.push_subscribe(
            user=world["reader3"].user,
            endpoint=keys["endpoint"],
            p256dh=keys["keys"]["p256dh"],
            auth=keys["keys"]["auth"],
        )
        push.answer_next(phone, 429, 500)
        publish_notice(world["notices"], "明天上午发放冬季取暖补贴")
        Delivery.objects.update(next_attempt_at=NOON)
        now = NOON
        for _ in range(2):
            assert sending.deliveries_send_due(now=now).retry == 1
            now = Delivery.objects.get(channel=Channel.PUSH).next_attempt_at
        assert sending.deliveries_send_due(now=now).sent == 1
    assert len(phone.received) == 1
