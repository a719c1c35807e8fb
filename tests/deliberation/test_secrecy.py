"""A secret ballot, tried as someone with the whole database (or a backup) would: forty votes
are cast, each committed on its own, in a known order — the first twenty "yes", the last twenty
"no" — and every order the database can put the stored rows in is read back. None may follow
the casting order: not the physical order (PostgreSQL's ctid, SQLite's rowid), not the writing
transaction (xmin), not the keys, the receipts, the index order, the audit chain or the logs.

Correlation, not equality: in the casting order the "no" votes sit 20 places after the "yes"
votes on average. In an order unrelated to the casting order that gap is about 0 ± 3.7
(hypergeometric), so a gap of 15 or more would be four standard deviations — it is what a
leak, even a partial one, looks like, and a shuffle produces it with odds of about 1 in 15,000.
"""

import logging

import pytest
from django.db import connection
from django.test import override_settings
from wagtail.models import ModelLogEntry

from deliberation import ballot_box, selectors
from deliberation.models import Ballot, BallotMode, DecidingBody, SealedBallot
from tests.support.deliberation_world import many_villagers
from village import audit
from village.models import AuditEvent

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("flushable_audit_chain"),
]

VOTES = 40
TRUTH = ["yes"] * (VOTES // 2) + ["no"] * (VOTES // 2)  # in casting order
LEAK_GAP = 15


def gap(choices: list[str]) -> float:
    """Mean place of the "no" votes minus mean place of the "yes" votes in an order."""
    yes = [i for i, c in enumerate(choices) if c == "yes"]
    no = [i for i, c in enumerate(choices) if c == "no"]
    return sum(no) / len(no) - sum(yes) / len(yes)


def assert_unrelated(choices: list[str], how: str) -> None:
    assert sorted(choices) == sorted(TRUTH), how
    assert choices != TRUTH and choices != TRUTH[::-1], f"{how} gives the casting order"
    assert abs(gap(choices)) < LEAK_GAP, f"{how} follows the casting order (gap {gap(choices)})"


def rows(sql: str, params=()) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.fixture
def secret_vote(deliberation_world, procedure, caplog):
    caplog.set_level(logging.DEBUG)
    voters = many_villagers(deliberation_world, VOTES)
    matter = procedure.to_vote(
        "2027年集体经济收益分配方案",
        deciding_body=DecidingBody.VILLAGERS_MEETING,
        ballot_mode=BallotMode.SECRET,
    )
    receipts = [
        procedure.vote(matter, person, choice)["receipt"]
        for person, choice in zip(voters, TRUTH, strict=True)
    ]
    # The truth as the database knows it: who voted, in this order.
    meeting = selectors.current_vote_meeting(matter)
    order = list(
        meeting.participations.order_by("cast_at", "id").values_list("voter_id", flat=True)
    )
    assert order == [v.pk for v in voters]
    return matter, meeting, receipts, caplog


def test_while_the_vote_is_on_nothing_stored_reads_as_a_choice(secret_vote):
    _matter, meeting, receipts, _caplog = secret_vote
    assert not Ballot.objects.filter(meeting=meeting).exists()
    sealed = list(SealedBallot.objects.filter(meeting=meeting))
    assert len(sealed) == VOTES
    blobs = [bytes(s.sealed) for s in sealed]
    assert len({len(b) for b in blobs}) == 1  # a "yes" and a "no" are the same length
    assert len(set(blobs)) == VOTES
    # What a reader of the raw column would look for: the choice as it is written into the
    # envelope, the padding, the receipts. (A bare two-byte b"no" turns up by chance in random
    # ciphertext about once in twenty runs, so the needles are the plaintext's own spelling.)
    needles = [f'"c":"{c}"'.encode() for c in ("yes", "no", "abstain")]
    needles += [b" " * 8, *(r.encode() for r in receipts)]
    for blob in blobs:
        for plain in needles:
            assert plain not in blob
    # Someone with the database but without the integrity key cannot open them, nor make one
    # that opens: a guessed key fails on every ballot.
    with override_settings(CUNZHI_AUDIT_KEY="a-guess-of-the-key-by-someone-with-the-database"):
        for envelope in sealed:
            with pytest.raises(ballot_box.BrokenSeal):
                ballot_box.unseal(
                    meeting_id=meeting.pk, key_id=envelope.key_id, sealed=envelope.sealed
                )
    # A sealed ballot moved to another meeting does not open there either.
    with pytest.raises(ballot_box.BrokenSeal):
        ballot_box.unseal(meeting_id=meeting.pk + 1, key_id=sealed[0].key_id, sealed=blobs[0])
    assert selectors.receipts(meeting) == []


def test_after_the_count_no_stored_order_pairs_voters_with_choices(secret_vote, procedure):
    matter, meeting, receipts, _caplog = secret_vote
    meeting = procedure.close_vote(matter)
    assert (meeting.yes, meeting.no, meeting.abstain) == (VOTES // 2, VOTES // 2, 0)
    # The sealed ballots, whose places and transaction ids followed the votes, are gone.
    assert not SealedBallot.objects.filter(meeting=meeting).exists()
    assert sorted(r["receipt"] for r in selectors.receipts(meeting)) == sorted(receipts)

    table = Ballot._meta.db_table
    where = f"FROM {table} WHERE meeting_id = %s"
    orders = {
        "primary key": f"SELECT choice {where} ORDER BY id",
        "receipt (its unique index)": f"SELECT choice {where} ORDER BY receipt",
        "reverse primary key": f"SELECT choice {where} ORDER BY id DESC",
    }
    if connection.vendor == "postgresql":
        orders["ctid (physical place)"] = f"SELECT choice {where} ORDER BY ctid"
        orders["xmin (writing transaction), then ctid"] = (
            f"SELECT choice {where} ORDER BY xmin::text::bigint, ctid"
        )
        orders["as stored, no ORDER BY"] = f"SELECT choice {where}"
        # No counted ballot shares a transaction with a participation.
        shared = rows(
            f"SELECT count(*) FROM {table} b JOIN deliberation_participation p"
            " ON p.xmin = b.xmin AND p.meeting_id = b.meeting_id WHERE b.meeting_id = %s",
            [meeting.pk],
        )
        assert shared == [(0,)]
        assert rows(f"SELECT count(DISTINCT xmin::text) {where}", [meeting.pk]) == [(1,)]
    else:
        orders["rowid (physical place)"] = f"SELECT choice {where} ORDER BY rowid"
        orders["as stored, no ORDER BY"] = f"SELECT choice {where}"
    for how, sql in orders.items():
        assert_unrelated([c for (c,) in rows(sql, [meeting.pk])], how)
    # A counted ballot has no time, no voter and no link to a participation.
    assert not Ballot.objects.filter(meeting=meeting, voter__isnull=False).exists()


def test_the_chain_and_the_logs_say_who_voted_never_what(secret_vote, procedure):
    matter, _meeting, receipts, caplog = secret_vote
    procedure.close_vote(matter)
    cast = AuditEvent.objects.filter(action="deliberation.vote.cast").order_by("seq")
    assert cast.count() == VOTES
    for event in cast:
        assert set(event.payload) == {"matter", "voter", "channel"}
    close = AuditEvent.objects.get(action="deliberation.vote.close")
    # The count's event holds totals and a fingerprint of the sorted ballots, not an order.
    assert close.payload["verdict"]["tally"] == {"yes": VOTES // 2, "no": VOTES // 2, "abstain": 0}
    text = str(close.payload)
    assert not any(r in text for r in receipts)
    # Wagtail's log of the same events and every log line written while voting.
    # Wagtail's log: single votes are not copied there (the chain has them); nothing of the
    # vote day that is copied holds a receipt or a choice.
    assert not ModelLogEntry.objects.filter(action="deliberation.vote.cast").exists()
    copied = [e.data for e in ModelLogEntry.objects.filter(action__startswith="deliberation.")]
    assert copied and not any(r in str(copied) for r in receipts)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert not any(r in logged for r in receipts)
    assert audit.verify_all() == []
