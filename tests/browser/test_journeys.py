"""What a villager, a secretary and a township inspector see, driven through a real browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import (
    PASSWORD,
    AreaFactory,
    HouseholdFactory,
    TownshipMembershipFactory,
    UserFactory,
    VillageFactory,
    VillagerFactory,
    villager_with_role,
)
from tests.support.browser import admin_login, assert_fits_phone

# Wagtail's own labels, as its Chinese catalogue (or ours, refining it) words them.
FILTERS = re.compile(r"^显示(过滤器|筛选)")
MORE_ACTIONS = re.compile(r"^(动作|操作|更多)")


def resident(village, **fields):
    """A villager of `village` in a household of their own."""
    household = HouseholdFactory(village=village, area=AreaFactory(parent__village=village))
    return VillagerFactory(household=household, **fields)


def villager_rows(page):
    return page.locator("table.listing tbody tr")


@pytest.mark.device("phone")
def test_villager_logs_in_with_phone_and_sees_household(page, screenshot):
    village = VillageFactory(name="东毛铺村")
    household = HouseholdFactory(
        village=village, area=AreaFactory(parent__village=village), number="DMP-0107"
    )
    head = VillagerFactory(
        household=household,
        name="王建国",
        relation_to_head="户主",
        phone="13800000001",
        user=UserFactory(username="wangjianguo"),
    )
    wife = VillagerFactory(household=household, name="李秀兰", gender="f", relation_to_head="妻")
    son = VillagerFactory(household=household, name="王小明", relation_to_head="子")
    household.head = head
    household.save(update_fields=["head"])
    stranger = resident(village, name="赵不相干")  # another household

    page.goto("/login/")
    assert_fits_phone(page)
    page.get_by_label("手机号或用户名").fill("13800000001")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    # A villager lands on 我的待办; the household is one tap away in the header.
    expect(page.get_by_role("heading", level=1)).to_have_text("我的待办")
    page.get_by_role("navigation").get_by_role("link", name="我的户").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的户")
    expect(page.get_by_role("heading", name=re.compile("DMP-0107"))).to_be_visible()
    members = page.get_by_test_id("members")
    for person in (head, wife, son):
        expect(members).to_contain_text(person.name)
        expect(members).to_contain_text(person.masked_id_number)
        expect(page.locator("body")).not_to_contain_text(person.id_number)
    expect(members).not_to_contain_text(stranger.name)
    expect(members.locator("li")).to_have_count(3)

    assert_fits_phone(page)
    screenshot(page)


def test_secretary_finds_villager_by_part_of_name(page, screenshot):
    own = VillageFactory(name="东毛铺村")
    neighbour = VillageFactory(name="西河村", township=own.township)
    villager_with_role(own, "secretary", username="secretary")
    wanted = resident(own, name="张翠花")
    other = resident(own, name="李四平")
    resident(neighbour, name="张翠英")

    admin_login(page, "secretary")
    expect(page.locator("html")).to_have_attribute("lang", re.compile(r"^zh", re.IGNORECASE))

    page.get_by_role("button", name="村务管理").click()
    page.get_by_role("link", name="村民", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/villager/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("村民")
    expect(villager_rows(page).filter(has_text=other.name)).to_have_count(1)

    page.get_by_role("search").get_by_label("搜索条件").press_sequentially("张翠")
    expect(villager_rows(page).filter(has_text=wanted.name)).to_have_count(1)
    expect(villager_rows(page)).to_have_count(1)
    expect(page.locator("main")).not_to_contain_text("张翠英")
    expect(page.locator("main")).not_to_contain_text(other.name)
    screenshot(page)


def test_inspector_sees_township_villages_read_only(page, screenshot):
    own = VillageFactory(name="东毛铺村")
    neighbour = VillageFactory(name="西河村", township=own.township)
    foreign = VillageFactory(name="远方村")
    TownshipMembershipFactory(
        township=own.township, role="inspector", user=UserFactory(username="inspector")
    )
    mine = resident(own, name="赵一民")
    theirs = resident(neighbour, name="钱二河")
    resident(foreign, name="孙三远")

    admin_login(page, "inspector")
    page.goto("/admin/villager/")
    # Each row says which village the villager belongs to.
    expect(villager_rows(page).filter(has_text=mine.name)).to_contain_text(own.name)
    expect(villager_rows(page).filter(has_text=theirs.name)).to_contain_text(neighbour.name)
    expect(villager_rows(page)).to_have_count(2)
    expect(page.locator("main")).not_to_contain_text("孙三远")

    # The filter offers the two villages of the township, not the one of the other township.
    page.get_by_role("button", name=FILTERS).click()
    page.get_by_role("button", name="村", exact=True).click()
    village_filter = page.get_by_label("村", exact=True)
    expect(village_filter.locator("option", has_text=own.name)).to_have_count(1)
    expect(village_filter.locator("option", has_text=neighbour.name)).to_have_count(1)
    expect(village_filter.locator("option", has_text=foreign.name)).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text(foreign.name)
    village_filter.select_option(label=neighbour.name)
    expect(villager_rows(page)).to_have_count(1)
    expect(villager_rows(page).filter(has_text=theirs.name)).to_have_count(1)
    screenshot(page, "list")

    page.goto(f"/admin/villager/inspect/{mine.pk}/")
    expect(page.locator("main")).to_contain_text(mine.name)
    expect(page.locator("main")).to_contain_text(mine.masked_id_number)
    expect(page.locator("main")).not_to_contain_text(mine.id_number)
    # Neither in the header nor in a "more actions" menu (hidden items included).
    expect(page.get_by_role("link", name="编辑")).to_have_count(0)
    expect(page.locator(f"a[href*='/admin/villager/edit/{mine.pk}/']")).to_have_count(0)
    expect(page.get_by_role("link", name="签发激活码")).to_have_count(0)
    screenshot(page, "inspect")

    page.goto(f"/admin/villager/edit/{mine.pk}/")
    expect(page.locator("input[name=name]")).to_have_count(0)
    expect(page.get_by_text(re.compile("没有权限"))).to_be_visible()
    screenshot(page)


def test_secretary_issues_activation_code_villager_activates_on_phone(page, new_page, screenshot):
    village = VillageFactory(name="东毛铺村")
    villager_with_role(village, "secretary", username="secretary")
    household = HouseholdFactory(
        village=village, area=AreaFactory(parent__village=village), number="DMP-0233"
    )
    newcomer = VillagerFactory(household=household, name="刘桂芳", phone="13900000002")

    admin_login(page, "secretary")
    page.goto(f"/admin/villager/inspect/{newcomer.pk}/")
    page.get_by_role("button", name=MORE_ACTIONS).click()
    page.get_by_role("link", name="签发激活码").click()
    page.get_by_role("button", name="签发并显示激活单").click()
    slip = page.get_by_test_id("activation-slip")
    expect(slip).to_contain_text(newcomer.name)
    expect(slip).to_contain_text("13900000002")
    code = page.get_by_test_id("activation-code")
    expect(code).to_have_text(re.compile(r"^[0-9A-Z]{5}-[0-9A-Z]{5}$"))
    activation_code = code.inner_text()
    screenshot(page, "slip")

    phone = new_page("phone")
    phone.goto("/activate/")
    assert_fits_phone(phone)
    phone.get_by_label("手机号").fill("13900000002")
    phone.get_by_label("激活码").fill(activation_code)
    phone.get_by_label("设置密码").fill("Maizi-2024-spring")
    phone.get_by_label("再次输入密码").fill("Maizi-2024-spring")
    phone.get_by_role("button", name="激活并登录").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("我的户")
    expect(phone.get_by_role("heading", name=re.compile("DMP-0233"))).to_be_visible()
    expect(phone.get_by_test_id("members")).to_contain_text(newcomer.name)
    assert_fits_phone(phone)
    screenshot(phone)
