"""The vote's should-attend list in a real browser, a page at a time: "勾选全部符合条件…" and
"已到者全部赞成" reach the people on the other pages; a search finds someone of a later page."""

import re

from playwright.sync_api import expect

from deliberation import admin_views, selectors
from deliberation.models import DecidingBody
from tests.support.browser import admin_login


def test_select_all_matching_marks_and_votes_for_every_page(
    page, deliberation_world, procedure, monkeypatch
):
    monkeypatch.setattr(admin_views, "VOTERS_PER_PAGE", 10)  # 28 adults: three pages
    matter = procedure.to_vote(deciding_body=DecidingBody.VILLAGERS_MEETING)
    meeting = selectors.current_vote_meeting(matter)
    last = (
        meeting.attendance.select_related("villager")
        .order_by("villager__household__number", "villager_id")
        .last()
        .villager
    )
    admin_login(page, deliberation_world.secretary.user.username)
    page.goto(f"/admin/matters/{matter.pk}/")
    action = page.get_by_test_id("action")
    rows = action.locator(".cz-roster tbody tr")
    expect(rows).to_have_count(10)
    expect(page.get_by_test_id("roster-count")).to_have_text("符合条件 28 人，第 1/3 页")

    # A search finds someone of the last page.
    page.get_by_label("搜索姓名或户号").fill(last.name)
    page.get_by_label("搜索姓名或户号").press("Enter")
    expect(rows.filter(has_text=last.name)).to_have_count(1)
    page.goto(f"/admin/matters/{matter.pk}/")

    page.get_by_label(re.compile("勾选全部符合条件")).check()
    for box in rows.locator("input[type=checkbox]").all():
        expect(box).to_be_checked()
    page.get_by_role("button", name="已到者全部赞成").click()
    expect(page.locator("[data-all-matching-choice]")).to_have_value("yes")
    page.get_by_role("button", name="保存会场投票").click()
    expect(page.locator(".messages li.success", has_text="会场投票已登记。")).to_be_visible()
    expect(action).to_contain_text("应到 28 人，已投票 28 人。")
    assert meeting.attendance.filter(present=True).count() == 28


def test_changing_page_with_unsaved_ticks_asks_first(
    page, deliberation_world, procedure, monkeypatch
):
    monkeypatch.setattr(admin_views, "VOTERS_PER_PAGE", 10)
    matter = procedure.to_vote(deciding_body=DecidingBody.VILLAGERS_MEETING)
    admin_login(page, deliberation_world.secretary.user.username)
    page.goto(f"/admin/matters/{matter.pk}/")
    count = page.get_by_test_id("roster-count")
    pages = page.get_by_test_id("roster-pages")
    dialogs = []

    # Nothing ticked: the page link just goes.
    def dismiss(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    pages.get_by_role("link", name="2").click()
    expect(count).to_have_text("符合条件 28 人，第 2/3 页")
    assert dialogs == []

    # A tick not saved: the link asks, and "cancel" keeps the page and the tick.
    first = page.locator(".cz-roster tbody input[type=checkbox]").first
    first.check()
    pages.get_by_role("link", name="3").click()
    expect(count).to_have_text("符合条件 28 人，第 2/3 页")
    assert len(dialogs) == 1 and "还没有保存" in dialogs[0]
    expect(first).to_be_checked()

    # A new filter asks too.
    page.get_by_role("button", name="筛选").click()
    expect(count).to_have_text("符合条件 28 人，第 2/3 页")
    assert len(dialogs) == 2

    # "OK" leaves, as asked.
    page.remove_listener("dialog", dismiss)
    page.once("dialog", lambda dialog: dialog.accept())
    pages.get_by_role("link", name="3").click()
    expect(count).to_have_text("符合条件 28 人，第 3/3 页")
