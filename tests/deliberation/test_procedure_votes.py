"""The vote of the 四议两公开 procedure through its services: opening it freezes the text and
the voters, then online and hall votes (the window, who may vote, once each) and the tally."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from deliberation import selectors, services
from deliberation.models import (
    Ballot,
    Body,
    MatterStatus,
    MatterVersion,
    Participation,
    text_sha256,
)
from tests.support.clock import travel
from tests.support.deliberation_world import ids

pytestmark = pytest.mark.django_db


def nothing_voted(matter):
    meeting = selectors.current_vote_meeting(matter)
    return not Participation.objects.filter(meeting=meeting).exists() and not (
        Ballot.objects.filter(meeting=meeting).exists()
    )


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
