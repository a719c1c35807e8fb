"""What moves the balances through the services: closing a publication posts its entries
(also from the cron command), a reversal posts the opposite points once and never below zero,
and opening a year gives the base points once, with a reset or a carry-over."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from points import services
from points.models import (
    Entry,
    EntryKind,
    EntryStatus,
)
from tests.support.clock import travel
from tests.support.points_lifecycle import chain_ok, count
from tests.support.points_world import balance, history_statuses, posted_sum, reload
from village.models import AuditEvent, HouseholdStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- publication_close ---------------------------------------------------------------------------


def test_close_is_refused_while_the_window_is_open(points_world, ledger):
    [entry], publication = ledger.published((points_world.h[1], "HJ01"))
    with pytest.raises(ValidationError) as refused:
        services.publication_close(actor=points_world.secretary, publication=publication)
    assert refused.value.code == "window_open"
    with (
        travel(publication.objection_ends_at - timedelta(seconds=1)),
        pytest.raises(ValidationError),
    ):
        services.publication_close(actor=points_world.secretary, publication=publication)
    assert reload(publication).closed_at is None
    assert reload(entry).status == EntryStatus.PUBLISHED
    assert balance(points_world.h[1]) == 0
    assert count("points.publication.close", points_world.village) == 0


def test_close_posts_the_entries_without_open_objections(points_world, ledger):
    entries, publication = ledger.published(
        (points_world.h[1], "HJ01"),
        (points_world.h[1], "ZY01"),
        (points_world.h[2], "HJ01"),
        (points_world.h[3], "HJ01"),
    )
    services.objection_file(actor=points_world.resident, entry=entries[3], text="他家没打扫")
    when = publication.objection_ends_at + timedelta(minutes=1)
    with travel(when):
        posted = services.publication_close(actor=points_world.secretary, publication=publication)

    assert sorted(e.pk for e in posted) == sorted(e.pk for e in entries[:3])
    for entry in entries[:3]:
        entry = reload(entry)
        assert entry.status == EntryStatus.POSTED and entry.posted_at == when
        assert history_statuses(entry) == ["recorded", "reviewed", "published", "posted"]
    assert reload(entries[3]).status == EntryStatus.PUBLISHED
    assert (balance(points_world.h[1]), balance(points_world.h[2]), balance(points_world.h[3])) == (
        7,
        5,
        0,
    )
    for h in points_world.h[1:]:
        assert balance(h) == posted_sum(h)
    assert reload(publication).closed_at == when
    assert count("points.publication.close", points_world.village) == 1
    assert count("points.entry.post", points_world.village) == 3
    close = AuditEvent.objects.get(action="points.publication.close")
    assert close.payload == {"posted": 3, "total": 12}
    assert chain_ok()

    with travel(when), pytest.raises(ValidationError) as again:
        services.publication_close(actor=points_world.secretary, publication=publication)
    assert again.value.code == "closed"
    assert balance(points_world.h[1]) == 7


def test_a_deduction_larger_than_the_balance_takes_it_to_zero(points_world, ledger):
    ledger.post((points_world.h[1], "HJ01"))  # 5 points
    [deduction] = ledger.post((points_world.h[1], "FL01"))  # −20
    assert deduction.points == -5
    assert "按 5 分扣减" in deduction.reason
    assert balance(points_world.h[1]) == 0 == posted_sum(points_world.h[1])


def test_only_cadres_close(points_world, ledger):
    [_entry], publication = ledger.published((points_world.h[1], "HJ01"))
    with ledger.after_window(publication), pytest.raises(PermissionDenied):
        services.publication_close(actor=points_world.officer, publication=publication)


def test_the_cron_command_closes_the_publications_that_are_due(points_world, ledger):
    from django.core.management import call_command

    [entry], publication = ledger.published((points_world.h[1], "HJ01"))
    call_command("close_point_publications")
    assert reload(entry).status == EntryStatus.PUBLISHED
    with ledger.after_window(publication):
        call_command("close_point_publications")
    assert reload(entry).status == EntryStatus.POSTED
    assert balance(points_world.h[1]) == 5
    assert chain_ok()


# --- entry_reverse -------------------------------------------------------------------------------


def test_only_a_posted_entry_is_reversed(points_world, ledger):
    entry = ledger.record(points_world.h[1], "HJ01")
    with pytest.raises(ValidationError) as refused:
        services.entry_reverse(actor=points_world.secretary, entry=entry, reason="登记错了")
    assert refused.value.code == "not_posted"
    ledger.review([entry])
    ledger.publish()
    with pytest.raises(ValidationError):
        services.entry_reverse(actor=points_world.secretary, entry=entry, reason="登记错了")
    assert not Entry.objects.filter(kind=EntryKind.REVERSAL).exists()


def test_a_reversal_posts_the_opposite_points_once(points_world, ledger):
    [entry] = ledger.post((points_world.h[1], "HJ01"))
    ledger.post((points_world.h[1], "ZY01"))
    assert balance(points_world.h[1]) == 7

    reversal = services.entry_reverse(actor=points_world.secretary, entry=entry, reason="重复登记")

    assert reversal.kind == EntryKind.REVERSAL and reversal.reverses_id == entry.pk
    assert reversal.points == -5 and reversal.status == EntryStatus.POSTED
    assert reversal.reason == "冲正：重复登记"
    assert reload(entry).status == EntryStatus.POSTED  # the original stays as it was
    assert reload(entry).points == 5
    assert balance(points_world.h[1]) == 2 == posted_sum(points_world.h[1])
    assert history_statuses(reversal) == ["posted"]
    event = AuditEvent.objects.get(action="points.entry.reverse")
    assert event.payload["reverses"] == entry.pk and event.payload["points"] == -5

    # the same request again returns the same reversal; another key is refused
    again = services.entry_reverse(actor=points_world.secretary, entry=entry, reason="重复登记")
    assert again.pk == reversal.pk
    with pytest.raises(ValidationError) as twice:
        services.entry_reverse(
            actor=points_world.secretary, entry=entry, reason="再冲一次", idempotency_key="other"
        )
    assert twice.value.code == "reversed"
    assert balance(points_world.h[1]) == 2
    assert Entry.objects.filter(reverses=entry).count() == 1
    assert count("points.entry.reverse", points_world.village) == 1
    # a reversal is not reversed in turn
    with pytest.raises(ValidationError):
        services.entry_reverse(actor=points_world.secretary, entry=reversal, reason="冲回")
    assert chain_ok()


def test_a_deduction_is_reversed_upwards(points_world, ledger):
    ledger.post((points_world.h[1], "HJ01"))
    [deduction] = ledger.post((points_world.h[1], "HJ02"))
    assert balance(points_world.h[1]) == 2
    services.entry_reverse(actor=points_world.secretary, entry=deduction, reason="核实无此事")
    assert balance(points_world.h[1]) == 5


def test_a_reversal_never_takes_the_balance_below_zero(points_world, ledger):
    entry, _other = ledger.post((points_world.h[1], "HJ01"), (points_world.h[1], "HJ01"))
    assert balance(points_world.h[1]) == 10
    services.redeem(
        actor=points_world.keeper, household=points_world.h[1], item=points_world.items["soap"]
    )
    with pytest.raises(ValidationError) as refused:
        services.entry_reverse(actor=points_world.secretary, entry=entry, reason="照片不符")
    assert refused.value.code == "insufficient"
    assert balance(points_world.h[1]) == 0
    assert not Entry.objects.filter(kind=EntryKind.REVERSAL).exists()


def test_reversal_needs_the_secretary_and_a_reason(points_world, ledger):
    [entry] = ledger.post((points_world.h[1], "HJ01"))
    with pytest.raises(ValidationError):
        services.entry_reverse(actor=points_world.secretary, entry=entry, reason=" ")
    for who in ("committee", "officer", "inspector"):
        with pytest.raises(PermissionDenied):
            services.entry_reverse(actor=getattr(points_world, who), entry=entry, reason="错了")
    assert balance(points_world.h[1]) == 5


# --- year_open -----------------------------------------------------------------------------------


def test_year_open_gives_base_points_once(points_world, ledger):
    year = points_world.day.year
    opened = ledger.open_year(base=100)
    households = [h for h in points_world.h[1:]]
    assert opened == len(households)
    for h in households:
        assert balance(h) == 100 == posted_sum(h)
    assert ledger.open_year(base=100) == 0
    for h in households:
        assert balance(h) == 100
    assert Entry.objects.filter(kind=EntryKind.OPENING, year=year).count() == len(households)
    openings = Entry.objects.filter(kind=EntryKind.OPENING)
    assert all(history_statuses(e) == ["posted"] for e in openings)
    assert count("points.year.open", points_world.village) == 1
    assert AuditEvent.objects.get(action="points.year.open").payload["accounts"] == len(households)
    assert chain_ok()


def test_year_open_skips_households_no_longer_registered(points_world, ledger):
    points_world.h[5].status = HouseholdStatus.MOVED_OUT
    points_world.h[5].save()
    assert ledger.open_year() == 4
    assert balance(points_world.h[5]) == 0


def test_year_open_with_reset_brings_last_year_to_zero_first(points_world, ledger):
    ledger.open_year(base=100, year=points_world.day.year - 1)
    ledger.post((points_world.h[1], "HJ01"))
    assert balance(points_world.h[1]) == 105

    with travel(
        datetime(points_world.day.year + 1, 1, 2, 9, tzinfo=SHANGHAI)
    ):  # next year has come
        ledger.open_year(base=80, carry_over="reset", year=points_world.day.year + 1)

    assert balance(points_world.h[1]) == 80 == posted_sum(points_world.h[1])
    assert balance(points_world.h[2]) == 80
    reset = Entry.objects.get(account__household=points_world.h[1], kind=EntryKind.RESET)
    assert reset.points == -105 and reset.status == EntryStatus.POSTED
    assert balance(points_world.h[3]) == 80


def test_year_open_with_carry_over_adds_to_the_balance(points_world, ledger):
    ledger.open_year(base=100, year=points_world.day.year - 1)
    ledger.post((points_world.h[1], "HJ01"))
    with travel(datetime(points_world.day.year + 1, 1, 2, 9, tzinfo=SHANGHAI)):
        ledger.open_year(base=80, carry_over="carry", year=points_world.day.year + 1)
    assert balance(points_world.h[1]) == 185 == posted_sum(points_world.h[1])
    assert not Entry.objects.filter(kind=EntryKind.RESET).exists()


def test_the_village_committee_may_open_the_year(points_world):
    assert (
        services.year_open(
            actor=points_world.committee, village=points_world.village, year=points_world.day.year
        )
        == 5
    )


@pytest.mark.parametrize("who", ["officer", "keeper", "inspector", "resident"])
def test_only_welfare_managers_open_the_year(points_world, who):
    with pytest.raises(PermissionDenied):
        services.year_open(
            actor=getattr(points_world, who),
            village=points_world.village,
            year=points_world.day.year,
        )
    assert not Entry.objects.exists()
