"""村务监督委员会 in a real browser (村民委员会组织法 Art. 32).

A matter of the deliberation world is taken by the services through steps 1–3 and a
representatives' vote counted in the hall. Then, on a desktop:

1. The committee member (x1) disputes the counted tally on the matter's admin page, with a
   reason, and gives an opinion on the matter; both notes are listed at once.
2. A dispute without a reason is refused with a message and writes nothing.
3. The township's inspector sees the matter flagged with the committee's reason on 议事巡查,
   both notes on the read-only trail, and no supervision form on the matter's page.
"""

import re

from playwright.sync_api import expect

from deliberation.models import Step
from tests.support.browser import admin_login
from village.models import Stance, SupervisionNote

REASON = "会场计票时两张选票字迹不清，应当场复核而未复核"
OPINION = "同意，建议公开明细"


def message(page, kind, text):
    expect(page.locator(f".messages li.{kind}", has_text=text)).to_be_visible()


def supervise(page, *, subject, stance, text):
    """Fill in the committee's form on the matter's page and submit it."""
    form = page.get_by_test_id("supervision")
    form.get_by_test_id("subject").select_option(label=subject)
    form.get_by_test_id("stance").select_option(label=stance)
    form.get_by_test_id("supervision-text").fill(text)
    form.get_by_test_id("supervise").click()


def test_committee_disputes_a_tally_and_the_inspector_sees_the_flag(
    page, new_page, deliberation_world, people, procedure, inspector, shot
):
    matter = procedure.to_vote()
    procedure.resolve(matter)
    meeting = matter.meetings.get(step=Step.RESOLUTION)
    tally = f"村民（代表）会议决议（{meeting.held_on.isoformat()}）计票"
    member = people["x1"]

    # 1. The committee member disputes the tally, then gives an opinion on the matter.
    admin_login(page, member.user.username)
    page.goto(f"/admin/matters/{matter.pk}/")
    section = page.get_by_test_id("supervision")
    expect(section.get_by_role("heading", level=3)).to_have_text("村务监督委员会")
    expect(section).to_contain_text("监督委员会尚未会签或提出意见。")
    notes = section.get_by_test_id("supervision-note")
    expect(notes).to_have_count(0)
    # The subjects: the matter itself and every counted meeting (steps 1–4).
    subjects = section.get_by_test_id("subject").locator("option")
    expect(subjects.first).to_have_text("议题（监督意见）")
    expect(subjects.filter(has_text=tally)).to_have_count(1)
    expect(section.get_by_test_id("stance").locator("option")).to_have_text(
        ["会签确认", "有异议", "监督意见"]
    )
    # The secretary's step forms are not the committee's.
    expect(page.get_by_test_id("action")).to_have_count(0)

    supervise(page, subject=tally, stance="有异议", text=REASON)
    expect(page).to_have_url(re.compile(rf"/admin/matters/{matter.pk}/$"))
    message(page, "success", "监督意见已记录")
    expect(notes).to_have_count(1)
    expect(notes.first).to_contain_text(f"有异议 · {tally} · {member.name}")
    expect(notes.first).to_contain_text(REASON)
    expect(page.get_by_test_id("red-flags")).to_have_text("1 项不合规")

    supervise(page, subject="议题（监督意见）", stance="监督意见", text=OPINION)
    message(page, "success", "监督意见已记录")
    expect(notes).to_have_count(2)
    expect(notes.nth(1)).to_contain_text(f"监督意见 · 议题 · {member.name}")
    expect(notes.nth(1)).to_contain_text(OPINION)
    assert [(n.stance, n.text) for n in SupervisionNote.objects.order_by("pk")] == [
        (Stance.DISPUTE, REASON),
        (Stance.OPINION, OPINION),
    ]

    # 2. A dispute without a reason is refused, and nothing is written.
    supervise(page, subject=tally, stance="有异议", text="")
    message(page, "error", "请写明理由。")
    expect(page.locator(".messages li.success")).to_have_count(0)
    expect(notes).to_have_count(2)
    assert SupervisionNote.objects.count() == 2
    section.scroll_into_view_if_needed()
    shot(page, "member")

    # 3. The township's inspector: the dashboard flags the matter with the committee's reason.
    inspecting = new_page("desktop")
    admin_login(inspecting, inspector.username)
    inspecting.goto("/admin/matters/dashboard/")
    own = inspecting.get_by_test_id(f"village-{deliberation_world.village.code}")
    expect(own.get_by_role("heading", level=2)).to_contain_text("1 个议题不合规")
    row = own.locator("tbody tr", has_text=matter.title)
    flag = row.locator(".cz-flag.bad")
    expect(flag).to_contain_text("✗")
    expect(flag).to_contain_text(
        f"村民（代表）会议决议：监委会对计票有异议（{member.name}：{REASON}）"
    )
    expect(row.locator(".cz-flag.ok")).to_have_count(0)
    shot(inspecting, "dashboard")

    # The trail: read-only, the red 监委会会签 check and both notes.
    row.get_by_role("link", name=matter.title).click()
    expect(inspecting).to_have_url(re.compile(rf"/admin/matters/{matter.pk}/trail/$"))
    expect(inspecting.get_by_test_id("chain")).to_contain_text("本村审计链校验完整")
    expect(inspecting.locator("main form")).to_have_count(0)
    red = inspecting.get_by_test_id("flags").locator("tbody tr.bad", has_text="监委会会签")
    expect(red).to_have_count(1)
    expect(red).to_contain_text(REASON)
    trail_notes = inspecting.get_by_test_id("supervision").get_by_test_id("supervision-note")
    expect(trail_notes).to_have_count(2)
    expect(trail_notes.nth(0)).to_contain_text(f"有异议 · {tally} · {member.name}")
    expect(trail_notes.nth(0)).to_contain_text(REASON)
    expect(trail_notes.nth(1)).to_contain_text(f"监督意见 · 议题 · {member.name}")
    expect(trail_notes.nth(1)).to_contain_text(OPINION)
    # The chain's events by their Chinese names.
    events = inspecting.get_by_test_id("events")
    expect(events.locator("tbody tr", has_text="监委会提出异议")).to_have_count(1)
    expect(events.locator("tbody tr", has_text="监委会监督意见")).to_have_count(1)
    expect(events).not_to_contain_text("village.supervision")
    inspecting.get_by_test_id("supervision").scroll_into_view_if_needed()
    shot(inspecting, "trail")

    # The matter's page: the notes, but no form for the inspector.
    inspecting.goto(f"/admin/matters/{matter.pk}/")
    expect(inspecting.get_by_test_id("supervision-note")).to_have_count(2)
    expect(inspecting.get_by_test_id("supervise")).to_have_count(0)
    expect(inspecting.get_by_test_id("subject")).to_have_count(0)
    expect(inspecting.get_by_test_id("red-flags")).to_have_text("1 项不合规")
    inspecting.get_by_test_id("supervision").scroll_into_view_if_needed()
    shot(inspecting)
    assert SupervisionNote.objects.count() == 2
