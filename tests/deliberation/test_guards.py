"""What the procedure recorded stays as recorded below the application too: raw SQL through the
application's connection can delete nothing of the procedure, cannot change a cast ballot or a
participation, and cannot rewrite an objection or its answer (migration 0004, SQLite and
PostgreSQL)."""

import pytest
from django.db import DatabaseError, connection, transaction

from deliberation import services
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
)


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def refused(sql, params=()):
    with pytest.raises(DatabaseError), transaction.atomic():
        raw(sql, params)


@pytest.fixture
def objected(world, proc, people):
    matter = proc.to_vote()
    proc.resolve(matter)
    publication = proc.publish(matter)
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


def test_a_secret_vote_still_fills_a_blank_and_the_filled_one_stays(world, proc):
    matter = proc.to_vote(ballot_mode=BallotMode.SECRET)
    voters = world.representatives_body[:3]
    for person in voters:
        proc.vote(matter, person, "yes")  # each vote rewrites the box: allowed
    meeting = services.vote_meeting(matter)
    cast = Ballot.cast.filter(meeting=meeting)
    assert cast.count() == 3
    refused(
        f"UPDATE {Ballot._meta.db_table} SET choice = 'no' WHERE id = %s", [cast.first().pk.hex]
    )


def test_a_participation_cannot_move_to_someone_else(objected, people):
    matter, _publication, _objection = objected
    participation = Participation.objects.filter(meeting__matter=matter).first()
    refused(
        f"UPDATE {Participation._meta.db_table} SET voter_id = %s WHERE id = %s",
        [people["x4"].pk, participation.pk],
    )
    assert Participation.objects.get(pk=participation.pk).voter_id == participation.voter_id


def test_an_objection_and_its_answer_cannot_be_rewritten(objected, proc):
    _matter, _publication, objection = objected
    table = Objection._meta.db_table
    refused(f"UPDATE {table} SET text = '没有意见' WHERE id = %s", [objection.pk])
    answer = "已重新评估，租金合理。"
    services.objection_answer(actor=proc.actor, objection=objection, answer=answer)
    refused(f"UPDATE {table} SET answer = '不予理睬' WHERE id = %s", [objection.pk])
    fresh = Objection.objects.get(pk=objection.pk)
    assert (fresh.text, fresh.answer) == ("租金偏低，建议重新评估。", answer)
