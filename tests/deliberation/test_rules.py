"""Quorum and pass rules per body at their boundaries, in integers, from the village rule set.

Bodies of the test village: branch committee 7, two committees 10, full party members 12,
representatives' meeting 12, adult villagers 28 in 12 households.
"""

import pytest
from django.core.exceptions import ValidationError

from deliberation import rules
from deliberation.models import Body, DecidingBody, MatterStatus
from tests.support.deliberation_world import ids
from tests.support.rules import amend
from village.models import RuleSet

pytestmark = pytest.mark.django_db


def count(should, present, yes, *, households_total=0, households_present=0, no=0):
    return rules.Count(
        should_attend=should,
        present=present,
        households_total=households_total,
        households_present=households_present,
        yes=yes,
        no=no,
        abstain=max(present - yes - no, 0),
    )


@pytest.fixture
def ruleset(deliberation_world):
    return deliberation_world.village.rules


# --- the rule functions, on plain numbers ------------------------------------------------


@pytest.mark.parametrize(
    ("body", "members", "present", "quorum_met"),
    [
        # "> 1/2": exactly half is not enough, one more is.
        (Body.TWO_COMMITTEES, 10, 5, False),
        (Body.TWO_COMMITTEES, 10, 6, True),
        (Body.VILLAGERS, 28, 14, False),
        (Body.VILLAGERS, 28, 15, True),
        # "≥ 1/2": exactly half is enough.
        (Body.BRANCH_COMMITTEE, 8, 4, True),
        (Body.BRANCH_COMMITTEE, 8, 3, False),
        (Body.PARTY_MEMBERS, 12, 6, True),
        (Body.PARTY_MEMBERS, 12, 5, False),
        # "≥ 2/3": exactly two thirds is enough, one fewer is not.
        (Body.REPRESENTATIVES, 12, 8, True),
        (Body.REPRESENTATIVES, 12, 7, False),
    ],
)
def test_quorum_boundary_per_body(ruleset, body, members, present, quorum_met):
    result = rules.verdict(ruleset, body, count(members, present, 0))
    assert result["quorum_met"] is quorum_met
    assert result["quorum"]["count"] == present
    assert result["quorum"]["total"] == members


@pytest.mark.parametrize(
    ("households_present", "quorum_met"), [(8, True), (7, False), (12, True), (0, False)]
)
def test_villagers_meeting_household_quorum_is_two_thirds_inclusive(
    ruleset, households_present, quorum_met
):
    # 10 of 28 adults present: the people quorum alone is not met.
    result = rules.verdict(
        ruleset,
        Body.VILLAGERS,
        count(28, 10, 10, households_total=12, households_present=households_present),
    )
    assert result["quorum"]["met"] is False
    assert result["quorum_households"]["met"] is quorum_met
    assert result["quorum_households"]["minimum"] == 8
    assert result["quorum_met"] is quorum_met


@pytest.mark.parametrize(
    ("body", "members", "present", "yes", "passed"),
    [
        # a pass with exactly half the votes fails; one more passes
        (Body.TWO_COMMITTEES, 10, 6, 3, False),
        (Body.TWO_COMMITTEES, 10, 6, 4, True),
        (Body.REPRESENTATIVES, 12, 8, 4, False),
        (Body.REPRESENTATIVES, 12, 8, 5, True),
        (Body.VILLAGERS, 28, 16, 8, False),
        (Body.VILLAGERS, 28, 16, 9, True),
        # branch committee and party members count yes against all members, not attendees
        (Body.BRANCH_COMMITTEE, 8, 8, 4, False),
        (Body.BRANCH_COMMITTEE, 8, 5, 5, True),
        (Body.BRANCH_COMMITTEE, 7, 4, 3, False),
        (Body.PARTY_MEMBERS, 12, 12, 6, False),
        (Body.PARTY_MEMBERS, 12, 7, 7, True),
        (Body.PARTY_MEMBERS, 12, 6, 6, False),
    ],
)
def test_pass_boundary_per_body(ruleset, body, members, present, yes, passed):
    result = rules.verdict(ruleset, body, count(members, present, yes))
    assert result["quorum_met"] is True
    assert result["passed"] is passed


def test_no_quorum_means_not_passed_even_when_everyone_present_votes_yes(ruleset):
    result = rules.verdict(ruleset, Body.REPRESENTATIVES, count(12, 7, 7))
    assert result["pass"]["met"] is True
    assert result["passed"] is False
    assert "未达到法定人数" in result["explanation"]


def test_an_empty_body_never_passes(ruleset):
    assert rules.verdict(ruleset, Body.BRANCH_COMMITTEE, count(0, 0, 0))["passed"] is False


def test_verdict_keeps_the_numbers_the_rule_text_and_its_source(ruleset):
    result = rules.verdict(ruleset, Body.PARTY_MEMBERS, count(12, 6, 5))
    assert result["quorum"] == {
        "rule_key": "party_quorum",
        "rule": "≥ 1/2",
        "source": RuleSet.source("party_quorum"),
        "count": 6,
        "total": 12,
        "minimum": 6,
        "met": True,
        "what": result["quorum"]["what"],
    }
    assert "支部工作条例" in result["quorum"]["source"]
    assert result["pass"]["rule"] == "> 1/2"
    assert result["pass"]["minimum"] == 7
    assert result["tally"] == {"yes": 5, "no": 0, "abstain": 1}
    assert result["passed"] is False
    assert "应到 12 人，实到 6 人" in result["explanation"]
    assert "结论：未通过" in result["explanation"]


# --- through the meetings: should-attend from the bodies, stored verdicts ---------------------


def test_branch_meeting_with_four_of_seven_present_and_voting_yes_passes(
    deliberation_world, procedure
):
    matter = procedure.create()
    meeting = procedure.record(
        matter, deliberation_world.branch, present=deliberation_world.branch[:4]
    )
    matter.refresh_from_db()
    assert (meeting.should_attend, meeting.present, meeting.yes) == (7, 4, 4)
    assert meeting.quorum_met and meeting.passed
    assert matter.current_step == 2


def test_branch_meeting_with_three_of_seven_present_lacks_quorum_and_returns(
    deliberation_world, procedure
):
    matter = procedure.create()
    meeting = procedure.record(
        matter, deliberation_world.branch, present=deliberation_world.branch[:3]
    )
    matter.refresh_from_db()
    assert meeting.quorum_met is False and meeting.passed is False
    assert matter.status == MatterStatus.RETURNED
    assert meeting.verdict["quorum"]["minimum"] == 4


def test_branch_pass_counts_yes_against_the_whole_committee_not_the_attendees(
    deliberation_world, procedure
):
    # 4 of 7 present, 3 yes: a majority of those present but not of the committee.
    matter = procedure.create()
    meeting = procedure.record(
        matter,
        deliberation_world.branch,
        present=deliberation_world.branch[:4],
        yes=deliberation_world.branch[:3],
    )
    assert meeting.quorum_met is True
    assert meeting.passed is False
    assert meeting.verdict["pass"]["total"] == 7


def test_two_committees_with_exactly_half_present_lack_quorum(deliberation_world, procedure):
    matter = procedure.create()
    procedure.record(matter, deliberation_world.branch)
    meeting = procedure.record(
        matter, deliberation_world.two_committees, present=deliberation_world.two_committees[:5]
    )
    assert (meeting.should_attend, meeting.present) == (10, 5)
    assert meeting.quorum_met is False
    assert meeting.passed is False


def test_two_committees_with_one_more_than_half_present_have_quorum(deliberation_world, procedure):
    matter = procedure.create()
    procedure.record(matter, deliberation_world.branch)
    meeting = procedure.record(
        matter, deliberation_world.two_committees, present=deliberation_world.two_committees[:6]
    )
    assert meeting.quorum_met is True
    assert meeting.passed is True


def test_two_committees_pass_with_exactly_half_of_attendees_fails(deliberation_world, procedure):
    matter = procedure.create()
    procedure.record(matter, deliberation_world.branch)
    present = deliberation_world.two_committees[:6]
    meeting = procedure.record(
        matter, deliberation_world.two_committees, present=present, yes=present[:3]
    )
    assert meeting.quorum_met is True
    assert (meeting.yes, meeting.abstain) == (3, 3)
    assert meeting.passed is False
    matter.refresh_from_db()
    assert matter.status == MatterStatus.RETURNED


def _to_party_step(deliberation_world, procedure):
    matter = procedure.create()
    procedure.record(matter, deliberation_world.branch)
    procedure.record(matter, deliberation_world.two_committees)
    return matter


def test_party_meeting_with_exactly_half_present_has_quorum(deliberation_world, procedure):
    matter = _to_party_step(deliberation_world, procedure)
    meeting = procedure.record(
        matter, deliberation_world.party_full, present=deliberation_world.party_full[:6]
    )
    assert (meeting.should_attend, meeting.present) == (12, 6)
    assert meeting.quorum_met is True
    # 6 yes of 12 members is exactly half: not passed.
    assert meeting.passed is False


def test_party_meeting_with_one_fewer_than_half_lacks_quorum(deliberation_world, procedure):
    matter = _to_party_step(deliberation_world, procedure)
    meeting = procedure.record(
        matter, deliberation_world.party_full, present=deliberation_world.party_full[:5]
    )
    assert meeting.quorum_met is False


def test_party_meeting_passes_with_one_more_than_half_of_members_voting_yes(
    deliberation_world, procedure
):
    matter = _to_party_step(deliberation_world, procedure)
    meeting = procedure.record(
        matter, deliberation_world.party_full, present=deliberation_world.party_full[:7]
    )
    assert meeting.passed is True
    matter.refresh_from_db()
    assert matter.current_step == 4


def test_probationary_members_are_not_on_the_party_meeting_list(deliberation_world, procedure):
    matter = _to_party_step(deliberation_world, procedure)
    meeting = procedure.record(matter, deliberation_world.party_full)
    listed = set(meeting.attendance.values_list("villager_id", flat=True))
    assert listed == set(ids(deliberation_world.party_full))
    assert not listed & set(ids(deliberation_world.probationary))
    assert meeting.should_attend == 12


def test_probationary_members_cannot_vote_or_be_counted_present(deliberation_world, procedure):
    matter = _to_party_step(deliberation_world, procedure)
    with pytest.raises(ValidationError) as exc:
        procedure.record(
            matter,
            deliberation_world.party_full,
            present=deliberation_world.party_full[:6] + deliberation_world.probationary,
        )
    assert "不在应到名单中" in exc.value.messages[0]
    assert deliberation_world.probationary[0].name in exc.value.messages[0]
    assert not matter.meetings.filter(step=3).exists()


def test_approved_exemptions_leave_the_should_attend_count(deliberation_world, procedure):
    matter = _to_party_step(deliberation_world, procedure)
    excused = deliberation_world.party_full[-2:]
    present = deliberation_world.party_full[:6]
    meeting = procedure.record(
        matter,
        deliberation_world.party_full,
        present=present,
        exemptions={p.pk: "外出务工，经支部书记批准请假" for p in excused},
    )
    # 12 members − 2 excused = 10 should attend; 6 yes > 10/2.
    assert meeting.should_attend == 10
    assert meeting.present == 6
    assert meeting.passed is True
    assert meeting.verdict["pass"]["total"] == 10
    rows = meeting.attendance.filter(exempted=True)
    assert set(rows.values_list("villager_id", flat=True)) == set(ids(excused))
    assert rows.first().exemption_reason.startswith("外出务工")


def test_without_the_exemptions_the_same_attendance_fails(deliberation_world, procedure):
    matter = _to_party_step(deliberation_world, procedure)
    meeting = procedure.record(
        matter, deliberation_world.party_full, present=deliberation_world.party_full[:6]
    )
    assert meeting.should_attend == 12
    assert meeting.passed is False


def test_an_exemption_without_a_reason_is_refused(deliberation_world, procedure):
    matter = _to_party_step(deliberation_world, procedure)
    with pytest.raises(ValidationError, match="事由"):
        procedure.record(
            matter,
            deliberation_world.party_full,
            present=deliberation_world.party_full[:6],
            exemptions={deliberation_world.party_full[-1].pk: ""},
        )


def test_exemptions_are_only_for_the_party_meeting(deliberation_world, procedure):
    matter = procedure.create()
    with pytest.raises(ValidationError, match="党员大会"):
        procedure.record(
            matter,
            deliberation_world.branch,
            present=deliberation_world.branch[:5],
            exemptions={deliberation_world.branch[-1].pk: "住院，经批准"},
        )


def test_a_stricter_party_quorum_in_the_rule_set_changes_the_outcome(deliberation_world, procedure):
    amend(deliberation_world.village, party_quorum=">=2/3")
    matter = _to_party_step(deliberation_world, procedure)
    meeting = procedure.record(
        matter, deliberation_world.party_full, present=deliberation_world.party_full[:7]
    )
    # 7 of 12 met "≥ 1/2" but not "≥ 2/3" (needs 8).
    assert meeting.quorum_met is False
    assert meeting.verdict["quorum"]["rule"] == "≥ 2/3"
    assert meeting.verdict["quorum"]["minimum"] == 8
    matter.refresh_from_db()
    assert matter.status == MatterStatus.RETURNED


def test_with_the_stricter_party_quorum_two_thirds_exactly_is_enough(deliberation_world, procedure):
    amend(deliberation_world.village, party_quorum=">=2/3")
    matter = _to_party_step(deliberation_world, procedure)
    meeting = procedure.record(
        matter, deliberation_world.party_full, present=deliberation_world.party_full[:8]
    )
    assert meeting.quorum_met is True
    assert meeting.passed is True


def test_stored_verdict_of_a_meeting_names_rule_source_and_numbers(deliberation_world, procedure):
    matter = procedure.create()
    meeting = procedure.record(
        matter, deliberation_world.branch, present=deliberation_world.branch[:5]
    )
    verdict = meeting.verdict
    assert verdict["body"] == "branch_committee"
    assert verdict["quorum"]["rule"] == "≥ 1/2"
    assert verdict["quorum"]["source"] == RuleSet.source("branch_quorum")
    assert (verdict["quorum"]["count"], verdict["quorum"]["total"]) == (5, 7)
    assert verdict["pass"]["rule"] == "> 1/2"
    assert verdict["pass"]["source"] == RuleSet.source("branch_pass")
    assert verdict["tally"] == {"yes": 5, "no": 0, "abstain": 0}
    assert verdict["passed"] is True
    assert "结论：通过" in verdict["explanation"]


# --- step 4 through the vote -----------------------------------------------------------------


def _hall_close(deliberation_world, procedure, matter, present, *, yes=None, households=None):
    votes = {p.pk: ("yes" if yes is None or p in yes else "no") for p in present}
    procedure.hall(matter, present, votes=votes, households=households)
    return procedure.close_vote(matter)


def test_representatives_meeting_with_exactly_two_thirds_present_has_quorum(
    deliberation_world, procedure
):
    matter = procedure.to_vote()
    meeting = _hall_close(
        deliberation_world, procedure, matter, deliberation_world.representatives_body[:8]
    )
    assert (meeting.should_attend, meeting.present) == (12, 8)
    assert meeting.quorum_met is True and meeting.passed is True
    assert matter.status == MatterStatus.RESOLVED


def test_representatives_meeting_with_one_fewer_than_two_thirds_lacks_quorum(
    deliberation_world, procedure
):
    matter = procedure.to_vote()
    meeting = _hall_close(
        deliberation_world, procedure, matter, deliberation_world.representatives_body[:7]
    )
    assert meeting.quorum_met is False and meeting.passed is False
    assert matter.status == MatterStatus.RETURNED


def test_representatives_vote_with_exactly_half_yes_fails(deliberation_world, procedure):
    matter = procedure.to_vote()
    present = deliberation_world.representatives_body[:8]
    meeting = _hall_close(deliberation_world, procedure, matter, present, yes=present[:4])
    assert (meeting.yes, meeting.no) == (4, 4)
    assert meeting.passed is False
    assert matter.status == MatterStatus.RETURNED


def _villagers_vote(procedure):
    return procedure.to_vote(deciding_body=DecidingBody.VILLAGERS_MEETING)


def _one_per_household(deliberation_world, n):
    chosen, seen = [], set()
    for person in deliberation_world.adults:
        if person.household_id not in seen:
            seen.add(person.household_id)
            chosen.append(person)
    return chosen[:n]


def test_villagers_meeting_list_is_adult_registered_villagers_only(deliberation_world, procedure):
    matter = _villagers_vote(procedure)
    meeting = matter.meetings.get(step=4)
    listed = set(meeting.attendance.values_list("villager_id", flat=True))
    assert listed == set(ids(deliberation_world.adults))
    assert deliberation_world.people["minor"].pk not in listed
    assert deliberation_world.people["moved"].pk not in listed
    assert meeting.should_attend == 28


def test_villagers_meeting_with_exactly_half_of_adults_and_too_few_households_fails(
    deliberation_world, procedure
):
    matter = _villagers_vote(procedure)
    # 14 of 28 adults, all from the same 7 households.
    in_seven = [
        p for p in deliberation_world.adults if deliberation_world.households.index(p.household) < 7
    ][:14]
    meeting = _hall_close(deliberation_world, procedure, matter, in_seven)
    assert (meeting.present, meeting.households_present, meeting.households_total) == (14, 7, 12)
    assert meeting.quorum_met is False


def test_villagers_meeting_with_one_more_than_half_of_adults_has_quorum(
    deliberation_world, procedure
):
    matter = _villagers_vote(procedure)
    in_seven = [
        p for p in deliberation_world.adults if deliberation_world.households.index(p.household) < 7
    ]
    meeting = _hall_close(deliberation_world, procedure, matter, in_seven[:15])
    assert meeting.households_present <= 7
    assert meeting.present == 15
    assert meeting.quorum_met is True and meeting.passed is True


def test_villagers_meeting_with_exactly_two_thirds_of_households_has_quorum(
    deliberation_world, procedure
):
    matter = _villagers_vote(procedure)
    meeting = _hall_close(
        deliberation_world, procedure, matter, _one_per_household(deliberation_world, 8)
    )
    assert (meeting.present, meeting.households_present, meeting.households_total) == (8, 8, 12)
    assert meeting.verdict["quorum"]["met"] is False
    assert meeting.verdict["quorum_households"]["met"] is True
    assert meeting.quorum_met is True and meeting.passed is True


def test_villagers_meeting_with_one_household_fewer_than_two_thirds_fails(
    deliberation_world, procedure
):
    matter = _villagers_vote(procedure)
    meeting = _hall_close(
        deliberation_world, procedure, matter, _one_per_household(deliberation_world, 7)
    )
    assert meeting.households_present == 7
    assert meeting.quorum_met is False
    assert matter.status == MatterStatus.RETURNED


def test_an_attendee_representing_another_household_counts_for_that_household(
    deliberation_world, procedure
):
    matter = _villagers_vote(procedure)
    seven = _one_per_household(deliberation_world, 7)
    eighth_household = deliberation_world.households[7]
    # A second person of household 0 attends on behalf of household 7 (委托).
    proxy = next(
        p
        for p in deliberation_world.adults
        if p.household_id == seven[0].household_id and p != seven[0]
    )
    present = [*seven, proxy]
    meeting = _hall_close(
        deliberation_world, procedure, matter, present, households={proxy.pk: eighth_household.pk}
    )
    assert meeting.households_present == 8
    assert meeting.quorum_met is True


def test_villagers_pass_with_exactly_half_of_attendees_fails(deliberation_world, procedure):
    matter = _villagers_vote(procedure)
    present = deliberation_world.adults[:16]
    meeting = _hall_close(deliberation_world, procedure, matter, present, yes=present[:8])
    assert meeting.quorum_met is True
    assert meeting.passed is False


def test_online_voters_count_as_present_by_default(deliberation_world, procedure):
    matter = procedure.to_vote()
    online = deliberation_world.representatives_body[:3]
    for person in online:
        procedure.vote(matter, person)
    hall = deliberation_world.representatives_body[3:8]
    procedure.hall(matter, hall, votes={p.pk: "yes" for p in hall})
    meeting = procedure.close_vote(matter)
    assert meeting.present == 8
    assert meeting.yes == 8
    assert meeting.quorum_met is True


def test_online_voters_do_not_count_as_present_when_the_rule_set_says_so(
    deliberation_world, procedure
):
    amend(deliberation_world.village, online_voter_counts_present=False)
    matter = procedure.to_vote()
    for person in deliberation_world.representatives_body[:3]:
        procedure.vote(matter, person)
    hall = deliberation_world.representatives_body[3:8]
    procedure.hall(matter, hall, votes={p.pk: "yes" for p in hall})
    meeting = procedure.close_vote(matter)
    assert meeting.present == 5
    assert meeting.quorum_met is False
