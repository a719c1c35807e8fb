"""Secret ballots of the 四议两公开 procedure: no link from a ballot to its voter, receipts
without voters, the sealed box emptied by the count, the paper tally of the hall; an open
ballot names its voter."""

import pytest
from django.core.exceptions import ValidationError
from django.db import models

from deliberation import selectors
from deliberation.models import (
    Ballot,
    BallotMode,
    Participation,
    SealedBallot,
)
from village.models import AuditEvent

pytestmark = pytest.mark.django_db


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
