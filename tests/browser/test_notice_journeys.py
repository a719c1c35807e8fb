"""Notices that reach one area (issue 3, "Browser tests"), driven through a real browser.

1. The secretary writes and publishes a notice to 三片区 in the Wagtail page editor; the grid
   officer of 三片区 sees one unread household; the villager of 三片区 finds it at the top of
   the village home on a 390×844 phone and taps 已读; the officer's list drops by one; the
   villager of 四片区 never sees it and gets a 404 page at its address.
2. A grid officer's draft goes through the moderation workflow: the officer submits it in the
   page editor, the secretary approves it from the dashboard's "awaiting your review" panel,
   and only then does the villager see it.
"""

import re

from playwright.sync_api import expect

from pages.models import Audience, NoticePage
from pages.services import notice_mark_read
from tests.support.browser import (
    admin_login,
    assert_fits_phone,
    footer_action,
    site_login,
    write_notice,
)

NOTICE_TITLE = "三片区明日停水通知"
DRAFT_TITLE = "三片区垃圾清运时间调整"


# --- the village ---------------------------------------------------------------------------


def publish_notice(index, title, *, user, audience=Audience.EVERYONE, grids=()):
    """A notice published through Wagtail's API (for the notices a journey only needs around)."""
    notice = NoticePage(title=title, audience=audience, body=f"<p>{title}。</p>")
    index.add_child(instance=notice)
    if grids:
        notice.grids.set(grids)
        notice.save()
    notice.save_revision(user=user).publish(user=user)
    return NoticePage.objects.get(pk=notice.pk)


# --- what people do ------------------------------------------------------------------------


def home_notices(page):
    return page.get_by_test_id("home-notices").locator("li")


def unread_summary(page):
    return page.get_by_test_id("unread-summary")


# --- journeys ------------------------------------------------------------------------------


def test_notice_to_one_area_is_read_and_reported(new_page, village_world, shot):
    w = village_world
    home_url = f"/{w['village'].code}/"

    # The secretary writes the notice in the Wagtail admin and publishes it to 三片区 only.
    secretary = new_page("desktop")
    admin_login(secretary, "secretary")
    write_notice(
        secretary,
        w["notices"],
        title=NOTICE_TITLE,
        area_label="第一网格 · 三片区",
        body="因管网检修，明天上午8点至12点三片区停水，请提前储水。",
    )
    footer_action(secretary, "发布")
    expect(secretary.get_by_text(f"页面'{NOTICE_TITLE}'已创建并发布。")).to_be_visible()
    notice = NoticePage.objects.live().get(title=NOTICE_TITLE)
    assert notice.audience == Audience.GRIDS
    assert list(notice.grids.all()) == [w["area3"]]
    # A newer notice to everyone that the 三片区 villager has already read: the unread notice
    # must still come first on their home page.
    everyone = publish_notice(w["notices"], "村委会关于春耕备耕的通知", user=w["secretary"].user)
    notice_mark_read(actor=w["reader3"].user, notice=everyone)

    # The grid officer of 三片区: one household to reach, not read yet, with its phone number.
    officer = new_page("desktop")
    admin_login(officer, "grid3")
    officer.goto(f"/admin/notices/{notice.pk}/unread/")
    expect(unread_summary(officer)).to_contain_text("应送达 1 户，已读 0 户，未读 1 户。")
    rows = officer.get_by_test_id("unread-rows").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("DMP-0301")
    expect(rows.first).to_contain_text("王三喜")
    expect(rows.first).to_contain_text("13800000003")
    expect(officer.locator("main")).not_to_contain_text("DMP-0401")

    # The villager of 三片区, on the phone: the notice is on top of the home page, unread.
    phone = new_page("phone")
    site_login(phone, "13800000003")
    phone.goto(home_url)
    expect(phone.get_by_test_id("unread-count")).to_have_text("1 条未读")
    expect(home_notices(phone)).to_have_count(2)
    top = home_notices(phone).first
    expect(top).to_contain_text(NOTICE_TITLE)
    expect(top.get_by_label("未读")).to_be_visible()
    expect(home_notices(phone).nth(1)).to_contain_text("村委会关于春耕备耕的通知")
    expect(home_notices(phone).nth(1).get_by_label("未读")).to_have_count(0)
    assert_fits_phone(phone)
    shot(phone, "home-unread")

    top.get_by_role("link", name=re.compile(NOTICE_TITLE)).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(NOTICE_TITLE)
    expect(phone.locator("main")).to_contain_text("明天上午8点至12点三片区停水")
    phone.get_by_role("button", name="已读").click()
    expect(phone.get_by_test_id("read-state")).to_contain_text("确认已读")
    expect(phone.get_by_role("button", name="已读")).to_have_count(0)
    assert_fits_phone(phone)
    shot(phone, "read")

    phone.goto(home_url)
    expect(home_notices(phone).filter(has_text=NOTICE_TITLE).get_by_label("未读")).to_have_count(0)
    expect(phone.get_by_test_id("unread-count")).to_have_count(0)

    # The officer's list drops by one.
    officer.reload()
    expect(unread_summary(officer)).to_contain_text("应送达 1 户，已读 1 户，未读 0 户。")
    expect(rows).to_have_count(0)
    shot(officer, "officer")

    # The villager of 四片区 never sees it: not on the home page, not in the list, not by URL.
    other = new_page("phone")
    site_login(other, "13800000004")
    other.goto(home_url)
    expect(home_notices(other).filter(has_text="村委会关于春耕备耕的通知")).to_have_count(1)
    expect(other.get_by_test_id("home-notices")).not_to_contain_text(NOTICE_TITLE)
    other.goto(f"{home_url}notices/")
    expect(other.get_by_test_id("notices").locator("li")).to_have_count(1)
    expect(other.get_by_test_id("notices")).not_to_contain_text(NOTICE_TITLE)
    response = other.goto(notice.url)
    assert response.status == 404
    expect(other.locator("body")).not_to_contain_text(NOTICE_TITLE)
    expect(other.get_by_role("heading", level=1)).to_have_text("页面不存在")
    assert_fits_phone(other)
    shot(other, "other-area-404")


def test_grid_officer_draft_approved_by_secretary_then_visible(new_page, village_world, shot):
    w = village_world
    home_url = f"/{w['village'].code}/"

    # The grid officer may draft under 通知公告 but not publish: the draft goes to moderation.
    officer = new_page("desktop")
    admin_login(officer, "grid3")
    write_notice(
        officer,
        w["notices"],
        title=DRAFT_TITLE,
        area_label="第一网格 · 三片区",
        body="自下周起，三片区垃圾清运改为每天早上7点。",
    )
    officer.locator("footer .w-dropdown__toggle").click()
    expect(officer.locator("footer").get_by_role("button", name="发布")).to_have_count(0)
    officer.get_by_role("button", name="提交给东毛铺村·通知审核").click()
    expect(officer.get_by_text(f"页面 '{DRAFT_TITLE}' 已创建并提交审核。")).to_be_visible()
    shot(officer, "submitted")
    draft = NoticePage.objects.get(title=DRAFT_TITLE)
    assert not draft.live

    # Not published yet: the villager of 三片区 does not see it.
    phone = new_page("phone")
    site_login(phone, "13800000003")
    phone.goto(home_url)
    expect(phone.get_by_test_id("home-notices")).not_to_contain_text(DRAFT_TITLE)

    # The secretary finds it awaiting review on the dashboard and approves it.
    secretary = new_page("desktop")
    admin_login(secretary, "secretary")
    secretary.goto("/admin/")
    awaiting = secretary.get_by_role("heading", name="等待你的审查")
    expect(awaiting).to_be_visible()
    row = secretary.locator("table.listing tr", has_text=DRAFT_TITLE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("张网格")
    row.get_by_role("button", name=re.compile("^(动作|操作)")).click()
    row.get_by_role("button", name="批准", exact=True).click()
    expect(secretary.locator("table.listing tr", has_text=DRAFT_TITLE)).to_have_count(0)
    expect(awaiting).to_have_count(0)
    shot(secretary, "approved")

    # Now it is published, and the villager of 三片区 sees it on top, unread.
    phone.goto(home_url)
    top = home_notices(phone).first
    expect(top).to_contain_text(DRAFT_TITLE)
    expect(top.get_by_label("未读")).to_be_visible()
    top.get_by_role("link", name=re.compile(DRAFT_TITLE)).click()
    expect(phone.locator("main")).to_contain_text("三片区垃圾清运改为每天早上7点")
    assert_fits_phone(phone)
    shot(phone)
