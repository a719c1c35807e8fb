"""The 四议两公开 procedure through its services: order, freezing, votes, objections,
publication, implementation, archive, and the audit trail of every transition."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import models
from django.db.models import ProtectedError
from django.utils import timezone

from deliberation import selectors, services
from deliberation.models import (
    Ballot,
    BallotMode,
    Body,
    Matter,
    MatterStatus,
    MatterVersion,
    Meeting,
    Objection,
    Participation,
    PublicationKind,
    SealedBallot,
    text_sha256,
)
from tests.support.clock import travel
from tests.support.deliberation_world import ids
from village import audit
from village.models import AuditEvent, AuditHead, Membership, RuleSet, VillageRole

pytestmark = pytest.mark.django_db


def actions(matter):
    """The audit actions recorded for a matter, in order."""
    trail = selectors.matter_trail(selectors.matter_detail(matter.pk))
    return [e.action for e in trail["events"]]


def nothing_voted(matter):
    meeting = selectors.current_vote_meeting(matter)
    return not Participation.objects.filter(meeting=meeting).exists() and not (
        Ballot.objects.filter(meeting=meeting).exists()
    )


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
    RuleSet.objects.filter(village=deliberation_world.village).update(
        allow_joint_branch_committees=False
    )
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


# --- freezing ----------------------------------------------------------------------------------


def test_opening_the_vote_freezes_the_text_hash_and_snapshots_the_voters(
    deliberation_world, procedure
):
    matter = procedure.to_vote()
    meeting = selectors.current_vote_meeting(matter)
    expected = text_sha256(matter.title, matter.body)
    assert matter.status == MatterStatus.VOTING
    assert matter.frozen_hash == meeting.frozen_hash == expected
    assert matter.frozen_at is not None
    assert meeting.body == Body.REPRESENTATIVES
    assert set(meeting.attendance.values_list("villager_id", flat=True)) == set(
        ids(deliberation_world.representatives_body)
    )
    assert meeting.should_attend == 12


def test_the_text_cannot_be_revised_while_voting(deliberation_world, procedure):
    matter = procedure.to_vote()
    title, body = matter.title, matter.body
    with pytest.raises(ValidationError) as exc:
        services.matter_revise(
            actor=procedure.actor,
            matter=matter,
            title="改过的标题",
            body="改过的内容",
            reason="想改",
        )
    assert "冻结" in exc.value.messages[0]
    matter.refresh_from_db()
    assert (matter.title, matter.body, matter.version) == (title, body, 1)
    assert MatterVersion.objects.filter(matter=matter).count() == 1


def test_the_text_cannot_be_revised_after_the_resolution(deliberation_world, procedure):
    matter = procedure.to_vote()
    procedure.resolve(matter)
    assert matter.status == MatterStatus.RESOLVED
    with pytest.raises(ValidationError):
        services.matter_revise(
            actor=procedure.actor, matter=matter, title="x", body="y", reason="z"
        )


def test_a_new_version_after_a_failed_vote_means_a_new_vote(deliberation_world, procedure, people):
    matter = procedure.to_vote()
    procedure.vote(matter, people["r1"], "no")
    procedure.resolve(
        matter, voters=deliberation_world.representatives_body[1:6]
    )  # 6 of 12: no quorum
    assert matter.status == MatterStatus.RETURNED
    first_vote = matter.meetings.get(step=4)

    services.matter_revise(
        actor=procedure.actor,
        matter=matter,
        title=matter.title,
        body="修改后的方案：租期三年。",
        reason="表决未达到法定人数，修改租期后重新表决",
    )
    matter.refresh_from_db()
    procedure.steps_1_to_3(matter)
    procedure.open_vote(matter)
    matter.refresh_from_db()
    second_vote = selectors.current_vote_meeting(matter)
    assert second_vote.pk != first_vote.pk
    assert second_vote.frozen_hash == text_sha256(matter.title, "修改后的方案：租期三年。")
    assert second_vote.frozen_hash != first_vote.frozen_hash
    # The same person votes again on the new text; the receipt shows the new fingerprint.
    receipt = procedure.vote(matter, people["r1"], "yes")
    assert receipt["sha256"] == second_vote.frozen_hash
    assert set(Ballot.objects.filter(meeting=second_vote).values_list("text_hash", flat=True)) == {
        second_vote.frozen_hash
    }
    assert set(Ballot.objects.filter(meeting=first_vote).values_list("text_hash", flat=True)) == {
        first_vote.frozen_hash
    }


def test_the_vote_window_must_end_after_it_starts_and_in_the_future(deliberation_world, procedure):
    matter = procedure.steps_1_to_3(procedure.create())
    now = timezone.now()
    with pytest.raises(ValidationError, match="晚于开始"):
        procedure.open_vote(matter, opens_at=now, closes_at=now - timedelta(hours=1))
    with pytest.raises(ValidationError, match="晚于现在"):
        procedure.open_vote(
            matter, opens_at=now - timedelta(days=2), closes_at=now - timedelta(days=1)
        )
    matter.refresh_from_db()
    assert matter.status == MatterStatus.DELIBERATING


# --- online and hall votes --------------------------------------------------------------------


def test_an_online_vote_returns_a_receipt_with_the_frozen_fingerprint(
    deliberation_world, procedure, people
):
    matter = procedure.to_vote()
    receipt = procedure.vote(matter, people["r1"], "yes")
    assert len(receipt["receipt"]) == 10
    assert receipt["sha256"] == matter.frozen_hash
    assert receipt["secret"] is False
    ballot = Ballot.objects.get(meeting=selectors.current_vote_meeting(matter))
    assert ballot.voter == people["r1"]
    assert (ballot.choice, ballot.receipt) == ("yes", receipt["receipt"])
    assert selectors.has_voted(selectors.matter_detail(matter.pk), people["r1"])


def test_a_vote_before_the_window_opens_is_refused(deliberation_world, procedure, people):
    matter = procedure.steps_1_to_3(procedure.create())
    now = timezone.now()
    procedure.open_vote(
        matter, opens_at=now + timedelta(hours=2), closes_at=now + timedelta(days=1)
    )
    matter.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        procedure.vote(matter, people["r1"])
    assert "不在网上投票时间内" in exc.value.messages[0]
    assert nothing_voted(matter)


def test_a_vote_after_the_window_closes_is_refused(deliberation_world, procedure, people):
    matter = procedure.to_vote()
    with procedure.after_window(matter), pytest.raises(ValidationError) as exc:
        procedure.vote(matter, people["r1"])
    assert "不在网上投票时间内" in exc.value.messages[0]
    assert nothing_voted(matter)


def test_a_vote_after_the_tally_is_refused(deliberation_world, procedure, people):
    matter = procedure.to_vote()
    procedure.resolve(matter, voters=deliberation_world.representatives_body[1:])
    with pytest.raises(ValidationError, match="不在表决期"):
        procedure.vote(matter, people["r1"])
    assert not Participation.objects.filter(voter=people["r1"]).exists()


def test_the_online_window_includes_its_opening_and_excludes_its_closing_instant(
    deliberation_world, procedure, people
):
    matter = procedure.to_vote()
    meeting = selectors.current_vote_meeting(matter)
    with travel(meeting.vote_opens_at):
        assert procedure.vote(matter, people["r1"])["receipt"]
    with travel(meeting.vote_closes_at), pytest.raises(ValidationError, match="不在网上投票时间内"):
        procedure.vote(matter, people["r2"])
    with travel(meeting.vote_closes_at):
        services.matter_close_vote(actor=procedure.actor, matter=matter, minutes="按时计票")
    matter.refresh_from_db()
    assert matter.status == MatterStatus.RETURNED  # 1 of 12 present: no quorum
    assert meeting.participations.count() == 1


def test_a_second_online_vote_is_refused(deliberation_world, procedure, people):
    matter = procedure.to_vote()
    procedure.vote(matter, people["r1"], "yes")
    with pytest.raises(ValidationError) as exc:
        procedure.vote(matter, people["r1"], "no")
    assert "已经投过票" in exc.value.messages[0]
    meeting = selectors.current_vote_meeting(matter)
    assert meeting.participations.count() == 1
    assert list(meeting.ballots.values_list("choice", flat=True)) == ["yes"]


def test_a_hall_vote_after_an_online_vote_is_refused(deliberation_world, procedure, people):
    matter = procedure.to_vote()
    procedure.vote(matter, people["r1"], "yes")
    hall = [people["r1"], people["r2"]]
    with pytest.raises(ValidationError) as exc:
        procedure.hall(matter, hall, votes={p.pk: "no" for p in hall})
    assert "已经投过票" in exc.value.messages[0]
    assert people["r1"].name in exc.value.messages[0]
    meeting = selectors.current_vote_meeting(matter)
    assert meeting.participations.count() == 1
    assert meeting.ballots.count() == 1
    assert not meeting.attendance.filter(present=True).exists()


def test_an_online_vote_after_a_hall_vote_is_refused(deliberation_world, procedure, people):
    matter = procedure.to_vote()
    procedure.hall(matter, [people["r1"]], votes={people["r1"].pk: "no"})
    with pytest.raises(ValidationError) as exc:
        procedure.vote(matter, people["r1"], "yes")
    assert "已经投过票" in exc.value.messages[0]
    meeting = selectors.current_vote_meeting(matter)
    assert list(meeting.ballots.values_list("choice", flat=True)) == ["no"]
    assert meeting.participations.get().channel == "hall"


def test_a_vote_from_another_villages_villager_is_refused(deliberation_world, procedure, neighbour):
    matter = procedure.to_vote()
    with pytest.raises(PermissionDenied) as exc:
        procedure.vote(matter, neighbour.people["r1"])
    assert "权限" in str(exc.value) or "本村" in str(exc.value)
    assert nothing_voted(matter)


def test_a_vote_from_a_minor_is_refused(deliberation_world, procedure, people):
    matter = procedure.to_vote()
    with pytest.raises(PermissionDenied) as exc:
        procedure.vote(matter, people["minor"])
    assert "不在本次表决的名单中" in str(exc.value)
    assert "十八周岁" in str(exc.value)
    assert nothing_voted(matter)


def test_a_minor_is_refused_in_a_villagers_meeting_too(deliberation_world, procedure, people):
    matter = procedure.to_vote(deciding_body="villagers_meeting")
    with pytest.raises(PermissionDenied, match="不在本次表决的名单中"):
        procedure.vote(matter, people["minor"])
    # An adult who is no representative may vote in the villagers' meeting.
    assert procedure.vote(matter, people["x3"])["receipt"]
    meeting = selectors.current_vote_meeting(matter)
    assert meeting.participations.count() == 1


def test_a_vote_from_someone_outside_the_body_is_refused(deliberation_world, procedure, people):
    # x3 is an adult villager but no representative and not on the village committee.
    matter = procedure.to_vote()
    with pytest.raises(PermissionDenied, match="不在本次表决的名单中"):
        procedure.vote(matter, people["x3"])
    assert nothing_voted(matter)


def test_a_vote_from_a_villager_who_moved_out_is_refused(deliberation_world, procedure, people):
    matter = procedure.to_vote(deciding_body="villagers_meeting")
    with pytest.raises(PermissionDenied):
        procedure.vote(matter, people["moved"])
    assert nothing_voted(matter)


def test_a_vote_with_an_unknown_choice_is_refused(deliberation_world, procedure, people):
    matter = procedure.to_vote()
    with pytest.raises(ValidationError, match="赞成"):
        procedure.vote(matter, people["r1"], "maybe")
    assert nothing_voted(matter)


def test_an_inspector_cannot_vote(deliberation_world, procedure, inspector):
    matter = procedure.to_vote()
    with pytest.raises(PermissionDenied):
        services.vote_cast(actor=inspector, matter=matter, choice="yes")
    assert nothing_voted(matter)


def test_hall_votes_only_for_people_on_the_list(deliberation_world, procedure, people):
    matter = procedure.to_vote()
    with pytest.raises(ValidationError, match="不在本次会议的应到名单中"):
        procedure.hall(matter, [people["x3"]], votes={people["x3"].pk: "yes"})
    assert nothing_voted(matter)


def test_a_hall_attendee_can_only_represent_a_household_of_the_village(
    deliberation_world, procedure, people, neighbour
):
    matter = procedure.to_vote(deciding_body="villagers_meeting")
    with pytest.raises(ValidationError, match="本村的户"):
        procedure.hall(
            matter,
            [people["x3"]],
            votes={people["x3"].pk: "yes"},
            households={people["x3"].pk: neighbour.households[0].pk},
        )
    assert nothing_voted(matter)


def test_the_tally_waits_for_the_online_window_to_end(deliberation_world, procedure):
    matter = procedure.to_vote()
    with pytest.raises(ValidationError, match="不能提前计票"):
        services.matter_close_vote(actor=procedure.actor, matter=matter, minutes="纪要")
    matter.refresh_from_db()
    assert matter.status == MatterStatus.VOTING


def test_the_tally_needs_minutes(deliberation_world, procedure):
    matter = procedure.to_vote()
    with procedure.after_window(matter), pytest.raises(ValidationError, match="纪要"):
        services.matter_close_vote(actor=procedure.actor, matter=matter, minutes="  ")


def test_the_tally_counts_online_and_hall_ballots(deliberation_world, procedure, people):
    matter = procedure.to_vote()
    procedure.vote(matter, people["r1"], "yes")
    procedure.vote(matter, people["r2"], "no")
    procedure.vote(matter, people["r3"], "abstain")
    hall = deliberation_world.representatives_body[3:10]
    procedure.hall(matter, hall, votes={p.pk: "yes" for p in hall})
    meeting = procedure.close_vote(matter)
    assert (meeting.yes, meeting.no, meeting.abstain) == (8, 1, 1)
    assert (meeting.present, meeting.should_attend) == (10, 12)
    assert meeting.passed is True
    assert matter.status == MatterStatus.RESOLVED


# --- secret ballots ---------------------------------------------------------------------------


def test_ballot_and_participation_have_no_field_linking_them():
    ballot_fields = {f.name: f for f in Ballot._meta.get_fields()}
    participation_fields = Participation._meta.get_fields()
    # No relation in either direction.
    for field in participation_fields:
        assert getattr(field, "related_model", None) is not Ballot, field.name
    for field in ballot_fields.values():
        assert getattr(field, "related_model", None) is not Participation, field.name
    # A random key and no time on a ballot: neither an order nor a clock leads to the voter.
    assert isinstance(Ballot._meta.pk, models.UUIDField)
    assert not [
        f
        for f in Ballot._meta.concrete_fields
        if isinstance(f, models.DateField | models.TimeField)
    ]
    shared = {f.attname for f in Ballot._meta.concrete_fields} & {
        f.attname for f in Participation._meta.concrete_fields
    }
    assert shared <= {"id", "meeting_id", "voter_id", "channel"}
    assert "receipt" not in {f.name for f in Participation._meta.concrete_fields}


def test_a_secret_ballot_does_not_name_the_voter(deliberation_world, procedure, people):
    matter = procedure.to_vote(ballot_mode=BallotMode.SECRET)
    receipt = procedure.vote(matter, people["r1"], "no")
    assert receipt["secret"] is True
    meeting = selectors.current_vote_meeting(matter)
    # While the vote is on, the choice is sealed: no ballot anyone can read.
    assert not Ballot.cast.filter(meeting=meeting).exists()
    assert SealedBallot.objects.filter(meeting=meeting).count() == 1
    participation = Participation.objects.get(meeting=meeting)
    assert participation.voter == people["r1"]
    # The audit event of a secret vote says who took part, never what they chose.
    event = AuditEvent.objects.filter(action="deliberation.vote.cast").get()
    assert set(event.payload) == {"matter", "voter", "channel"}
    meeting = procedure.close_vote(matter)
    ballot = Ballot.cast.get(meeting=meeting)
    assert ballot.voter_id is None
    assert (ballot.choice, ballot.receipt) == ("no", receipt["receipt"])


def test_secret_receipts_are_listed_without_voters_once_counted(
    deliberation_world, procedure, people
):
    matter = procedure.to_vote(ballot_mode=BallotMode.SECRET)
    receipts = {
        procedure.vote(matter, people[label], choice)["receipt"]: choice
        for label, choice in [("r1", "yes"), ("r2", "no"), ("r3", "yes")]
    }
    assert selectors.receipts(selectors.current_vote_meeting(matter)) == []  # nothing readable yet
    meeting = procedure.close_vote(matter)
    listed = selectors.receipts(meeting)
    assert {row["receipt"]: row["choice"] for row in listed} == receipts
    assert all(set(row) == {"receipt", "choice"} for row in listed)
    assert [row["receipt"] for row in listed] == sorted(receipts)


def test_a_secret_vote_is_sealed_until_the_count_and_the_box_is_emptied_by_it(
    deliberation_world, procedure, people
):
    matter = procedure.to_vote(ballot_mode=BallotMode.SECRET)
    meeting = selectors.current_vote_meeting(matter)
    assert not meeting.ballots.exists()  # no box of blanks any more
    for label in ("r1", "r2"):
        procedure.vote(matter, people[label], "yes")
    procedure.vote(matter, people["r3"], "abstain")
    sealed = SealedBallot.objects.filter(meeting=meeting)
    assert sealed.count() == 3
    assert len({bytes(s.sealed) for s in sealed}) == 3  # two "yes" do not look alike
    assert len({len(bytes(s.sealed)) for s in sealed}) == 1  # nor differ in length
    meeting = procedure.close_vote(matter)
    assert (meeting.yes, meeting.no, meeting.abstain) == (2, 0, 1)
    assert not SealedBallot.objects.filter(meeting=meeting).exists()
    assert Ballot.cast.filter(meeting=meeting, voter__isnull=True).count() == 3
    assert len(selectors.receipts(meeting)) == 3


def test_secret_hall_votes_are_a_paper_tally_without_voters(deliberation_world, procedure, people):
    matter = procedure.to_vote(ballot_mode=BallotMode.SECRET)
    hall = deliberation_world.representatives_body[:9]
    with pytest.raises(ValidationError, match="无记名"):
        procedure.hall(matter, hall, votes={p.pk: "yes" for p in hall})
    with pytest.raises(ValidationError, match="必须等于"):
        procedure.hall(matter, hall, tally={"yes": 5, "no": 1})
    procedure.hall(matter, hall, tally={"yes": 6, "no": 2, "abstain": 1})
    meeting = procedure.close_vote(matter)
    assert (meeting.yes, meeting.no, meeting.abstain, meeting.present) == (6, 2, 1, 9)
    assert not meeting.ballots.filter(voter__isnull=False).exists()
    assert meeting.participations.count() == 9


def test_an_open_ballot_names_the_voter(deliberation_world, procedure, people):
    matter = procedure.to_vote(ballot_mode=BallotMode.OPEN)
    procedure.vote(matter, people["r2"], "abstain")
    procedure.hall(matter, [people["r3"]], votes={people["r3"].pk: "no"})
    meeting = selectors.current_vote_meeting(matter)
    assert dict(meeting.ballots.values_list("voter_id", "choice")) == {
        people["r2"].pk: "abstain",
        people["r3"].pk: "no",
    }


# --- publication, objections, implementation, archive ----------------------------------------


@pytest.fixture
def resolved(deliberation_world, procedure):
    matter = procedure.to_vote()
    procedure.resolve(matter)
    assert matter.status == MatterStatus.RESOLVED
    return matter


def test_the_resolution_is_published_for_the_rule_sets_days(
    deliberation_world, procedure, resolved
):
    publication = procedure.publish(resolved)
    assert resolved.status == MatterStatus.PUBLISHING
    assert resolved.current_step == 5
    assert publication.kind == PublicationKind.RESOLUTION
    assert publication.required_days == 7
    assert publication.ends_at - publication.starts_at == timedelta(days=7)
    assert "第三十条" in publication.rule_source


def test_a_failed_vote_cannot_be_published(deliberation_world, procedure):
    matter = procedure.to_vote()
    procedure.resolve(matter, voters=deliberation_world.representatives_body[:5])
    assert matter.status == MatterStatus.RETURNED
    with pytest.raises(ValidationError, match="已通过表决"):
        procedure.publish(matter)
    assert not matter.publications.exists()


def test_the_publication_cannot_close_before_its_days_are_over(
    deliberation_world, procedure, resolved
):
    publication = procedure.publish(resolved)
    with (
        travel(publication.ends_at - timedelta(minutes=1)),
        pytest.raises(ValidationError, match="公开期未满"),
    ):
        services.publication_close(actor=procedure.actor, matter=resolved)
    resolved.refresh_from_db()
    assert resolved.status == MatterStatus.PUBLISHING
    publication.refresh_from_db()
    assert publication.closed_at is None


def test_the_publication_closes_exactly_when_its_days_are_over(
    deliberation_world, procedure, resolved, people
):
    publication = procedure.publish(resolved)
    with (
        travel(publication.ends_at),
        pytest.raises(ValidationError, match="公开期已结束"),
    ):
        services.objection_file(actor=people["x4"].user, publication=publication, text="晚了")
    with travel(publication.ends_at):
        services.publication_close(actor=procedure.actor, matter=resolved)
    publication.refresh_from_db()
    assert publication.closed_at == publication.ends_at
    resolved.refresh_from_db()
    assert resolved.status == MatterStatus.IMPLEMENTING


def test_an_unanswered_objection_blocks_the_end_of_the_publication(
    deliberation_world, procedure, resolved, people
):
    publication = procedure.publish(resolved)
    objection = services.objection_file(
        actor=people["x4"].user, publication=publication, text="租金偏低，建议重新评估。"
    )
    with (
        travel(publication.ends_at + timedelta(hours=1)),
        pytest.raises(ValidationError, match="1 条异议未答复"),
    ):
        services.publication_close(actor=procedure.actor, matter=resolved)
    resolved.refresh_from_db()
    assert resolved.status == MatterStatus.PUBLISHING

    services.objection_answer(
        actor=procedure.actor, objection=objection, answer="租金经第三方评估，高于周边水平。"
    )
    objection.refresh_from_db()
    assert objection.answered and objection.answered_by == procedure.actor
    procedure.close_publication(resolved)
    assert resolved.status == MatterStatus.IMPLEMENTING
    assert resolved.current_step == 6


def test_an_objection_after_the_publication_ended_is_refused(
    deliberation_world, procedure, resolved, people
):
    publication = procedure.publish(resolved)
    with (
        travel(publication.ends_at + timedelta(minutes=1)),
        pytest.raises(ValidationError, match="公开期已结束"),
    ):
        services.objection_file(actor=people["x4"].user, publication=publication, text="反对")
    assert not Objection.objects.exists()


def test_an_objection_from_another_village_is_refused(
    deliberation_world, procedure, resolved, neighbour
):
    publication = procedure.publish(resolved)
    with pytest.raises(PermissionDenied):
        services.objection_file(
            actor=neighbour.people["x1"].user, publication=publication, text="我有意见"
        )
    assert not Objection.objects.exists()


def test_an_empty_objection_is_refused(deliberation_world, procedure, resolved, people):
    publication = procedure.publish(resolved)
    with pytest.raises(ValidationError, match="异议的内容"):
        services.objection_file(actor=people["x4"].user, publication=publication, text="  ")


def test_an_objection_is_answered_once(deliberation_world, procedure, resolved, people):
    publication = procedure.publish(resolved)
    objection = services.objection_file(
        actor=people["x4"].user, publication=publication, text="有疑问"
    )
    services.objection_answer(actor=procedure.actor, objection=objection, answer="已解释")
    with pytest.raises(ValidationError, match="已经答复过"):
        services.objection_answer(actor=procedure.actor, objection=objection, answer="再次答复")


def test_a_villager_cannot_answer_an_objection(deliberation_world, procedure, resolved, people):
    publication = procedure.publish(resolved)
    objection = services.objection_file(
        actor=people["x4"].user, publication=publication, text="有疑问"
    )
    with pytest.raises(PermissionDenied):
        services.objection_answer(actor=people["x5"].user, objection=objection, answer="我来答")


def test_implementation_then_result_publication_then_archive(
    deliberation_world, procedure, resolved
):
    procedure.publish(resolved)
    with pytest.raises(ValidationError, match="决议公开结束后"):
        services.implementation_add(actor=procedure.actor, matter=resolved, text="提前登记")
    procedure.close_publication(resolved)
    with pytest.raises(ValidationError, match="至少一条实施进展"):
        services.result_publish(actor=procedure.actor, matter=resolved, text="结果")
    services.implementation_add(actor=procedure.actor, matter=resolved, text="合同已签订。")
    services.implementation_add(actor=procedure.actor, matter=resolved, text="租金已到账。")
    result = services.result_publish(
        actor=procedure.actor, matter=resolved, text="租金12万元已入账。"
    )
    resolved.refresh_from_db()
    assert resolved.status == MatterStatus.RESULT_PUBLISHING
    assert result.kind == PublicationKind.RESULT
    assert result.required_days == 3
    with pytest.raises(ValidationError, match="公开期未满"):
        services.publication_close(actor=procedure.actor, matter=resolved)
    procedure.close_publication(resolved)
    assert resolved.status == MatterStatus.ARCHIVED
    assert resolved.is_closed
    assert resolved.updates.count() == 2
    with pytest.raises(ValidationError):
        services.implementation_add(actor=procedure.actor, matter=resolved, text="归档后再登记")


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


# --- permissions of the procedure -------------------------------------------------------------


def test_only_cadres_of_the_village_manage_matters(
    deliberation_world, procedure, people, inspector, neighbour
):
    with pytest.raises(PermissionDenied):
        services.matter_create(
            actor=people["x3"].user,
            village=deliberation_world.village,
            title="村民自己立项",
            body="内容",
            category="other",
            origin="suggestion",
        )
    with pytest.raises(PermissionDenied):
        services.matter_create(
            actor=inspector,
            village=deliberation_world.village,
            title="巡查立项",
            body="内容",
            category="other",
            origin="higher",
        )
    with pytest.raises(PermissionDenied):
        services.matter_create(
            actor=neighbour.secretary.user,
            village=deliberation_world.village,
            title="邻村书记立项",
            body="内容",
            category="other",
            origin="cadre",
        )
    matter = procedure.create()
    with pytest.raises(PermissionDenied):
        services.meeting_record(
            actor=neighbour.secretary.user,
            matter=matter,
            held_on=timezone.localdate(),
            present=ids(deliberation_world.branch),
            votes={},
        )
    assert Matter.objects.count() == 1
    assert not Meeting.objects.exists()


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


# --- audit trail and nothing deleted ---------------------------------------------------------


def test_every_transition_of_a_full_run_is_in_the_audit_chain(
    deliberation_world, procedure, people
):
    matter = procedure.to_vote()
    procedure.vote(matter, people["r1"])
    procedure.resolve(matter, voters=deliberation_world.representatives_body[1:])
    publication = procedure.publish(matter)
    objection = services.objection_file(
        actor=people["x4"].user, publication=publication, text="疑问"
    )
    services.objection_answer(actor=procedure.actor, objection=objection, answer="答复")
    procedure.close_publication(matter)
    procedure.archive(matter)
    assert matter.status == MatterStatus.ARCHIVED
    assert actions(matter) == [
        "deliberation.matter.create",
        "deliberation.meeting.record",
        "deliberation.meeting.record",
        "deliberation.meeting.record",
        "deliberation.vote.open",
        "deliberation.vote.cast",
        "deliberation.vote.hall",
        "deliberation.vote.close",
        "deliberation.publication.resolution",
        "deliberation.objection.file",
        "deliberation.objection.answer",
        "deliberation.publication.close",
        "deliberation.implementation.add",
        "deliberation.publication.result",
        "deliberation.publication.close",
    ]
    events = AuditEvent.objects.filter(chain=audit.chain_key(village=deliberation_world.village))
    assert {e.actor_name for e in events} >= {procedure.actor.username, people["r1"].user.username}
    assert audit.verify_chain(audit.chain_key(village=deliberation_world.village)) is None
    assert audit.verify_all() == []
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "audit chain intact" in out.getvalue()
    vote_open = events.get(action="deliberation.vote.open")
    assert vote_open.payload["frozen_sha256"] == matter.frozen_hash


def test_revise_withdraw_and_return_are_audited(deliberation_world, procedure):
    matter = procedure.create()
    procedure.record(matter, deliberation_world.branch, present=deliberation_world.branch[:2])
    services.matter_revise(
        actor=procedure.actor, matter=matter, title="t2", body="b2", reason="补充"
    )
    services.matter_withdraw(actor=procedure.actor, matter=matter, reason="撤回")
    assert actions(matter) == [
        "deliberation.matter.create",
        "deliberation.meeting.record",
        "deliberation.matter.return",
        "deliberation.matter.revise",
        "deliberation.matter.withdraw",
    ]
    assert audit.verify_all() == []


def test_a_refused_action_writes_no_audit_event(deliberation_world, procedure, people):
    matter = procedure.to_vote()
    before = AuditEvent.objects.count()
    for attempt in (
        lambda: procedure.vote(matter, people["minor"]),
        lambda: procedure.vote(matter, people["x3"]),
        lambda: services.matter_revise(
            actor=procedure.actor, matter=matter, title="t", body="b", reason="r"
        ),
        lambda: services.matter_withdraw(actor=procedure.actor, matter=matter, reason="r"),
    ):
        with pytest.raises((ValidationError, PermissionDenied)):
            attempt()
    assert AuditEvent.objects.count() == before


def test_nothing_of_the_procedure_can_be_deleted(deliberation_world, procedure):
    matter = procedure.to_vote()
    procedure.resolve(matter)
    assert not [name for name in dir(services) if "delete" in name or "remove" in name]
    meeting = matter.meetings.first()
    with pytest.raises(ProtectedError):
        meeting.delete()
    with pytest.raises(ProtectedError):
        Matter.objects.get(pk=matter.pk).delete()
    assert Matter.objects.filter(pk=matter.pk).exists()
    assert Meeting.objects.filter(matter=matter).count() == 4


def test_a_published_resolution_anchors_the_village_chain_in_the_township_chain(
    deliberation_world, procedure
):
    matter = procedure.to_vote()
    procedure.resolve(matter)
    procedure.publish(matter)
    village_chain = audit.chain_key(village=deliberation_world.village)
    head = AuditHead.objects.get(chain=village_chain)
    anchor = AuditEvent.objects.filter(
        chain=audit.chain_key(township=deliberation_world.village.township), action=audit.ANCHOR
    ).latest("seq")
    assert anchor.payload["chain"] == village_chain
    assert anchor.payload["reason"] == "resolution"
    assert (anchor.payload["seq"], anchor.payload["hash"]) == (head.seq, head.hash)
    assert audit.verify_all() == []
