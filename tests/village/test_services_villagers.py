"""The village core's services for villagers: registering, validating and updating them, with ID
numbers masked in the audit trail and refusals that write nothing."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from tests.factories import HouseholdFactory, make_id_number
from tests.support.village_services import events, villager_fields, writes_nothing
from village import services
from village.models import Household

pytestmark = pytest.mark.usefixtures("_chinese")


# The township world of tests/conftest.py plus ``villager`` (phone 13912345678, no account),
# ``other_secretary`` (of the neighbour village) and ``root``; built once for the module.


# --- villagers -----------------------------------------------------------------


def test_secretary_registers_a_villager_as_head_of_household(shared_township):
    fields = villager_fields(shared_township)
    villager = services.villager_create(
        actor=shared_township["secretary"], village=shared_township["own"], make_head=True, **fields
    )
    assert Household.objects.get(pk=fields["household"].pk).head == villager
    assert villager.history.count() == 1
    created = events("village.villager.create").get()
    assert created.payload["name"] == "王秀英"
    assert created.payload["id_number"] == villager.masked_id_number
    assert fields["id_number"] not in str(created.payload)
    assert events("village.household.update").get().payload == {"head": [None, villager.pk]}


def test_villager_id_number_is_stored_in_upper_case(shared_township):
    birth = date(1949, 12, 31)
    villager = services.villager_create(
        actor=shared_township["secretary"],
        village=shared_township["own"],
        **villager_fields(shared_township, id_number=" 11010519491231002x ", birth_date=birth),
    )
    assert villager.id_number == "11010519491231002X"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"id_number": "110105194912310021"}, "id_number", "校验位不正确"),
        ({"id_number": "12345"}, "id_number", "18位"),
        ({"birth_date": date(1991, 8, 8)}, "birth_date", "出生日期与身份证号不一致"),
        ({"phone": "2391111222"}, "phone", "手机号应为11位"),
        ({"name": ""}, "name", ""),
        ({"is_representative": True}, "representative_from", "任期起始"),
    ],
)
def test_villager_with_bad_input_is_refused_with_the_reason(
    shared_township, overrides, field, message
):
    fields = villager_fields(shared_township, **overrides)
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.villager_create(
            actor=shared_township["secretary"], village=shared_township["own"], **fields
        )
    assert message in excinfo.value.message_dict[field][0]


def test_villager_in_another_villages_household_is_refused(shared_township):
    foreign = HouseholdFactory(area__parent__village=shared_township["neighbour"])
    fields = villager_fields(shared_township, household=foreign)
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.villager_create(
            actor=shared_township["secretary"], village=shared_township["own"], **fields
        )
    assert "请选择本村的户" in excinfo.value.message_dict["household"][0]


def test_same_id_number_twice_in_the_village_is_refused(shared_township):
    existing = shared_township["villager"]
    fields = villager_fields(
        shared_township, id_number=existing.id_number, birth_date=existing.birth_date
    )
    with writes_nothing(), pytest.raises(ValidationError):
        services.villager_create(
            actor=shared_township["secretary"], village=shared_township["own"], **fields
        )


def test_unknown_villager_field_is_refused(shared_township):
    fields = villager_fields(shared_township, user=shared_township["root"])
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.villager_create(
            actor=shared_township["secretary"], village=shared_township["own"], **fields
        )
    assert "未知字段" in excinfo.value.messages[0]


def test_villager_update_records_the_change_and_masks_id_numbers(shared_township):
    villager = shared_township["villager"]
    new_id = make_id_number(villager.birth_date)
    services.villager_update(
        actor=shared_township["secretary"], villager=villager, phone="13700000000", id_number=new_id
    )
    villager.refresh_from_db()
    assert villager.phone == "13700000000"
    assert villager.id_number == new_id
    assert villager.history.count() == 2  # the factory's version and the change
    payload = events("village.villager.update").get().payload
    assert payload["phone"] == ["13912345678", "13700000000"]
    assert payload["id_number"][1] == villager.masked_id_number
    assert new_id not in str(payload)


def test_villager_update_with_a_bad_phone_changes_nothing(shared_township):
    villager = shared_township["villager"]
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.villager_update(
            actor=shared_township["secretary"], villager=villager, phone="12345"
        )
    assert "手机号应为11位" in excinfo.value.message_dict["phone"][0]
    villager.refresh_from_db()
    assert villager.phone == "13912345678"


def test_villager_cannot_be_moved_to_another_village(shared_township):
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.villager_update(
            actor=shared_township["secretary"], villager=shared_township["villager"], village_id=0
        )
    assert "village_id" in excinfo.value.messages[0]


def test_unchanged_villager_update_writes_no_audit_event(shared_township):
    services.villager_update(
        actor=shared_township["secretary"],
        villager=shared_township["villager"],
        phone="13912345678",
    )
    assert not events("village.villager.update").exists()
