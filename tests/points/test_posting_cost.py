"""A posting costs the same whatever the account's history (issue 16), and the ledger's guard
still refuses — and `check_ledger` still finds — a balance that does not match its entries.

The attack on the cheaper check is tried the way someone with the database would: editing the
balance, editing the database's own running total with it, creating an account that claims a
total, and, as a superuser with every trigger switched off, forging both numbers so that they
agree with each other — which only the full sum of `check_ledger` can see.
"""

import io
import re
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from simple_history.utils import bulk_create_with_history

from points import selectors as points_selectors
from points import services
from points.models import Account, Entry, EntryKind, EntryStatus
from points.services.ledger import account_for, entries_post
from tests.support.points_world import balance, posted_sum

ENTRY = Entry._meta.db_table
ACCOUNT = Account._meta.db_table
LONG = 400
POSTGRESQL = pytest.mark.skipif("connection.vendor != 'postgresql'")


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else cursor.rowcount


def give_history(world, household, count):
    """`count` posted entries of +1 through the ledger's one posting primitive (as year_open)."""
    account = account_for(household=household)
    entries = [
        Entry(
            idempotency_key=f"history-{account.pk}-{n}",
            account=account,
            village=world.village,
            kind=EntryKind.CONDUCT,
            rule=world.rules["HJ01"],
            points=1,
            year=date.today().year,
            occurred_on=date.today(),
            reason="历史记录",
            status=EntryStatus.POSTED,
            recorded_by=world.secretary,
        )
        for n in range(count)
    ]
    with transaction.atomic():
        entries_post(entries=entries, actor=world.secretary)
        bulk_create_with_history(entries, Entry, default_user=world.secretary)
    return account


# A redemption: the account locked, the key looked up, the item locked, the balance moved, the
# entry and its history, the stock, the redemption, the audit head, event and head update, the
# Wagtail log — and the savepoint and its release, as a test runs in a transaction.
REDEMPTION_QUERIES = 14


def redeem_capturing(world, household, key):
    with CaptureQueriesContext(connection) as captured:
        services.redeem(
            actor=world.keeper,
            household=household,
            item=world.items["soap"],
            idempotency_key=key,
        )
        if connection.vendor == "postgresql":
            raw("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred balance check, as at commit
            raw("SET CONSTRAINTS ALL DEFERRED")
    return [q["sql"] for q in captured.captured_queries]


def entry_rows_read() -> int:
    """Rows of points_entry this transaction has read so far (PostgreSQL's own counters)."""
    [(seq, idx)] = raw(
        "SELECT COALESCE(seq_tup_read, 0), COALESCE(idx_tup_fetch, 0) "
        "FROM pg_stat_xact_user_tables WHERE relname = %s",
        [ENTRY],
    )
    return seq + idx


def test_a_redemption_asks_the_same_queries_with_a_long_history(points_world):
    short = give_history(points_world, points_world.h[1], 12)
    long = give_history(points_world, points_world.h[2], LONG)
    assert [Account.objects.get(pk=a.pk).balance for a in (short, long)] == [12, LONG]

    give_history(points_world, points_world.h[3], 12)
    redeem_capturing(points_world, points_world.h[3], "warm-up")  # the keeper's roles, read once
    short_sql = redeem_capturing(points_world, points_world.h[1], "cost-short")
    long_sql = redeem_capturing(points_world, points_world.h[2], "cost-long")

    assert (
        len(short_sql)
        == len(long_sql)
        == REDEMPTION_QUERIES
        + (
            2 if connection.vendor == "postgresql" else 0  # the test's SET CONSTRAINTS
        )
    )
    for sql in long_sql:
        assert not re.search(r"\bSUM\s*\(", sql, re.I), sql  # no aggregate over the history
    assert balance(points_world.h[2]) == posted_sum(points_world.h[2]) == LONG - 10


@POSTGRESQL
def test_the_database_reads_no_history_when_it_checks_a_posting(points_world):
    give_history(points_world, points_world.h[1], 12)
    give_history(points_world, points_world.h[2], LONG)
    give_history(points_world, points_world.h[3], 12)
    redeem_capturing(points_world, points_world.h[3], "warm-up")
    read = []
    for household, key in ((points_world.h[1], "rows-short"), (points_world.h[2], "rows-long")):
        before = entry_rows_read()
        redeem_capturing(points_world, household, key)  # fires the deferred check too
        read.append(entry_rows_read() - before)
    assert read[0] == read[1], read


@POSTGRESQL
def test_no_trigger_of_the_ledger_sums_the_entries_table(db):
    sources = raw(
        "SELECT t.tgname, p.prosrc FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
        "JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relname IN (%s, %s) AND NOT t.tgisinternal",
        [ENTRY, ACCOUNT],
    )
    names = {name for name, _ in sources}
    assert {"points_account_balance_matches", "points_entry_posted_total_insert"} <= names
    for name, source in sources:
        assert not re.search(rf"\bFROM\s+{ENTRY}\b", source, re.I), name


# --- the cheaper check still refuses (a balance edited alone: tests/points/test_ledger.py) ------


@POSTGRESQL
def test_the_running_total_cannot_be_edited_with_the_balance(points_world, ledger):
    ledger.post((points_world.h[1], "HJ01"))
    account = Account.objects.get(household=points_world.h[1])
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        raw(
            f"UPDATE {ACCOUNT} SET balance = balance + 7, posted_total = posted_total + 7 "
            "WHERE id = %s",
            [account.pk],
        )
    assert "posted_total is kept by the database" in str(refused.value)
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        raw(
            f"INSERT INTO {ACCOUNT} (village_id, household_id, villager_id, balance, opened_at,"
            " posted_total) VALUES (%s, %s, NULL, 50, now(), 50)",
            [points_world.village.pk, points_world.h[3].pk],
        )
    assert "a new account has no posted entries" in str(refused.value)
    assert raw(f"SELECT balance, posted_total FROM {ACCOUNT} WHERE id = %s", [account.pk]) == [
        (5, 5)
    ]


@POSTGRESQL
def test_a_trigger_of_ones_own_cannot_move_the_running_total(points_world, ledger):
    """A role that owns no table can still put a trigger on a temporary table; its UPDATE of the
    account runs nested, as the entries' trigger does. It is refused all the same."""
    ledger.post((points_world.h[1], "HJ01"))
    account = Account.objects.get(household=points_world.h[1])
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        raw("CREATE TEMPORARY TABLE lever (n int)")
        raw(
            "CREATE FUNCTION pg_temp.pull() RETURNS trigger AS $$ BEGIN "
            f"UPDATE {ACCOUNT} SET balance = balance + 100, posted_total = posted_total + 100 "
            f"WHERE id = {account.pk}; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        raw(
            "CREATE TRIGGER pull AFTER INSERT ON lever "
            "FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.pull()"
        )
        raw("INSERT INTO lever VALUES (1)")
    assert "posted_total is kept by the database" in str(refused.value)
    assert raw(f"SELECT balance, posted_total FROM {ACCOUNT} WHERE id = %s", [account.pk]) == [
        (5, 5)
    ]


@POSTGRESQL
def test_an_entry_posted_behind_the_codes_back_must_bring_its_balance(points_world, ledger):
    """Posting a recorded entry by raw SQL moves the running total; the balance must follow."""
    entry = ledger.record(points_world.h[1], "HJ01")
    account_for(household=points_world.h[1])
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        raw(f"UPDATE {ENTRY} SET status = 'posted', posted_at = now() WHERE id = %s", [entry.pk])
        raw("SET CONSTRAINTS ALL IMMEDIATE")
    assert "balance 0 differs from its posted entries (5)" in str(refused.value)
    raw("SET CONSTRAINTS ALL DEFERRED")


@POSTGRESQL
def test_an_entry_posted_under_a_new_id_or_account_is_still_counted(points_world, ledger):
    """An UPDATE that posts a recorded entry while changing its id, or moving it to another
    account, must not slip past the running total."""
    other = account_for(household=points_world.h[2])
    for change in ("id = id + 100000", f"account_id = {other.pk}"):
        entry = ledger.record(points_world.h[1], "HJ01")
        with pytest.raises(DatabaseError) as refused, transaction.atomic():
            raw(
                f"UPDATE {ENTRY} SET {change}, status = 'posted', posted_at = now() WHERE id = %s",
                [entry.pk],
            )
            raw("SET CONSTRAINTS ALL IMMEDIATE")
        assert "differs from its posted entries" in str(refused.value), change
        raw("SET CONSTRAINTS ALL DEFERRED")


# --- check_ledger still finds a forged balance --------------------------------------------------


def test_check_ledger_finds_a_forgery_that_got_past_every_trigger(points_world, ledger):
    """SQLite: a raw edit of the balance. PostgreSQL: a superuser switches the triggers off
    (`session_replication_role = replica`) and forges the balance and the running total alike,
    so that they agree — only the full sum can tell."""
    ledger.post((points_world.h[1], "HJ01"), (points_world.h[2], "HJ01"))
    account = Account.objects.get(household=points_world.h[2])
    postgresql = connection.vendor == "postgresql"
    forged = "balance = balance + 95" + (", posted_total = posted_total + 95" if postgresql else "")
    undo = forged.replace("+", "-")
    if postgresql:
        raw("SET session_replication_role = replica")
    try:
        raw(f"UPDATE {ACCOUNT} SET {forged} WHERE id = %s", [account.pk])
        if postgresql:
            raw("SET session_replication_role = origin")
            raw("SET CONSTRAINTS ALL IMMEDIATE")  # nothing was queued: the forgery commits
            raw("SET CONSTRAINTS ALL DEFERRED")
        err = io.StringIO()
        with pytest.raises(CommandError) as failed:
            call_command("check_ledger", stderr=err, stdout=io.StringIO())
        assert "1 account(s) differ" in str(failed.value)
        assert f"BAD account id={account.pk}" in err.getvalue()
        assert "balance 100, posted entries sum to 5" in err.getvalue()
        if postgresql:
            assert "the database's running total is 100" in err.getvalue()
        assert points_selectors.balances_differing() == [(account, 5)]
    finally:
        if postgresql:
            raw("SET session_replication_role = replica")
        raw(f"UPDATE {ACCOUNT} SET {undo} WHERE id = %s", [account.pk])
        if postgresql:
            raw("SET session_replication_role = origin")
    assert points_selectors.balances_differing() == []


@POSTGRESQL
def test_check_ledger_finds_a_running_total_forged_alone(points_world, ledger):
    ledger.post((points_world.h[1], "HJ01"))
    account = Account.objects.get(household=points_world.h[1])
    raw("SET session_replication_role = replica")
    try:
        raw(f"UPDATE {ACCOUNT} SET posted_total = 40 WHERE id = %s", [account.pk])
        assert points_selectors.balances_differing() == [(account, 5)]
    finally:
        raw(f"UPDATE {ACCOUNT} SET posted_total = 5 WHERE id = %s", [account.pk])
        raw("SET session_replication_role = origin")


@POSTGRESQL
def test_existing_entries_were_counted_into_the_running_total(points_world, ledger):
    """Migration 0005 starts each account's total from its history; bulk inserts keep it."""
    ledger.open_year(base=100)
    ledger.post((points_world.h[1], "HJ01"), (points_world.h[1], "HJ02"))
    give_history(points_world, points_world.h[3], 30)
    rows = raw(f"SELECT id, balance, posted_total FROM {ACCOUNT} ORDER BY id")
    assert rows and all(bal == kept for _, bal, kept in rows), rows
    assert points_selectors.balances_differing() == []


# A recording at the door: the officer's grids, the account locked, the key looked up, the
# catalogue, the entry and its history in a savepoint (a copy under another account's lock is
# caught there), the audit head, the household named in the event, the event, the head update —
# and the test transaction's savepoint and release. A request that sent no key skips the lookup.
RECORDING_QUERIES = 14


def _queries_of(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def test_a_recording_and_a_redemption_ask_their_pinned_queries(points_world, ledger):
    ledger.open_year(base=100)
    w = points_world

    def record(key):
        return lambda: services.entry_record(
            actor=w.officer, household=w.h[1], rule=w.rules["HJ01"], idempotency_key=key
        )

    def redeem(key):
        return lambda: services.redeem(
            actor=w.keeper, household=w.h[2], item=w.items["soap"], idempotency_key=key
        )

    _queries_of(record("warm-up-1"))  # the officer's and the keeper's roles, read once
    _queries_of(redeem("warm-up-2"))
    assert _queries_of(record("door-1")) == RECORDING_QUERIES
    assert _queries_of(record(None)) == RECORDING_QUERIES - 1
    assert _queries_of(redeem("till-1")) == REDEMPTION_QUERIES
    assert _queries_of(redeem(None)) == REDEMPTION_QUERIES - 1
