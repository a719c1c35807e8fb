"""Concurrent votes on PostgreSQL: one person, one vote, whatever the timing; many voters at
once, every ballot counted and the audit chain intact."""

import json
from collections import Counter

import pytest
from django.db import connection
from django.test import Client

from deliberation import selectors, services
from deliberation.models import Ballot, BallotMode, DecidingBody, MatterStatus, Participation
from tests.factories import PASSWORD
from tests.support.concurrency import in_threads, skip_unless_postgresql
from tests.support.deliberation_world import many_villagers
from village import audit
from village.models import AuditEvent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("flushable_audit_chain"),
]


@pytest.fixture(autouse=True)
def _postgresql_only():
    skip_unless_postgresql()


def votes_audited(deliberation_world):
    chain = audit.chain_key(village=deliberation_world.village)
    return AuditEvent.objects.filter(chain=chain, action="deliberation.vote.cast").count()


def test_fifty_concurrent_votes_of_one_villager_make_exactly_one_ballot(
    deliberation_world, procedure, people
):
    matter = procedure.to_vote()
    voter = people["r1"]

    def vote():
        return services.vote_cast(actor=voter.user, matter=matter, choice="yes")

    outcomes = in_threads([vote] * 50, threads=50)

    errors = [value for kind, value in outcomes if kind == "error"]
    assert errors == []
    assert [kind for kind, _v in outcomes].count("ok") == 1
    refused = [value for kind, value in outcomes if kind == "invalid"]
    assert len(refused) == 49
    assert all("已经投过票" in exc.messages[0] for exc in refused)
    meeting = selectors.current_vote_meeting(matter)
    assert Participation.objects.filter(meeting=meeting, voter=voter).count() == 1
    assert Ballot.objects.filter(meeting=meeting).count() == 1
    assert votes_audited(deliberation_world) == 1
    assert audit.verify_all() == []


def test_fifty_concurrent_api_votes_of_one_villager_give_one_200_and_no_500(
    deliberation_world, procedure, people
):
    matter = procedure.to_vote()
    voter = people["r1"]
    response = Client().post(
        "/api/v1/auth/token",
        data=json.dumps({"username": voter.user.username, "password": PASSWORD}),
        content_type="application/json",
    )
    token = response.json()["token"]

    def vote():
        return (
            Client()
            .post(
                f"/api/v1/matters/{matter.pk}/vote",
                data=json.dumps({"choice": "no"}),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            .status_code
        )

    outcomes = in_threads([vote] * 50, threads=50)

    assert all(kind == "ok" for kind, _v in outcomes), outcomes
    statuses = Counter(value for _k, value in outcomes)
    assert statuses == {200: 1, 400: 49}
    meeting = selectors.current_vote_meeting(matter)
    assert list(meeting.ballots.values_list("choice", flat=True)) == ["no"]


def test_three_hundred_villagers_voting_at_once_are_all_counted(deliberation_world, procedure):
    voters = many_villagers(deliberation_world, 300)
    matter = procedure.to_vote(
        "2027年集体经济收益分配方案", deciding_body=DecidingBody.VILLAGERS_MEETING
    )
    meeting = selectors.current_vote_meeting(matter)
    assert meeting.should_attend == 328
    choices = ["yes", "yes", "no", "abstain", "yes"]
    expected = Counter(choices[i % 5] for i in range(300))

    def voting(person, choice):
        return lambda: services.vote_cast(actor=person.user, matter=matter, choice=choice)

    outcomes = in_threads(
        [voting(person, choices[i % 5]) for i, person in enumerate(voters)], threads=16
    )

    problems = [(kind, value) for kind, value in outcomes if kind != "ok"]
    assert problems == []
    receipts = {value["receipt"] for _k, value in outcomes}
    assert len(receipts) == 300
    assert Participation.objects.filter(meeting=meeting).count() == 300
    assert Ballot.objects.filter(meeting=meeting).count() == 300
    assert Counter(meeting.ballots.values_list("choice", flat=True)) == expected
    assert votes_audited(deliberation_world) == 300
    assert audit.verify_all() == []

    closed = procedure.close_vote(matter)
    assert (closed.yes, closed.no, closed.abstain) == (180, 60, 60)
    assert closed.present == 300
    assert closed.quorum_met is True and closed.passed is True
    assert matter.status == MatterStatus.RESOLVED
    assert audit.verify_all() == []


def test_committed_secret_votes_cannot_be_joined_to_their_voters_by_xmin(
    deliberation_world, procedure, people
):
    """Each vote commits on its own here (a transactional test), as in production: no counted
    ballot carries the transaction id of a participation (they are written by the count, in
    one statement), and the sealed ballots that did are gone."""
    matter = procedure.to_vote(ballot_mode=BallotMode.SECRET)
    order = [("r1", "yes"), ("r2", "no"), ("r3", "abstain")]
    for label, choice in order:
        procedure.vote(matter, people[label], choice)
    meeting = procedure.close_vote(matter)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.voter_id, b.choice FROM deliberation_participation p"
            " JOIN deliberation_ballot b ON b.xmin = p.xmin AND b.meeting_id = p.meeting_id"
            " WHERE p.meeting_id = %s",
            [meeting.pk],
        )
        assert cursor.fetchall() == []
        cursor.execute(
            "SELECT count(DISTINCT xmin::text) FROM deliberation_ballot WHERE meeting_id = %s",
            [meeting.pk],
        )
        assert cursor.fetchone()[0] == 1
    assert Counter(Ballot.cast.filter(meeting=meeting).values_list("choice", flat=True)) == {
        "yes": 1,
        "no": 1,
        "abstain": 1,
    }


def test_eight_simultaneous_prints_of_one_meeting_record_issue_one_document(
    deliberation_world, procedure
):
    from deliberation import documents as print_
    from village.models import Document

    matter = procedure.create()
    meeting = procedure.record(matter, deliberation_world.branch)

    def print_record():
        return print_.meeting_record(actor=deliberation_world.secretary.user, meeting=meeting).code

    outcomes = in_threads([print_record] * 8, threads=8)
    assert [kind for kind, _v in outcomes] == ["ok"] * 8, outcomes
    assert len({code for _k, code in outcomes}) == 1  # one code for every click
    assert Document.objects.filter(kind="meeting_record").count() == 1
    chain = audit.chain_key(village=deliberation_world.village)
    assert AuditEvent.objects.filter(chain=chain, action="village.document.issue").count() == 1
    assert audit.verify_chain(chain) is None
