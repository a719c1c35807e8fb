"""Compliance flags an inspector reads, computed from the records, each with its reason."""

from datetime import timedelta

import pytest

from deliberation import compliance, selectors, services
from deliberation.models import Ballot, MatterStatus, Participation, Publication, PublicationKind
from deliberation.trail import matter_trail

pytestmark = pytest.mark.django_db


def flags_of(matter):
    return compliance.check_matter(selectors.matter_detail(matter.pk))


def red(matter):
    return [f for f in flags_of(matter) if not f.ok]


def codes(flags):
    return {f.code for f in flags}


@pytest.fixture
def archived(deliberation_world, procedure, people):
    matter = procedure.to_vote()
    procedure.vote(matter, people["r1"], "yes")
    procedure.vote(matter, people["r2"], "no")
    hall = deliberation_world.representatives_body[2:]
    procedure.hall(matter, hall, votes={p.pk: "yes" for p in hall})
    procedure.close_vote(matter)
    publication = procedure.publish(matter)
    objection = services.objection_file(
        actor=people["x4"].user, publication=publication, text="租金如何分配？"
    )
    services.objection_answer(actor=procedure.actor, objection=objection, answer="按户平均分配。")
    procedure.close_publication(matter)
    procedure.archive(matter)
    assert matter.status == MatterStatus.ARCHIVED
    return matter


def test_a_compliant_matter_through_archive_has_no_red_flag(archived):
    flags = flags_of(archived)
    assert [f for f in flags if not f.ok] == []
    # The checks did run, each with a reason.
    assert {
        "step_missing",
        "step_order",
        "quorum",
        "pass_rule",
        "minutes_missing",
        "vote_window",
        "text_changed",
        "publication_short",
        "objection_unanswered",
    } <= codes(flags)
    assert all(f.reason for f in flags)


def test_a_joint_meeting_matter_is_compliant(deliberation_world, procedure):
    matter = procedure.create()
    procedure.record(matter, deliberation_world.two_committees, joint=True)
    procedure.record(matter, deliberation_world.party_full)
    procedure.open_vote(matter)
    matter.refresh_from_db()
    procedure.resolve(matter)
    assert red(matter) == []


def test_missing_minutes_are_flagged_naming_the_step(deliberation_world, procedure):
    matter = procedure.create()
    procedure.record(matter, deliberation_world.branch)
    procedure.record_without_minutes(matter, deliberation_world.two_committees)
    procedure.record(matter, deliberation_world.party_full)
    flags = [f for f in red(matter) if f.code == "minutes_missing"]
    assert len(flags) == 1
    assert flags[0].step == 2
    assert "两委商议" in flags[0].reason
    assert "纪要" in flags[0].reason


def test_a_publication_closed_early_is_flagged(deliberation_world, procedure):
    matter = procedure.to_vote()
    procedure.resolve(matter)
    publication = procedure.publish(matter)
    procedure.close_publication(matter)
    Publication.objects.filter(pk=publication.pk).update(
        closed_at=publication.starts_at + timedelta(days=2)
    )
    flags = [f for f in red(matter) if f.code == "publication_short"]
    assert len(flags) == 1
    assert "决议公开" in flags[0].reason
    assert "48 小时" in flags[0].reason
    assert "7 天" in flags[0].reason


def test_a_publication_window_shorter_than_required_is_flagged(deliberation_world, procedure):
    matter = procedure.to_vote()
    procedure.resolve(matter)
    publication = procedure.publish(matter)
    Publication.objects.filter(pk=publication.pk).update(
        ends_at=publication.starts_at + timedelta(days=3)
    )
    assert "publication_short" in codes(red(matter))


def test_a_ballot_whose_text_hash_differs_from_the_frozen_one_is_flagged(
    deliberation_world, procedure, people
):
    matter = procedure.to_vote()
    procedure.vote(matter, people["r1"])
    Ballot.objects.filter(meeting=selectors.current_vote_meeting(matter)).update(text_hash="0" * 64)
    flags = [f for f in red(matter) if f.code == "text_changed"]
    assert len(flags) == 1
    assert flags[0].step == 4
    assert "冻结后文本被改动" in flags[0].reason


def test_text_edited_behind_the_procedures_back_after_freezing_is_flagged(
    deliberation_world, procedure
):
    matter = procedure.to_vote()
    type(matter).objects.filter(pk=matter.pk).update(body="偷偷改过的内容")
    assert "text_changed" in codes(red(matter))


def test_an_online_vote_outside_the_window_is_flagged(deliberation_world, procedure, people):
    matter = procedure.to_vote()
    procedure.vote(matter, people["r1"])
    meeting = selectors.current_vote_meeting(matter)
    Participation.objects.filter(meeting=meeting).update(
        cast_at=meeting.vote_closes_at + timedelta(hours=1)
    )
    flags = [f for f in red(matter) if f.code == "vote_window"]
    assert len(flags) == 1
    assert "1 张网上选票不在投票时间内" in flags[0].reason


def test_hall_votes_are_not_subject_to_the_online_window(deliberation_world, procedure, people):
    matter = procedure.to_vote()
    procedure.hall(matter, [people["r1"]], votes={people["r1"].pk: "yes"})
    meeting = selectors.current_vote_meeting(matter)
    Participation.objects.filter(meeting=meeting).update(
        cast_at=meeting.vote_closes_at + timedelta(hours=1)
    )
    assert "vote_window" not in codes(red(matter))


def test_a_step_recorded_as_passed_without_quorum_is_flagged(deliberation_world, procedure):
    matter = procedure.steps_1_to_3(procedure.create())
    # Someone edits the stored numbers of the party meeting: 5 of 12 present, yet "passed".
    matter.meetings.filter(step=3).update(present=5, yes=5)
    flags = red(matter)
    quorum = [f for f in flags if f.code == "quorum"]
    assert quorum and quorum[0].step == 3
    assert "5 / 应到 12" in quorum[0].reason
    assert "pass_rule" in codes(flags)


def test_a_voting_matter_without_the_party_review_is_flagged_as_missing_a_step(
    deliberation_world, procedure
):
    matter = procedure.to_vote()
    matter.meetings.filter(step=3).update(passed=False)
    flags = [f for f in red(matter) if f.code == "step_missing"]
    assert len(flags) == 1
    assert "党员大会审议" in flags[0].reason


def test_an_unanswered_objection_at_the_close_is_flagged(deliberation_world, procedure, people):
    matter = procedure.to_vote()
    procedure.resolve(matter)
    publication = procedure.publish(matter)
    services.objection_file(actor=people["x4"].user, publication=publication, text="不同意")
    Publication.objects.filter(pk=publication.pk).update(closed_at=publication.ends_at)
    flags = [f for f in red(matter) if f.code == "objection_unanswered"]
    assert len(flags) == 1
    assert "1 条异议未答复" in flags[0].reason


def test_the_township_dashboard_lists_flagged_matters_per_village(
    deliberation_world, procedure, inspector, neighbour
):
    good = procedure.to_vote()
    procedure.resolve(good)
    bad = procedure.create("缺纪要的议题")
    procedure.record_without_minutes(bad, deliberation_world.branch)
    rows = {row["village"].name: row for row in selectors.township_dashboard(inspector)}
    assert set(rows) == {"东毛铺村", "西河村"}
    own = rows["东毛铺村"]
    assert own["flagged"] == 1
    by_title = {item["matter"].title: item["red_flags"] for item in own["matters"]}
    assert by_title[good.title] == []
    assert [f.code for f in by_title["缺纪要的议题"]] == ["minutes_missing"]
    assert rows["西河村"]["matters"] == []


def test_publication_kinds_are_named_in_the_flags(deliberation_world, procedure):
    matter = procedure.to_vote()
    procedure.resolve(matter)
    procedure.publish(matter)
    procedure.close_publication(matter)
    procedure.archive(matter)
    reasons = [f.reason for f in flags_of(matter) if f.code == "publication_short"]
    assert len(reasons) == 2
    assert any(str(PublicationKind.RESOLUTION.label) in r for r in reasons)
    assert any(str(PublicationKind.RESULT.label) in r for r in reasons)


# --- one word for the whole matter: not started, passed, failed --------------------------------


def test_a_new_draft_with_no_meeting_is_not_started_not_passed(deliberation_world, procedure):
    matter = procedure.create()
    flags = flags_of(matter)
    assert flags == []
    assert compliance.summary(flags) == compliance.NOT_STARTED == "not_started"
    assert str(compliance.SUMMARIES[compliance.summary(flags)]) == "尚未开始"
    assert matter_trail(selectors.matter_detail(matter.pk))["compliance"] == "not_started"


def test_a_matter_under_way_with_clean_records_has_passed(deliberation_world, procedure):
    matter = procedure.create()
    procedure.record(matter, deliberation_world.branch)
    assert compliance.summary(flags_of(matter)) == compliance.PASSED


def test_a_broken_rule_is_failed(deliberation_world, procedure):
    matter = procedure.create()
    procedure.record_without_minutes(matter, deliberation_world.branch)
    assert compliance.summary(flags_of(matter)) == compliance.FAILED


def test_the_dashboard_does_not_count_a_draft_as_compliant(
    deliberation_world, procedure, inspector
):
    procedure.create("刚起草的议题")
    (own,) = [
        r
        for r in selectors.township_dashboard(inspector)
        if r["village"] == deliberation_world.village
    ]
    assert own["flagged"] == 0 and own["checked"] == 0
    assert [i["compliance"] for i in own["matters"]] == ["not_started"]


def test_step_one_without_minutes_is_refused_and_nothing_is_written(deliberation_world, procedure):
    from django.core.exceptions import ValidationError

    from deliberation.models import Meeting
    from village.models import AuditEvent

    matter = procedure.create()
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="请填写会议纪要"):
        procedure.record(matter, deliberation_world.branch, minutes=" \n ")
    assert not Meeting.objects.filter(matter=matter).exists()
    assert AuditEvent.objects.count() == events
    matter.refresh_from_db()
    assert (matter.status, matter.current_step) == (MatterStatus.DRAFT, 1)
