"""Objections to a published month through the services: who may object and when, one open
objection per villager and entry, and how an upheld or rejected answer, before or after the
close, voids the entry or lets it post."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from points import services
from points.models import (
    EntryStatus,
    Objection,
    ObjectionStatus,
)
from tests.support.clock import travel
from tests.support.points_lifecycle import chain_ok, count
from tests.support.points_world import balance, history_statuses, posted_sum, reload
from village.models import AuditEvent

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
