"""The ledger's invariants hold below the services too: a posted entry cannot be changed or
deleted (model and database), `check_ledger` finds a balance edited behind the code's back, and
on PostgreSQL such an edit cannot even be committed."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from points import selectors as points_selectors
from points import services
from points.models import Account, Allocation, Entry, EntryStatus, PostedEntryError, Share
from tests.support.points_world import (
    Ledger,
    balance,
    build_world,
    posted_sum,
    publish_allocation,
    reload,
)
from tests.support.rules import amend

ENTRY = Entry._meta.db_table
ACCOUNT = Account._meta.db_table
SHARE = Share._meta.db_table
ALLOCATION = Allocation._meta.db_table


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# --- the model refuses ---------------------------------------------------------------------------


def test_a_posted_entry_refuses_save_and_delete(points_world, ledger):
    [entry] = ledger.post((points_world.h[1], "HJ01"))
    entry.points = 50
    with pytest.raises(PostedEntryError):
        entry.save()
    entry.status = EntryStatus.VOIDED
    with pytest.raises(PostedEntryError):
        entry.save(update_fields=["status"])
    with pytest.raises(PostedEntryError):
        entry.delete()
    fresh = reload(entry)
    assert (fresh.points, fresh.status) == (5, EntryStatus.POSTED)
    assert balance(points_world.h[1]) == 5


def test_a_freshly_posted_entry_refuses_a_second_save(points_world, ledger):
    """Posted in this very object (the reversal path): it is already frozen."""
    [entry] = ledger.post((points_world.h[1], "HJ01"))
    reversal = services.entry_reverse(actor=points_world.secretary, entry=entry, reason="错了")
    reversal.points = -1
    with pytest.raises(PostedEntryError):
        reversal.save()


def test_no_entry_is_ever_deleted(points_world, ledger):
    entry = ledger.record(points_world.h[1], "HJ01")
    with pytest.raises(PostedEntryError):
        entry.delete()
    assert Entry.objects.filter(pk=entry.pk).exists()


def test_an_entry_not_yet_posted_can_still_be_saved(points_world, ledger):
    entry = ledger.record(points_world.h[1], "HJ01")
    entry.reason = "改正说明"
    entry.save()
    assert reload(entry).reason == "改正说明"


# --- the database refuses (SQLite and PostgreSQL triggers) ---------------------------------------


def test_raw_sql_cannot_update_a_posted_entry(points_world, ledger):
    [entry] = ledger.post((points_world.h[1], "HJ01"))
    for sql in [
        f"UPDATE {ENTRY} SET points = 500 WHERE id = %s",
        f"UPDATE {ENTRY} SET status = 'voided', posted_at = NULL WHERE id = %s",
        f"UPDATE {ENTRY} SET reason = 'quietly' WHERE id = %s",
    ]:
        with pytest.raises(DatabaseError) as refused, transaction.atomic():
            raw(sql, [entry.pk])
        assert "posted points entries cannot be changed" in str(refused.value)
    fresh = reload(entry)
    assert (fresh.points, fresh.status, fresh.reason) == (5, EntryStatus.POSTED, entry.reason)


def test_raw_sql_cannot_delete_an_entry(points_world, ledger):
    [posted] = ledger.post((points_world.h[1], "HJ01"))
    recorded = ledger.record(points_world.h[2], "HJ01")
    for pk in (posted.pk, recorded.pk):
        with pytest.raises(DatabaseError) as refused, transaction.atomic():
            raw(f"DELETE FROM {ENTRY} WHERE id = %s", [pk])
        assert "cannot be deleted" in str(refused.value)
    with pytest.raises(DatabaseError), transaction.atomic():
        raw(f"DELETE FROM {ENTRY}")
    assert Entry.objects.filter(pk__in=[posted.pk, recorded.pk]).count() == 2


def test_raw_sql_may_still_update_an_entry_not_yet_posted(points_world, ledger):
    """The trigger is selective: the lifecycle (recorded → reviewed …) goes through UPDATE."""
    entry = ledger.record(points_world.h[1], "HJ01")
    with transaction.atomic():
        assert raw(f"UPDATE {ENTRY} SET reason = 'ok' WHERE id = %s", [entry.pk]) == 1
    assert reload(entry).reason == "ok"


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_truncate_is_refused_on_postgresql(points_world, ledger):
    ledger.post((points_world.h[1], "HJ01"))
    with pytest.raises(DatabaseError), transaction.atomic():
        raw(f"TRUNCATE {ENTRY} CASCADE")
    assert Entry.objects.count() == 1


def test_the_balance_cannot_go_below_zero_in_the_database(points_world, ledger):
    ledger.post((points_world.h[1], "HJ01"))
    with pytest.raises(DatabaseError), transaction.atomic():
        raw(f"UPDATE {ACCOUNT} SET balance = -1 WHERE household_id = %s", [points_world.h[1].pk])
    assert balance(points_world.h[1]) == 5


# --- check_ledger --------------------------------------------------------------------------------


def check_ledger():
    out, err = io.StringIO(), io.StringIO()
    call_command("check_ledger", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_check_ledger_passes_on_consistent_data(points_world, ledger):
    ledger.open_year(base=100)
    ledger.post((points_world.h[1], "HJ01"), (points_world.h[2], "FL01"))
    services.redeem(
        actor=points_world.keeper, household=points_world.h[1], item=points_world.items["soap"]
    )
    out, err = check_ledger()
    assert "ledger consistent (5 accounts)" in out
    assert err == ""


def test_check_ledger_names_the_account_edited_behind_the_codes_back(points_world, ledger):
    ledger.post((points_world.h[1], "HJ01"), (points_world.h[2], "HJ01"))
    account = Account.objects.get(household=points_world.h[2])
    raw(f"UPDATE {ACCOUNT} SET balance = balance + 7 WHERE id = %s", [account.pk])
    try:
        with pytest.raises(CommandError) as failed:
            check_ledger()
        assert "1 account(s) differ" in str(failed.value)
        assert points_selectors.balances_differing() == [(account, 5)]
        err = io.StringIO()
        with pytest.raises(CommandError):
            call_command("check_ledger", stderr=err)
        assert f"BAD account id={account.pk}" in err.getvalue()
        assert f"household={points_world.h[2].number}: balance 12, posted entries sum to 5" in (
            err.getvalue()
        )
        assert points_world.h[1].number not in err.getvalue()
    finally:
        # Put it back: on PostgreSQL the test case's closing constraint check would fire the
        # deferred trigger on this row.
        raw(f"UPDATE {ACCOUNT} SET balance = balance - 7 WHERE id = %s", [account.pk])
    check_ledger()


def test_check_ledger_finds_an_entry_inserted_behind_the_codes_back(points_world, ledger):
    ledger.post((points_world.h[1], "HJ01"))
    entry = ledger.record(points_world.h[1], "HJ01")
    raw(f"UPDATE {ENTRY} SET status = 'posted', posted_at = recorded_at WHERE id = %s", [entry.pk])
    try:
        with pytest.raises(CommandError):
            check_ledger()
    finally:
        # a posted row cannot be turned back, so bring the balance up to it instead
        raw(
            f"UPDATE {ACCOUNT} SET balance = balance + 5 WHERE household_id = %s",
            [points_world.h[1].pk],
        )
    assert balance(points_world.h[1]) == posted_sum(points_world.h[1]) == 10
    check_ledger()


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_checks_the_balance_at_the_end_of_each_transaction(points_world, ledger):
    """Inside the test's transaction the deferred trigger can be fired on demand."""
    ledger.post((points_world.h[1], "HJ01"))
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        raw(
            f"UPDATE {ACCOUNT} SET balance = balance + 7 WHERE household_id = %s",
            [points_world.h[1].pk],
        )
        raw("SET CONSTRAINTS ALL IMMEDIATE")
    assert "differs from its posted entries" in str(refused.value)
    raw("SET CONSTRAINTS ALL DEFERRED")
    assert balance(points_world.h[1]) == 5


# --- PostgreSQL: a commit behind the code's back fails ---------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("flushable_audit_chain")
def test_postgresql_refuses_to_commit_a_balance_that_differs_from_the_entries():
    if connection.vendor != "postgresql":
        pytest.skip("the deferred constraint triggers exist on PostgreSQL only")
    w = build_world()
    ledger = _ledger(w)
    ledger.post((w.h[1], "HJ01"))
    account = Account.objects.get(household=w.h[1])

    # the statement itself passes; the commit does not
    with pytest.raises(DatabaseError) as refused:
        with transaction.atomic():
            raw(f"UPDATE {ACCOUNT} SET balance = balance + 7 WHERE id = %s", [account.pk])
    assert f"points account {account.pk}: balance 12 differs" in str(refused.value)
    assert balance(w.h[1]) == 5

    # nor an entry posted without moving the balance
    entry = ledger.record(w.h[1], "HJ01")
    with pytest.raises(DatabaseError), transaction.atomic():
        raw(f"UPDATE {ENTRY} SET status = 'posted', posted_at = now() WHERE id = %s", [entry.pk])
    assert reload(entry).status == EntryStatus.RECORDED

    # nor a posted entry inserted on its own
    with pytest.raises(DatabaseError), transaction.atomic():
        raw(
            f"INSERT INTO {ENTRY} (account_id, village_id, kind, points, year, occurred_on,"
            " reason, photo, status, recorded_at, posted_at, review_note, idempotency_key)"
            " VALUES (%s, %s, 'conduct', 9, %s, CURRENT_DATE, 'sneaked', '', 'posted', now(),"
            " now(), '', 'sneaked-in')",
            [account.pk, w.village.pk, w.day.year],
        )
    assert not Entry.objects.filter(idempotency_key="sneaked-in").exists()

    # balance and entries moved together commit fine
    with transaction.atomic():
        raw(f"UPDATE {ACCOUNT} SET balance = balance + 9 WHERE id = %s", [account.pk])
        raw(
            f"INSERT INTO {ENTRY} (account_id, village_id, kind, points, year, occurred_on,"
            " reason, photo, status, recorded_at, posted_at, review_note, idempotency_key)"
            " VALUES (%s, %s, 'conduct', 9, %s, CURRENT_DATE, 'together', '', 'posted', now(),"
            " now(), '', 'together')",
            [account.pk, w.village.pk, w.day.year],
        )
    assert balance(w.h[1]) == 14 == posted_sum(w.h[1])
    check_ledger()


def _ledger(world):
    from tests.support.points_world import Ledger

    return Ledger(world)


# --- a published allocation is what the village was told -----------------------------------------


def _allocation(points_world, **kwargs):
    ledger = Ledger(points_world)
    ledger.open_year()
    ledger.post((points_world.h[1], "HJ01"))
    return services.allocation_create(
        actor=points_world.secretary,
        village=points_world.village,
        year=points_world.day.year,
        title="年终积分奖励",
        pool_fen=50_000_00,
        floor=100,
        **kwargs,
    )


def test_raw_sql_cannot_move_money_between_shares_or_delete_them(points_world):
    allocation = _allocation(points_world)
    publish_allocation(points_world, allocation)
    top = allocation.shares.order_by("rank").first()
    for sql in [
        f"UPDATE {SHARE} SET amount_fen = amount_fen - 100 WHERE id = %s",
        f"DELETE FROM {SHARE} WHERE id = %s",
    ]:
        with pytest.raises(DatabaseError), transaction.atomic():
            raw(sql, [top.pk])
    for sql in [
        f"UPDATE {ALLOCATION} SET pool_fen = 1 WHERE id = %s",
        f"DELETE FROM {ALLOCATION} WHERE id = %s",
    ]:
        with pytest.raises(DatabaseError), transaction.atomic():
            raw(sql, [allocation.pk])
    assert reload(top).amount_fen == top.amount_fen
    assert reload(allocation).pool_fen == 50_000_00


def test_the_chain_holds_the_shares_fingerprint_from_creation_and_publication(points_world):
    from village.models import AuditEvent

    allocation = _allocation(points_world)
    publish_allocation(points_world, allocation)
    created = AuditEvent.objects.get(action="points.allocation.create").payload
    published = AuditEvent.objects.get(action="points.allocation.publish").payload
    assert created["shares_sha256"] == published["shares_sha256"]
    assert created["shares_sha256"] == points_selectors.shares_fingerprint(allocation)
    # A share changed behind the code's back (triggers off, as an attacker with the database
    # could) no longer matches what the chain recorded.
    if connection.vendor == "sqlite":
        raw("DROP TRIGGER points_share_no_update")
    else:
        raw("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred foreign-key checks pending
        raw(f"ALTER TABLE {SHARE} DISABLE TRIGGER USER")
    move = f"UPDATE {SHARE} SET amount_fen = amount_fen + %s WHERE allocation_id = %s AND rank = %s"
    raw(move, [-1, allocation.pk, 1])  # one fen from the first household to the second:
    raw(move, [1, allocation.pk, 2])  # the pool still sums
    assert sum(allocation.shares.values_list("amount_fen", flat=True)) == 50_000_00
    assert points_selectors.shares_fingerprint(allocation) != published["shares_sha256"]


def _refused_in_the_foreign_village(points_world, key):
    with pytest.raises(ValidationError) as refused:
        services.allocation_create(
            actor=points_world.foreign.secretary,
            village=points_world.foreign.village,
            year=points_world.day.year,
            title="x",
            pool_fen=100,
            idempotency_key=key,
        )
    assert refused.value.code == "invalid_key"


def test_the_same_allocation_form_submitted_twice_makes_one(points_world):
    first = _allocation(points_world, idempotency_key="form-1234")
    again = services.allocation_create(
        actor=points_world.secretary,
        village=points_world.village,
        year=points_world.day.year,
        title="年终积分奖励",
        pool_fen=50_000_00,
        floor=100,
        idempotency_key="form-1234",
    )
    assert again.pk == first.pk
    assert Allocation.objects.count() == 1
    # Another village's secretary sends the same key: refused, whether that village has no one
    # to share among (the split fails first) or has (the key's unique index stops the insert);
    # the other village's allocation is never returned.
    _refused_in_the_foreign_village(points_world, "form-1234")
    # The same form again when its terms no longer hold: still the allocation it made.
    assert (
        services.allocation_create(
            actor=points_world.secretary,
            village=points_world.village,
            year=points_world.day.year,
            title="",
            pool_fen=50_000_00,
            idempotency_key="form-1234",
        )
        == first
    )
    far = points_world.foreign
    amend(far.village, points_base=100)
    services.year_open(actor=far.secretary, village=far.village, year=points_world.day.year)
    _refused_in_the_foreign_village(points_world, "form-1234")
    assert Allocation.objects.count() == 1
