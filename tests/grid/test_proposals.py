"""Events that propose points: a closed representatives' meeting proposes the rule for each
household with a member present, an adopted 说事 for its villager's household — recorded
entries for the committee's review, never posted; who may; the same proposal twice."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deliberation.models import Step, Suggestion, SuggestionStatus
from deliberation.services import suggestion_submit
from grid.services.proposals import meeting_attendance_propose, suggestion_propose
from points.models import Entry, EntryStatus
from tests.support.points_world import build_catalogue
from village.models import AuditEvent


@pytest.fixture
def held(deliberation_world, procedure):
    """A matter resolved at a representatives' meeting, and the village's catalogue."""
    matter = procedure.to_vote()
    procedure.resolve(matter)
    _catalogue, _categories, rules = build_catalogue(deliberation_world.village)
    return matter.meetings.get(step=Step.RESOLUTION), rules


def test_attendance_proposes_one_entry_per_household_present(deliberation_world, held):
    meeting, rules = held
    secretary = deliberation_world.secretary.user
    present = {
        a.villager.household_id
        for a in meeting.attendance.filter(present=True).select_related("villager")
    }
    done = meeting_attendance_propose(actor=secretary, meeting=meeting, rule=rules["HJ01"])
    assert {e.account.household_id for e in done.entries} == present and not done.refused
    for entry in done.entries:
        assert entry.status == EntryStatus.RECORDED and entry.posted_at is None
        assert entry.source.startswith("参加村民代表会议：")
        assert entry.occurred_on == meeting.held_on
    again = meeting_attendance_propose(actor=secretary, meeting=meeting, rule=rules["HJ01"])
    assert {e.pk for e in again.entries} == {e.pk for e in done.entries}
    assert Entry.objects.count() == len(present)
    assert AuditEvent.objects.filter(action="points.entry.propose").count() == len(present)


def test_a_household_at_its_cap_is_listed_with_the_reason(deliberation_world, held):
    from points.services import entry_propose

    meeting, rules = held
    secretary = deliberation_world.secretary.user
    household = meeting.attendance.filter(present=True).first().villager.household
    for n in range(2):  # ZY01 is capped at twice a year: this household has used it up
        entry_propose(
            actor=secretary,
            household=household,
            rule=rules["ZY01"],
            occurred_on=meeting.held_on,
            reason="义务劳动",
            source="志愿服务",
            idempotency_key=f"cap-{n}",
        )
    done = meeting_attendance_propose(actor=secretary, meeting=meeting, rule=rules["ZY01"])
    assert [number for number, _reason in done.refused] == [household.number]
    assert "最多计 2 次" in done.refused[0][1]
    assert household.pk not in {e.account.household_id for e in done.entries}
    assert done.entries  # the others are proposed


def test_who_may_propose_and_what(deliberation_world, held, people):
    meeting, rules = held
    for user in (people["r1"].user, people["a1"].user if "a1" in people else None):
        if user is None:
            continue
        with pytest.raises(PermissionDenied):
            meeting_attendance_propose(actor=user, meeting=meeting, rule=rules["HJ01"])
    with pytest.raises(ValidationError):
        meeting_attendance_propose(
            actor=deliberation_world.secretary.user, meeting=meeting, rule=rules["HJ02"]
        )  # a deduction is never proposed
    open_step = meeting.matter.meetings.exclude(step=Step.RESOLUTION).first()
    with pytest.raises(ValidationError):
        meeting_attendance_propose(
            actor=deliberation_world.secretary.user, meeting=open_step, rule=rules["HJ01"]
        )  # not a villagers' or representatives' meeting
    assert not Entry.objects.exists()


def test_an_adopted_saying_proposes_for_its_household(deliberation_world, held, people):
    _meeting, rules = held
    villager = people["r2"]
    saying = suggestion_submit(
        actor=villager.user, village=deliberation_world.village, text="建议修缮村东头的老井"
    )
    secretary = deliberation_world.secretary.user
    with pytest.raises(ValidationError):
        suggestion_propose(actor=secretary, suggestion=saying, rule=rules["HJ01"])  # not adopted
    Suggestion.objects.filter(pk=saying.pk).update(status=SuggestionStatus.ADOPTED)
    saying.refresh_from_db()
    with pytest.raises(PermissionDenied):
        suggestion_propose(actor=villager.user, suggestion=saying, rule=rules["HJ01"])
    entry = suggestion_propose(actor=secretary, suggestion=saying, rule=rules["HJ01"])
    assert entry.account.household_id == villager.household_id
    assert entry.source == "村民说事被采纳：建议修缮村东头的老井"
    assert entry.status == EntryStatus.RECORDED
    assert suggestion_propose(actor=secretary, suggestion=saying, rule=rules["HJ01"]).pk == entry.pk


def test_the_api_and_the_page(deliberation_world, held, client):
    from tests.grid.test_events_api import Api

    meeting, _rules = held
    secretary = deliberation_world.secretary.user
    api = Api(client)
    refused = api.post(f"/proposals/meetings/{meeting.pk}", secretary, {"rule": "NOPE"}, json=True)
    assert refused.status_code == 404
    done = api.post(f"/proposals/meetings/{meeting.pk}", secretary, {"rule": "HJ01"}, json=True)
    assert done.status_code == 201 and done.json()["entries"]
    client.force_login(secretary)
    page = reverse("gridwork:proposals") + f"?village={deliberation_world.village.pk}"
    client.get(page)
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(page)
    assert (
        answer.status_code == 200 and 'data-testid="proposal-meetings"' in answer.content.decode()
    )
    assert len(captured) == PAGE_QUERIES
    client.force_login(deliberation_world.people["r1"].user)
    assert client.get(page).status_code == 403


# session, user, village, rule set, meetings, sayings, rules (each list one query).
PAGE_QUERIES = 7
