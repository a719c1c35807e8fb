"""Each role from login to its first piece of work: the villager and the grid officer on a
390 px phone, the secretary, the supervision committee and the inspector on a desktop. No page
is wider than the screen it is shown on."""

import re

import pytest
from playwright.sync_api import expect

from pages import services as pages_services
from points import services as points_services
from tests.factories import (
    MembershipFactory,
    UserFactory,
    VillagerFactory,
    deliberation_village,
)
from tests.support.browser import admin_login, assert_fits_phone, site_login
from tests.support.deliberation_world import Procedure
from tests.support.role_world import build_role_world
from tests.support.site_world import open_site

DESKTOP = 1280


@pytest.mark.device("phone")
def test_villager_lands_on_my_todo_and_opens_an_unread_notice(page, screenshot):
    world = build_role_world()
    entries, _publication = world.ledger.published((world.h[1], "HJ01"))

    site_login(page, world.resident.username, lands_on=None)
    expect(page).to_have_url(re.compile(r"/me/todo/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("我的待办")
    notices = page.get_by_test_id("todo-notices")
    expect(notices).to_contain_text("春季防火通知")
    expect(notices).not_to_contain_text("西片自来水停水通知")  # another area's
    expect(page.get_by_test_id("todo-points")).to_contain_text(entries[0].rule.text)
    assert_fits_phone(page)
    screenshot(page, "todo")

    notices.get_by_role("link", name=re.compile("春季防火通知")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("春季防火通知")
    assert_fits_phone(page)
    page.get_by_test_id("confirm-read").click()
    expect(page.get_by_test_id("read-state")).to_be_visible()

    page.get_by_role("navigation").get_by_role("link", name="我的待办").click()
    expect(page.get_by_test_id("todo-notices")).to_contain_text("通知都已读过")
    assert_fits_phone(page)
    screenshot(page)


@pytest.mark.device("phone")
def test_villager_on_the_voter_list_goes_from_my_todo_to_the_open_vote(page, screenshot):
    world = deliberation_village(name="东毛铺村")
    open_site(world.village)
    matter = Procedure(world).to_vote("村道硬化工程")
    voter = world.people["r1"]

    site_login(page, voter.user.username, lands_on=None)
    votes = page.get_by_test_id("todo-votes")
    expect(votes).to_contain_text("去投票：村道硬化工程")
    assert_fits_phone(page)
    votes.get_by_role("link", name=re.compile("村道硬化工程")).click()
    expect(page).to_have_url(re.compile(rf"/matters/{matter.pk}/$"))
    expect(page.get_by_role("button", name="确认投票")).to_be_visible()
    assert_fits_phone(page)
    screenshot(page)


@pytest.mark.device("phone")
def test_grid_officer_goes_from_my_todo_to_a_household_to_visit(page, screenshot):
    world = build_role_world()
    world.ledger.record(world.h[2], "HJ01")
    pages_services.notice_mark_read(actor=world.resident, notice=world.fire)

    site_login(page, world.officer.username, lands_on=None)
    visits = page.get_by_test_id("todo-visits")
    expect(visits).to_contain_text(world.h[2].number)
    expect(visits).not_to_contain_text(world.h[4].number)  # another grid's household
    assert_fits_phone(page)
    screenshot(page, "todo")

    visits.get_by_role("link", name=re.compile(re.escape(world.h[2].number))).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(world.h[2].number)
    expect(page.get_by_test_id("visit-unread")).to_contain_text("春季防火通知")
    expect(page.get_by_role("link", name="为本户登记积分")).to_have_attribute(
        "href", f"/points/record/?household={world.h[2].pk}"
    )
    assert_fits_phone(page)
    screenshot(page)


def test_secretary_opens_the_notice_form_from_the_admin_home(page, screenshot):
    world = build_role_world()
    world.ledger.record(world.h[2], "HJ01")

    admin_login(page, world.secretary.username)
    work = page.get_by_test_id("work-panel")
    expect(work).to_contain_text("今日工作")
    expect(work).to_contain_text("积分待审核 1 条")
    expect(work).to_contain_text("春季防火通知")
    assert_fits_phone(page, DESKTOP)
    screenshot(page, "home")

    work.get_by_role("link", name="发通知").click()
    expect(page).to_have_url(re.compile(rf"/admin/pages/add/pages/noticepage/{world.index.pk}/$"))
    expect(page.get_by_role("combobox", name=re.compile("^发送范围"))).to_be_visible()
    assert_fits_phone(page, DESKTOP)
    screenshot(page)


def test_supervision_member_sees_open_objections_and_opens_one(page, screenshot):
    world = build_role_world()
    entries, _publication = world.ledger.published((world.h[1], "HJ01"))
    points_services.objection_file(actor=world.resident, entry=entries[0], text="当天不在家。")
    villager = VillagerFactory(household=world.h[5], user=UserFactory(username="supervisor"))
    MembershipFactory(villager=villager, role="supervision")

    admin_login(page, "supervisor")
    watch = page.get_by_test_id("supervision-panel")
    expect(watch).to_contain_text("未答复的异议（1）")
    expect(page.get_by_test_id("send-notice")).to_have_count(0)
    assert_fits_phone(page, DESKTOP)
    watch.get_by_test_id("supervision-objections").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/admin/points/objections/"))
    expect(page.locator("main")).to_contain_text("当天不在家")
    assert_fits_phone(page, DESKTOP)
    screenshot(page)


def test_inspector_lands_on_the_inspection_dashboard(page, screenshot):
    world = build_role_world()

    site_login(page, world.inspector.username, lands_on=None)
    expect(page).to_have_url(re.compile(r"/admin/matters/dashboard/$"))
    expect(page.locator("main")).to_contain_text(world.village.name)
    assert_fits_phone(page, DESKTOP)
    screenshot(page, "dashboard")

    page.goto("/admin/")
    expect(page.get_by_test_id("inspection-panel")).to_be_visible()
    for testid in ("work-panel", "send-notice", "review-entries"):
        expect(page.get_by_test_id(testid)).to_have_count(0)
    page.goto(f"/admin/pages/{world.index.pk}/")
    expect(page.get_by_text("发通知")).to_have_count(0)
    assert_fits_phone(page, DESKTOP)
    screenshot(page)
