"""志愿服务 in a real browser: the 文明实践站 posts "周六上午清理河道"; a villager signs up on a
390 px phone and gets a check-in code; on the day the organiser (on a phone) opens the code
the villager shows and ticks a second volunteer on the list, then closes the activity with the
hours; each household's proposed 志愿服务 entry is reviewed by the committee in the points
admin, published in last month's list and posted — and the villager's points page says where
it came from."""

import re
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit

from django.utils import timezone
from playwright.sync_api import expect

from grid import volunteer_selectors as selectors
from grid.models import VolunteerActivity, VolunteerAttendance
from grid.services import volunteering as services
from points.models import Entry, EntryStatus, Publication
from tests.support.browser import admin_login, assert_fits_phone, site_login
from tests.support.points_world import Ledger, build_world, reload
from village.permissions import villager_of

TITLE = "周六上午清理河道"


def open_points_menu(page, label: str):
    page.goto("/admin/")
    page.get_by_role("button", name="积分", exact=True).click()
    page.get_by_role("link", name=label, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(label)


def success(page, text):
    expect(page.locator(".messages li.success", has_text=text)).to_be_visible()


def test_activity_from_sign_up_to_check_in_to_a_posted_entry(new_page, screenshot):
    w = build_world()
    Ledger(w).open_year(year=timezone.localdate().year)
    start = timezone.now().replace(microsecond=0) + timedelta(days=2)
    activity = services.activity_create(
        actor=w.secretary,
        village=w.village,
        title=TITLE,
        place="村东小河",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        capacity=20,
        organiser=w.officer,
        rule=w.rules["ZY01"],
    )
    services.activity_signup(actor=w.neighbour, activity=activity)

    # The villager signs up on the phone and is shown a check-in code.
    villager = new_page("phone")
    site_login(villager, w.resident.username)
    villager.get_by_role("link", name="志愿服务").click()
    expect(villager.get_by_role("heading", level=1)).to_have_text("志愿服务")
    expect(villager.get_by_test_id("upcoming")).to_contain_text("剩余 19 / 20 个名额")
    villager.get_by_role("link", name=TITLE).click()
    villager.get_by_role("button", name="我要报名").click()
    success(villager, "报名成功")
    expect(villager.get_by_test_id("places")).to_contain_text("剩余 18 / 20")
    code = villager.get_by_test_id("my-code")
    expect(code.get_by_role("img", name="签到二维码")).to_be_visible()
    expect(code.get_by_role("button", name="取消报名")).to_be_visible()
    assert_fits_phone(villager)

    # The day comes: the activity is moved to the 10th of last month, 8 to 11 o'clock, rather
    # than waited for (so its entries go into last month's list).
    day_start = timezone.make_aware(datetime.combine(w.day, time(8, 0)))
    VolunteerActivity.objects.filter(pk=activity.pk).update(
        starts_at=day_start, ends_at=day_start + timedelta(hours=3)
    )
    resident = villager_of(w.resident)
    # What the villager's QR carries: the organiser's phone camera opens it.
    scanned = selectors.checkin_url(selectors.checkin_token(activity, resident))
    organiser = new_page("phone")
    site_login(organiser, w.officer.username)
    organiser.goto(urlsplit(scanned).path)
    expect(organiser.get_by_test_id("code-villager")).to_contain_text(resident.name)
    organiser.get_by_role("button", name="确认签到").click()
    success(organiser, f"已签到：{resident.name}")
    neighbour = villager_of(w.neighbour)
    organiser.get_by_test_id("waiting").get_by_label(re.compile(neighbour.name)).check()
    organiser.get_by_role("button", name="为勾选的人签到").click()
    success(organiser, f"已签到：{neighbour.name}")
    expect(organiser.get_by_test_id("attended-list").locator("li")).to_have_count(2)
    assert_fits_phone(organiser)
    assert VolunteerAttendance.objects.filter(activity=activity).count() == 2

    # After the activity: close it, the neighbour's hours corrected.
    organiser.goto(f"/grid/activities/{activity.pk}/close/")
    organiser.get_by_label("时长（小时，不调整请留空）").nth(1).fill("2")
    organiser.get_by_label("调整原因").nth(1).fill("家中有事提前离开")
    organiser.get_by_role("button", name="结束活动并登记时长").click()
    success(organiser, "已为 2 户建议志愿服务积分")
    proposals = organiser.get_by_test_id("proposals")
    expect(proposals).to_contain_text(f"志愿服务：{TITLE} 3 小时")
    expect(proposals).to_contain_text(f"志愿服务：{TITLE} 2 小时")
    entries = list(Entry.objects.filter(rule__code="ZY01").order_by("pk"))
    assert [e.status for e in entries] == [EntryStatus.RECORDED] * 2

    # The committee reviews them in the points admin.
    committee = new_page("desktop")
    admin_login(committee, w.committee.username)
    open_points_menu(committee, "审核积分")
    rows = committee.get_by_test_id("review-row")
    expect(rows).to_have_count(2)
    for household in (w.h[1], w.h[2]):
        committee.get_by_role("checkbox", name=re.compile(household.number)).check()
    committee.get_by_label("我已逐条核对照片和说明").check()
    committee.get_by_role("button", name="通过所选").click()
    expect(committee.locator(".messages li.success", has_text="已通过 2 条。")).to_be_visible()
    assert {reload(e).status for e in entries} == {EntryStatus.REVIEWED}

    # The secretary publishes last month; after the window the entries are posted.
    secretary = new_page("desktop")
    admin_login(secretary, w.secretary.username)
    open_points_menu(secretary, "积分公示")
    secretary.get_by_role("button", name="发布该月积分公示").click()
    publication = Publication.objects.get(village=w.village)
    ago = publication.objection_ends_at - timezone.now() + timedelta(minutes=1)
    Publication.objects.filter(pk=publication.pk).update(
        published_at=publication.published_at - ago,
        objection_ends_at=publication.objection_ends_at - ago,
    )
    secretary.reload()
    secretary.get_by_test_id("publication-row").get_by_role("button", name="期满入账").click()
    expect(secretary.locator(".messages li.success", has_text="已入账 2 条。")).to_be_visible()
    assert {reload(e).status for e in entries} == {EntryStatus.POSTED}

    # The villager's points page says where the entry came from.
    villager.goto("/points/")
    if w.day.year == timezone.localdate().year:  # the page lists this year's entries
        mine = villager.get_by_test_id("entries").locator("li", has_text="志愿服务")
        expect(mine.get_by_test_id("entry-source")).to_have_text(f"来源：志愿服务：{TITLE} 3 小时")
        expect(mine.locator(".badge")).to_have_text("已入账")
    assert_fits_phone(villager)
    screenshot(villager)
