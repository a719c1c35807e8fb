"""PostgreSQL keeps each account's score of a year beside the entries (points migration 0007),
so that a county's allocation reads 150,000 scores without summing millions of entries.

The kept score follows every posting (the lifecycle, a reversal, a bulk posting; a redemption
spends the balance, not the score); nobody writes it but the database — not an INSERT, UPDATE,
DELETE or TRUNCATE, not a trigger of one's own on a temporary table; a forgery made with every
trigger off is found by `check_ledger`. On both databases the allocation's one read gives what
`year_scores` gives."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from points import selectors, services

POSTGRESQL = pytest.mark.skipif("connection.vendor != 'postgresql'")
KEPT = selectors.YEAR_SCORE_TABLE


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else cursor.rowcount


@pytest.fixture
def year_lived(points_world, ledger):
    """Base 100 for every household; h1 +5 +5 −3, one of the +5 reversed; h2 +5 and 10 spent
    at the store."""
    ledger.open_year(base=100)
    first, _second, _third = ledger.post(
        (points_world.h[1], "HJ01"), (points_world.h[1], "HJ01"), (points_world.h[1], "HJ02")
    )
    ledger.post((points_world.h[2], "HJ01"))
    services.entry_reverse(actor=points_world.secretary, entry=first, reason="登记错了")
    services.redeem(
        actor=points_world.keeper, household=points_world.h[2], item=points_world.items["soap"]
    )
    return points_world.day.year


def kept_scores(year) -> dict[int, int]:
    return dict(raw(f"SELECT household_id, score FROM {KEPT} WHERE year = %s", [year]))


def test_the_allocations_read_gives_the_year_scores_after_a_year_lived(points_world, year_lived):
    scores = selectors.year_scores(points_world.village, year_lived)
    assert scores[points_world.h[1].pk] == 102  # 100 + 5 + 5 − 3, one +5 reversed
    assert scores[points_world.h[2].pk] == 105  # the store does not lower the score
    rows = selectors.active_household_scores(points_world.village, year_lived)
    assert {pk: score for pk, _number, score in rows} == scores
    assert selectors.year_scores_differing() == []


@POSTGRESQL
def test_the_database_keeps_the_year_scores(points_world, year_lived):
    assert kept_scores(year_lived) == selectors.year_scores(points_world.village, year_lived)


@POSTGRESQL
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {kept} SET score = score + 50",
        "INSERT INTO {kept} (household_id, year, village_id, score)"
        " VALUES ({household}, 1999, {village}, 500)",
        "DELETE FROM {kept}",
        "TRUNCATE {kept}",
    ],
)
def test_nobody_writes_a_kept_score(points_world, year_lived, statement):
    before = kept_scores(year_lived)
    household, village = points_world.h[1].pk, points_world.village.pk
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        raw(statement.format(kept=KEPT, household=household, village=village))
    assert "kept by the database" in str(refused.value) or "never deleted" in str(refused.value)
    assert kept_scores(year_lived) == before


@POSTGRESQL
def test_a_trigger_of_ones_own_cannot_write_a_kept_score(points_world, year_lived):
    """A role that owns no table can put a trigger on a temporary table; its write runs nested,
    as the entries' trigger does. It is refused all the same."""
    before = kept_scores(year_lived)
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        raw("CREATE TEMPORARY TABLE lever (n int)")
        raw(
            "CREATE FUNCTION pg_temp.pull() RETURNS trigger AS $$ BEGIN "
            f"UPDATE {KEPT} SET score = score + 100; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        raw(
            "CREATE TRIGGER pull AFTER INSERT ON lever "
            "FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.pull()"
        )
        raw("INSERT INTO lever VALUES (1)")
    assert "kept by the database" in str(refused.value)
    assert kept_scores(year_lived) == before


@POSTGRESQL
def test_check_ledger_finds_a_score_forged_with_every_trigger_off(points_world, year_lived):
    """A superuser switches the triggers off and raises h1's kept score, which would raise its
    share of the next allocation: only the full sum can tell, and check_ledger does."""
    household = points_world.h[1].pk
    raw("SET session_replication_role = replica")
    try:
        raw(
            f"UPDATE {KEPT} SET score = score + 50 WHERE household_id = %s AND year = %s",
            [household, year_lived],
        )
    finally:
        raw("SET session_replication_role = origin")
    rows = selectors.active_household_scores(points_world.village, year_lived)
    assert dict((pk, s) for pk, _n, s in rows)[points_world.h[1].pk] == 152  # what it reads
    assert selectors.year_scores_differing() == [(household, year_lived, 152, 102)]
    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("check_ledger", stderr=err, stdout=io.StringIO())
    assert "1 year score(s) differ from their entries" in str(failed.value)
    assert f"BAD year score household id={household} year={year_lived}" in err.getvalue()
    assert "the database keeps 152, the posted entries sum to 102" in err.getvalue()
