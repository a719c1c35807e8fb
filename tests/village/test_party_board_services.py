"""The services of 亮承诺, 包联 and 走访: who may do what, what is refused and why, and that every
change is in the audit chain and history and nothing is ever deleted."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from tests.support.party_world import build_party_world, photo
from village import services
from village.models import (
    AuditEvent,
    Commitment,
    CommitmentSet,
    PartyCard,
    PartyLink,
    VisitNote,
)
from village.permissions import SYSTEM


@pytest.fixture
def world(db):
    return build_party_world()


def this_year() -> int:
    return timezone.localdate().year


def actions(village) -> list[str]:
    return list(
        AuditEvent.objects.filter(village=village, action__startswith="village.party.")
        .order_by("seq")
        .values_list("action", flat=True)
    )


# --- cards ----------------------------------------------------------------------------------


def test_member_edits_own_card_and_the_change_is_audited(world):
    card = services.party_card_update(
        actor=world.users["probationary"], villager=world.probationary, office_hours="周三下午"
    )
    assert card.office_hours == "周三下午"
    assert card.updated_by == world.users["probationary"]
    assert card.history.count() == 1
    assert actions(world.village)[-1] == "village.party.card"


def test_villager_may_not_edit_someone_elses_card(world):
    with pytest.raises(PermissionDenied):
        services.party_card_update(
            actor=world.users["probationary"], villager=world.member, office_hours="x"
        )
    with pytest.raises(PermissionDenied):
        services.party_card_update(
            actor=world.users["other_secretary"], villager=world.member, office_hours="x"
        )
    assert world.member.party_card.office_hours == "每周一上午在党群服务中心"


def test_secretary_edits_any_card_of_the_village(world):
    card = services.party_card_update(
        actor=world.users["secretary"], villager=world.officer, office_hours="周五全天"
    )
    assert card.updated_by == world.users["secretary"]


def test_only_members_and_cadres_have_a_card(world):
    with pytest.raises(ValidationError):
        services.party_card_update(
            actor=world.users["plain"], villager=world.plain, office_hours="x"
        )
    assert not PartyCard.objects.filter(villager=world.plain).exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"office_phone": "abc"},
        {"office_phone": "", "show_office_phone": True},
        {"show_photo": True},
    ],
)
def test_bad_card_input_is_refused_with_nothing_written(world, changes):
    before = world.probationary.party_card if hasattr(world.probationary, "party_card") else None
    with pytest.raises(ValidationError):
        services.party_card_update(
            actor=world.users["probationary"], villager=world.probationary, **changes
        )
    assert before is None
    assert not PartyCard.objects.filter(villager=world.probationary).exists()


def test_a_photo_that_is_not_an_image_is_refused(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("me.png", b"<html>not an image</html>", content_type="image/png")
    with pytest.raises(ValidationError, match="JPEG"):
        services.party_card_update(actor=world.users["member"], villager=world.member, photo=fake)
    assert not world.member.party_card.photo
    ok = services.party_card_update(
        actor=world.users["member"], villager=world.member, photo=photo()
    )
    assert ok.photo.name.startswith("party/photos/")


# --- commitments ----------------------------------------------------------------------------


def test_member_writes_edits_and_withdraws_commitments_all_kept(world):
    actor = world.users["member"]
    item = services.commitment_add(actor=actor, year=this_year(), text="带头垃圾不落地")
    services.commitment_add(actor=actor, year=this_year(), text="包联户每月走访")
    assert CommitmentSet.objects.filter(member=world.member, year=this_year()).count() == 1
    services.commitment_update(actor=actor, commitment=item, text="带头垃圾分类、不落地")
    withdrawn = services.commitment_withdraw(actor=actor, commitment=item, reason="并入其他承诺")
    assert withdrawn.withdrawn_at is not None
    assert Commitment.objects.filter(pk=item.pk).exists()
    assert [h.text for h in item.history.order_by("history_id")][:2] == [
        "带头垃圾不落地",
        "带头垃圾分类、不落地",
    ]
    assert actions(world.village)[-4:] == [
        "village.party.commitment.add",
        "village.party.commitment.add",
        "village.party.commitment.update",
        "village.party.commitment.withdraw",
    ]


def test_non_member_may_not_write_commitments(world):
    for key in ("officer", "resident", "plain"):
        with pytest.raises(PermissionDenied):
            services.commitment_add(actor=world.users[key], year=this_year(), text="x")
    assert not CommitmentSet.objects.exists()


def test_probationary_member_writes_commitments(world):
    item = services.commitment_add(
        actor=world.users["probationary"], year=this_year(), text="按时交纳党费"
    )
    assert item.commitment_set.member == world.probationary


def test_only_this_year_or_next(world):
    with pytest.raises(ValidationError):
        services.commitment_add(actor=world.users["member"], year=this_year() - 1, text="x")
    with pytest.raises(ValidationError):
        services.commitment_add(actor=world.users["member"], year=this_year() + 2, text="x")


def test_empty_commitment_is_refused(world):
    with pytest.raises(ValidationError):
        services.commitment_add(actor=world.users["member"], year=this_year(), text="   ")
    assert not Commitment.objects.exists()


def test_another_member_may_not_touch_my_commitment(world):
    item = services.commitment_add(actor=world.users["member"], year=this_year(), text="x1")
    with pytest.raises(PermissionDenied):
        services.commitment_update(actor=world.users["probationary"], commitment=item, text="y")
    with pytest.raises(PermissionDenied):
        services.commitment_withdraw(actor=world.users["secretary"], commitment=item, reason="r")


def _last_year_set(world):
    found = CommitmentSet.objects.create(
        village=world.village, member=world.member, year=this_year() - 1
    )
    item = found.items.create(text="带头移风易俗")
    return found, item


def test_branch_notes_fulfilment_and_the_member_can_no_longer_edit(world):
    found, item = _last_year_set(world)
    noted = services.commitment_fulfilment_note(
        actor=world.users["branch"], commitment_set=found, fulfilment="partly", note="基本兑现"
    )
    assert noted.is_noted and noted.noted_by == world.users["branch"]
    with pytest.raises(ValidationError, match="支部已评议"):
        services.commitment_update(actor=world.users["member"], commitment=item, text="改")
    with pytest.raises(ValidationError, match="支部已评议"):
        services.commitment_withdraw(actor=world.users["member"], commitment=item, reason="r")
    assert actions(world.village)[-1] == "village.party.commitment.fulfilment"


def test_fulfilment_only_by_the_branch_and_at_year_end(world):
    found, _item = _last_year_set(world)
    for key in ("member", "officer", "other_secretary"):
        with pytest.raises(PermissionDenied):
            services.commitment_fulfilment_note(
                actor=world.users[key], commitment_set=found, fulfilment="fulfilled", note="n"
            )
    current = CommitmentSet.objects.create(
        village=world.village, member=world.probationary, year=this_year() + 1
    )
    with pytest.raises(ValidationError, match="年底"):
        services.commitment_fulfilment_note(
            actor=world.users["secretary"], commitment_set=current, fulfilment="fulfilled", note="n"
        )
    with pytest.raises(ValidationError):
        services.commitment_fulfilment_note(
            actor=world.users["secretary"], commitment_set=found, fulfilment="bogus", note="n"
        )
    found.refresh_from_db()
    assert not found.is_noted


# --- 包联 ------------------------------------------------------------------------------------


def test_only_the_secretary_assigns(world):
    start = timezone.localdate()
    for key in ("branch", "member", "other_secretary"):
        with pytest.raises(PermissionDenied):
            services.party_link_create(
                actor=world.users[key],
                village=world.village,
                member=world.member,
                household=world.far,
                start=start,
            )


@pytest.mark.parametrize("target", ["both", "neither", "foreign_household", "large_grid"])
def test_bad_assignment_targets_are_refused(world, target):
    from tests.factories import HouseholdFactory

    kwargs = {
        "both": {"household": world.far, "area": world.area1},
        "neither": {},
        "foreign_household": {"household": HouseholdFactory(village=world.neighbour)},
        "large_grid": {"area": world.area1.parent},
    }[target]
    before = PartyLink.objects.count()
    with pytest.raises(ValidationError):
        services.party_link_create(
            actor=world.users["secretary"],
            village=world.village,
            member=world.member,
            start=timezone.localdate(),
            **kwargs,
        )
    assert PartyLink.objects.count() == before


def test_a_plain_villager_cannot_be_assigned(world):
    with pytest.raises(ValidationError, match="党员或村干部"):
        services.party_link_create(
            actor=world.users["secretary"],
            village=world.village,
            member=world.plain,
            household=world.far,
            start=timezone.localdate(),
        )


def test_the_same_assignment_twice_is_refused(world):
    with pytest.raises(ValidationError, match="同样的包联"):
        services.party_link_create(
            actor=world.users["secretary"],
            village=world.village,
            member=world.member,
            household=world.home,
            start=timezone.localdate(),
        )


# --- visit notes ----------------------------------------------------------------------------


def test_member_records_a_visit_to_a_household_they_serve(world):
    note = services.visit_note_record(
        actor=world.users["member"],
        household=world.home,
        visited_on=timezone.localdate(),
        text="老人身体好，门前三包落实",
    )
    assert note.link == world.link_home
    event = AuditEvent.objects.filter(action="village.party.visit").get()
    assert "老人" not in str(event.payload)  # the text stays with the note


def test_area_member_records_a_visit_to_a_household_of_the_area(world):
    note = services.visit_note_record(
        actor=world.users["probationary"],
        household=world.far,
        visited_on=timezone.localdate(),
        text="了解用水情况",
    )
    assert note.link == world.link_area


def test_visits_refused_outside_the_assignment_and_in_the_future(world):
    with pytest.raises(PermissionDenied):
        services.visit_note_record(
            actor=world.users["member"],
            household=world.far,
            visited_on=timezone.localdate(),
            text="x",
        )
    with pytest.raises(PermissionDenied):
        services.visit_note_record(
            actor=world.users["member"],
            household=world.home,
            visited_on=timezone.localdate() - timedelta(days=60),
            text="before the assignment began",
        )
    with pytest.raises(ValidationError):
        services.visit_note_record(
            actor=world.users["member"],
            household=world.home,
            visited_on=timezone.localdate() + timedelta(days=1),
            text="x",
        )
    with pytest.raises(PermissionDenied):
        services.visit_note_record(
            actor=world.users["resident"],
            household=world.home,
            visited_on=timezone.localdate(),
            text="x",
        )
    assert not VisitNote.objects.exists()


# --- nothing deleted ------------------------------------------------------------------------


@pytest.mark.parametrize("table", ["commitmentset", "commitment", "partylink", "visitnote"])
def test_the_database_refuses_deletes(world, table):
    item = services.commitment_add(actor=world.users["member"], year=this_year(), text="x")
    services.visit_note_record(
        actor=world.users["member"], household=world.home, visited_on=timezone.localdate(), text="y"
    )
    assert item.pk
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM village_{table}")


def test_a_visit_note_is_kept_as_written(world):
    services.visit_note_record(
        actor=world.users["member"], household=world.home, visited_on=timezone.localdate(), text="y"
    )
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        VisitNote.objects.update(text="rewritten")
    assert VisitNote.objects.get().text == "y"


def test_system_demo_may_write_a_visit_for_a_named_member(world):
    note = services.visit_note_for(
        actor=SYSTEM,
        member=world.member,
        household=world.home,
        visited_on=timezone.localdate(),
        text="demo",
    )
    assert note.created_by is None
