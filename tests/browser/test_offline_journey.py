"""离线记录 in a real browser: up a hill with no signal.

The grid officer opens 离线记录 on a 390 px phone while in signal (the service worker keeps the
page, the phone keeps the households and rules), loses the network, records three points
entries (one with a photo), one 随手拍 and one entry the server will refuse (over the rule's
yearly cap), reloads the page with no network (it still opens, from the service worker, with
the queue intact), comes back into signal and syncs: each item is written exactly once, the
refused one stays on the phone with its reason until the officer clears it.
"""

import io

from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from grid.models import GridEvent
from points import services
from points.models import Entry
from tests.support.browser import assert_fits_phone, site_login
from tests.support.points_world import build_world
from village.models import AuditEvent

PAGE = "/grid/offline/"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 60)).save(buffer, format="PNG")
    return buffer.getvalue()


def record_entry(page, household, rule, *, photo=False):
    form = page.locator("form[data-form=entry]")
    form.locator("select[name=household]").select_option(str(household.pk))
    form.locator("select[name=rule]").select_option(rule)
    if photo:
        form.locator("input[name=photo]").set_input_files(
            {"name": "door.png", "mimeType": "image/png", "buffer": _png()}
        )
    waiting = queue(page).count()
    form.get_by_role("button", name="记下").click()
    # Kept on the phone, and the form cleared for the next household.
    expect(queue(page)).to_have_count(waiting + 1)
    expect(page.get_by_test_id("offline-message")).to_have_text("已存到本机，待同步。")
    expect(form.locator("select[name=household]")).to_have_value("")


def queue(page):
    return page.get_by_test_id("offline-queue").locator("li[data-key]")


def test_an_officer_records_without_signal_and_syncs_each_item_once(new_page, shot):
    w = build_world()
    today = timezone.localdate()
    for _n in range(2):  # h2 has had its two 义务劳动 of the year: a third is refused
        services.entry_record(
            actor=w.officer, household=w.h[2], rule=w.rules["ZY01"], occurred_on=today
        )
    page = new_page("phone")
    site_login(page, "gridofficer", lands_on=None)
    page.goto(PAGE)
    expect(page.get_by_role("heading", level=1)).to_have_text("离线记录")
    expect(page.get_by_test_id("offline-loaded")).to_contain_text("已存到本机：3 户")
    expect(page.get_by_test_id("offline-cached")).to_have_text("本页已存到本机，没有信号也能打开。")
    assert_fits_phone(page)

    page.context.set_offline(True)
    expect(page.get_by_test_id("offline-network")).to_contain_text("没有网络")
    record_entry(page, w.h[1], "HJ01")
    record_entry(page, w.h[2], "XL01", photo=True)
    record_entry(page, w.h[1], "ZY01")
    record_entry(page, w.h[2], "ZY01")  # the server will refuse it: over the yearly cap
    event = page.locator("form[data-form=event]")
    event.locator("select[name=area]").select_option(str(w.area1.pk))
    event.locator("select[name=category]").select_option("environment")
    event.locator("textarea[name=text]").fill("后山小路排水沟被落叶堵住")
    event.locator("input[name=place]").fill("后山小路")
    event.get_by_role("button", name="记下随手拍").click()
    expect(queue(page)).to_have_count(5)
    assert not Entry.objects.filter(offline_at__isnull=False).exists()

    # Reloaded with no network: the page comes from the service worker, the queue from the phone.
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.get_by_role("heading", level=1)).to_have_text("离线记录")
    expect(page.get_by_test_id("offline-loaded")).to_contain_text("已存到本机：3 户")
    expect(queue(page)).to_have_count(5)
    expect(queue(page).filter(has_text="待同步")).to_have_count(5)
    shot(page, "offline-queue")

    page.context.set_offline(False)  # back in signal: the page syncs by itself
    expect(page.get_by_test_id("offline-message")).to_contain_text("通过 4 条，未通过 1 条")
    refused = queue(page)
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("未通过：该项每年最多计 2 次，本户今年已计 2 次。")
    # 同步 again: nothing left to send, nothing written twice.
    page.get_by_role("button", name="同步").click()
    expect(queue(page)).to_have_count(1)
    shot(page, "offline-synced")

    offline = Entry.objects.filter(recorded_by=w.officer, offline_at__isnull=False)
    assert sorted(e.rule.code for e in offline) == ["HJ01", "XL01", "ZY01"]
    assert offline.get(rule__code="XL01").photo.name
    assert len({e.idempotency_key for e in offline}) == 3
    intake = GridEvent.objects.get()
    assert intake.offline_at is not None and intake.area == w.area1
    assert AuditEvent.objects.filter(action="grid.offline.sync").count() == 4

    refused.get_by_role("button", name="清除").click()
    expect(queue(page)).to_have_count(0)
    expect(page.get_by_test_id("offline-queue")).to_have_text("没有待同步的记录。")
