"""Review and monthly publication through the services: the committee approves or rejects
recorded and claimed entries (never its own, one village at a time, a reason to reject), and a
cadre publishes a finished month's reviewed entries with the village's objection window."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from points import services
from points.models import (
    Entry,
    EntryStatus,
    Publication,
)
from tests.support.clock import travel
from tests.support.points_lifecycle import chain_ok, count
from tests.support.points_world import history_statuses, reload
from tests.support.rules import amend
from village.models import AuditEvent

# --- entries_review ------------------------------------------------------------------------------


def test_committee_approves_recorded_and_claimed_entries(points_world, ledger):
    recorded = ledger.record(points_world.h[1], "HJ01")
    claimed = services.entry_claim(
        actor=points_world.neighbour, rule=points_world.rules["ZY01"], occurred_on=points_world.day
    )
    rows = ledger.review([recorded, claimed.pk])
    assert {r.pk for r in rows} == {recorded.pk, claimed.pk}
    for entry in (recorded, claimed):
        entry = reload(entry)
        assert entry.status == EntryStatus.REVIEWED
        assert entry.reviewed_by == points_world.committee and entry.reviewed_at is not None
        assert history_statuses(entry)[-1] == "reviewed"
        assert Entry.history.filter(id=entry.pk).first().history_user == points_world.committee
    assert count("points.entry.review", points_world.village) == 2
    assert chain_ok()


def test_nobody_reviews_their_own_entry(points_world, ledger):
    mine = ledger.record(points_world.h[1], "HJ01", actor=points_world.committee)
    other = ledger.record(points_world.h[2], "HJ01")
    with pytest.raises(ValidationError) as refused:
        ledger.review([mine, other], actor=points_world.committee)
    assert "不能审核自己登记的记录" in refused.value.messages[0]
    # all or nothing: the other entry was not approved either
    assert reload(mine).status == reload(other).status == EntryStatus.RECORDED
    assert count("points.entry.review", points_world.village) == 0
    ledger.review([mine], actor=points_world.secretary)
    assert reload(mine).status == EntryStatus.REVIEWED


def test_rejection_needs_a_reason(points_world, ledger):
    entry = ledger.record(points_world.h[1], "HJ02")
    with pytest.raises(ValidationError):
        ledger.review([entry], approve=False, note="  ")
    assert reload(entry).status == EntryStatus.RECORDED
    ledger.review([entry], approve=False, note="照片显示已清理")
    entry = reload(entry)
    assert entry.status == EntryStatus.REJECTED
    assert entry.review_note == "照片显示已清理"
    assert count("points.entry.reject", points_world.village) == 1
    assert history_statuses(entry) == ["recorded", "rejected"]


def test_only_recorded_or_claimed_entries_are_reviewed(points_world, ledger):
    entry = ledger.record(points_world.h[1], "HJ01")
    ledger.review([entry])
    with pytest.raises(ValidationError) as refused:
        ledger.review([entry])
    assert "不能再审核" in refused.value.messages[0]
    with pytest.raises(ValidationError):
        ledger.review([entry], approve=False, note="再退回")
    assert reload(entry).status == EntryStatus.REVIEWED
    assert count("points.entry.review", points_world.village) == 1


@pytest.mark.parametrize("who", ["officer", "resident", "keeper", "inspector"])
def test_only_cadres_review(points_world, ledger, who):
    entry = ledger.record(points_world.h[1], "HJ01", actor=points_world.secretary)
    with pytest.raises(PermissionDenied):
        ledger.review([entry], actor=getattr(points_world, who))
    assert reload(entry).status == EntryStatus.RECORDED


def test_review_needs_entries_of_one_village(points_world, ledger):
    with pytest.raises(ValidationError):
        ledger.review([])
    ours = ledger.record(points_world.h[1], "HJ01")
    theirs = services.entry_record(
        actor=points_world.foreign.secretary,
        household=points_world.foreign.household,
        rule=points_world.foreign.rules["HJ01"],
        occurred_on=points_world.day,
    )
    with pytest.raises(ValidationError):
        ledger.review([ours, theirs])
    with pytest.raises(ValidationError):
        ledger.review([ours.pk, 10**9])
    assert reload(ours).status == reload(theirs).status == EntryStatus.RECORDED


# --- publication_create --------------------------------------------------------------------------


def test_only_a_finished_month_is_published(points_world, ledger):
    entry = ledger.record(points_world.h[1], "HJ01")
    ledger.review([entry])
    with pytest.raises(ValidationError) as refused:
        ledger.publish(month=timezone.localdate())
    assert refused.value.code == "month_not_over"
    with pytest.raises(ValidationError):
        ledger.publish(month=timezone.localdate() + timedelta(days=40))
    assert not Publication.objects.exists()
    assert reload(entry).status == EntryStatus.REVIEWED


def test_a_month_without_reviewed_entries_cannot_be_published(points_world, ledger):
    ledger.record(points_world.h[1], "HJ01")  # recorded, not reviewed
    with pytest.raises(ValidationError) as refused:
        ledger.publish()
    assert refused.value.code == "empty"
    assert not Publication.objects.exists()
    assert count("points.publication.create", points_world.village) == 0


def test_publication_takes_the_reviewed_entries_of_the_month_and_earlier(points_world, ledger):
    earlier = ledger.record(points_world.h[1], "HJ01", day=points_world.day - timedelta(days=31))
    this_month = ledger.record(points_world.h[2], "HJ02")
    unreviewed = ledger.record(points_world.h[3], "HJ01")
    current = ledger.record(points_world.h[1], "ZY01", day=timezone.localdate())
    ledger.review([earlier, this_month, current])
    foreign = services.entry_record(
        actor=points_world.foreign.secretary,
        household=points_world.foreign.household,
        rule=points_world.foreign.rules["HJ01"],
        occurred_on=points_world.day,
    )

    publication = ledger.publish()

    assert publication.month == points_world.day.replace(day=1)
    assert set(publication.entries.values_list("pk", flat=True)) == {earlier.pk, this_month.pk}
    assert reload(earlier).status == EntryStatus.PUBLISHED
    assert reload(unreviewed).status == EntryStatus.RECORDED
    assert reload(current).status == EntryStatus.REVIEWED
    assert reload(foreign).status == EntryStatus.RECORDED
    event = AuditEvent.objects.get(action="points.publication.create")
    assert sorted(event.payload["entries"]) == sorted([earlier.pk, this_month.pk])
    assert event.payload["total"] == 2
    assert history_statuses(earlier) == ["recorded", "reviewed", "published"]
    assert chain_ok()


def test_objection_window_follows_the_village_rules(points_world, ledger):
    amend(points_world.village, points_objection_days=3)
    entry = ledger.record(points_world.h[1], "HJ01")
    ledger.review([entry])
    now = timezone.now()
    with travel(now):
        publication = ledger.publish()
    assert publication.published_at == now
    assert publication.objection_ends_at == now + timedelta(days=3)
    assert publication.published_by == points_world.secretary
    assert publication.is_open


@pytest.mark.parametrize("who", ["officer", "keeper", "resident", "inspector"])
def test_only_cadres_publish(points_world, ledger, who):
    ledger.review([ledger.record(points_world.h[1], "HJ01")])
    with pytest.raises(PermissionDenied):
        ledger.publish(actor=getattr(points_world, who))
