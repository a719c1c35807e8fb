"""What the procedure recorded stays as recorded below the application too: raw SQL through the
application's connection can delete nothing of the procedure, cannot change a cast ballot or a
participation, and cannot rewrite an objection or its answer (migration 0004, SQLite and
PostgreSQL); nothing can be added to a closed meeting's vote, and a sealed secret ballot neither
changes nor goes before the count (migration 0005)."""

import pytest
from django.db import DatabaseError, connection, transaction

from deliberation import selectors, services
from deliberation.models import (
    Attendance,
    Ballot,
    BallotMode,
    Matter,
    MatterVersion,
    Meeting,
    Objection,
    Participation,
    Publication,
    SealedBallot,
)
from village.models import Villager


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def refused(sql, params=()):
    with pytest.raises(DatabaseError), transaction.atomic():
        raw(sql, params)


@pytest.fixture
def objected(deliberation_world, procedure, people):
    matter = procedure.to_vote()
    procedure.resolve(matter)
    publication = procedure.publish(matter)
    objection = services.objection_file(
        actor=people["x4"].user, publication=publication, text="租金偏低，建议重新评估。"
    )
    return matter, publication, objection


def test_nothing_of_the_procedure_can_be_deleted_even_in_raw_sql(objected):
    matter, publication, objection = objected
    rows = [
        (Objection, objection.pk),
        (Publication, publication.pk),
        (Ballot, Ballot.objects.filter(meeting__matter=matter).values_list("pk", flat=True)[0]),
        (Participation, Participation.objects.filter(meeting__matter=matter)[0].pk),
        (Attendance, Attendance.objects.filter(meeting__matter=matter)[0].pk),
        (Meeting, matter.meetings.first().pk),
        (MatterVersion, matter.versions.first().pk),
        (Matter, matter.pk),
    ]
    for model, pk in rows:
        refused(f"DELETE FROM {model._meta.db_table} WHERE id = %s", [pk])
        assert model.objects.filter(pk=pk).exists(), model
    refused(f"DELETE FROM {Ballot._meta.db_table}")
    assert Ballot.objects.filter(meeting__matter=matter).exists()


def test_a_cast_ballot_cannot_be_changed(objected):
    matter, _publication, _objection = objected
    ballot = Ballot.cast.filter(meeting__matter=matter).first()
    other = "no" if ballot.choice == "yes" else "yes"
    table = Ballot._meta.db_table
    refused(f"UPDATE {table} SET choice = %s WHERE id = %s", [other, ballot.pk.hex])
    refused(f"UPDATE {table} SET receipt = 'FORGED' WHERE id = %s", [ballot.pk.hex])
    assert Ballot.objects.get(pk=ballot.pk).choice == ballot.choice


def test_a_sealed_ballot_can_neither_change_nor_go_before_the_count(deliberation_world, procedure):
    matter = procedure.to_vote(ballot_mode=BallotMode.SECRET)
    for person in deliberation_world.representatives_body[:3]:
        procedure.vote(matter, person, "yes")
    meeting = selectors.current_vote_meeting(matter)
    table = SealedBallot._meta.db_table
    one = SealedBallot.objects.filter(meeting=meeting).first()
    refused(f"UPDATE {table} SET sealed = sealed WHERE id = %s", [one.pk.hex])
    refused(f"DELETE FROM {table} WHERE id = %s", [one.pk.hex])
    assert SealedBallot.objects.filter(meeting=meeting).count() == 3
    procedure.close_vote(matter)  # the count opens the box, then empties it
    assert not SealedBallot.objects.filter(meeting=meeting).exists()
    cast = Ballot.cast.filter(meeting=meeting)
    assert cast.count() == 3
    refused(f"UPDATE {Ballot._meta.db_table} SET choice = 'no' WHERE id = %s", [cast[0].pk.hex])


def test_nothing_can_be_added_to_a_closed_meetings_vote(objected, people):
    """Ballot stuffing after the count: refused by the database, whichever table."""
    matter, _publication, _objection = objected
    meeting = matter.meetings.get(step=4)
    assert meeting.status == "closed"
    ballot = Ballot.cast.filter(meeting=meeting).first()
    refused(
        f"INSERT INTO {Ballot._meta.db_table} (id, meeting_id, choice, channel, text_hash)"
        " VALUES (%s, %s, 'yes', 'hall', %s)",
        ["0" * 32, meeting.pk, ballot.text_hash],
    )
    voted = set(meeting.participations.values_list("voter_id", flat=True))
    outsider = Villager.objects.filter(village=matter.village).exclude(pk__in=voted).first().pk
    refused(
        f"INSERT INTO {Participation._meta.db_table} (meeting_id, voter_id, channel, cast_at)"
        " VALUES (%s, %s, 'online', %s)",
        [meeting.pk, outsider, "2026-01-01 00:00:00"],
    )
    refused(
        f"INSERT INTO {SealedBallot._meta.db_table} (id, meeting_id, key_id, sealed)"
        " VALUES (%s, %s, 'x', %s)",
        ["1" * 32, meeting.pk, b"forged"],
    )
    assert meeting.ballots.count() == Ballot.objects.filter(meeting=meeting).count()


def test_a_participation_cannot_move_to_someone_else(objected, people):
    matter, _publication, _objection = objected
    participation = Participation.objects.filter(meeting__matter=matter).first()
    refused(
        f"UPDATE {Participation._meta.db_table} SET voter_id = %s WHERE id = %s",
        [people["x4"].pk, participation.pk],
    )
    assert Participation.objects.get(pk=participation.pk).voter_id == participation.voter_id


def test_an_objection_and_its_answer_cannot_be_rewritten(objected, procedure):
    _matter, _publication, objection = objected
    table = Objection._meta.db_table
    refused(f"UPDATE {table} SET text = '没有意见' WHERE id = %s", [objection.pk])
    answer = "已重新评估，租金合理。"
    services.objection_answer(actor=procedure.actor, objection=objection, answer=answer)
    refused(f"UPDATE {table} SET answer = '不予理睬' WHERE id = %s", [objection.pk])
    fresh = Objection.objects.get(pk=objection.pk)
    assert (fresh.text, fresh.answer) == ("租金偏低，建议重新评估。", answer)
