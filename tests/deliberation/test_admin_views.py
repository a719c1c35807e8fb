"""The admin's matter page, attendance list and trail, as cadres, the supervision committee and
the township inspector read them."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deliberation import selectors, services
from tests.support.rules import amend

# --- objections: seen by everyone who may view the matter, answered by the cadres -------------


@pytest.fixture
def objected(deliberation_world, procedure, people):
    """A published resolution with one answered and one unanswered objection."""
    matter = procedure.to_vote()
    procedure.resolve(matter)
    publication = procedure.publish(matter)
    answered = services.objection_file(
        actor=people["x4"].user, publication=publication, text="租金偏低，建议重新评估。"
    )
    services.objection_answer(
        actor=procedure.actor, objection=answered, answer="租金经第三方评估，高于周边水平。"
    )
    unanswered = services.objection_file(
        actor=people["x5"].user, publication=publication, text="流转合同期限太长，请说明理由。"
    )
    return matter, answered, unanswered


def matter_page(client, user, matter) -> str:
    client.force_login(user)
    response = client.get(reverse("deliberation_admin_matter", args=[matter.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("reader", ["supervision", "inspector"])
def test_supervision_and_inspector_read_objections_and_answers_without_answering(
    client, people, objected, reader, request
):
    matter, _answered, unanswered = objected
    user = people["x1"].user if reader == "supervision" else request.getfixturevalue("inspector")
    page = matter_page(client, user, matter)
    assert "流转合同期限太长，请说明理由。" in page  # the unanswered one
    assert "待答复" in page
    assert "租金偏低，建议重新评估。" in page and "租金经第三方评估，高于周边水平。" in page
    assert people["x5"].name in page
    # Reading is not answering.
    assert 'name="answer"' not in page
    assert reverse("deliberation_admin_answer", args=[matter.pk, unanswered.pk]) not in page


def test_the_secretary_answers_the_open_objection_and_sees_each_objection_once(
    client, deliberation_world, objected
):
    matter, _answered, unanswered = objected
    page = matter_page(client, deliberation_world.secretary.user, matter)
    assert reverse("deliberation_admin_answer", args=[matter.pk, unanswered.pk]) in page
    assert page.count('name="answer"') == 1
    assert page.count("流转合同期限太长，请说明理由。") == 1
    assert page.count("租金偏低，建议重新评估。") == 1


def test_objections_stay_readable_after_the_publication_closed(
    client, deliberation_world, procedure, people
):
    matter = procedure.to_vote()
    procedure.resolve(matter)
    publication = procedure.publish(matter)
    objection = services.objection_file(
        actor=people["x4"].user, publication=publication, text="租金偏低，建议重新评估。"
    )
    services.objection_answer(actor=procedure.actor, objection=objection, answer="已按市场价评估。")
    procedure.close_publication(matter)
    for user in (deliberation_world.secretary.user, people["x1"].user):
        page = matter_page(client, user, matter)
        assert "租金偏低，建议重新评估。" in page and "已按市场价评估。" in page


# --- attendance: online voters are present when the rule set counts them ----------------------


def attendance(client, user, meeting) -> tuple[str, dict[str, str]]:
    """The page and each listed person's name → what the 出席 column says."""
    client.force_login(user)
    html = client.get(reverse("deliberation_admin_attendance", args=[meeting.pk])).content.decode()
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [re.sub(r"\s+", "", c) for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
        rows[cells[0]] = cells[3]
    return html, rows


def vote_online_and_in_the_hall(deliberation_world, procedure, people):
    matter = procedure.to_vote()
    for label in ("r1", "r2"):
        services.vote_cast(actor=people[label].user, matter=matter, choice="yes")
    hall = deliberation_world.representatives_body[2:9]  # r3..r6, s, b1, b2
    procedure.hall(matter, hall, votes={p.pk: "yes" for p in hall})
    return procedure.close_vote(matter)


def test_online_voters_are_listed_present_and_match_the_count(
    client, deliberation_world, procedure, people
):
    meeting = vote_online_and_in_the_hall(deliberation_world, procedure, people)
    assert (meeting.present, meeting.should_attend) == (9, 12)
    html, rows = attendance(client, deliberation_world.secretary.user, meeting)
    assert len(rows) == 12
    assert rows[people["r1"].name].startswith("出席")
    assert rows[people["r2"].name].startswith("出席")
    assert rows[people["r3"].name] == "出席"
    present = [name for name, status in rows.items() if status.startswith("出席")]
    assert len(present) == meeting.present
    assert sum(status == "缺席" for status in rows.values()) == 3
    assert f"实到 {meeting.present}" in html


def test_online_voters_are_absent_when_the_rule_set_does_not_count_them(
    client, deliberation_world, procedure, people
):
    amend(deliberation_world.village, online_voter_counts_present=False)
    meeting = vote_online_and_in_the_hall(deliberation_world, procedure, people)
    assert meeting.present == 7
    _html, rows = attendance(client, deliberation_world.secretary.user, meeting)
    assert rows[people["r1"].name].startswith("缺席")
    assert sum(status.startswith("出席") for status in rows.values()) == meeting.present


def test_the_attendance_list_counts_online_voters_while_the_vote_is_open(
    client, deliberation_world, procedure, people
):
    matter = procedure.to_vote()
    services.vote_cast(actor=people["r1"].user, matter=matter, choice="no")
    meeting = selectors.current_vote_meeting(matter)
    _html, rows = attendance(client, deliberation_world.secretary.user, meeting)
    assert rows[people["r1"].name].startswith("出席")
    assert rows[people["r2"].name] == "缺席"


# --- the trail: check names and event labels in Chinese -----------------------------------------

CHECK_CODES = (
    "step_missing",
    "step_order",
    "quorum",
    "pass_rule",
    "minutes_missing",
    "vote_window",
    "text_changed",
    "publication_short",
    "objection_unanswered",
)


def test_the_trail_names_checks_and_events_in_chinese(
    client, deliberation_world, procedure, people, inspector
):
    matter = procedure.to_vote()
    services.vote_cast(actor=people["r1"].user, matter=matter, choice="yes")
    procedure.resolve(matter, deliberation_world.representatives_body[1:])
    publication = procedure.publish(matter)
    services.objection_file(actor=people["x4"].user, publication=publication, text="有疑问")
    client.force_login(inspector)
    html = client.get(reverse("deliberation_admin_trail", args=[matter.pk])).content.decode()
    flags = re.search(r'data-testid="flags">(.*?)</table>', html, re.S).group(1)
    events = re.search(r'data-testid="events">(.*?)</table>', html, re.S).group(1)
    for name in (
        "步骤齐全",
        "步骤顺序",
        "法定人数",
        "通过规则",
        "会议纪要",
        "投票时间",
        "冻结文本",
        "公开天数",
        "异议答复",
    ):
        assert f"<td>{name}</td>" in flags, name
    for code in CHECK_CODES:
        assert code not in html, code
    for label in ("新建议题", "记录会议", "冻结文本并开始表决", "网上投票", "计票", "决议公开"):
        assert f"<td>{label}</td>" in events, label
    assert "提出异议" in events
    assert "deliberation." not in events
    assert "deliberation.vote.close" not in html


# --- states that tell the truth (issue 14) ------------------------------------------------------


def test_a_new_draft_reads_not_started_not_passed(client, deliberation_world, procedure, inspector):
    matter = procedure.create()
    page = matter_page(client, deliberation_world.secretary.user, matter)
    assert "合规检查尚未开始" in page
    assert "合规检查全部通过" not in page
    client.force_login(inspector)
    dashboard = client.get(reverse("deliberation_admin_dashboard")).content.decode()
    assert 'data-testid="not-started"' in dashboard and "尚未开始" in dashboard
    trail = client.get(reverse("deliberation_admin_trail", args=[matter.pk])).content.decode()
    assert "合规检查尚未开始" in trail and "合规检查全部通过" not in trail


def test_step_one_without_minutes_is_refused_with_the_message_and_nothing_written(
    client, deliberation_world, procedure
):
    from deliberation.models import Meeting
    from village.models import AuditEvent

    matter = procedure.create()
    events = AuditEvent.objects.count()
    client.force_login(deliberation_world.secretary.user)
    data = {"held_on": timezone.localdate().isoformat(), "minutes": "  "}
    for person in deliberation_world.branch:
        data[f"present_{person.pk}"] = "on"
        data[f"vote_{person.pk}"] = "yes"
    response = client.post(
        reverse("deliberation_admin_record", args=[matter.pk]), data, follow=True
    )
    html = response.content.decode()
    assert "请填写会议纪要" in html and "minutes:" not in html
    assert not Meeting.objects.filter(matter=matter).exists()
    assert AuditEvent.objects.count() == events
    matter.refresh_from_db()
    assert (matter.status, matter.current_step) == ("draft", 1)
    # The form asks for them before sending.
    page = matter_page(client, deliberation_world.secretary.user, matter)
    assert re.search(r'<textarea name="minutes"[^>]*required', page)


def test_the_roster_follows_the_date_with_no_extra_click(client, deliberation_world, procedure):
    matter = procedure.create()
    procedure.record(matter, deliberation_world.branch)  # now step 2: the two committees
    page = matter_page(client, deliberation_world.secretary.user, matter)
    assert "按此日期生成应到名单" not in page
    # The date is a field of the meeting form itself, and the list for today is shown with it.
    assert re.search(r'<input type="date" name="held_on"[^>]*data-roster-date', page)
    for person in deliberation_world.two_committees:
        assert f'name="present_{person.pk}"' in page
    url = reverse("deliberation_admin_matter", args=[matter.pk])
    # Set to a day before anyone held office: the list the page loads for it is empty ...
    before = (timezone.localdate() - timedelta(days=400)).isoformat()
    fragment = client.get(url, {"fragment": "roster", "held_on": before}).content.decode()
    assert "会议日期当天该机构没有成员" in fragment and 'name="present_' not in fragment
    # ... and for a day in office, the two committees — the same people the service snapshots.
    today = timezone.localdate().isoformat()
    fragment = client.get(url, {"fragment": "roster", "held_on": today}).content.decode()
    assert fragment.count('name="present_') == len(deliberation_world.two_committees)
    assert f"{today} 应到 {len(deliberation_world.two_committees)} 人" in fragment


def test_only_the_villages_cadres_get_the_roster_fragment(
    client, deliberation_world, procedure, inspector
):
    matter = procedure.create()
    client.force_login(inspector)
    url = reverse("deliberation_admin_matter", args=[matter.pk])
    assert client.get(url, {"fragment": "roster"}).status_code == 404


def test_matter_pages_area_filter_lists_areas_by_number(client, deliberation_world, procedure):
    from tests.factories import AreaFactory, LargeGridFactory

    grid = LargeGridFactory(village=deliberation_world.village, name="第九网格")
    for name in ("二十片区", "十片区", "二片区", "十一片区"):
        AreaFactory(parent=grid, name=name)
    page = matter_page(client, deliberation_world.secretary.user, procedure.create())
    picker = page.split("<select data-area>", 1)[1].split("</select>", 1)[0]
    mine = re.findall(r"第九网格 · (\S+?)<", picker)
    assert mine == ["二片区", "十片区", "十一片区", "二十片区"]


def test_adopting_a_suggestion_with_the_untouched_category_writes_no_matter(
    client, deliberation_world, people
):
    from deliberation.models import Matter, Suggestion

    suggestion = services.suggestion_submit(
        actor=people["x2"].user, village=deliberation_world.village, text="村口路灯坏了。"
    )
    client.force_login(deliberation_world.secretary.user)
    page = client.get(reverse("deliberation_admin_suggestions")).content.decode()
    select = re.search(r'<select name="category" required>(.*?)</select>', page, re.S).group(1)
    # The category starts on "请选择": what a browser sends untouched is an empty value.
    assert re.match(r'<option value="" selected>请选择</option>', select)
    url = reverse("deliberation_admin_suggestion_act", args=[suggestion.pk])
    response = client.post(url, {"adopt": "1", "title": "修路灯", "category": ""}, follow=True)
    errors = re.findall(r'<li class="error"[^>]*>(.*?)</li>', response.content.decode(), re.S)
    assert errors, "the refusal is said"
    assert not Matter.objects.filter(title="修路灯").exists()
    assert Suggestion.objects.get(pk=suggestion.pk).status == "open"
