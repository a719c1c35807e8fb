"""四议两公开 in a real browser (issue 4, "Browser tests").

3. The secretary takes a matter through steps 1–4 and publishes the resolution in the Wagtail
   admin: attendance ticked with "勾选显示的全部", votes with "已到者全部赞成", a verdict that
   cites its rule, the frozen SHA-256, hall votes, the tally after the window, publication.
4. A villager votes on a 390×844 phone and gets a receipt with the same SHA-256.
5. A township inspector reads the dashboard (green ✓ for a compliant matter, a red flag for a
   meeting without minutes) and the read-only trail of each, with the audit chain verified.
"""

import hashlib
import json
import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from playwright.sync_api import expect

from deliberation import services
from deliberation.models import (
    Ballot,
    BallotMode,
    Category,
    DecidingBody,
    Matter,
    MatterStatus,
    Meeting,
    Origin,
    Publication,
    SealedBallot,
    Step,
)
from tests.factories import (
    TownshipMembershipFactory,
    UserFactory,
)
from tests.support.browser import admin_login, assert_fits_phone, site_login
from tests.support.clock import travel
from tests.support.deliberation_world import BODY, small_village, to_vote

TITLE = "2027年村集体土地流转方案"


# --- what people do ------------------------------------------------------------------------


def field(page, role, label):
    """A form field by its label, whether or not the label carries the required mark (*)."""
    return page.get_by_role(role, name=re.compile(rf"^{label}\*?$"))


def success(page, text):
    expect(page.locator(".messages li.success", has_text=text)).to_be_visible()


def roster_rows(page):
    return page.get_by_test_id("action").locator(".cz-roster tbody tr")


def record_meeting(page, *, expected_people: list[str], minutes: str):
    """Tick everyone shown, everyone present votes yes, write the minutes, save."""
    rows = roster_rows(page)
    expect(rows).to_have_count(len(expected_people))
    for name in expected_people:
        expect(rows.filter(has_text=name)).to_have_count(1)
    page.get_by_role("button", name="勾选显示的全部").click()
    for box in rows.locator("input[type=checkbox]").all():
        expect(box).to_be_checked()
    page.get_by_role("button", name="已到者全部赞成").click()
    for select in rows.locator("select").all():
        expect(select).to_have_value("yes")
    page.get_by_label("地点").fill("村委会议室")
    page.get_by_label("会议纪要").fill(minutes)
    page.get_by_role("button", name="保存会议记录并计算结论").click()
    success(page, "会议已记录。")


def timeline_item(page, n):
    return page.get_by_test_id("timeline").locator("li").nth(n)


# --- journeys ------------------------------------------------------------------------------


def test_cadre_takes_matter_through_steps_1_to_4_and_publishes(page, shot):
    village, _people = small_village()
    admin_login(page, "dongmaopu-s")

    # The matter list, then a new matter.
    page.goto("/admin/matter/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("议题")
    page.goto("/admin/matter/new/")
    expect(field(page, "combobox", "村")).to_have_value(str(village.pk))
    field(page, "textbox", "议题").fill(TITLE)
    field(page, "textbox", "内容").fill(BODY)
    field(page, "combobox", "类别").select_option(label="土地承包经营方案")
    field(page, "combobox", "来源").select_option(label="党员群众建议")
    field(page, "combobox", "决议机构").select_option(label="村民代表会议")
    # Open or secret is chosen, never defaulted: untouched, the form refuses.
    expect(field(page, "combobox", "投票方式")).to_have_value("")
    page.get_by_role("button", name=re.compile(r"^(创建|保存)$")).click()
    expect(page).to_have_url(re.compile(r"/admin/matter/new/$"))
    assert not Matter.objects.filter(title=TITLE).exists()
    field(page, "combobox", "投票方式").select_option(value="open")
    page.get_by_role("button", name=re.compile(r"^(创建|保存)$")).click()
    expect(page).to_have_url(re.compile(r"/admin/matters/\d+/$"))
    matter = Matter.objects.get(title=TITLE)
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    expect(page.locator(".cz-meta")).to_contain_text("草拟")
    expect(page.locator(".cz-meta")).to_contain_text("党员群众建议")
    # Nothing done yet: compliance has not started, it has not "passed".
    expect(page.get_by_test_id("compliance")).to_have_text("合规检查尚未开始")

    # Step 1: the branch committee (3, the should-attend list from today's memberships).
    action = page.get_by_test_id("action")
    expect(action.get_by_role("heading", level=2)).to_have_text("第 1 步：党支部委员会")
    record_meeting(
        page,
        expected_people=["李书记", "王支委", "赵支委"],
        minutes="党支部提议：同意提交两委商议。",
    )
    step1 = timeline_item(page, 0)
    expect(step1).to_contain_text("党支部提议")
    expect(step1.get_by_test_id("verdict")).to_have_text("通过")
    expect(step1).to_contain_text("应到 3 人，实到 3 人（要求 ≥ 1/2，至少 2 人）；达到法定人数")
    expect(step1).to_contain_text("通过要求赞成票 > 1/2（以 3 为基数，至少 2 票）；结论：通过。")
    expect(step1).to_contain_text("依据：《中国共产党支部工作条例（试行）》第十二条")

    # Only now the next step: the two committees (5).
    expect(action.get_by_role("heading", level=2)).to_have_text("第 2 步：村两委")
    # The should-attend list follows the meeting's date as soon as it is set, no extra click:
    # a day before anyone held office lists nobody, today lists the five.
    expect(page.get_by_role("button", name="按此日期生成应到名单")).to_have_count(0)
    date_field = action.get_by_label("会议日期")
    date_field.fill((timezone.localdate() - timedelta(days=3650)).isoformat())
    expect(roster_rows(page)).to_have_text(["会议日期当天该机构没有成员。"])
    date_field.fill(timezone.localdate().isoformat())
    expect(roster_rows(page)).to_have_count(5)
    record_meeting(
        page,
        expected_people=["李书记", "王支委", "赵支委", "孙村委", "周村委"],
        minutes="两委商议：方案可行，提交党员大会审议。",
    )
    step2 = timeline_item(page, 1)
    expect(step2.get_by_test_id("verdict")).to_have_text("通过")
    expect(step2).to_contain_text("应到 5 人，实到 5 人")
    expect(step2).to_contain_text("两委联席会议议事规则（地方惯例）")

    # Step 3: the full party members (5).
    expect(action.get_by_role("heading", level=2)).to_have_text("第 3 步：党员大会")
    record_meeting(
        page,
        expected_people=["李书记", "王支委", "赵支委", "钱党员", "吴党员"],
        minutes="党员大会审议：同意提交村民代表会议表决。",
    )
    step3 = timeline_item(page, 2)
    expect(step3.get_by_test_id("verdict")).to_have_text("通过")
    expect(step3).to_contain_text("《中国共产党支部工作条例（试行）》第十一条")

    # Step 4: freeze the text and open the vote; the fingerprint is the text's SHA-256.
    expect(action.get_by_role("heading", level=2)).to_have_text("第 4 步：交付表决（冻结文本）")
    expect(page.get_by_test_id("frozen-hash")).to_have_count(0)
    page.get_by_role("button", name="冻结文本并开始表决").click()
    success(page, "文本已冻结，表决已开始。")
    sha256 = hashlib.sha256(f"{TITLE}\n\n{BODY}".encode()).hexdigest()
    expect(page.get_by_test_id("frozen-hash")).to_have_text(sha256)
    expect(page.locator(".cz-meta")).to_contain_text("表决中")

    # Hall votes of the representatives' meeting (7): everyone came and voted yes.
    rows = roster_rows(page)
    expect(rows).to_have_count(7)
    page.get_by_role("button", name="勾选显示的全部").click()
    page.get_by_role("button", name="已到者全部赞成").click()
    page.get_by_role("button", name="保存会场投票").click()
    success(page, "会场投票已登记。")
    expect(action).to_contain_text("应到 7 人，已投票 7 人。")
    expect(rows.locator(".cz-badge", has_text="已投票")).to_have_count(7)
    # The online window is still open: no tally yet.
    expect(action).to_contain_text("网上投票截止后才能计票。")
    expect(page.get_by_role("button", name="结束表决并计票")).to_have_count(0)

    # The window ends (moved into the past rather than waiting two days).
    now = timezone.now()
    Meeting.objects.filter(matter=matter, step=Step.RESOLUTION).update(
        vote_opens_at=now - timedelta(hours=2), vote_closes_at=now - timedelta(minutes=1)
    )
    page.reload()
    action.get_by_label("会议纪要").fill("村民代表会议表决：7 人到会，全部赞成。")
    page.get_by_role("button", name="结束表决并计票").click()
    success(page, "已计票。")
    step4 = timeline_item(page, 3)
    expect(step4).to_contain_text("村民（代表）会议决议")
    expect(step4.get_by_test_id("verdict")).to_have_text("通过")
    expect(step4).to_contain_text("应到 7 人，实到 7 人（要求 ≥ 2/3，至少 5 人）")
    expect(step4).to_contain_text("《村民委员会组织法》第二十六条")
    expect(page.locator(".cz-meta")).to_contain_text("已决议，待公开")

    # Step 5: publish the resolution for the 7 days the rule set asks.
    expect(action.get_by_role("heading", level=2)).to_have_text("第 5 步：决议公开")
    expect(action.get_by_label("内容")).to_have_value(re.compile(f"{TITLE}获得通过"))
    page.get_by_role("button", name="公开决议（7 天）").click()
    success(page, "决议已公开。")
    publication = Publication.objects.get(matter=matter)
    assert publication.ends_at - publication.starts_at == timedelta(days=7)
    end = timezone.localtime(publication.ends_at)
    assert end.date() == timezone.localdate() + timedelta(days=7)
    expect(action.get_by_role("heading", level=2)).to_have_text("决议公开")
    expect(action).to_contain_text(f"公开期至 {end:%Y-%m-%d %H:%M}。")
    expect(action.get_by_test_id("objections")).to_contain_text("暂无异议")
    expect(page.get_by_test_id("timeline")).to_contain_text(
        f"{end:%Y-%m-%d %H:%M}（7 天，《村民委员会组织法》第三十条）"
    )
    expect(page.locator(".cz-meta")).to_contain_text("决议公开中")
    expect(page.locator(".cz-flag.ok")).to_have_text("合规检查全部通过")
    shot(page)


@pytest.mark.device("phone")
def test_villager_votes_on_phone_and_gets_receipt(page, shot):
    village, people = small_village()
    matter = to_vote(village, people, title=TITLE, deciding_body=DecidingBody.VILLAGERS_MEETING)
    sha256 = hashlib.sha256(f"{TITLE}\n\n{BODY}".encode()).hexdigest()
    assert matter.frozen_hash == sha256

    site_login(page, people["x"].phone)
    page.goto("/matters/")
    voting = page.get_by_test_id("voting")
    expect(voting.locator("li")).to_have_count(1)
    expect(voting).to_contain_text("去投票")
    assert_fits_phone(page)
    voting.get_by_role("link", name=re.compile(TITLE)).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("main")).to_contain_text(BODY)
    expect(page.get_by_test_id("ballot-hash")).to_have_text(sha256)
    assert_fits_phone(page)
    page.get_by_label("赞成").check()
    page.get_by_role("button", name="确认投票").click()

    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_contain_text("投票成功")
    expect(receipt).to_contain_text("您的选择：赞成")
    code = page.get_by_test_id("receipt-code")
    expect(code).to_have_text(re.compile(r"^[2-9A-HJKMNP-Z]{10}$"))
    expect(receipt.locator("code.hash")).to_have_text(sha256)
    ballot = Ballot.objects.get(meeting__matter=matter, voter=people["x"])
    assert (ballot.choice, ballot.receipt) == ("yes", code.inner_text())
    assert_fits_phone(page)
    shot(page, "receipt")

    expect(page.get_by_test_id("receipt-note")).to_contain_text("这是记名投票")

    # Coming back to an open (记名) vote: the villager finds their own receipt again.
    page.reload()
    expect(page.get_by_text("您已经投过票了。")).to_be_visible()
    expect(page.get_by_test_id("receipt")).to_contain_text("您的投票")
    expect(page.get_by_test_id("receipt-code")).to_have_text(ballot.receipt)
    expect(page.get_by_role("button", name="确认投票")).to_have_count(0)
    page.goto("/matters/")
    expect(page.get_by_test_id("voting")).to_contain_text("您已投票")
    assert_fits_phone(page)
    shot(page)


@pytest.mark.device("phone")
def test_villager_casts_a_secret_vote_and_sees_the_receipt_once(page, shot):
    village, people = small_village()
    matter = to_vote(
        village,
        people,
        title=TITLE,
        deciding_body=DecidingBody.VILLAGERS_MEETING,
        ballot_mode=BallotMode.SECRET,
    )
    site_login(page, people["x"].phone)
    page.goto(f"/matters/{matter.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("main")).to_contain_text("无记名投票")
    page.get_by_label("反对").check()
    page.get_by_role("button", name="确认投票").click()

    # The receipt comes with the answer to the vote; the server keeps nothing of the choice.
    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_contain_text("投票成功")
    expect(receipt).to_contain_text("您的选择：反对")
    code = page.get_by_test_id("receipt-code")
    expect(code).to_have_text(re.compile(r"^[2-9A-HJKMNP-Z]{10}$"))
    expect(receipt.locator("code.hash")).to_have_text(matter.frozen_hash)
    receipt_code = code.inner_text()
    # Until the count the vote is sealed: nothing stored reads as a choice.
    assert not Ballot.cast.filter(meeting__matter=matter, meeting__step=Step.RESOLUTION).exists()
    assert SealedBallot.objects.filter(meeting__matter=matter).count() == 1
    sessions = [json.dumps(s.get_decoded(), ensure_ascii=False) for s in Session.objects.all()]
    assert sessions
    assert not [s for s in sessions if "反对" in s or '"no"' in s or receipt_code in s]
    assert_fits_phone(page)
    shot(page, "receipt")

    expect(page.get_by_test_id("receipt-note")).to_contain_text("回执码只显示这一次")

    page.goto(f"/matters/{matter.pk}/")
    expect(page.get_by_text("您已经投过票了。")).to_be_visible()
    expect(page.get_by_test_id("receipt")).to_have_count(0)
    expect(page.get_by_test_id("receipt-once")).to_contain_text("无法把您和您的选择对应起来")
    expect(page.get_by_role("button", name="确认投票")).to_have_count(0)

    # Counted after the window: the villager finds the receipt in the published list.
    closes = Meeting.objects.get(matter=matter, step=Step.RESOLUTION).vote_closes_at
    with travel(closes + timedelta(minutes=5)):
        services.matter_close_vote(actor=people["s"].user, matter=matter, minutes="当场计票。")
    page.goto(f"/matters/{matter.pk}/")
    mine = page.locator("ul.receipts li", has_text=receipt_code)
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("反对")
    assert_fits_phone(page)
    shot(page, "receipt-list")
    ballot = Ballot.cast.get(meeting__matter=matter, receipt=receipt_code)
    assert (ballot.voter_id, ballot.choice) == (None, "no")


def test_inspector_reads_compliant_and_rule_breaking_trails(page, shot):
    village, people = small_village()
    neighbour, neighbours = small_village(name="西河村", code="xihe", township=village.township)
    TownshipMembershipFactory(
        township=village.township, role="inspector", user=UserFactory(username="inspector")
    )
    # Compliant: every step with its minutes, voted, tallied after the window and published.
    good = to_vote(
        village,
        people,
        title="2027年村集体土地流转方案",
        deciding_body=DecidingBody.REPRESENTATIVES_MEETING,
    )
    voters = [people[label].pk for label in ("s", "v1", "v2", "r1", "r2", "r3", "r4")]
    services.hall_votes_enter(
        actor=people["s"].user,
        matter=good,
        present=voters,
        votes=dict.fromkeys(voters, "yes"),
    )
    closes = Meeting.objects.get(matter=good, step=Step.RESOLUTION).vote_closes_at
    with travel(closes + timedelta(minutes=5)):
        services.matter_close_vote(
            actor=people["s"].user, matter=good, minutes="7 人到会，全部赞成。"
        )
        services.matter_publish(
            actor=people["s"].user, matter=good, text="决议：同意土地流转方案。"
        )
    # Breaking a rule: the branch committee's meeting recorded without minutes.
    bad = services.matter_create(
        actor=neighbours["s"].user,
        village=neighbour,
        title="村道路灯安装筹资方案",
        body="全村安装太阳能路灯40盏，每户筹资50元。",
        category=Category.PUBLIC_WELFARE_FUNDING,
        origin=Origin.CADRE,
    )
    branch = [neighbours[label].pk for label in ("s", "b1", "b2")]
    services.meeting_record(
        actor=neighbours["s"].user,
        matter=bad,
        held_on=timezone.localdate(),
        present=branch,
        votes=dict.fromkeys(branch, "yes"),
        minutes="同意。",
    )
    # Minutes are required when a meeting is recorded; a record kept before that rule (or
    # blanked behind the code's back) is what the check still catches.
    Meeting.objects.filter(matter=bad).update(minutes="")
    good.refresh_from_db()
    assert good.status == MatterStatus.PUBLISHING

    admin_login(page, "inspector")
    page.goto("/admin/matters/dashboard/")
    own = page.get_by_test_id("village-dongmaopu")
    other = page.get_by_test_id("village-xihe")
    expect(own.get_by_role("heading", level=2)).to_contain_text("东毛铺村")
    expect(own.get_by_role("heading", level=2)).to_contain_text("全部合规")
    good_row = own.locator("tbody tr", has_text="2027年村集体土地流转方案")
    expect(good_row).to_contain_text("决议公开中")
    expect(good_row.locator(".cz-flag.ok")).to_have_text("✓")
    expect(good_row.locator(".cz-flag.bad")).to_have_count(0)
    expect(other.get_by_role("heading", level=2)).to_contain_text("1 个议题不合规")
    bad_row = other.locator("tbody tr", has_text="村道路灯安装筹资方案")
    expect(bad_row.locator(".cz-flag.bad")).to_contain_text("✗")
    expect(bad_row.locator(".cz-flag.bad")).to_contain_text("党支部提议缺少会议纪要")
    expect(bad_row.locator(".cz-flag.ok")).to_have_count(0)
    shot(page, "dashboard")

    # The compliant matter's trail: read-only, chain verified, every check green.
    good_row.get_by_role("link", name="2027年村集体土地流转方案").click()
    expect(page).to_have_url(re.compile(rf"/admin/matters/{good.pk}/trail/$"))
    assert_read_only_trail(page)
    flags = page.get_by_test_id("flags").locator("tbody tr")
    expect(flags.filter(has_text="不合规")).to_have_count(0)
    expect(flags.filter(has_text="各次会议均有纪要")).to_have_count(1)
    expect(page.locator("main")).to_contain_text("到会 7 / 应到 7，要求 ≥ 2/3")
    # Events and checks by their Chinese names, not their codes.
    events = page.get_by_test_id("events")
    expect(events.locator("tbody tr", has_text="决议公开")).to_have_count(1)
    expect(events).not_to_contain_text("deliberation.")
    expect(flags.filter(has_text="步骤齐全")).to_have_count(1)
    expect(page.get_by_test_id("flags")).not_to_contain_text("step_missing")
    shot(page, "good-trail")

    # The rule-breaking matter's trail: the red flag and its reason.
    page.goto("/admin/matters/dashboard/")
    other.locator("tbody tr", has_text="村道路灯安装筹资方案").get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/admin/matters/{bad.pk}/trail/$"))
    assert_read_only_trail(page)
    red = page.get_by_test_id("flags").locator("tbody tr.bad")
    expect(red).to_have_count(1)
    expect(red).to_contain_text("✗ 不合规")
    expect(red).to_contain_text("党支部提议缺少会议纪要")
    shot(page, "bad-trail")

    # The matter's own page offers the inspector no action either.
    page.goto(f"/admin/matters/{bad.pk}/")
    expect(page.get_by_test_id("red-flags")).to_have_text("1 项不合规")
    expect(page.get_by_test_id("action")).to_have_count(0)
    expect(page.locator("main form")).to_have_count(0)
    shot(page)


def assert_read_only_trail(page):
    expect(page.get_by_test_id("chain")).to_contain_text("本村审计链校验完整")
    main = page.locator("main")
    expect(main.locator("form")).to_have_count(0)
    expect(main.locator("input, select, textarea")).to_have_count(0)
    for label in ("保存会议记录并计算结论", "冻结文本并开始表决", "结束表决并计票", "编辑"):
        expect(page.get_by_role("button", name=label)).to_have_count(0)
        expect(page.get_by_role("link", name=label)).to_have_count(0)
