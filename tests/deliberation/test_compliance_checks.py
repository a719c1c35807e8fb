"""Each compliance check alone (deliberation.compliance.check_*): the flag it raises on a
record that breaks its rule and the one it gives a record that keeps it. The records are
plain stand-ins holding just what a check reads; test_compliance.py checks whole matters."""

from datetime import date, datetime, timedelta
from types import SimpleNamespace

from django.utils import timezone

from deliberation import compliance
from deliberation.models import Channel, MatterStatus, MeetingStatus, PublicationKind, Step


class Related(list):
    """A stand-in for a related manager: `.all()` gives the rows."""

    def all(self):
        return self


def meeting(step=Step.BRANCH, held_on=date(2026, 3, 1), **fields):
    values = {
        "step": step,
        "held_on": held_on,
        "passed": True,
        "present": 6,
        "should_attend": 7,
        "yes": 5,
        "minutes": "讨论并表决。",
        "status": MeetingStatus.CLOSED,
        "verdict": {"passed": True},
        "joint": False,
    }
    values.update(fields)
    return SimpleNamespace(**values)


def verdict(*, quorum_met=True, passed=True):
    return {
        "quorum_met": quorum_met,
        "passed": passed,
        "quorum": {"rule": "过半数", "source": "村规"},
        "pass": {"rule": "过半数同意", "total": 7},
    }


def codes(flags):
    return [(f.code, f.ok) for f in flags]


# --- steps complete -------------------------------------------------------------------------


def test_steps_complete_flags_a_missing_step_once_the_vote_is_reached():
    matter = SimpleNamespace(status=MatterStatus.VOTING)
    by_step = {Step.BRANCH: meeting(), Step.PARTY: meeting(Step.PARTY)}
    flags = compliance.check_steps_complete(matter, by_step)
    assert codes(flags) == [("step_missing", False)]
    assert str(Step.COMMITTEES.label) in flags[0].reason


def test_steps_complete_passes_with_all_three_steps_passed():
    matter = SimpleNamespace(status=MatterStatus.PUBLISHING)
    by_step = {s: meeting(s) for s in compliance.STEPS_BEFORE_VOTE}
    assert codes(compliance.check_steps_complete(matter, by_step)) == [("step_missing", True)]


def test_steps_complete_says_nothing_before_the_vote():
    matter = SimpleNamespace(status=MatterStatus.DELIBERATING)
    assert compliance.check_steps_complete(matter, {}) == []


def test_a_joint_meeting_stands_for_the_two_committees_step():
    joint = meeting(Step.BRANCH, joint=True)
    assert compliance.meetings_by_step([joint]) == {Step.BRANCH: joint, Step.COMMITTEES: joint}


# --- step order -----------------------------------------------------------------------------


def test_step_order_flags_a_meeting_held_before_the_previous_step():
    first = meeting(Step.BRANCH, date(2026, 3, 5))
    second = meeting(Step.COMMITTEES, date(2026, 3, 1))
    flags = compliance.check_step_order([first, second])
    assert codes(flags) == [("step_order", False)]
    assert flags[0].step == Step.COMMITTEES


def test_step_order_passes_meetings_in_order():
    meetings = [meeting(Step.BRANCH, date(2026, 3, 1)), meeting(Step.COMMITTEES, date(2026, 3, 2))]
    assert codes(compliance.check_step_order(meetings)) == [("step_order", True)]


def test_step_order_says_nothing_without_meetings():
    assert compliance.check_step_order([]) == []


# --- quorum ---------------------------------------------------------------------------------


def test_quorum_flags_a_passed_meeting_without_its_quorum():
    flags = compliance.check_quorum(meeting(), verdict(quorum_met=False))
    assert codes(flags) == [("quorum", False)]
    assert "6" in flags[0].reason and "7" in flags[0].reason


def test_quorum_passes_a_meeting_with_its_quorum():
    assert codes(compliance.check_quorum(meeting(), verdict())) == [("quorum", True)]


def test_quorum_missed_by_a_meeting_recorded_as_failed_is_no_red_flag():
    flags = compliance.check_quorum(meeting(passed=False), verdict(quorum_met=False))
    assert codes(flags) == [("quorum", True)]


# --- pass rule ------------------------------------------------------------------------------


def test_pass_rule_flags_a_meeting_recorded_as_passed_that_does_not_pass():
    flags = compliance.check_pass_rule(meeting(), verdict(passed=False))
    assert codes(flags) == [("pass_rule", False)]


def test_pass_rule_flags_a_stored_verdict_that_disagrees():
    flags = compliance.check_pass_rule(meeting(verdict={"passed": False}), verdict())
    assert codes(flags) == [("pass_rule", True), ("pass_rule", False)]


def test_pass_rule_passes_a_passed_meeting_that_meets_the_rule():
    assert codes(compliance.check_pass_rule(meeting(), verdict())) == [("pass_rule", True)]


# --- minutes --------------------------------------------------------------------------------


def test_meeting_minutes_flags_a_meeting_without_minutes():
    flags = compliance.check_meeting_minutes(meeting(minutes="  "))
    assert codes(flags) == [("minutes_missing", False)]


def test_meeting_minutes_says_nothing_of_a_meeting_with_minutes():
    assert compliance.check_meeting_minutes(meeting()) == []


def test_all_minutes_passes_when_every_closed_meeting_has_minutes():
    meetings = [meeting(), meeting(Step.COMMITTEES, minutes="", status=MeetingStatus.OPEN)]
    assert codes(compliance.check_all_minutes(meetings)) == [("minutes_missing", True)]


def test_all_minutes_says_nothing_when_a_closed_meeting_lacks_them():
    assert compliance.check_all_minutes([meeting(), meeting(minutes="")]) == []


# --- the vote -------------------------------------------------------------------------------


def vote(participations=(), ballots=(), frozen="a" * 64, version_hash="a" * 64):
    opens = timezone.make_aware(datetime(2026, 4, 1, 8))
    return SimpleNamespace(
        vote_opens_at=opens,
        vote_closes_at=opens + timedelta(days=3),
        participations=Related(participations),
        ballots=Related(ballots),
        frozen_hash=frozen,
        version=SimpleNamespace(sha256=version_hash),
    )


def online(at):
    return SimpleNamespace(channel=Channel.ONLINE, cast_at=timezone.make_aware(at))


def test_vote_window_flags_an_online_vote_after_the_close():
    flags = compliance.check_vote_window(vote([online(datetime(2026, 4, 5, 9))]))
    assert codes(flags) == [("vote_window", False)]
    assert flags[0].step == Step.RESOLUTION


def test_vote_window_passes_online_votes_inside_the_window():
    flags = compliance.check_vote_window(vote([online(datetime(2026, 4, 2, 9))]))
    assert codes(flags) == [("vote_window", True)]


def test_frozen_text_flags_a_ballot_on_another_text():
    matter = SimpleNamespace(text_hash="a" * 64)
    ballots = [SimpleNamespace(text_hash="b" * 64)]
    flags = compliance.check_frozen_text(matter, vote(ballots=ballots))
    assert codes(flags) == [("text_changed", False)]


def test_frozen_text_flags_a_text_changed_after_freezing():
    matter = SimpleNamespace(text_hash="c" * 64)
    assert codes(compliance.check_frozen_text(matter, vote())) == [("text_changed", False)]


def test_frozen_text_passes_when_every_fingerprint_agrees():
    matter = SimpleNamespace(text_hash="a" * 64)
    ballots = [SimpleNamespace(text_hash="a" * 64)]
    flags = compliance.check_frozen_text(matter, vote(ballots=ballots))
    assert codes(flags) == [("text_changed", True)]
    assert "a" * 16 in flags[0].reason


# --- publications ---------------------------------------------------------------------------


def publication(*, days=7, ran=None, closed_after=None, objections=()):
    starts = timezone.make_aware(datetime(2026, 5, 1, 8))
    return SimpleNamespace(
        kind=PublicationKind.RESOLUTION,
        starts_at=starts,
        ends_at=starts + timedelta(days=days if ran is None else ran),
        required_days=days,
        closed_at=starts + closed_after if closed_after is not None else None,
        rule_source="村规第十条",
        objections=Related(objections),
    )


def test_publication_days_flags_a_publication_closed_early():
    flags = compliance.check_publication_days(publication(closed_after=timedelta(hours=30)))
    assert codes(flags) == [("publication_short", False)]
    assert "30" in flags[0].reason


def test_publication_days_flags_a_publication_set_too_short():
    flags = compliance.check_publication_days(publication(ran=3))
    assert codes(flags) == [("publication_short", False)]


def test_publication_days_passes_a_full_publication():
    flags = compliance.check_publication_days(publication(closed_after=timedelta(days=7)))
    assert codes(flags) == [("publication_short", True)]


def answered(yes):
    return SimpleNamespace(answered_at=timezone.now() if yes else None)


def test_objections_flags_a_closed_publication_with_an_unanswered_objection():
    p = publication(closed_after=timedelta(days=7), objections=[answered(True), answered(False)])
    flags = compliance.check_objections(p)
    assert codes(flags) == [("objection_unanswered", False)]


def test_objections_pass_when_every_objection_is_answered():
    p = publication(closed_after=timedelta(days=7), objections=[answered(True)])
    assert codes(compliance.check_objections(p)) == [("objection_unanswered", True)]


def test_objections_pending_during_the_publication_are_shown_not_yet_ok():
    assert codes(compliance.check_objections(publication(objections=[answered(False)]))) == [
        ("objection_unanswered", False)
    ]


def test_objections_say_nothing_without_objections():
    assert compliance.check_objections(publication()) == []
