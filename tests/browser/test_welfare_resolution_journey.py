"""A welfare allocation in a real browser: published only under the villagers' resolution that
decided it, then open for objections (村民委员会组织法 Art. 24: the use of collective income is
the villagers' decision).

The secretary drafts the year-end allocation on a desktop (积分 → 星级与福利), reads its terms
and fingerprint, and asks the villagers to decide it (发起议题: a draft matter quoting the terms).
Of the village's published resolutions, one quoting another total and one still in its window
are refused with what is wrong named; the one quoting exactly these terms publishes the list. A
villager reads it on a phone and objects; the secretary answers; once the window is over the
villager's page shows the list 已确定.
"""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from deliberation.models import Matter, MatterStatus
from points import selectors, terms
from points.models import Allocation, AllocationObjection
from tests.support.browser import admin_login, assert_fits_phone, site_login
from tests.support.clock import travel
from tests.support.points_world import Ledger, build_world, reload, resolution_for

TITLE = "年终积分奖励"
OBJECTION = "我家去年参加河道清理两次，积分没有算进来，分得少了。"
ANSWER = "经核对，两次义务劳动已按细则记分入账，名单无误。"


# --- what people do ------------------------------------------------------------------------


def open_points_menu(page, label: str):
    """From the admin's dashboard through the sidebar: 积分 → `label`."""
    page.goto("/admin/")
    page.get_by_role("button", name="积分", exact=True).click()
    page.get_by_role("link", name=label, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(label)


def admin_message(page, kind: str, text: str):
    expect(page.locator(f".messages li.{kind}", has_text=text)).to_be_visible()


def site_success(page, text):
    expect(page.locator(".messages li.success", has_text=text)).to_be_visible()


def choose_resolution(page, matter, state: str):
    """Pick `matter` in the allocation page's 依据决议 list (its option reads its state)."""
    page.get_by_test_id("resolution").select_option(label=f"#{matter.pk} {matter.title}（{state}）")
    page.get_by_test_id("publish").click()


# --- the journey ---------------------------------------------------------------------------


def test_allocation_is_published_only_under_its_resolution_and_then_objected_to(
    new_page, screenshot
):
    w = build_world()
    ledger = Ledger(w)
    ledger.open_year(year=w.day.year)
    # The year's scores above the base of 100: h1 +5, h2 +2 (posted: record → review →
    # publish → the window → posted).
    ledger.post((w.h[1], "HJ01"), (w.h[2], "ZY01"))
    year = w.day.year

    # The secretary drafts the allocation: ¥7,000 over the scores above 100.
    secretary = new_page("desktop")
    admin_login(secretary, w.secretary.username)
    open_points_menu(secretary, "星级与福利")
    form = secretary.locator("form", has=secretary.get_by_role("button", name="按积分分配"))
    expect(form.get_by_label("村")).to_have_value(str(w.village.pk))  # their only village
    form.get_by_label("积分年度").fill(str(year))
    form.get_by_label("名称").fill(TITLE)
    form.get_by_label("总额（元）").fill("7000")
    form.get_by_label("起算分").fill("100")
    form.get_by_role("button", name="按积分分配").click()
    admin_message(secretary, "success", "已按积分分配（草案）")
    allocation = Allocation.objects.get(village=w.village)
    assert (allocation.year, allocation.title, allocation.pool_fen) == (year, TITLE, 7_000_00)
    assert allocation.published_at is None
    amounts = {s.household_id: s.amount_fen for s in allocation.shares.all()}
    assert amounts[w.h[1].pk] == 5_000_00 and amounts[w.h[2].pk] == 2_000_00
    row = secretary.get_by_test_id("allocation-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"{w.village.name} · {TITLE}")
    row.get_by_test_id("open-allocation").click()

    # The allocation's page: a draft, its terms and the fingerprint of the list.
    page_url = f"/admin/points/welfare/allocations/{allocation.pk}/"
    expect(secretary).to_have_url(re.compile(rf"{re.escape(page_url)}$"))
    expect(secretary.get_by_test_id("state")).to_contain_text("草案，尚未公布")
    items = selectors.allocation_terms(allocation)
    fingerprint = dict(items)[terms.FINGERPRINT]
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint)
    assert dict(items)["总额"] == "7,000.00 元"
    expect(secretary.get_by_test_id("terms").locator("tr")).to_have_text(
        [f"{label}{value}" for label, value in items]
    )
    # No resolution of the village decides collective income yet.
    expect(secretary.get_by_test_id("resolution").locator("option")).to_have_text(
        ["本村还没有公开的集体经济所得收益使用决议"]
    )

    # 发起议题: a draft matter whose text quotes the terms, and its admin page.
    secretary.get_by_test_id("propose").click()
    expect(secretary).to_have_url(re.compile(r"/admin/matters/\d+/$"))
    ref = int(re.search(r"/admin/matters/(\d+)/$", secretary.url).group(1))
    admin_message(secretary, "success", "已发起议题")
    matter = Matter.objects.get(pk=ref)
    assert matter.village == w.village
    assert matter.category == "collective_income" and matter.status == MatterStatus.DRAFT
    assert matter.title == f"{TITLE}分配方案"
    assert matter.estimated_amount_fen == 7_000_00
    assert terms.block(terms.ALLOCATION, items) in matter.body
    assert reload(allocation).proposed_matter == ref
    expect(secretary.get_by_role("heading", level=1)).to_contain_text(matter.title)
    expect(secretary.locator(".cz-body")).to_contain_text(f"{terms.FINGERPRINT}：{fingerprint}")

    # The village's resolutions on collective income (rows as the procedure leaves them): one
    # quoting another total, one quoting these terms but still in its publication window, and
    # the one that decided this list.
    wrong_total = [(k, "40,000.00 元" if k == "总额" else v) for k, v in items]
    other = resolution_for(w.village, terms.ALLOCATION, wrong_total, title="年终奖励方案（初稿）")
    pending = resolution_for(
        w.village, terms.ALLOCATION, items, settled=False, title="年终奖励方案（复议）"
    )
    decided = resolution_for(w.village, terms.ALLOCATION, items, title=f"{TITLE}分配方案")

    secretary.goto(page_url)
    expect(secretary.get_by_test_id("proposed")).to_contain_text(f"已发起议题 #{ref}")
    expect(secretary.get_by_test_id("resolution").locator("option")).to_have_count(3)

    choose_resolution(secretary, other, "公开期满")
    admin_message(
        secretary,
        "error",
        "名单与决议不一致，不能公布。总额：决议为“40,000.00 元”，本名单为“7,000.00 元”",
    )
    refusal = secretary.locator(".messages li.error")
    expect(refusal).not_to_contain_text("名单指纹")  # only what differs is named
    expect(refusal).not_to_contain_text("起算分")
    assert reload(allocation).published_at is None
    expect(secretary.get_by_test_id("state")).to_contain_text("草案，尚未公布")

    ends = timezone.localdate(pending.publications.get().ends_at)
    choose_resolution(secretary, pending, f"公开至 {ends:%Y-%m-%d}")
    admin_message(secretary, "error", f"“{pending.title}”的决议还在公开期")
    assert reload(allocation).published_at is None
    assert reload(allocation).matter_ref is None

    choose_resolution(secretary, decided, "公开期满")
    admin_message(secretary, "success", "已按决议公布。")
    allocation = reload(allocation)
    assert allocation.matter_ref == decided.pk
    assert allocation.resolution_sha256 == decided.frozen_hash
    days = w.village.rules.points_objection_days
    assert allocation.objection_ends_at - allocation.published_at == timedelta(days=days)
    decided_by = secretary.get_by_test_id("decided-by")
    expect(decided_by).to_contain_text("依据决议")
    expect(decided_by.get_by_role("link", name=decided.title)).to_be_visible()
    expect(secretary.get_by_test_id("state")).to_contain_text("公示中，可提出异议")
    expect(secretary.get_by_test_id("publish")).to_have_count(0)
    expect(secretary.get_by_test_id("objections")).to_contain_text("没有异议。")

    # A villager reads the list on a phone and objects.
    villager = new_page("phone")
    site_login(villager, w.resident.username)
    villager.goto(f"/points/allocations/{allocation.pk}/")
    expect(villager.get_by_role("heading", level=1)).to_contain_text(TITLE)
    expect(villager.get_by_test_id("state")).to_contain_text("公示中，可提出异议")
    expect(villager.get_by_test_id("total")).to_have_text("7,000.00")
    public_decided_by = villager.get_by_test_id("decided-by")
    expect(public_decided_by).to_contain_text("依据决议公布")
    expect(public_decided_by.get_by_role("link", name=decided.title)).to_have_attribute(
        "href", f"/matters/{decided.pk}/"
    )
    shares = villager.get_by_test_id("shares").locator("tbody tr")
    expect(shares.filter(has_text=w.h[1].number)).to_contain_text("5,000.00")
    expect(shares.filter(has_text=w.h[2].number)).to_contain_text("2,000.00")
    assert_fits_phone(villager)
    reason = villager.get_by_label("异议理由")
    expect(reason).to_be_hidden()  # folded until asked for
    villager.locator("summary", has_text="对名单有异议").click()
    reason.fill(OBJECTION)
    villager.get_by_test_id("object").click()
    site_success(villager, "异议已提交，村委会答复后名单才确定。")
    expect(villager).to_have_url(re.compile(rf"/points/allocations/{allocation.pk}/$"))
    expect(villager.get_by_test_id("state")).to_contain_text("异议 1 条，已答复 0 条")
    objection = AllocationObjection.objects.get(allocation=allocation)
    assert objection.text == OBJECTION and objection.answered_at is None
    assert objection.villager.user == w.resident
    assert_fits_phone(villager)

    # The secretary answers it on the allocation's page.
    secretary.reload()
    listed = secretary.get_by_test_id("objections").locator("tbody tr")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text(OBJECTION)
    listed.locator("textarea[name=answer]").fill(ANSWER)
    listed.get_by_role("button", name="答复").click()
    admin_message(secretary, "success", "已答复。")
    expect(secretary.get_by_test_id("objections").locator("tbody tr")).to_contain_text(ANSWER)
    objection = reload(objection)
    assert objection.answer == ANSWER and objection.answered_by == w.secretary

    # Within the window the list is not yet final, answered or not.
    villager.reload()
    expect(villager.get_by_test_id("state")).to_contain_text("公示中，可提出异议")
    expect(villager.get_by_test_id("state")).to_contain_text("异议 1 条，已答复 1 条")

    # The window is over: the clock (the live server's too) is moved past its end while the
    # pages are read, each load finished before the clock comes back.
    with travel(allocation.objection_ends_at + timedelta(minutes=1)):
        villager.reload()
        expect(villager.get_by_test_id("state")).to_contain_text("已确定")
        expect(villager.get_by_test_id("object")).to_have_count(0)
        expect(villager.locator("summary", has_text="对名单有异议")).to_have_count(0)
        assert_fits_phone(villager)
        secretary.reload()
        expect(secretary.get_by_test_id("state")).to_contain_text("已确定")
        screenshot(villager)
