"""The 四议两公开 procedure through its services, from the start to a vote: the steps in order,
the joint meeting of steps 1 and 2 (一肩挑), a failed step and the revision that restarts it,
withdrawing a matter, and 村民说事 (a suggestion answered or adopted into a matter)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from deliberation import services
from deliberation.models import (
    Body,
    MatterStatus,
    text_sha256,
)
from tests.support.deliberation_trail import actions
from tests.support.deliberation_world import ids
from tests.support.rules import amend
from village.models import Membership, VillageRole

pytestmark = pytest.mark.django_db


# --- steps in order ----------------------------------------------------------------------


def test_a_new_matter_is_a_draft_at_step_one_with_version_one(deliberation_world, procedure):
    matter = procedure.create()
    assert (matter.status, matter.current_step, matter.version) == (MatterStatus.DRAFT, 1, 1)
    version = matter.versions.get()
    assert version.sha256 == text_sha256(matter.title, matter.body)
    assert actions(matter) == ["deliberation.matter.create"]


def test_each_passed_step_moves_the_matter_to_the_next(deliberation_world, procedure):
    matter = procedure.create()
    first = procedure.record(matter, deliberation_world.branch)
    matter.refresh_from_db()
    assert (first.step, first.body, matter.current_step) == (1, Body.BRANCH_COMMITTEE, 2)
    assert matter.status == MatterStatus.DELIBERATING
    second = procedure.record(matter, deliberation_world.two_committees)
    matter.refresh_from_db()
    assert (second.step, second.body, matter.current_step) == (2, Body.TWO_COMMITTEES, 3)
    third = procedure.record(matter, deliberation_world.party_full)
    matter.refresh_from_db()
    assert (third.step, third.body, matter.current_step) == (3, Body.PARTY_MEMBERS, 4)
    assert matter.can_open_vote()


def test_the_party_meeting_cannot_be_recorded_before_the_two_committees(
    deliberation_world, procedure
):
    matter = procedure.create()
    procedure.record(matter, deliberation_world.branch)
    # The two committees' meeting is next; the party members' list is refused for it.
    with pytest.raises(ValidationError) as exc:
        procedure.record(matter, deliberation_world.party_full)
    assert "不在应到名单中" in exc.value.messages[0]
    matter.refresh_from_db()
    assert matter.current_step == 2
    assert not matter.can_record_step(3)
    assert list(matter.meetings.values_list("step", flat=True)) == [1]


def test_the_vote_cannot_open_before_the_party_members_have_reviewed(deliberation_world, procedure):
    matter = procedure.create()
    procedure.record(matter, deliberation_world.branch)
    procedure.record(matter, deliberation_world.two_committees)
    with pytest.raises(ValidationError) as exc:
        procedure.open_vote(matter)
    assert "党员大会审议" in exc.value.messages[0]
    matter.refresh_from_db()
    assert matter.status == MatterStatus.DELIBERATING
    assert matter.frozen_hash == ""
    assert not matter.meetings.filter(step=4).exists()


def test_the_vote_cannot_open_on_a_fresh_draft(deliberation_world, procedure):
    matter = procedure.create()
    with pytest.raises(ValidationError):
        procedure.open_vote(matter)


def test_no_further_meeting_can_be_recorded_once_step_three_passed(deliberation_world, procedure):
    matter = procedure.steps_1_to_3(procedure.create())
    with pytest.raises(ValidationError, match="不能记录"):
        procedure.record(matter, deliberation_world.party_full)
    assert matter.meetings.count() == 3


def test_a_meeting_dated_before_the_previous_step_is_refused(deliberation_world, procedure):
    matter = procedure.create()
    today = timezone.localdate()
    procedure.record(matter, deliberation_world.branch, held_on=today)
    with pytest.raises(ValidationError, match="不能早于上一步骤"):
        procedure.record(
            matter, deliberation_world.two_committees, held_on=today - timedelta(days=1)
        )


def test_a_meeting_dated_in_the_future_is_refused(deliberation_world, procedure):
    matter = procedure.create()
    with pytest.raises(ValidationError, match="不能晚于今天"):
        procedure.record(
            matter, deliberation_world.branch, held_on=timezone.localdate() + timedelta(days=1)
        )


def test_observers_are_recorded_apart_and_never_counted(deliberation_world, procedure):
    matter = procedure.create()
    meeting = procedure.record(
        matter,
        deliberation_world.branch,
        present=deliberation_world.branch[:3],
        observers=[("王乡贤", "乡贤"), ("李干部", "乡镇干部")],
    )
    assert meeting.present == 3
    assert meeting.quorum_met is False
    assert sorted(meeting.observers.values_list("capacity", flat=True)) == ["乡贤", "乡镇干部"]


def test_a_vote_by_someone_absent_is_refused(deliberation_world, procedure):
    matter = procedure.create()
    with pytest.raises(ValidationError, match="只有出席会议的人可以表决"):
        services.meeting_record(
            actor=procedure.actor,
            matter=matter,
            held_on=timezone.localdate(),
            present=ids(deliberation_world.branch[:4]),
            votes={deliberation_world.branch[5].pk: "yes"},
        )


# --- joint meeting of steps 1 and 2 (一肩挑) --------------------------------------------------


def test_joint_branch_and_committees_meeting_with_one_shoulder_moves_to_step_three(
    deliberation_world, procedure
):
    matter = procedure.create()
    meeting = procedure.record(matter, deliberation_world.two_committees, joint=True)
    matter.refresh_from_db()
    assert meeting.joint is True
    assert meeting.step == 1
    assert meeting.body == Body.TWO_COMMITTEES
    assert meeting.should_attend == 10
    assert matter.current_step == 3
    assert meeting.verdict["branch"]["passed"] is True
    procedure.record(matter, deliberation_world.party_full)
    procedure.open_vote(matter)
    matter.refresh_from_db()
    assert matter.status == MatterStatus.VOTING


def test_joint_meeting_must_also_meet_the_branch_committees_own_quorum(
    deliberation_world, procedure
):
    # 6 of 10 present meets the two committees' quorum, but only 3 of 7 branch members came.
    matter = procedure.create()
    present = [
        deliberation_world.secretary,
        deliberation_world.people["b1"],
        deliberation_world.people["b2"],
    ]
    present += [
        deliberation_world.people["v3"],
        deliberation_world.people["v4"],
        deliberation_world.people["v5"],
    ]
    meeting = procedure.record(
        matter, deliberation_world.two_committees, present=present, joint=True
    )
    assert meeting.verdict["quorum"]["met"] is True
    assert meeting.verdict["branch"]["quorum_met"] is False
    assert meeting.passed is False
    matter.refresh_from_db()
    assert matter.status == MatterStatus.RETURNED


def test_joint_meeting_is_refused_when_the_rule_set_does_not_allow_it(
    deliberation_world, procedure
):
    amend(deliberation_world.village, allow_joint_branch_committees=False)
    matter = procedure.create()
    with pytest.raises(ValidationError, match="不允许合并召开"):
        procedure.record(matter, deliberation_world.two_committees, joint=True)
    assert not matter.meetings.exists()


def test_joint_meeting_is_refused_without_one_shoulder(deliberation_world, procedure):
    # The secretary left the village committee a month ago: no longer 一肩挑.
    Membership.objects.filter(
        villager=deliberation_world.secretary, role=VillageRole.VILLAGE_COMMITTEE
    ).update(end=timezone.localdate() - timedelta(days=30))
    matter = procedure.create()
    with pytest.raises(ValidationError, match="一肩挑"):
        procedure.record(matter, deliberation_world.two_committees[1:], joint=True)
    assert not matter.meetings.exists()


def test_joint_meeting_is_only_possible_at_step_one(deliberation_world, procedure):
    matter = procedure.create()
    procedure.record(matter, deliberation_world.branch)
    with pytest.raises(ValidationError, match="只有党支部提议"):
        procedure.record(matter, deliberation_world.two_committees, joint=True)


# --- a failed step, revision, restart ----------------------------------------------------------


def test_failed_step_returns_the_matter_and_a_revision_restarts_at_step_one(
    deliberation_world, procedure
):
    matter = procedure.create()
    procedure.record(matter, deliberation_world.branch)
    procedure.record(matter, deliberation_world.two_committees)
    failed = procedure.record(
        matter, deliberation_world.party_full, present=deliberation_world.party_full[:5]
    )
    matter.refresh_from_db()
    assert failed.passed is False
    assert matter.status == MatterStatus.RETURNED
    assert "deliberation.matter.return" in actions(matter)

    old_hash = matter.text_hash
    services.matter_revise(
        actor=procedure.actor,
        matter=matter,
        title=matter.title,
        body=matter.body + "租金每年递增3%。",
        reason="党员大会未达到法定人数，补充租金条款后重新提议",
    )
    matter.refresh_from_db()
    assert (matter.version, matter.status, matter.current_step) == (2, MatterStatus.DRAFT, 1)
    assert matter.text_hash != old_hash
    v1, v2 = matter.versions.order_by("number")
    assert v1.sha256 == old_hash and v2.sha256 == matter.text_hash
    assert v2.reason.startswith("党员大会未达到")
    # The old meetings stay, tied to version 1.
    assert matter.meetings.count() == 3
    assert set(matter.meetings.values_list("version__number", flat=True)) == {1}

    restarted = procedure.record(matter, deliberation_world.branch)
    assert restarted.version.number == 2
    assert restarted.step == 1
    procedure.record(matter, deliberation_world.two_committees)
    procedure.record(matter, deliberation_world.party_full)
    procedure.open_vote(matter)
    matter.refresh_from_db()
    assert matter.frozen_hash == v2.sha256
    assert matter.meetings.count() == 7


def test_a_returned_matter_cannot_continue_without_a_new_version(deliberation_world, procedure):
    matter = procedure.create()
    procedure.record(matter, deliberation_world.branch, present=deliberation_world.branch[:2])
    matter.refresh_from_db()
    assert matter.status == MatterStatus.RETURNED
    with pytest.raises(ValidationError):
        procedure.record(matter, deliberation_world.two_committees)
    with pytest.raises(ValidationError):
        procedure.record(matter, deliberation_world.branch)


def test_a_revision_needs_a_reason(deliberation_world, procedure):
    matter = procedure.create()
    with pytest.raises(ValidationError, match="原因"):
        services.matter_revise(
            actor=procedure.actor, matter=matter, title="新标题", body="新内容", reason=" "
        )
    matter.refresh_from_db()
    assert matter.version == 1


# --- withdraw --------------------------------------------------------------------------------


def test_a_draft_can_be_withdrawn_with_a_reason_and_then_nothing_more_happens(
    deliberation_world, procedure
):
    matter = procedure.create()
    with pytest.raises(ValidationError, match="撤回原因"):
        services.matter_withdraw(actor=procedure.actor, matter=matter, reason="")
    services.matter_withdraw(actor=procedure.actor, matter=matter, reason="上级政策调整，暂缓")
    matter.refresh_from_db()
    assert matter.status == MatterStatus.WITHDRAWN
    assert matter.is_closed
    with pytest.raises(ValidationError):
        procedure.record(matter, deliberation_world.branch)
    with pytest.raises(ValidationError):
        services.matter_revise(
            actor=procedure.actor, matter=matter, title="t", body="b", reason="r"
        )
    assert actions(matter)[-1] == "deliberation.matter.withdraw"


def test_a_returned_matter_can_be_withdrawn(deliberation_world, procedure):
    matter = procedure.create()
    procedure.record(matter, deliberation_world.branch, present=deliberation_world.branch[:2])
    services.matter_withdraw(actor=procedure.actor, matter=matter, reason="不再推进")
    matter.refresh_from_db()
    assert matter.status == MatterStatus.WITHDRAWN
    assert matter.meetings.count() == 1


def test_a_matter_cannot_be_withdrawn_once_the_vote_is_open(deliberation_world, procedure):
    matter = procedure.to_vote()
    with pytest.raises(ValidationError, match="表决开始后"):
        services.matter_withdraw(actor=procedure.actor, matter=matter, reason="不想表决了")
    matter.refresh_from_db()
    assert matter.status == MatterStatus.VOTING


# --- 村民说事 ---------------------------------------------------------------------------------


def test_a_suggestion_is_answered_or_adopted_into_a_matter_linked_both_ways(
    deliberation_world, procedure, people
):
    suggestion = services.suggestion_submit(
        actor=people["x2"].user, village=deliberation_world.village, text="村东头路灯坏了三个月。"
    )
    assert suggestion.villager == people["x2"]
    matter = services.suggestion_adopt(
        actor=procedure.actor,
        suggestion=suggestion,
        title="村东路灯维修筹资方案",
        body="维修路灯12盏，集体经济列支。",
        category="public_welfare_funding",
    )
    suggestion.refresh_from_db()
    assert matter.origin == "suggestion"
    assert matter.suggestion == suggestion
    assert suggestion.matter == matter
    assert suggestion.status == "adopted"
    with pytest.raises(ValidationError):
        services.suggestion_adopt(
            actor=procedure.actor, suggestion=suggestion, title="再转", body="b", category="other"
        )
    other = services.suggestion_submit(
        actor=people["x3"].user, village=deliberation_world.village, text="建议增设垃圾分类亭。"
    )
    services.suggestion_answer(actor=procedure.actor, suggestion=other, answer="已列入下季度计划。")
    other.refresh_from_db()
    assert (other.status, other.answer) == ("answered", "已列入下季度计划。")


def test_a_villager_of_another_village_cannot_submit_a_suggestion_here(
    deliberation_world, neighbour
):
    with pytest.raises(PermissionDenied):
        services.suggestion_submit(
            actor=neighbour.people["x2"].user, village=deliberation_world.village, text="我想说事"
        )
