"""The village core's services for memberships: appointing, updating and ending village and township
roles, who may do so, and what an ended role still grants."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.factories import MembershipFactory, UserFactory, VillagerFactory
from tests.support.village_services import TERM, events, writes_nothing
from village import permissions, services
from village.models import Membership, TownshipMembership
from village.permissions import Action

pytestmark = pytest.mark.usefixtures("_chinese")


# The township world of tests/conftest.py plus ``villager`` (phone 13912345678, no account),
# ``other_secretary`` (of the neighbour village) and ``root``; built once for the module.


# --- memberships ---------------------------------------------------------------


def test_secretary_appoints_a_committee_member_who_then_may_change_the_roster(shared_township):
    villager = shared_township["villager"]
    villager.user = UserFactory(username="new_cadre")
    villager.save()
    user = villager.user
    assert not permissions.can(user, Action.CHANGE_ROSTER, shared_township["own"])
    membership = services.membership_create(
        actor=shared_township["secretary"],
        village=shared_township["own"],
        villager=villager,
        role="village_committee",
        start=TERM,
    )
    assert membership.history.count() == 1
    event = events("village.membership.create").get()
    assert event.payload == {
        "villager": villager.pk,
        "role": "village_committee",
        "grid": None,
        "start": "2021-03-01",
        "end": None,
    }
    assert permissions.can(user, Action.CHANGE_ROSTER, shared_township["own"])


def test_township_admin_may_appoint_in_every_village_of_the_township(shared_township):
    neighbour_villager = VillagerFactory(
        household__area__parent__village=shared_township["neighbour"]
    )
    services.membership_create(
        actor=shared_township["users"]["township_admin"],
        village=shared_township["neighbour"],
        villager=neighbour_villager,
        role="supervision",
        start=TERM,
    )
    assert events("village.membership.create").get().chain == f"v{shared_township['neighbour'].pk}"


def test_overlapping_appointment_to_the_same_role_is_refused(shared_township):
    villager = shared_township["villager"]
    services.membership_create(
        actor=shared_township["secretary"],
        village=shared_township["own"],
        villager=villager,
        role="supervision",
        start=TERM,
        end=date(2023, 12, 31),
    )
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.membership_create(
            actor=shared_township["secretary"],
            village=shared_township["own"],
            villager=villager,
            role="supervision",
            start=date(2023, 12, 31),
        )
    assert "已担任此职务" in excinfo.value.messages[0]
    # the next term, starting the day after, is fine
    services.membership_create(
        actor=shared_township["secretary"],
        village=shared_township["own"],
        villager=villager,
        role="supervision",
        start=date(2024, 1, 1),
    )
    assert villager.memberships.count() == 2


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"role": "grid_officer"}, "grid", "网格员必须指定负责的网格"),
        ({"role": "secretary", "end": date(2020, 1, 1)}, "end", "不能早于起始日期"),
    ],
)
def test_bad_appointment_is_refused_with_the_reason(shared_township, kwargs, field, message):
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.membership_create(
            actor=shared_township["secretary"],
            village=shared_township["own"],
            villager=shared_township["villager"],
            start=TERM,
            **kwargs,
        )
    assert any(message in m for m in excinfo.value.message_dict[field])


def test_appointing_a_villager_of_another_village_is_refused(shared_township):
    stranger = VillagerFactory(household__area__parent__village=shared_township["neighbour"])
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.membership_create(
            actor=shared_township["secretary"],
            village=shared_township["own"],
            villager=stranger,
            role="supervision",
            start=TERM,
        )
    assert "任职人员必须是本村村民" in excinfo.value.message_dict["villager"][0]


@pytest.mark.parametrize("role", ["branch_committee", "village_committee", "grid_officer"])
def test_only_the_secretary_appoints_in_the_village(shared_township, role):
    with writes_nothing(), pytest.raises(PermissionDenied):
        services.membership_create(
            actor=shared_township["users"][role],
            village=shared_township["own"],
            villager=shared_township["villager"],
            role="supervision",
            start=TERM,
        )


def test_membership_update_records_the_change(shared_township):
    membership = MembershipFactory(
        villager=shared_township["villager"], role="supervision", start=TERM
    )
    services.membership_update(
        actor=shared_township["secretary"], membership=membership, note="主任"
    )
    membership.refresh_from_db()
    assert membership.note == "主任"
    assert events("village.membership.update").get().payload == {"note": ["", "主任"]}


def test_membership_update_to_end_before_start_is_refused(shared_township):
    membership = MembershipFactory(
        villager=shared_township["villager"], role="supervision", start=TERM
    )
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.membership_update(
            actor=shared_township["secretary"], membership=membership, end=date(2020, 1, 1)
        )
    assert "end" in excinfo.value.message_dict


def test_ended_role_stays_on_record_and_no_longer_grants_anything(shared_township):
    officer = shared_township["users"]["grid_officer"]
    membership = officer.villager.memberships.get()
    yesterday = timezone.localdate() - timedelta(days=1)
    ended = services.membership_end(
        actor=shared_township["secretary"], membership=membership, end=yesterday
    )
    assert ended.end == yesterday
    assert Membership.objects.filter(pk=membership.pk, end=yesterday).exists()
    assert membership.history.count() == 2  # the factory's version and the end
    event = events("village.membership.end").get()
    assert event.payload == {"end": [None, yesterday.isoformat()]}
    permissions.forget_roles(officer)
    assert not permissions.can(officer, Action.VIEW_ROSTER, shared_township["own"])
    # the past still shows who held the role
    assert Membership.objects.valid_on(yesterday).filter(pk=membership.pk).exists()


def test_ending_a_role_before_it_started_is_refused(shared_township):
    membership = shared_township["users"]["grid_officer"].villager.memberships.get()
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.membership_end(
            actor=shared_township["secretary"],
            membership=membership,
            end=membership.start - timedelta(days=1),
        )
    assert "任职止日期不能早于起始日期" in excinfo.value.message_dict["end"][0]


def test_ending_a_role_never_deletes_it(shared_township):
    memberships = Membership.objects.count()
    for role in ("grid_officer", "supervision", "village_committee"):
        membership = shared_township["users"][role].villager.memberships.get()
        services.membership_end(
            actor=shared_township["secretary"], membership=membership, end=date.today()
        )
    assert Membership.objects.count() == memberships
    assert Membership.history.filter(history_type="-").count() == 0


def test_superuser_appoints_a_township_inspector(shared_township):
    user = UserFactory(username="new_inspector")
    township = shared_township["own"].township
    membership = services.township_membership_create(
        actor=shared_township["root"], township=township, user=user, role="inspector", start=TERM
    )
    assert membership.history.count() == 1
    event = events("village.township_membership.create").get()
    assert event.chain == f"t{township.pk}"
    assert event.village is None
    assert event.payload["user"] == "new_inspector"
    assert permissions.can(user, Action.VIEW_ROSTER, shared_township["neighbour"])


@pytest.mark.parametrize("role", ["secretary", "township_admin", "inspector"])
def test_only_a_superuser_appoints_township_roles(shared_township, role):
    hopeful = UserFactory(username="hopeful")
    with writes_nothing(), pytest.raises(PermissionDenied):
        services.township_membership_create(
            actor=shared_township["users"][role],
            township=shared_township["own"].township,
            user=hopeful,
            role="inspector",
            start=TERM,
        )


def test_township_role_ending_before_it_starts_is_refused(shared_township):
    user = UserFactory(username="hopeful")
    with writes_nothing(), pytest.raises(ValidationError):
        services.township_membership_create(
            actor=shared_township["root"],
            township=shared_township["own"].township,
            user=user,
            role="inspector",
            start=TERM,
            end=TERM - timedelta(days=1),
        )
    assert not TownshipMembership.objects.filter(user=user).exists()
