"""The first step of an entry through the services: an officer or cadre records it (grid,
evidence, yearly cap, dates, rules of this village and of the catalogue in force, one key one
entry) and a villager claims a good deed for their own household."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from points import services
from points.models import (
    Entry,
    EntryKind,
    EntryStatus,
)
from tests.support.points_lifecycle import chain_ok, count
from tests.support.points_world import actions, balance, history_statuses, photo
from village.models import AuditEvent, HouseholdStatus

# --- entry_record --------------------------------------------------------------------------------


def test_grid_officer_records_for_a_household_of_the_grid(points_world, ledger):
    entry = ledger.record(points_world.h[1], "HJ01", reason="门前屋后打扫干净")

    assert entry.status == EntryStatus.RECORDED
    assert (entry.kind, entry.points, entry.year) == (EntryKind.CONDUCT, 5, points_world.day.year)
    assert entry.account.household == points_world.h[1]
    assert entry.recorded_by == points_world.officer
    assert entry.reason == "门前屋后打扫干净"
    assert balance(points_world.h[1]) == 0  # recorded is not posted
    assert actions(points_world.village) == ["points.entry.record"]
    event = AuditEvent.objects.get(action="points.entry.record")
    assert event.object_id == str(entry.pk)
    assert event.payload["household"] == points_world.h[1].number
    assert event.payload["rule"] == "HJ01"
    assert event.actor == points_world.officer
    assert history_statuses(entry) == ["recorded"]
    assert chain_ok()


def test_grid_officer_cannot_record_outside_the_grid(points_world, ledger):
    with pytest.raises(PermissionDenied):
        ledger.record(points_world.h[4], "HJ01")
    assert not Entry.objects.exists()
    assert actions(points_world.village) == []


@pytest.mark.parametrize("who", ["secretary", "committee"])
def test_cadres_record_anywhere_in_the_village(points_world, ledger, who):
    actor = getattr(points_world, who)
    # Outside grid 1; never the cadre's own household (回避: the secretary lives in h4).
    far = points_world.h[5] if who == "secretary" else points_world.h[4]
    outside = ledger.record(far, "HJ02", actor=actor)
    inside = ledger.record(points_world.h[1], "HJ01", actor=actor)
    assert outside.account.household == far and outside.points == -3
    assert inside.account.household == points_world.h[1]
    assert count("points.entry.record", points_world.village) == 2


@pytest.mark.parametrize("who", ["resident", "keeper", "inspector", "outsider"])
def test_others_cannot_record(points_world, ledger, who):
    with pytest.raises(PermissionDenied):
        ledger.record(points_world.h[1], "HJ01", actor=getattr(points_world, who))
    assert not Entry.objects.exists()


def test_cadre_of_another_village_cannot_record_here(points_world, ledger):
    with pytest.raises(PermissionDenied):
        ledger.record(points_world.h[1], "HJ01", actor=points_world.foreign.secretary)


def test_evidence_rule_needs_a_photo(points_world, ledger):
    with pytest.raises(ValidationError) as refused:
        ledger.record(points_world.h[1], "XL01")
    assert "photo" in refused.value.message_dict
    assert "须附照片" in refused.value.message_dict["photo"][0]
    assert not Entry.objects.exists()
    assert actions(points_world.village) == []

    entry = ledger.record(points_world.h[1], "XL01", photo=photo())
    assert entry.photo.name.startswith("points/")
    assert AuditEvent.objects.get(action="points.entry.record").payload["photo"] is True


def test_fake_photo_is_refused(points_world, ledger):
    fake = SimpleUploadedFile("evidence.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    with pytest.raises(ValidationError) as refused:
        ledger.record(points_world.h[1], "XL01", photo=fake)
    assert "photo" in refused.value.message_dict
    assert not Entry.objects.exists()


def test_cap_per_year_counts_what_is_still_standing(points_world, ledger):
    first = ledger.record(points_world.h[1], "ZY01")
    ledger.record(points_world.h[1], "ZY01")
    with pytest.raises(ValidationError) as refused:
        ledger.record(points_world.h[1], "ZY01")
    assert "最多计 2 次" in refused.value.message_dict["rule"][0]
    assert Entry.objects.filter(rule__code="ZY01").count() == 2
    # another household has its own count; another year too
    ledger.record(points_world.h[2], "ZY01")
    today = timezone.localdate()
    other_year = date(today.year - 1, 6, 1) if points_world.day.year == today.year else today
    assert ledger.record(points_world.h[1], "ZY01", day=other_year).year != points_world.day.year
    # a rejected entry no longer counts
    ledger.review([first], approve=False, note="当天未参加")
    third = ledger.record(points_world.h[1], "ZY01")
    assert third.status == EntryStatus.RECORDED


def test_cap_per_year_after_a_reversal(points_world, ledger):
    """A reversed entry no longer counts towards the cap, and neither does its reversal."""
    first, _second = ledger.post((points_world.h[1], "ZY01"), (points_world.h[1], "ZY01"))
    with pytest.raises(ValidationError):
        ledger.record(points_world.h[1], "ZY01")
    services.entry_reverse(actor=points_world.secretary, entry=first, reason="重复登记")
    again = ledger.record(points_world.h[1], "ZY01")
    assert again.status == EntryStatus.RECORDED
    with pytest.raises(ValidationError):
        ledger.record(points_world.h[1], "ZY01")


def test_future_date_is_refused(points_world, ledger):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        ledger.record(points_world.h[1], "HJ01", day=tomorrow)
    assert "occurred_on" in refused.value.message_dict
    assert not Entry.objects.exists()


def test_date_two_years_back_is_refused(points_world, ledger):
    long_ago = date(timezone.localdate().year - 2, 12, 31)
    with pytest.raises(ValidationError) as refused:
        ledger.record(points_world.h[1], "HJ01", day=long_ago)
    assert "occurred_on" in refused.value.message_dict


def test_rule_of_another_village_is_refused(points_world):
    with pytest.raises(ValidationError) as refused:
        services.entry_record(
            actor=points_world.secretary,
            household=points_world.h[1],
            rule=points_world.foreign.rules["HJ01"],
            occurred_on=points_world.day,
        )
    assert "不属于本村" in refused.value.message_dict["rule"][0]
    assert not Entry.objects.exists()


def test_rule_of_a_superseded_catalogue_is_refused(points_world, ledger):
    from tests.support.points_world import build_catalogue

    _catalogue, _categories, newer = build_catalogue(
        points_world.village, effective_from=points_world.day - timedelta(days=5), version=2
    )
    with pytest.raises(ValidationError) as refused:
        ledger.record(
            points_world.h[1], "HJ01"
        )  # version 1's HJ01, no longer in effect on points_world.day
    assert "细则版本" in refused.value.message_dict["rule"][0]
    entry = services.entry_record(
        actor=points_world.officer,
        household=points_world.h[1],
        rule=newer["HJ01"],
        occurred_on=points_world.day,
    )
    assert entry.rule.catalogue.version == 2
    # before the new version took effect, the old one applies
    old = ledger.record(points_world.h[1], "HJ01", day=points_world.day - timedelta(days=6))
    assert old.rule.catalogue.version == 1


def test_household_no_longer_registered_is_refused(points_world, ledger):
    points_world.h[2].status = HouseholdStatus.MOVED_OUT
    points_world.h[2].save()
    with pytest.raises(ValidationError) as refused:
        ledger.record(points_world.h[2], "HJ01")
    assert "household" in refused.value.message_dict


def test_reason_too_long_is_refused(points_world, ledger):
    with pytest.raises(ValidationError):
        ledger.record(points_world.h[1], "HJ01", reason="长" * 301)
    assert not Entry.objects.exists()


def test_the_same_key_twice_records_once(points_world, ledger):
    first = ledger.record(points_world.h[1], "HJ01", idempotency_key="sheet-7-row-3")
    again = ledger.record(points_world.h[1], "HJ01", idempotency_key="sheet-7-row-3")
    assert again.pk == first.pk
    assert Entry.objects.count() == 1
    assert count("points.entry.record", points_world.village) == 1
    with pytest.raises(ValidationError) as conflict:
        ledger.record(points_world.h[2], "HJ01", idempotency_key="sheet-7-row-3")
    assert conflict.value.code == "key_conflict"
    with pytest.raises(ValidationError):
        ledger.record(points_world.h[1], "HJ01", idempotency_key="k" * 81)


# --- entry_claim ---------------------------------------------------------------------------------


def test_villager_claims_a_positive_rule_for_their_own_household(points_world):
    entry = services.entry_claim(
        actor=points_world.resident,
        rule=points_world.rules["HJ01"],
        occurred_on=points_world.day,
        reason="自家院子",
    )
    assert entry.status == EntryStatus.CLAIMED
    assert entry.account.household == points_world.h[1]
    assert entry.recorded_by == points_world.resident
    assert actions(points_world.village) == ["points.entry.claim"]
    assert history_statuses(entry) == ["claimed"]
    assert chain_ok()


def test_villager_cannot_claim_a_deduction(points_world):
    with pytest.raises(ValidationError) as refused:
        services.entry_claim(
            actor=points_world.resident,
            rule=points_world.rules["HJ02"],
            occurred_on=points_world.day,
        )
    assert "加分项" in refused.value.message_dict["rule"][0]
    assert not Entry.objects.exists()


def test_villager_cannot_claim_for_another_household(points_world):
    with pytest.raises(PermissionDenied):
        services.entry_record(
            actor=points_world.resident,
            household=points_world.h[2],
            rule=points_world.rules["HJ01"],
            occurred_on=points_world.day,
            claimed=True,
        )
    assert not Entry.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "inspector"])
def test_only_villagers_claim(points_world, who):
    with pytest.raises(PermissionDenied):
        services.entry_claim(
            actor=getattr(points_world, who),
            rule=points_world.rules["HJ01"],
            occurred_on=points_world.day,
        )


def test_villager_cannot_claim_with_another_villages_rule(points_world):
    with pytest.raises(ValidationError):
        services.entry_claim(
            actor=points_world.resident,
            rule=points_world.foreign.rules["HJ01"],
            occurred_on=points_world.day,
        )
