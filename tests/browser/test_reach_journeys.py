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


def test_a_family_proxy_confirms_reading_and_is_refused_a_vote(new_page, db, shot):
    """The secretary binds a daughter working in the city to her father's household; she
    activates the account on her phone, confirms a notice in the household's name, and finds
    that a vote is her father's alone: the page says so, and a vote posted anyway is refused."""
    from tests.factories import PASSWORD, deliberation_village
    from tests.support.deliberation_world import Procedure
    from tests.support.site_world import notice_index_of, open_site

    w = deliberation_village(name="东毛铺村")
    father = w.people["x2"]
    household = father.household
    household.head = father
    household.save()
    notice = publish_notice(notice_index_of(open_site(w.village)), "冬季取暖补贴发放通知")
    matter = Procedure(w).to_vote("村道硬化筹资筹劳方案")

    secretary = new_page("desktop")
    admin_login(secretary, w.secretary.user.username)
    secretary.goto(f"/admin/households/{household.pk}/proxies/")
    secretary.get_by_label("姓名").fill("张小梅")
    secretary.get_by_label("手机号（登录用）").fill("13812345678")
    secretary.get_by_label("与户主关系").fill("女儿")
    ends = (timezone.localdate() + timedelta(days=365)).isoformat()
    secretary.get_by_label("截止日期").fill(ends)
    secretary.get_by_role("button", name="绑定").click()
    code = secretary.get_by_test_id("proxy-code").inner_text()
    expect(secretary.get_by_test_id("proxy-list")).to_contain_text("待激活")
    shot(secretary, "proxy-bound")

    daughter = new_page("phone")
    daughter.goto("/activate/")
    daughter.get_by_label("手机号").fill("13812345678")
    daughter.get_by_label("激活码").fill(code)
    daughter.get_by_label("设置密码").fill(PASSWORD)
    daughter.get_by_label("再次输入密码").fill(PASSWORD)
    daughter.get_by_role("button", name=re.compile("激活")).click()
    expect(daughter.get_by_test_id("proxy-banner")).to_contain_text(household.number)
    assert_fits_phone(daughter)

    daughter.goto(notice.url)
    daughter.get_by_role("button", name="代本户确认已读").click()
    expect(daughter.get_by_test_id("read-state")).to_contain_text("亲情账号代为确认已读")
    shot(daughter, "proxy-read")

    daughter.goto(f"/matters/{matter.pk}/")
    expect(daughter.get_by_test_id("proxy-no-vote")).to_contain_text("亲情账号不能投票")
    expect(daughter.locator("input[name=choice]")).to_have_count(0)
    shot(daughter, "proxy-no-vote")
    # A vote posted anyway (a saved form, a crafted request): 403, with the reason.
    token = next(c["value"] for c in daughter.context.cookies() if c["name"] == "csrftoken")
    refused = daughter.request.post(
        f"/matters/{matter.pk}/vote/",
        form={"choice": "yes", "csrfmiddlewaretoken": token},
        headers={"Referer": daughter.url, "X-CSRFToken": token},
    )
    assert refused.status == 403 and "亲情账号不能投票" in refused.text()

    secretary.goto(f"/admin/notices/{notice.pk}/unread/")
    expect(secretary.get_by_test_id("reach-summary")).to_contain_text("亲情账号代确认 1 户")
