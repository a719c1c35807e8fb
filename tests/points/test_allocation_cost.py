"""A county's allocation (issue 16): `allocation_create` reads the households and their year
scores in one statement and writes the shares in bulk, so its queries do not grow with the
village; the one read gives what year_scores gives, households without an account or without an
entry scoring 0, households that left not shared."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from points import selectors, services
from points.models import Share
from tests.factories import HouseholdFactory
from village.models import HouseholdStatus


def queries_allocation() -> int:
    """The households with their scores, the allocation and its history, the audit head, event,
    head update and Wagtail log, the savepoint and its release (a test runs in a transaction) —
    and the shares: one INSERT on SQLite; a COPY on PostgreSQL, which Django's cursor does not
    see. The roles come from the cache; the idempotency key is checked by its unique index, read
    only when a second submission hits it."""
    return 10 if connection.vendor == "sqlite" else 9


def _allocate(points_world, key, floor=90, **terms):
    with CaptureQueriesContext(connection) as queries:
        allocation = services.allocation_create(
            actor=points_world.secretary,
            village=points_world.village,
            year=points_world.day.year,
            title="年度积分奖励",
            pool_fen=1000_00,
            floor=floor,
            idempotency_key=key,
            **terms,
        )
    return allocation, len(queries)


def test_the_allocations_queries_do_not_grow_with_the_village(points_world, ledger):
    ledger.open_year(base=100)
    _allocate(points_world, "a-0")  # the secretary's roles are read, then cached
    _first, small = _allocate(points_world, "a-1")
    area = points_world.h[1].area
    HouseholdFactory.create_batch(40, village=points_world.village, area=area)
    allocation, large = _allocate(points_world, "a-2")
    assert small == large == queries_allocation()
    assert Share.objects.filter(allocation=allocation).count() == 45


def test_the_one_read_gives_what_year_scores_gives(points_world, ledger):
    ledger.open_year(base=100)
    entries = [ledger.record(points_world.h[1], "HJ01") for _ in range(2)]
    ledger.review(entries)
    ledger.close(ledger.publish())
    village, year = points_world.village, points_world.day.year
    no_account = HouseholdFactory(village=village, area=points_world.h[1].area)
    left = HouseholdFactory(
        village=village, area=points_world.h[1].area, status=HouseholdStatus.MOVED_OUT
    )
    rows = selectors.active_household_scores(village, year)
    scores = selectors.year_scores(village, year)
    assert [number for _pk, number, _score in rows] == sorted(number for _pk, number, _s in rows)
    assert {pk: score for pk, _number, score in rows} == {
        **{h.pk: scores[h.pk] for h in points_world.h[1:]},
        no_account.pk: 0,
    }
    assert left.pk not in {pk for pk, _number, _score in rows}
    allocation, _queries = _allocate(points_world, "a-3")
    shares = dict(Share.objects.filter(allocation=allocation).values_list("household", "score"))
    assert shares == {pk: score for pk, _number, score in rows}


def test_a_reason_with_tabs_backslashes_and_line_ends_is_stored_as_written(points_world, ledger):
    """The shares go in as COPY text on PostgreSQL: a reason that looks like the format's own
    separators or escapes is stored as the secretary wrote it, not split or unescaped."""
    ledger.open_year(base=100)
    reason = "星级\t被撤销\\N\n见 2026\\t 第3号\r决议"
    allocation, _queries = _allocate(
        points_world, "reasons", floor=0, ineligible={points_world.h[1].pk: reason}
    )
    share = Share.objects.get(allocation=allocation, household=points_world.h[1])
    assert (share.reason, share.eligible, share.amount_fen) == (reason, False, 0)
    others = Share.objects.filter(allocation=allocation).exclude(household=points_world.h[1])
    assert set(others.values_list("reason", flat=True)) == {""}
    assert sum(others.values_list("amount_fen", flat=True)) == 1000_00
