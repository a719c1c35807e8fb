"""A notice reaches a phone by Web Push (issue 17, "Browser journey"), in a real browser.

The villager of 三片区 opens 我的消息 on the phone: the site's service worker registers and the
page keeps the phone's push subscription. The secretary publishes a notice to 三片区 in the
Wagtail editor; the outbox's task sends it through pywebpush to a push service on this machine,
which checks the VAPID token and decrypts the payload with the phone's key, as a real push
service and browser would. The decrypted message is then handed to the phone's service worker
(Chromium's DevTools `ServiceWorker.deliverPushMessage`), which shows the notification; the
villager follows it to the notice, confirms reading, and the secretary's reach page shows it.

What is simulated, and why: headless Chromium with no internet cannot subscribe at Google's
push service, so the subscription the page keeps is one the local push service issued (the
page's own `cunzhiPush.save`, the code path after `pushManager.subscribe`), and the message
reaches the service worker through DevTools instead of the push service's socket.
"""

import json
import re
import time as clock
from datetime import time, timedelta

from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import expect

from pages.models import NoticePage
from tests.support.browser import (
    admin_login,
    assert_fits_phone,
    footer_action,
    site_login,
    write_notice,
)
from tests.support.outbox_servers import PushService, vapid_keys
from tests.support.site_world import publish_notice
from village import services
from village.models import Channel, Delivery, DeliveryStatus
from village.permissions import SYSTEM

TITLE = "明天上午发放冬季取暖补贴"


def _wait(page, condition, seconds=10.0):
    """Until `condition()`; the page's waits let Playwright deliver DevTools events meanwhile."""
    deadline = clock.monotonic() + seconds
    while not condition():
        assert clock.monotonic() < deadline, "timed out"
        page.wait_for_timeout(100)


def _service_worker_registration(page, cdp) -> str:
    """The registration id of the page's service worker, from DevTools' ServiceWorker domain."""
    found = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: found.extend(r["registrationId"] for r in event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    _wait(page, lambda: bool(found))
    return found[0]


def test_a_published_notice_reaches_the_phone_by_push_and_is_read(
    new_page, village_world, live_server, shot
):
    w = village_world
    # The journey is not about the night: no quiet hours, whatever hour the test runs at.
    services.ruleset_update(
        actor=SYSTEM,
        ruleset=w["village"].rules,
        quiet_hours_start=time(0),
        quiet_hours_end=time(0),
    )
    private, public = vapid_keys()
    with (
        PushService(public) as push_service,
        override_settings(
            CUNZHI_VAPID_PRIVATE_KEY=private,
            CUNZHI_VAPID_PUBLIC_KEY=public,
            CUNZHI_PUBLIC_URL=live_server.url,  # the address a push message links to
        ),
    ):
        device = push_service.subscriber()

        # The villager of 三片区 turns push on for this phone on 我的消息.
        phone = new_page("phone")
        phone.context.grant_permissions(["notifications"])
        site_login(phone, "13800000003")
        phone.goto("/me/inbox/")
        expect(phone.get_by_role("heading", level=1)).to_have_text("我的消息")
        phone.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller")
        saved = phone.evaluate(
            "subscription => window.cunzhiPush.save(subscription)", device.subscription()
        )
        assert saved is True
        expect(phone.get_by_role("status")).to_have_text("本机已开通推送，有新消息时手机会提醒您。")
        shot(phone, "push-on")

        # The secretary publishes a notice to 三片区 in the Wagtail editor.
        secretary = new_page("desktop")
        admin_login(secretary, "secretary")
        write_notice(
            secretary,
            w["notices"],
            title=TITLE,
            area_label="第一网格 · 三片区",
            body="请各户带户口本到村委会领取，每户两百元。",
        )
        footer_action(secretary, "发布")
        expect(secretary.get_by_text(f"页面'{TITLE}'已创建并发布。")).to_be_visible()
        notice = NoticePage.objects.live().get(title=TITLE)

        # The outbox's task sent it on commit; the push service decrypted it for the phone.
        _wait(secretary, lambda: len(device.received) == 1)
        message = device.received[0]
        assert message["payload"]["title"] == TITLE
        assert message["payload"]["url"].endswith(notice.url)
        push_row = Delivery.objects.get(
            channel=Channel.PUSH, notification__key=f"notice:{notice.pk}"
        )
        assert push_row.status == DeliveryStatus.SENT

    # The phone's service worker gets the message and shows it.
    cdp = phone.context.new_cdp_session(phone)
    registration = _service_worker_registration(phone, cdp)
    origin = phone.evaluate("location.origin")
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": origin,
            "registrationId": registration,
            "data": json.dumps(message["payload"], ensure_ascii=False),
        },
    )
    shown = []

    def notifications():
        shown[:] = phone.evaluate(
            "navigator.serviceWorker.ready.then(r => r.getNotifications())"
            ".then(list => list.map(n => ({title: n.title, body: n.body, url: n.data.url})))"
        )
        return shown

    _wait(phone, notifications)
    assert shown[0]["title"] == TITLE and "每户两百元" in shown[0]["body"]

    # The villager follows it to the notice and confirms reading; the inbox has it too.
    phone.goto(shown[0]["url"])
    expect(phone.get_by_role("heading", level=1)).to_have_text(TITLE)
    phone.get_by_role("button", name="已读").click()
    expect(phone.get_by_test_id("read-state")).to_contain_text("确认已读")
    phone.goto("/me/inbox/")
    expect(phone.get_by_test_id("inbox-item").first).to_contain_text(TITLE)
    shot(phone, "inbox")

    # The secretary's reach page: the household has read it.
    secretary.goto(f"/admin/notices/{notice.pk}/unread/")
    expect(secretary.get_by_test_id("unread-summary")).to_contain_text("已读 1 户")
    secretary.goto("/admin/outbox/")
    expect(secretary.get_by_test_id("outbox-rows")).to_contain_text(TITLE)
    shot(secretary, "outbox")


def test_an_officer_tells_a_household_in_person_from_the_phone(new_page, village_world, shot):
    """A day after a notice to everyone, the households of 三片区 nobody has reached are on the
    officer's round; the officer knocks, taps 已当面告知, and the reach page counts it."""
    w = village_world
    notice = publish_notice(w["notices"], "冬季取暖补贴发放通知")
    a_day_ago = timezone.now() - timedelta(hours=25)
    NoticePage.objects.filter(pk=notice.pk).update(
        first_published_at=a_day_ago, publish_on=timezone.localdate(a_day_ago)
    )
    household = w["reader3"].household

    officer = new_page("phone")
    site_login(officer, "13700000002")
    officer.goto("/me/todo/")
    visits = officer.get_by_test_id("todo-visits")
    expect(visits).to_contain_text(household.number)
    visits.get_by_role("link", name=re.compile(re.escape(household.number))).click()
    card = officer.get_by_test_id(f"told-{notice.pk}")
    expect(card).to_be_visible()
    assert_fits_phone(officer)
    shot(officer, "household")
    card.get_by_role("button", name="已当面告知").click()
    expect(officer.locator(".messages")).to_contain_text(f"已登记：{household.number} 户 当面告知")
    expect(officer.get_by_test_id(f"told-{notice.pk}")).to_have_count(0)
    shot(officer, "told")

    secretary = new_page("desktop")
    admin_login(secretary, "secretary")
    secretary.goto(f"/admin/notices/{notice.pk}/unread/")
    expect(secretary.get_by_test_id("reach-summary")).to_contain_text("当面告知 1 户")
    expect(secretary.get_by_test_id("reached-rows")).to_contain_text("张网格")
