"""村级积分制 in a real browser: the points journeys of the people who use it.

1. A grid officer records at the door on a 390×844 phone; the village committee reviews in the
   Wagtail admin; the secretary publishes last month; a villager objects on the phone; the
   committee answers; after the window the secretary posts (期满入账) and the villager's page
   shows the entry 已入账 and the new balance.
2. A villager's points page on a phone: balance, this year's history with a photo, the rules
   by category, the store — and nothing scrolls sideways.
3. The store keeper redeems 洗衣粉 × 2 at the counter: a receipt, and points and stock drop
   together.
4. The secretary drafts a new catalogue version, changes and adds rules, and adopts it by the
   village's published resolution.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from points.models import Entry, EntryStatus, Objection, ObjectionStatus, Publication, Redemption
from tests.support.browser import admin_login, assert_fits_phone, site_login
from tests.support.clock import travel
from tests.support.points_world import (
    Ledger,
    balance,
    build_world,
    photo,
    published_resolution,
    reload,
)

OBJECTION = "柴草是临时放的，当天就搬走了，没有占道。"
ANSWER = "经网格员现场核实，柴草堆放三天，占用村道一半，扣分无误。"


# --- what people do ------------------------------------------------------------------------


def open_points_menu(page, label: str):
    """From the admin's dashboard through the sidebar: 积分 → `label`."""
    page.goto("/admin/")
    page.get_by_role("button", name="积分", exact=True).click()
    page.get_by_role("link", name=label, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(label)


def admin_success(page, text):
    expect(page.locator(".messages li.success", has_text=text)).to_be_visible()


def site_success(page, text):
    expect(page.locator(".messages li.success", has_text=text)).to_be_visible()


def record_at_the_door(page, household, *, rule_label: str, day, reason: str = ""):
    """The grid officer's phone: find the household by number, pick the rule, set the day."""
    page.goto("/points/record/")
    expect(page.get_by_role("heading", level=1)).to_have_text("上门记分")
    page.get_by_label("户号或户主姓名").fill(household.number)
    page.get_by_role("button", name="查找").click()
    page.get_by_test_id("found").get_by_role("link", name=re.compile(household.number)).click()
    expect(page.locator(".lead")).to_contain_text(household.number)
    rule = page.get_by_label("规则")
    # Untouched, the rule reads "请选择" and the form refuses: nothing the officer did not choose.
    expect(rule).to_have_value("")
    expect(rule.locator("option:checked")).to_have_text("请选择")
    page.wait_for_load_state("load")  # measured with the stylesheet applied
    box = rule.bounding_box()
    assert box["height"] >= 44 and box["width"] <= 390  # a thumb's target, inside the phone
    assert rule.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 16
    entries = Entry.objects.count()
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("alert")).to_contain_text("请选择一条积分规则")
    assert Entry.objects.count() == entries
    rule.select_option(label=rule_label)
    date_input = page.get_by_label("日期")
    expect(date_input).to_have_value(f"{timezone.localdate():%Y-%m-%d}")  # today by default
    date_input.fill(f"{day:%Y-%m-%d}")
    if reason:
        page.get_by_label("说明（可不填）").fill(reason)
    assert_fits_phone(page)
    page.get_by_role("button", name="提交").click()
    expect(page).to_have_url(re.compile(r"/points/record/$"))
    site_success(page, f"已登记：{household.number} 户")


# --- journeys ------------------------------------------------------------------------------


def test_entry_goes_from_the_door_through_review_publication_and_objection_to_posting(
    new_page, screenshot
):
    w = build_world()
    ledger = Ledger(w)
    today = timezone.localdate()
    ledger.open_year(year=today.year)
    day = w.day  # the 10th of last month: a month that is over
    assert balance(w.h[1]) == 100

    # The grid officer at two doors, on a phone.
    officer = new_page("phone")
    site_login(officer, w.officer.username)
    record_at_the_door(
        officer,
        w.h[1],
        rule_label="环境卫生 · 乱堆乱放、占道堆物 -3",
        day=day,
        reason="门口堆放柴草占道",
    )
    record_at_the_door(officer, w.h[2], rule_label="环境卫生 · 庭院整洁、门前三包落实 +5", day=day)
    deduction = Entry.objects.get(account__household=w.h[1], rule__code="HJ02")
    addition = Entry.objects.get(account__household=w.h[2], rule__code="HJ01")
    for entry in (deduction, addition):
        assert entry.status == EntryStatus.RECORDED
        assert entry.occurred_on == day
        assert entry.recorded_by == w.officer
    assert deduction.reason == "门口堆放柴草占道"
    assert addition.reason == "庭院整洁、门前三包落实"  # no note: the rule's text

    # The village committee reviews on a desktop.
    committee = new_page("desktop")
    admin_login(committee, w.committee.username)
    open_points_menu(committee, "审核积分")
    rows = committee.get_by_test_id("review-row")
    expect(rows).to_have_count(2)
    expect(committee.locator(".cz-meta").first).to_contain_text("待审核 2 条，合计 2 分")
    committee.get_by_role("checkbox", name=f"{w.h[1].number} 门口堆放柴草占道").check()
    committee.get_by_role("checkbox", name=f"{w.h[2].number} 庭院整洁、门前三包落实").check()
    committee.get_by_label("我已逐条核对照片和说明").check()
    committee.get_by_role("button", name="通过所选").click()
    admin_success(committee, "已通过 2 条。")
    expect(rows).to_have_count(0)
    expect(committee.locator("table.listing")).to_contain_text("没有待审核的记录。")
    assert reload(deduction).status == EntryStatus.REVIEWED
    assert reload(deduction).reviewed_by == w.committee

    # The secretary publishes last month.
    secretary = new_page("desktop")
    admin_login(secretary, w.secretary.username)
    open_points_menu(secretary, "积分公示")
    expect(secretary.locator("input[name=month]")).to_have_value(f"{day:%Y-%m}")
    expect(secretary.get_by_text("已审核待公示 2 条")).to_be_visible()
    secretary.get_by_role("button", name="发布该月积分公示").click()
    title = f"{day.year}年{day.month}月积分公示"
    admin_success(secretary, f"已发布 {title}，异议期至")
    publication = Publication.objects.get(village=w.village)
    assert publication.objection_ends_at - publication.published_at == timedelta(days=5)
    row = secretary.get_by_test_id("publication-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(title)
    expect(row).to_contain_text("公示中")
    expect(row.get_by_role("button", name="期满入账")).to_have_count(0)  # not yet

    # The villager reads the list on the phone and objects to the deduction.
    villager = new_page("phone")
    site_login(villager, w.resident.username)
    villager.goto("/points/")
    expect(villager.get_by_test_id("balance-value")).to_have_text("100")
    villager.get_by_role("link", name=title).click()
    expect(villager.get_by_role("heading", level=1)).to_contain_text(title)
    expect(villager.locator(".lead")).to_contain_text("公示中，可提出异议")
    listed = villager.get_by_test_id("publication-rows").locator("li.member")
    expect(listed).to_have_count(2)
    mine = listed.filter(has_text=w.h[1].number)
    expect(mine).to_contain_text("-3")
    expect(mine).to_contain_text("门口堆放柴草占道")
    expect(listed.filter(has_text=w.h[2].number)).to_contain_text("+5")
    assert_fits_phone(villager)
    mine.locator("summary", has_text="有异议").click()
    mine.get_by_label("异议理由").fill(OBJECTION)
    mine.get_by_role("button", name="提交异议").click()
    site_success(villager, "异议已提交，村委会将在公示期内答复。")
    expect(villager).to_have_url(re.compile(rf"/points/publications/{publication.pk}/$"))
    mine = villager.get_by_test_id("publication-rows").locator("li.member", has_text=w.h[1].number)
    expect(mine).to_contain_text("有异议待答复")
    objection = Objection.objects.get(entry=deduction)
    assert objection.text == OBJECTION and objection.status == ObjectionStatus.OPEN

    # The committee answers: the objection does not hold.
    open_points_menu(committee, "积分异议")
    item = committee.get_by_test_id("objection-row")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(OBJECTION)
    expect(item).to_contain_text(w.h[1].number)
    item.get_by_label("答复").fill(ANSWER)
    item.get_by_role("button", name="异议不成立").click()
    admin_success(committee, "已答复。")
    expect(item).to_contain_text(f"异议不成立：{ANSWER}")
    assert reload(objection).status == ObjectionStatus.REJECTED
    assert reload(deduction).status == EntryStatus.PUBLISHED  # posts when the window ends

    # The five days pass: the publication is moved into the past rather than waited for.
    ago = publication.objection_ends_at - timezone.now() + timedelta(minutes=1)
    Publication.objects.filter(pk=publication.pk).update(
        published_at=publication.published_at - ago,
        objection_ends_at=publication.objection_ends_at - ago,
    )
    secretary.reload()
    row = secretary.get_by_test_id("publication-row")
    expect(row).to_contain_text("异议期已满，待入账")
    row.get_by_role("button", name="期满入账").click()
    admin_success(secretary, "已入账 2 条。")
    expect(secretary.get_by_test_id("publication-row")).to_contain_text("已入账")
    assert reload(deduction).status == EntryStatus.POSTED
    assert reload(addition).status == EntryStatus.POSTED
    assert balance(w.h[1]) == 97
    assert balance(w.h[2]) == 105

    # The villager's page: the deduction is posted and the balance moved.
    villager.goto("/points/")
    expect(villager.get_by_test_id("balance-value")).to_have_text("97")
    if day.year == today.year:  # the page lists this year's entries (not so in January)
        entry = villager.get_by_test_id("entries").locator("li", has_text="门口堆放柴草占道")
        expect(entry).to_contain_text("-3")
        expect(entry.locator(".badge")).to_have_text("已入账")
        expect(entry).to_contain_text(f"异议：{OBJECTION} — 异议不成立：{ANSWER}")
        expect(entry.get_by_text("有异议", exact=True)).to_have_count(0)  # window over
    villager.get_by_role("link", name=title).click()
    expect(villager.locator(".lead")).to_contain_text("已入账")
    expect(villager.get_by_test_id("publication-rows").locator(".badge")).to_have_text(
        ["已入账", "已入账"]
    )
    expect(villager.get_by_role("button", name="提交异议")).to_have_count(0)
    screenshot(villager)


@pytest.mark.device("phone")
def test_villager_reads_balance_history_rules_and_store_on_a_phone(page, screenshot):
    w = build_world()
    ledger = Ledger(w)
    now = timezone.now()
    today = timezone.localdate()
    ledger.open_year(year=today.year)
    # This year's history: last month's entries — or in January, when last month was last
    # year, today's, published from a day of next month (the clock moved forward).
    in_january = w.day.year != today.year
    if in_january:
        w.day = today
    xl = ledger.record(w.h[1], "XL01", photo=photo(), reason="照顾瘫痪婆婆十余年")
    hj = ledger.record(w.h[1], "HJ01")
    fine = ledger.record(w.h[1], "HJ02", reason="门口堆放柴草占道")
    ledger.review([xl, hj, fine])
    with travel(now + timedelta(days=32) if in_january else now):
        publication = ledger.publish()
    ledger.close(publication)
    pending = ledger.record(w.h[1], "ZY01", reason="参加河道清理")
    assert balance(w.h[1]) == 100 + 10 + 5 - 3

    site_login(page, w.resident.username)
    page.goto("/points/")
    expect(page.get_by_role("heading", level=1)).to_have_text("我家的积分")
    expect(page.get_by_test_id("balance")).to_contain_text(w.h[1].number)
    expect(page.get_by_test_id("balance-value")).to_have_text("112")
    expect(page.get_by_test_id("score")).to_have_text("112")

    entries = page.get_by_test_id("entries").locator("li.member")
    expect(entries).to_have_count(5)  # the base points, three posted, one waiting
    photo_entry = entries.filter(has_text="照顾瘫痪婆婆十余年")
    expect(photo_entry).to_contain_text("+10")
    expect(photo_entry).to_contain_text("孝老爱亲")
    expect(photo_entry.locator(".badge")).to_have_text("已入账")
    img = photo_entry.get_by_role("img", name="现场照片")
    expect(img).to_have_count(1)
    expect(img).to_have_attribute("src", reload(xl).photo.url)
    expect(page.get_by_role("img", name="现场照片")).to_have_count(1)
    expect(entries.filter(has_text="庭院整洁、门前三包落实")).to_contain_text("+5")
    expect(entries.filter(has_text="门口堆放柴草占道")).to_contain_text("-3")
    expect(entries.filter(has_text=f"{today.year}年度基础分")).to_contain_text("+100")
    waiting = entries.filter(has_text=pending.reason)
    expect(waiting.locator(".badge")).to_have_text("已登记")

    # The rules, folded by category.
    rules = page.locator("details.panel")
    expect(rules.locator("summary")).to_have_text(
        ["环境卫生（2）", "孝老爱亲（1）", "志愿服务（1）", "遵纪守法（1）"]
    )
    occupation = page.get_by_text("乱堆乱放、占道堆物")
    expect(occupation).to_be_hidden()
    rules.locator("summary", has_text="环境卫生").click()
    expect(occupation).to_be_visible()
    expect(rules.first).to_contain_text("-3")
    volunteer = rules.filter(has_text="志愿服务")
    volunteer.locator("summary").click()
    expect(volunteer).to_contain_text("每年最多 2 次")

    # The store: what is on the shelf, not what was taken off.
    store = page.get_by_test_id("store")
    expect(store).to_contain_text("洗衣粉")
    expect(store).to_contain_text("10 分 / 袋 · 库存 20")
    expect(store).to_contain_text("大米")
    expect(store).not_to_contain_text("旧暖瓶")

    assert_fits_phone(page)
    path = screenshot(page)
    assert path.stat().st_size > 0


def test_store_keeper_redeems_at_the_counter(page, screenshot):
    w = build_world()
    Ledger(w).open_year(year=timezone.localdate().year)
    soap = w.items["soap"]
    household = w.h[2]
    assert balance(household) == 100

    admin_login(page, w.keeper.username)
    open_points_menu(page, "积分超市收银")
    page.get_by_label("户号（扫户积分卡或输入）").fill(household.number)
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("counter-household")).to_contain_text(household.number)
    expect(page.get_by_test_id("counter-balance")).to_have_text("100")
    page.get_by_label("物品").select_option(label="洗衣粉 · 10分/袋 · 库存 20")
    page.get_by_label("数量").fill("2")
    page.get_by_role("button", name="兑换").click()

    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_be_visible()
    redemption = Redemption.objects.get()
    expect(receipt).to_contain_text(redemption.receipt)
    expect(receipt).to_contain_text(f"{household.number} · 洗衣粉 × 2 · 扣 20 分")
    expect(page.get_by_test_id("counter-balance")).to_have_text("80")
    expect(page.get_by_label("物品")).to_contain_text("洗衣粉 · 10分/袋 · 库存 18")
    screenshot(page)

    # Points and stock moved together, once.
    assert balance(household) == 80
    assert reload(soap).stock == 18
    assert redemption.quantity == 2 and redemption.points == 20
    assert redemption.served_by == w.keeper
    assert redemption.entry.points == -20 and redemption.entry.status == EntryStatus.POSTED
    # A reload does not redeem again; the receipt was shown once.
    page.reload()
    expect(page.get_by_test_id("receipt")).to_have_count(0)
    expect(page.get_by_test_id("counter-balance")).to_have_text("80")
    assert Redemption.objects.count() == 1


def test_secretary_drafts_a_new_catalogue_and_adopts_it_by_the_resolution(page, screenshot):
    """4. The village has voted to amend its points rules: the secretary drafts version 2 from
    version 1, raises 乱堆柴草 to −5, adds a rule, and adopts the draft by that resolution."""
    w = build_world()
    matter = published_resolution(w.village, title="修订积分制管理细则（第二版）")
    admin_login(page, w.secretary.username)
    open_points_menu(page, "积分细则版本")
    expect(page.get_by_test_id("catalogue-row")).to_have_count(1)  # their village's version 1
    page.get_by_test_id("draft").click()
    admin_success(page, "已起草新版本")
    expect(page.get_by_test_id("state")).to_contain_text("草案")
    rows = page.get_by_test_id("rule-row")
    expect(rows).to_have_count(5)

    rows.filter(has_text="HJ02").get_by_role("link", name="修改").click()
    form = page.get_by_test_id("rule-form")
    form.get_by_label("分值").fill("-5")
    form.get_by_role("button", name="保存规则").click()
    admin_success(page, "规则已保存")
    expect(rows.filter(has_text="HJ02")).to_contain_text("-5")

    form.get_by_label("编码").fill("PA01")
    form.get_by_label("内容").fill("参加夜间治安巡逻")
    form.get_by_label("分值").fill("3")
    form.get_by_label("或新类别").fill("平安建设")
    form.get_by_role("button", name="保存规则").click()
    admin_success(page, "规则已保存")
    expect(rows).to_have_count(6)
    expect(rows.filter(has_text="PA01")).to_contain_text("平安建设")

    adopt = page.get_by_test_id("adopt-form")
    published = timezone.localdate() - timedelta(days=1)
    adopt.get_by_label("通过该细则的决议").select_option(
        label=f"{matter.title}（{published:%Y-%m-%d}）"
    )
    adopt.get_by_label("生效日期").fill(f"{timezone.localdate() + timedelta(days=1):%Y-%m-%d}")
    adopt.get_by_role("button", name="通过并生效").click()
    admin_success(page, "新版本已通过")
    expect(page.get_by_test_id("state")).to_contain_text(matter.title)
    expect(page.get_by_test_id("rule-form")).to_have_count(0)
    screenshot(page)

    version = w.catalogue.village.point_catalogues.get(version=2)
    assert not version.is_draft and version.adopted_matter == matter.pk
    assert version.rules.get(code="HJ02").points == -5
    assert w.rules["HJ02"].points == -3  # version 1, which earlier entries cite, is untouched
