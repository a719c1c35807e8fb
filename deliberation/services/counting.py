"""The tally of a meeting and its verdict under the village's rule set: shared by the meetings
of steps 1–3 (`meeting_record`) and the count of the vote (`matter_close_vote`)."""

from django.utils import timezone

from village import audit
from village.selectors import Body as CoreBody
from village.selectors import body_members

from .. import recount, rules, selectors
from ..models import Attendance, Ballot, Body, Choice, Matter, Meeting, MeetingStatus


def meeting_count(*, meeting: Meeting, ruleset) -> tuple[rules.Count, list[Attendance]]:
    """The meeting's count (who should attend, who came, households, choices) and the
    attendance rows it was read from."""
    rows = selectors.attendance_of(meeting, ruleset)
    should = [a for a in rows if not a.exempted]
    present = [a for a in should if a.counts_present]
    households_total = len({a.villager.household_id for a in should})
    households_present = len({a.household_id or a.villager.household_id for a in present})
    tally = {c: 0 for c in Choice.values}
    for choice in Ballot.cast.filter(meeting=meeting).values_list("choice", flat=True):
        tally[choice] += 1
    count = rules.Count(
        should_attend=len(should),
        present=len(present),
        households_total=households_total,
        households_present=households_present,
        yes=tally["yes"],
        no=tally["no"],
        abstain=tally["abstain"],
    )
    return count, rows


def branch_verdict(*, meeting: Meeting, matter: Matter, ruleset) -> dict:
    """The branch committee's own verdict inside a joint meeting of the two committees."""
    branch_ids = {
        v.pk
        for v in body_members(
            village=matter.village, body=CoreBody.BRANCH_COMMITTEE, on=meeting.held_on
        )
    }
    rows = list(meeting.attendance.filter(villager_id__in=branch_ids))
    branch_yes = meeting.ballots.filter(voter_id__in=branch_ids, choice=Choice.YES).count()
    return rules.verdict(
        ruleset,
        Body.BRANCH_COMMITTEE,
        rules.Count(
            should_attend=len(rows),
            present=sum(1 for a in rows if a.present),
            households_total=0,
            households_present=0,
            yes=branch_yes,
            no=0,
            abstain=0,
        ),
    )


def meeting_close(*, meeting: Meeting, matter: Matter, ruleset, joint: bool = False) -> dict:
    """Count the meeting, store its figures and verdict, close it; return the verdict."""
    count, rows = meeting_count(meeting=meeting, ruleset=ruleset)
    result = rules.verdict(ruleset, meeting.body, count)
    # Who was listed, who counted and for which household: fingerprints the recount checks
    # the attendance rows against (deliberation/recount.py).
    result["attendance"] = recount.attendance_facts(
        [
            (a.villager_id, a.present, a.exempted, a.household_id or a.villager.household_id)
            for a in rows
        ],
        {a.villager_id for a in rows if a.voted_online},
        online_counts_present=ruleset.online_voter_counts_present,
    )
    if joint:
        # The branch committee's own rule must hold inside the joint meeting too.
        branch = branch_verdict(meeting=meeting, matter=matter, ruleset=ruleset)
        result["branch"] = branch
        result["passed"] = result["passed"] and branch["passed"]
        result["quorum_met"] = result["quorum_met"] and branch["quorum_met"]
    meeting.should_attend = count.should_attend
    meeting.present = count.present
    meeting.households_total = count.households_total
    meeting.households_present = count.households_present
    meeting.yes, meeting.no, meeting.abstain = count.yes, count.no, count.abstain
    meeting.quorum_met = result["quorum_met"]
    meeting.passed = result["passed"]
    # Which version of the rule set judged it: the one in force on the meeting's date.
    result["rule_set"] = {"version": ruleset.version, "effective_from": ruleset.effective_from}
    meeting.verdict = audit.json_safe(result)
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_at = timezone.now()
    meeting.save()
    return result
