"""Countable by anyone: `verify_audit` (and the trail page, and the audit API) recount every
meeting from its stored ballots and participations and compare with the stored verdict and the
audit chain. Tampering is done as someone with the database would: raw SQL, guards switched
off first where the database refuses."""

import io
from contextlib import contextmanager

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from deliberation import recount, selectors
from deliberation.models import (
    Attendance,
    Ballot,
    BallotMode,
    Meeting,
    Participation,
    SealedBallot,
)
from tests.deliberation.test_api import Api
from tests.deliberation.test_guards import raw as sql


@contextmanager
def guards_off(*models):
    """Switch off the database guards of these tables, as an attacker would; always restore."""
    tables = [m._meta.db_table for m in models]
    saved = []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type='trigger'")
            saved = [(n, s) for n, t, s in cursor.fetchall() if t in tables]
            for name, _s in saved:
                cursor.execute(f'DROP TRIGGER "{name}"')
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                for _name, statement in saved:
                    cursor.execute(statement)
            else:
                for table in tables:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def ids_of(people, labels: str) -> set[int]:
    return {people[label].pk for label in labels.split()}


def verify() -> str:
    out = io.StringIO()
    call_command("verify_audit", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def verify_fails() -> str:
    err = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("verify_audit", stdout=io.StringIO(), stderr=err)
    assert "recount problem" in str(excinfo.value)
    return err.getvalue()


@pytest.fixture
def counted(deliberation_world, procedure, people):
    """An open-ballot matter counted (online and hall votes), and a secret one counted."""
    open_matter = procedure.to_vote()
    procedure.vote(open_matter, people["r1"], "no")
    procedure.hall(
        open_matter,
        deliberation_world.representatives_body[1:10],
        votes={p.pk: "yes" for p in deliberation_world.representatives_body[1:10]},
    )
    procedure.close_vote(open_matter)
    secret = procedure.to_vote("2027年道路硬化筹资方案", ballot_mode=BallotMode.SECRET)
    for label, choice in (("r1", "yes"), ("r2", "no"), ("r3", "yes")):
        procedure.vote(secret, people[label], choice)
    procedure.hall(
        secret,
        deliberation_world.representatives_body[3:9],
        tally={"yes": 4, "no": 1, "abstain": 1},
    )
    procedure.close_vote(secret)
    return (
        selectors.current_vote_meeting(open_matter),
        selectors.current_vote_meeting(secret),
    )


def test_an_untouched_village_recounts(counted):
    open_meeting, secret_meeting = counted
    assert "every vote recounts" in verify()
    results = {r.meeting.pk: r for r in recount.recount(Meeting.objects.all())}
    assert all(r.ok for r in results.values())
    assert results[secret_meeting.pk].tally == {"yes": 6, "no": 2, "abstain": 1}
    assert results[open_meeting.pk].participations == 10


def test_a_ballot_stuffed_into_a_closed_meeting_is_refused_then_named(counted):
    _open, meeting = counted
    text_hash = meeting.frozen_hash
    insert = (
        f"INSERT INTO {Ballot._meta.db_table} (id, meeting_id, choice, channel, text_hash)"
        " VALUES (%s, %s, 'yes', 'online', %s)"
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        sql(insert, ["a" * 32, meeting.pk, text_hash])
    with guards_off(Ballot):
        sql(insert, ["a" * 32, meeting.pk, text_hash])
    stderr = verify_fails()
    assert f"meeting {meeting.pk}" in stderr
    assert "选票 4 张，投票记录 3 人" in stderr


def test_a_changed_tally_is_named(counted):
    _open, meeting = counted
    sql(f"UPDATE {Meeting._meta.db_table} SET yes = yes + 1 WHERE id = %s", [meeting.pk])
    stderr = verify_fails()
    assert f"meeting {meeting.pk}" in stderr and "存储的票数" in stderr


def test_a_tally_changed_with_its_verdict_is_still_named_by_the_chain(counted):
    _open, meeting = counted
    verdict = dict(meeting.verdict)
    verdict["tally"] = {"yes": 2, "no": 6, "abstain": 1}
    verdict["passed"] = False
    Meeting.objects.filter(pk=meeting.pk).update(yes=2, no=6, passed=False, verdict=verdict)
    # ...and the ballots to match: four "yes" become "no".
    with guards_off(Ballot):
        for ballot in Ballot.cast.filter(meeting=meeting, choice="yes")[:4]:
            sql(
                f"UPDATE {Ballot._meta.db_table} SET choice = 'no' WHERE id = %s",
                [ballot.pk.hex],
            )
    stderr = verify_fails()
    assert "审计链记录的票数与重新计票不符" in stderr


def test_two_swapped_ballots_keep_the_totals_but_not_the_fingerprint(counted):
    open_meeting, _secret = counted
    yes = Ballot.cast.filter(meeting=open_meeting, choice="yes").first()
    no = Ballot.cast.get(meeting=open_meeting, choice="no")
    with guards_off(Ballot):
        sql(f"UPDATE {Ballot._meta.db_table} SET choice = 'no' WHERE id = %s", [yes.pk.hex])
        sql(f"UPDATE {Ballot._meta.db_table} SET choice = 'yes' WHERE id = %s", [no.pk.hex])
    stderr = verify_fails()
    assert f"meeting {open_meeting.pk}" in stderr and "指纹" in stderr


def test_a_deleted_participation_is_refused_then_named(counted):
    open_meeting, _secret = counted
    participation = Participation.objects.filter(meeting=open_meeting).first()
    delete = f"DELETE FROM {Participation._meta.db_table} WHERE id = %s"
    with pytest.raises(DatabaseError), transaction.atomic():
        sql(delete, [participation.pk])
    with guards_off(Participation):
        sql(delete, [participation.pk])
    stderr = verify_fails()
    assert f"meeting {open_meeting.pk}" in stderr


def test_a_sealed_ballot_stuffed_while_voting_is_named_and_stops_the_count(
    deliberation_world, procedure, people
):
    matter = procedure.to_vote(ballot_mode=BallotMode.SECRET)
    procedure.vote(matter, people["r1"], "yes")
    meeting = selectors.current_vote_meeting(matter)
    # A copy of a genuine sealed ballot opens fine: only the counts can tell.
    sql(
        f"INSERT INTO {SealedBallot._meta.db_table} (id, meeting_id, key_id, sealed)"
        f" SELECT %s, meeting_id, key_id, sealed FROM {SealedBallot._meta.db_table}"
        " WHERE meeting_id = %s",
        ["b" * 32, meeting.pk],
    )
    stderr = verify_fails()
    assert f"meeting {meeting.pk}" in stderr and "密封选票（2 张）" in stderr
    with pytest.raises(Exception, match="不符，不能计票"):
        procedure.close_vote(matter)
    assert Meeting.objects.get(pk=meeting.pk).status == "open"


def test_the_trail_page_and_the_audit_api_show_the_recount(counted, client, inspector):
    open_meeting, _secret = counted
    client.force_login(inspector)
    page = client.get(reverse("deliberation_admin_trail", args=[open_meeting.matter_id]))
    html = page.content.decode()
    assert 'data-testid="recount"' in html and "与存储的结果一致" in html
    audit_api = Api(client)
    api = audit_api.get(f"/matters/{open_meeting.matter_id}/audit", inspector).json()
    assert api["recount_ok"] is True
    step4 = next(r for r in api["recount"] if r["meeting"] == open_meeting.pk)
    assert step4["tally"] == {"yes": 9, "no": 1, "abstain": 0} and step4["ok"] is True
    sql(f"UPDATE {Meeting._meta.db_table} SET no = 0 WHERE id = %s", [open_meeting.pk])
    html = client.get(
        reverse("deliberation_admin_trail", args=[open_meeting.matter_id])
    ).content.decode()
    assert "不一致" in html and "存储的票数" in html
    api = audit_api.get(f"/matters/{open_meeting.matter_id}/audit", inspector).json()
    assert api["recount_ok"] is False


# --- tampering before the count: the count would bake it in, the chain's earlier events don't --


def test_presence_marked_behind_the_code_before_the_count_is_named(
    deliberation_world, procedure, people
):
    """5 of 12 representatives vote yes online: short of the two-thirds quorum. Three absent
    ones are marked present in the database; the count would then say quorum met, passed."""
    matter = procedure.to_vote()
    for label in ("r1", "r2", "r3", "r4", "r5"):
        procedure.vote(matter, people[label], "yes")
    meeting = selectors.current_vote_meeting(matter)
    absent = [
        p.pk
        for p in deliberation_world.representatives_body
        if p.pk not in ids_of(people, "r1 r2 r3 r4 r5")
    ]
    sql(
        f"UPDATE {Attendance._meta.db_table} SET present = %s"
        f" WHERE meeting_id = %s AND villager_id IN ({', '.join(['%s'] * 3)})",
        [True, meeting.pk, *absent[:3]],
    )
    meeting = procedure.close_vote(matter)
    assert meeting.passed is True  # what the tampering bought
    stderr = verify_fails()
    assert f"meeting {meeting.pk}" in stderr and "出席记录被改动" in stderr


def test_a_hall_paper_tally_changed_before_the_count_is_named(
    deliberation_world, procedure, people
):
    matter = procedure.to_vote(ballot_mode=BallotMode.SECRET)
    procedure.hall(matter, deliberation_world.representatives_body[:10], tally={"yes": 2, "no": 8})
    meeting = selectors.current_vote_meeting(matter)
    with guards_off(Ballot):
        for ballot in Ballot.cast.filter(meeting=meeting, choice="no")[:7]:
            sql(f"UPDATE {Ballot._meta.db_table} SET choice = 'yes' WHERE id = %s", [ballot.pk.hex])
    meeting = procedure.close_vote(matter)
    assert (meeting.yes, meeting.no) == (9, 1)
    assert "会场选票与审计链登记的会场投票不符" in verify_fails()


def test_an_open_online_ballot_changed_before_the_count_is_named(
    deliberation_world, procedure, people
):
    matter = procedure.to_vote()
    procedure.vote(matter, people["r1"], "no")
    meeting = selectors.current_vote_meeting(matter)
    with guards_off(Ballot):
        sql(
            f"UPDATE {Ballot._meta.db_table} SET choice = 'yes' WHERE meeting_id = %s",
            [meeting.pk],
        )
    procedure.close_vote(matter)
    assert "记名网上选票与审计链中记录的表决意见不符" in verify_fails()


def test_someone_slipped_onto_the_voter_list_is_named(deliberation_world, procedure, people):
    matter = procedure.to_vote()  # representatives' meeting: x3 is not on its list
    meeting = selectors.current_vote_meeting(matter)
    sql(
        f"INSERT INTO {Attendance._meta.db_table}"
        " (meeting_id, villager_id, present, exempted, exemption_reason, household_id)"
        " VALUES (%s, %s, %s, %s, '', %s)",
        [meeting.pk, people["x3"].pk, False, False, people["x3"].household_id],
    )
    procedure.vote(matter, people["x3"], "yes")  # the list now lets x3 vote
    assert "应到名单与开始表决时审计链记录的名单不符" in verify_fails()


def test_a_closed_meeting_cannot_reopen_nor_its_attendance_change(counted, people):
    _open, meeting = counted
    table = Meeting._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic():
        sql(f"UPDATE {table} SET status = 'open' WHERE id = %s", [meeting.pk])
    attendance = Attendance._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic():
        sql(f"UPDATE {attendance} SET present = %s WHERE meeting_id = %s", [True, meeting.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        sql(
            f"INSERT INTO {attendance}"
            " (meeting_id, villager_id, present, exempted, exemption_reason)"
            " VALUES (%s, %s, %s, %s, '')",
            [meeting.pk, people["x3"].pk, True, False],
        )
    assert Meeting.objects.get(pk=meeting.pk).status == "closed"
    assert "every vote recounts" in verify()


def test_a_copied_sealed_ballot_is_named_and_refused_by_the_count(
    deliberation_world, procedure, people
):
    matter = procedure.to_vote(ballot_mode=BallotMode.SECRET)
    procedure.vote(matter, people["r1"], "yes")
    procedure.vote(matter, people["r2"], "no")
    meeting = selectors.current_vote_meeting(matter)
    table = SealedBallot._meta.db_table
    victim, source = list(SealedBallot.objects.filter(meeting=meeting).order_by("pk"))
    with guards_off(SealedBallot):
        sql(f"DELETE FROM {table} WHERE id = %s", [victim.pk.hex])
        sql(
            f"INSERT INTO {table} (id, meeting_id, key_id, sealed)"
            f" SELECT %s, meeting_id, key_id, sealed FROM {table} WHERE id = %s",
            ["c" * 32, source.pk.hex],
        )
    assert "票箱中有重复的密封选票" in verify_fails()
    with pytest.raises(ValidationError, match="重复的选票"):
        procedure.close_vote(matter)
    assert Meeting.objects.get(pk=meeting.pk).status == "open"
