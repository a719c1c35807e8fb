"""The ledger's lifecycle through the services: record / claim → review → publish → objections
→ close (post) → reverse; base points each year; the store counter; star households and the
allocation of a pool. Every write is in the audit chain and in the entries' history."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from points import selectors as points_selectors
from points import services
from points.models import (
    Account,
    Allocation,
    Entry,
    EntryKind,
    EntryStatus,
    Objection,
    ObjectionStatus,
    Publication,
    Redemption,
    Share,
    StarRating,
    StarRound,
)
from tests.support.clock import travel
from tests.support.points_world import actions, balance, history_statuses, photo, posted_sum, reload
from village import audit
from village.models import AuditEvent, HouseholdStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")


def chain_ok():
    assert audit.verify_all() == []
    return True


def count(action, village):
    return actions(village).count(action)


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
    outside = ledger.record(points_world.h[4], "HJ02", actor=actor)
    inside = ledger.record(points_world.h[1], "HJ01", actor=actor)
    assert outside.account.household == points_world.h[4] and outside.points == -3
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
    rules = points_world.village.rules
    rules.points_objection_days = 3
    rules.save()
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


# --- objections ----------------------------------------------------------------------------------


def test_a_villager_of_the_village_objects_during_the_window(points_world, ledger):
    [entry], _publication = ledger.published((points_world.h[1], "HJ01"))
    objection = services.objection_file(
        actor=points_world.neighbour, entry=entry, text="他家门口还堆着柴"
    )
    assert objection.status == ObjectionStatus.OPEN
    assert objection.villager.user == points_world.neighbour
    assert objection.village == points_world.village
    assert count("points.objection.file", points_world.village) == 1
    assert AuditEvent.objects.get(action="points.objection.file").payload["entry"] == entry.pk
    # the household itself may object too
    services.objection_file(actor=points_world.resident, entry=entry, text="分数登记错了")
    assert chain_ok()


@pytest.mark.parametrize("who", ["outsider", "inspector"])
def test_only_residents_of_the_village_object(points_world, ledger, who):
    [entry], _publication = ledger.published((points_world.h[1], "HJ01"))
    with pytest.raises(PermissionDenied):
        services.objection_file(actor=getattr(points_world, who), entry=entry, text="不同意")
    with pytest.raises(PermissionDenied):
        services.objection_file(actor=points_world.foreign.resident, entry=entry, text="不同意")
    assert not Objection.objects.exists()


def test_objection_outside_the_window_is_refused(points_world, ledger):
    entry = ledger.record(points_world.h[1], "HJ01")
    with pytest.raises(ValidationError) as refused:
        services.objection_file(actor=points_world.neighbour, entry=entry, text="太早了")
    assert refused.value.code == "not_published"
    ledger.review([entry])
    publication = ledger.publish()
    with ledger.after_window(publication), pytest.raises(ValidationError) as late:
        services.objection_file(actor=points_world.neighbour, entry=entry, text="太晚了")
    assert late.value.code == "closed"
    with travel(publication.objection_ends_at - timedelta(minutes=1)):
        services.objection_file(actor=points_world.neighbour, entry=entry, text="最后一分钟")
    assert Objection.objects.count() == 1


def test_one_open_objection_per_villager_and_entry(points_world, ledger):
    [entry], _publication = ledger.published((points_world.h[1], "HJ01"))
    first = services.objection_file(actor=points_world.neighbour, entry=entry, text="不属实")
    with pytest.raises(ValidationError) as refused:
        services.objection_file(actor=points_world.neighbour, entry=entry, text="再说一次")
    assert refused.value.code == "duplicate"
    assert Objection.objects.count() == 1
    services.objection_answer(
        actor=points_world.committee, objection=first, upheld=False, answer="经核实属实"
    )
    services.objection_file(actor=points_world.neighbour, entry=entry, text="还是不同意")
    assert Objection.objects.count() == 2


def test_objection_needs_a_text(points_world, ledger):
    [entry], _publication = ledger.published((points_world.h[1], "HJ01"))
    with pytest.raises(ValidationError):
        services.objection_file(actor=points_world.neighbour, entry=entry, text="   ")
    with pytest.raises(ValidationError):
        services.objection_file(actor=points_world.neighbour, entry=entry, text="长" * 1001)
    assert not Objection.objects.exists()


def test_upheld_objection_voids_the_entry(points_world, ledger):
    [entry, other], publication = ledger.published(
        (points_world.h[1], "HJ01"), (points_world.h[2], "HJ01")
    )
    objection = services.objection_file(actor=points_world.neighbour, entry=entry, text="没有打扫")
    answered = services.objection_answer(
        actor=points_world.committee, objection=objection, upheld=True, answer="经核实异议成立"
    )
    assert answered.status == ObjectionStatus.UPHELD
    assert answered.answered_by == points_world.committee
    assert reload(entry).status == EntryStatus.VOIDED
    assert history_statuses(entry)[-1] == "voided"
    ledger.close(publication)
    assert reload(entry).status == EntryStatus.VOIDED
    assert reload(other).status == EntryStatus.POSTED
    assert balance(points_world.h[1]) == 0 and balance(points_world.h[2]) == 5
    assert count("points.objection.answer", points_world.village) == 1
    assert count("points.entry.void", points_world.village) == 1
    assert chain_ok()


def test_rejected_objection_before_the_close_lets_the_entry_post_at_the_close(points_world, ledger):
    [entry], publication = ledger.published((points_world.h[1], "HJ01"))
    objection = services.objection_file(actor=points_world.neighbour, entry=entry, text="没有打扫")
    services.objection_answer(
        actor=points_world.committee, objection=objection, upheld=False, answer="经核实已打扫"
    )
    assert reload(entry).status == EntryStatus.PUBLISHED
    assert balance(points_world.h[1]) == 0
    ledger.close(publication)
    assert reload(entry).status == EntryStatus.POSTED
    assert balance(points_world.h[1]) == 5


def test_rejected_objection_after_the_close_posts_at_once(points_world, ledger):
    [entry, other], publication = ledger.published(
        (points_world.h[1], "HJ01"), (points_world.h[2], "HJ01")
    )
    objection = services.objection_file(actor=points_world.neighbour, entry=entry, text="没有打扫")
    posted = ledger.close(publication)
    assert [e.pk for e in posted] == [other.pk]
    assert reload(entry).status == EntryStatus.PUBLISHED  # waits for the answer
    assert balance(points_world.h[1]) == 0

    services.objection_answer(
        actor=points_world.committee, objection=objection, upheld=False, answer="经核实已打扫"
    )

    entry = reload(entry)
    assert entry.status == EntryStatus.POSTED and entry.posted_at is not None
    assert balance(points_world.h[1]) == 5 == posted_sum(points_world.h[1])
    assert history_statuses(entry) == ["recorded", "reviewed", "published", "posted"]
    post_events = AuditEvent.objects.filter(action="points.entry.post", object_id=str(entry.pk))
    assert post_events.count() == 1
    assert chain_ok()


def test_upheld_objection_after_the_close_voids_the_waiting_entry(points_world, ledger):
    [entry], publication = ledger.published((points_world.h[1], "HJ02"))
    objection = services.objection_file(
        actor=points_world.resident, entry=entry, text="不是我家堆的"
    )
    ledger.close(publication)
    services.objection_answer(
        actor=points_world.secretary, objection=objection, upheld=True, answer="成立"
    )
    assert reload(entry).status == EntryStatus.VOIDED
    assert balance(points_world.h[1]) == 0


def test_entry_with_two_objections_posts_only_when_both_are_answered(points_world, ledger):
    [entry], publication = ledger.published((points_world.h[1], "HJ01"))
    first = services.objection_file(actor=points_world.neighbour, entry=entry, text="一")
    second = services.objection_file(actor=points_world.resident, entry=entry, text="二")
    ledger.close(publication)
    services.objection_answer(
        actor=points_world.committee, objection=first, upheld=False, answer="不成立"
    )
    assert reload(entry).status == EntryStatus.PUBLISHED
    services.objection_answer(
        actor=points_world.committee, objection=second, upheld=False, answer="不成立"
    )
    assert reload(entry).status == EntryStatus.POSTED
    assert balance(points_world.h[1]) == 5


def test_an_objection_is_answered_once_with_a_text_by_a_cadre(points_world, ledger):
    [entry], _publication = ledger.published((points_world.h[1], "HJ01"))
    objection = services.objection_file(actor=points_world.neighbour, entry=entry, text="不属实")
    with pytest.raises(ValidationError):
        services.objection_answer(
            actor=points_world.committee, objection=objection, upheld=True, answer=""
        )
    for who in ("officer", "resident", "inspector"):
        with pytest.raises(PermissionDenied):
            services.objection_answer(
                actor=getattr(points_world, who), objection=objection, upheld=True, answer="成立"
            )
    services.objection_answer(
        actor=points_world.committee, objection=objection, upheld=True, answer="成立"
    )
    with pytest.raises(ValidationError) as again:
        services.objection_answer(
            actor=points_world.secretary, objection=objection, upheld=False, answer="改判"
        )
    assert again.value.code == "answered"
    assert reload(objection).status == ObjectionStatus.UPHELD
    assert reload(entry).status == EntryStatus.VOIDED


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


# --- redeem --------------------------------------------------------------------------------------


def test_redemption_debits_points_and_stock_together(points_world, ledger):
    ledger.open_year(base=100)
    redemption = services.redeem(
        actor=points_world.keeper,
        household=points_world.h[1],
        item=points_world.items["soap"],
        quantity=3,
    )
    assert redemption.points == 30 and redemption.quantity == 3
    assert redemption.served_by == points_world.keeper
    assert len(redemption.receipt) == 11 and redemption.receipt.startswith("R")
    assert balance(points_world.h[1]) == 70 == posted_sum(points_world.h[1])
    assert reload(points_world.items["soap"]).stock == 17
    entry = redemption.entry
    assert entry.kind == EntryKind.REDEMPTION and entry.points == -30
    assert entry.status == EntryStatus.POSTED
    assert history_statuses(entry) == ["posted"]
    event = AuditEvent.objects.get(action="points.redeem")
    assert event.payload["receipt"] == redemption.receipt and event.payload["points"] == 30
    assert chain_ok()


def _nothing_redeemed(points_world, stock_before, balance_before, events_before):
    assert not Redemption.objects.exists()
    assert not Entry.objects.filter(kind=EntryKind.REDEMPTION).exists()
    assert balance(points_world.h[1]) == balance_before
    assert reload(points_world.items["rice"]).stock == stock_before
    assert AuditEvent.objects.count() == events_before
    return True


def test_redemption_with_too_few_points_writes_nothing(points_world, ledger):
    ledger.open_year(base=60)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.redeem(
            actor=points_world.keeper,
            household=points_world.h[1],
            item=points_world.items["rice"],
            quantity=2,
        )
    assert refused.value.code == "insufficient"
    assert "本户可用 60 分" in refused.value.messages[0]
    assert _nothing_redeemed(points_world, 2, 60, events)


def test_redemption_beyond_the_stock_writes_nothing(points_world, ledger):
    ledger.open_year(base=500)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.redeem(
            actor=points_world.keeper,
            household=points_world.h[1],
            item=points_world.items["rice"],
            quantity=3,
        )
    assert "库存不足" in refused.value.message_dict["quantity"][0]
    assert _nothing_redeemed(points_world, 2, 500, events)
    services.redeem(
        actor=points_world.keeper,
        household=points_world.h[1],
        item=points_world.items["rice"],
        quantity=2,
    )
    assert reload(points_world.items["rice"]).stock == 0
    with pytest.raises(ValidationError):
        services.redeem(
            actor=points_world.keeper, household=points_world.h[1], item=points_world.items["rice"]
        )
    assert balance(points_world.h[1]) == 400


def test_the_same_redemption_key_twice_redeems_once(points_world, ledger):
    ledger.open_year(base=100)
    first = services.redeem(
        actor=points_world.keeper,
        household=points_world.h[1],
        item=points_world.items["soap"],
        idempotency_key="till-1-0001",
    )
    again = services.redeem(
        actor=points_world.keeper,
        household=points_world.h[1],
        item=points_world.items["soap"],
        idempotency_key="till-1-0001",
    )
    assert again.pk == first.pk
    assert Redemption.objects.count() == 1
    assert balance(points_world.h[1]) == 90
    assert reload(points_world.items["soap"]).stock == 19
    assert count("points.redeem", points_world.village) == 1
    with pytest.raises(ValidationError) as conflict:
        services.redeem(
            actor=points_world.keeper,
            household=points_world.h[1],
            item=points_world.items["rice"],
            idempotency_key="till-1-0001",
        )
    assert conflict.value.code == "key_conflict"


@pytest.mark.parametrize(
    ("item", "quantity", "field"),
    [("old", 1, "item"), ("soap", 0, "quantity"), ("soap", 100, "quantity")],
)
def test_redemption_bad_input(points_world, ledger, item, quantity, field):
    ledger.open_year(base=1000)
    with pytest.raises(ValidationError) as refused:
        services.redeem(
            actor=points_world.keeper,
            household=points_world.h[1],
            item=points_world.items[item],
            quantity=quantity,
        )
    assert field in refused.value.message_dict
    assert not Redemption.objects.exists()
    assert balance(points_world.h[1]) == 1000


def test_redemption_of_another_villages_item_is_refused(points_world, ledger):
    ledger.open_year(base=100)
    with pytest.raises(ValidationError):
        services.redeem(
            actor=points_world.keeper,
            household=points_world.h[1],
            item=points_world.foreign.items["soap"],
        )
    assert balance(points_world.h[1]) == 100


@pytest.mark.parametrize("who", ["resident", "officer", "inspector", "outsider"])
def test_only_the_counter_redeems(points_world, ledger, who):
    ledger.open_year(base=100)
    with pytest.raises(PermissionDenied):
        services.redeem(
            actor=getattr(points_world, who),
            household=points_world.h[1],
            item=points_world.items["soap"],
        )
    with pytest.raises(PermissionDenied):
        services.redeem(
            actor=points_world.keeper,
            household=points_world.foreign.household,
            item=points_world.foreign.items["soap"],
        )
    assert not Redemption.objects.exists()


# --- star households -----------------------------------------------------------------------------


@pytest.fixture
def scored(points_world, ledger):
    """Year scores: h1 120, h2 105, h3 100, h4 97, h5 100 (and h1 spends 50 at the store)."""
    ledger.open_year(base=100)
    entries = [ledger.record(points_world.h[1], "HJ01") for _ in range(4)]
    entries += [
        ledger.record(points_world.h[2], "HJ01"),
        ledger.record(points_world.h[4], "HJ02", actor=points_world.secretary),
    ]
    ledger.review(entries)
    ledger.close(ledger.publish())
    services.redeem(
        actor=points_world.keeper, household=points_world.h[1], item=points_world.items["rice"]
    )
    return {
        points_world.h[1]: 120,
        points_world.h[2]: 105,
        points_world.h[3]: 100,
        points_world.h[4]: 97,
        points_world.h[5]: 100,
    }


def test_star_rating_by_thresholds_then_published_and_revoked(points_world, scored):
    year = points_world.day.year
    assert points_selectors.year_scores(points_world.village, year) == {
        h.pk: s for h, s in scored.items()
    }
    rnd = services.star_round_rate(
        actor=points_world.secretary,
        village=points_world.village,
        year=year,
        thresholds={"5": 120, "3": 105, "1": 98},
    )
    stars = {r.household: r.stars for r in rnd.ratings.all()}
    # redemptions spend the balance but do not lower the score
    assert stars == {
        points_world.h[1]: 5,
        points_world.h[2]: 3,
        points_world.h[3]: 1,
        points_world.h[5]: 1,
    }
    assert rnd.published_at is None
    assert count("points.stars.rate", points_world.village) == 1
    assert AuditEvent.objects.get(action="points.stars.rate").payload["rated"] == {
        "5": 1,
        "3": 1,
        "1": 2,
    }

    services.star_round_publish(actor=points_world.secretary, star_round=rnd)
    assert reload(rnd).published_at is not None
    with pytest.raises(ValidationError):
        services.star_round_publish(actor=points_world.secretary, star_round=rnd)

    rating = StarRating.objects.get(round=rnd, household=points_world.h[1])
    with pytest.raises(ValidationError):
        services.star_rating_revoke(actor=points_world.secretary, rating=rating, reason="")
    services.star_rating_revoke(
        actor=points_world.secretary, rating=rating, reason="违规燃放烟花爆竹"
    )
    rating = reload(rating)
    assert rating.revoked_at is not None and rating.revoked_by == points_world.secretary
    with pytest.raises(ValidationError):
        services.star_rating_revoke(actor=points_world.secretary, rating=rating, reason="再撤一次")
    assert points_selectors.revoked_star_households(points_world.village, year) == {
        points_world.h[1].pk: "星级被撤销：违规燃放烟花爆竹"
    }
    assert count("points.stars.publish", points_world.village) == 1
    assert count("points.stars.revoke", points_world.village) == 1
    assert chain_ok()


def test_star_rating_refuses_bad_thresholds_and_a_second_round(points_world, scored):
    year = points_world.day.year
    for thresholds in [{}, {"6": 100}, {"5": 100, "4": 120}, {"5": "很多"}, {"4": 100, "5": 100}]:
        with pytest.raises(ValidationError):
            services.star_round_rate(
                actor=points_world.secretary,
                village=points_world.village,
                year=year,
                thresholds=thresholds,
            )
    services.star_round_rate(
        actor=points_world.secretary, village=points_world.village, year=year, thresholds={"1": 1}
    )
    with pytest.raises(ValidationError):
        services.star_round_rate(
            actor=points_world.secretary,
            village=points_world.village,
            year=year,
            thresholds={"1": 2},
        )
    assert StarRound.objects.count() == 1
    for who in ("officer", "keeper", "inspector"):
        with pytest.raises(PermissionDenied):
            services.star_round_rate(
                actor=getattr(points_world, who),
                village=points_world.village,
                year=year + 1,
                thresholds={"1": 1},
            )


# --- allocation ----------------------------------------------------------------------------------


def test_allocation_splits_the_pool_exactly(points_world, scored):
    allocation = services.allocation_create(
        actor=points_world.secretary,
        village=points_world.village,
        year=points_world.day.year,
        title="2026年度集体经济分红",
        pool_fen=100_000,
        floor=98,
    )
    shares = {s.household: s for s in allocation.shares.all()}
    assert sum(s.amount_fen for s in shares.values()) == 100_000
    # weights above the floor: h1 22, h2 7, h3 2, h4 0, h5 2 → 33
    assert {h: s.weight for h, s in shares.items()} == {
        points_world.h[1]: 22,
        points_world.h[2]: 7,
        points_world.h[3]: 2,
        points_world.h[4]: 0,
        points_world.h[5]: 2,
    }
    assert shares[points_world.h[4]].amount_fen == 0
    assert shares[points_world.h[1]].amount_fen == 66_667  # 66666.67, the largest remainder
    assert shares[points_world.h[2]].amount_fen == 21_212  # 21212.12
    assert shares[points_world.h[3]].amount_fen + shares[points_world.h[5]].amount_fen == 12_121
    assert {shares[points_world.h[3]].amount_fen, shares[points_world.h[5]].amount_fen} == {
        6060,
        6061,
    }
    assert shares[points_world.h[1]].rank == 1 and shares[points_world.h[4]].rank == 5
    assert shares[points_world.h[1]].yuan == "666.67"
    assert allocation.published_at is None
    assert count("points.allocation.create", points_world.village) == 1
    assert AuditEvent.objects.get(action="points.allocation.create").payload["sum_fen"] == 100_000

    services.allocation_publish(actor=points_world.secretary, allocation=allocation)
    assert reload(allocation).published_at is not None
    with pytest.raises(ValidationError):
        services.allocation_publish(actor=points_world.secretary, allocation=allocation)
    assert count("points.allocation.publish", points_world.village) == 1
    assert chain_ok()


def test_allocation_with_ineligible_households_and_a_cap(points_world, scored):
    ineligible = {points_world.h[2].pk: "星级被撤销"}
    allocation = services.allocation_create(
        actor=points_world.secretary,
        village=points_world.village,
        year=points_world.day.year,
        title="年终福利",
        pool_fen=10_000,
        floor=90,
        cap_fen=4_000,
        ineligible=ineligible,
    )
    shares = {s.household: s for s in Share.objects.filter(allocation=allocation)}
    assert sum(s.amount_fen for s in shares.values()) == 10_000
    assert shares[points_world.h[2]].amount_fen == 0
    assert (
        shares[points_world.h[2]].eligible is False
        and shares[points_world.h[2]].reason == "星级被撤销"
    )
    assert shares[points_world.h[2]].score == 105  # the score is shown, the weight is 0
    assert shares[points_world.h[2]].weight == 0
    assert all(s.amount_fen <= 4_000 for s in shares.values())
    # h1 (weight 30 of 57) would get 5263 uncapped: it gets the cap, the rest is shared again
    assert shares[points_world.h[1]].amount_fen == 4_000 and shares[points_world.h[1]].rank == 1
    # the other 6000 fen over weights 10, 7, 10: 2222.2, 1555.6, 2222.2 → the last fen to h4
    assert shares[points_world.h[3]].amount_fen == shares[points_world.h[5]].amount_fen == 2_222
    assert shares[points_world.h[4]].amount_fen == 1_556


def test_allocation_refuses_bad_input(points_world, scored):
    def create(**kwargs):
        fields = {
            "actor": points_world.secretary,
            "village": points_world.village,
            "year": points_world.day.year,
            "title": "福利",
            "pool_fen": 10_000,
        }
        fields.update(kwargs)
        return services.allocation_create(**fields)

    for bad in [
        {"title": " "},
        {"pool_fen": 0},
        {"pool_fen": -5},
        {"pool_fen": 12.5},
        {"cap_fen": 0},
        {"cap_fen": 100},  # five households × 100 fen < the pool
        {"floor": 1000},  # nobody above the floor
    ]:
        with pytest.raises(ValidationError):
            create(**bad)
    for who in ("officer", "keeper", "inspector", "resident"):
        with pytest.raises(PermissionDenied):
            create(actor=getattr(points_world, who))
    assert not Allocation.objects.exists()
    assert count("points.allocation.create", points_world.village) == 0


# --- every write is audited -----------------------------------------------------------------------


def test_a_whole_year_leaves_an_intact_chain_and_a_history_per_entry(points_world, ledger, scored):
    [entry] = ledger.post((points_world.h[3], "HJ01"))
    services.entry_reverse(actor=points_world.secretary, entry=entry, reason="登记错户")
    seen = set(actions(points_world.village))
    assert {
        "points.year.open",
        "points.entry.record",
        "points.entry.review",
        "points.publication.create",
        "points.publication.close",
        "points.entry.post",
        "points.redeem",
        "points.entry.reverse",
    } <= seen
    for e in Entry.objects.all():
        assert Entry.history.filter(id=e.pk).exists(), e
    assert points_selectors.balances_differing() == []
    for account in Account.objects.all():
        assert account.balance >= 0
    assert chain_ok()
    # Wagtail's log has the summaries
    from wagtail.models import ModelLogEntry

    assert ModelLogEntry.objects.filter(action="points.publication.close").exists()
    assert ModelLogEntry.objects.filter(action="points.redeem").exists()


def test_two_secretaries_rating_the_same_year_at_once_get_a_clear_refusal(
    points_world, scored, monkeypatch
):
    """The other request commits its round between this one's check and its insert."""
    year = points_world.day.year
    real_scores = points_selectors.year_scores

    def scores_while_another_rates(village, year_):
        StarRound.objects.create(village=village, year=year_, thresholds={"1": 1})
        return real_scores(village, year_)

    monkeypatch.setattr(points_selectors, "year_scores", scores_while_another_rates)
    with pytest.raises(ValidationError) as refused:
        services.star_round_rate(
            actor=points_world.secretary,
            village=points_world.village,
            year=year,
            thresholds={"1": 2},
        )
    assert refused.value.code == "exists"
    assert StarRound.objects.filter(village=points_world.village, year=year).count() == 1
    assert StarRound.objects.get(village=points_world.village, year=year).thresholds == {"1": 1}
    assert not StarRating.objects.filter(round__village=points_world.village).exists()
    assert count("points.stars.rate", points_world.village) == 0
