"""The village core's services for villages and their rule sets, grids and households: each write
leaves history and an audit event on its village's own chain, and every refusal writes nothing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.factories import AreaFactory
from tests.support.village_services import events, writes_nothing
from village import services
from village.models import AuditEvent, Grid, Household, Village

pytestmark = pytest.mark.usefixtures("_chinese")


# The township world of tests/conftest.py plus ``villager`` (phone 13912345678, no account),
# ``other_secretary`` (of the neighbour village) and ``root``; built once for the module.


# --- villages and rule sets -----------------------------------------------------


def test_township_admin_creates_a_village_with_its_rule_set(shared_township):
    admin = shared_township["users"]["township_admin"]
    village = services.village_create(
        actor=admin, township=shared_township["own"].township, name="南山村", code="nanshan"
    )
    assert village.rules.villagers_pass == ">1/2"
    assert village.seal_number == "NANSHAN"
    assert village.history.count() == 1
    assert village.rules.history.count() == 1
    event = events("village.village.create").get()
    assert event.chain == f"v{village.pk}"
    assert event.actor == admin
    assert event.payload == {"name": "南山村"}


def test_village_with_a_bad_rule_is_not_created_at_all(shared_township):
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.village_create(
            actor=shared_township["root"],
            township=shared_township["own"].township,
            name="南山村",
            code="nanshan",
            villagers_pass="half",
        )
    assert "阈值格式" in str(excinfo.value)
    assert not Village.objects.filter(code="nanshan").exists()


def test_village_with_a_taken_code_is_refused(shared_township):
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.village_create(
            actor=shared_township["root"],
            township=shared_township["own"].township,
            name="新村",
            code=shared_township["own"].code,
        )
    assert "code" in excinfo.value.message_dict


@pytest.mark.parametrize("role", ["secretary", "inspector"])
def test_only_a_township_admin_creates_villages(shared_township, role):
    with writes_nothing(), pytest.raises(PermissionDenied):
        services.village_create(
            actor=shared_township["users"][role],
            township=shared_township["own"].township,
            name="南山村",
            code="nanshan",
        )


def test_township_admin_changes_a_threshold_and_the_chain_names_its_source(shared_township):
    rules = shared_township["own"].rules
    admin = shared_township["users"]["township_admin"]
    updated = services.ruleset_update(actor=admin, ruleset=rules, villagers_pass=">=2/3")
    assert updated.threshold("villagers_pass").met(2, 3)
    assert (updated.version, updated.effective_from) == (2, timezone.localdate())
    rules.refresh_from_db()
    assert rules.villagers_pass == ">1/2"  # the version amended is kept as it was
    assert rules.history.count() == 1 and updated.history.count() == 1
    event = events("village.rules.update").get()
    assert event.chain == f"v{shared_township['own'].pk}"
    assert event.payload["changes"] == {"villagers_pass": [">1/2", ">=2/3"]}
    assert (event.payload["version"], event.payload["amends"]) == (2, 1)
    assert "村民委员会组织法" in event.payload["sources"]["villagers_pass"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"villagers_pass": "more than half"}, "villagers_pass"),
        ({"representatives_quorum": ">3/2"}, "representatives_quorum"),
        ({"adult_age": 30}, "__all__"),
        ({"resolution_publication_days": 0}, "__all__"),
    ],
)
def test_bad_rule_change_is_refused_and_writes_nothing(shared_township, changes, field):
    rules = shared_township["own"].rules
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.ruleset_update(
            actor=shared_township["users"]["township_admin"], ruleset=rules, **changes
        )
    assert field in excinfo.value.message_dict
    rules.refresh_from_db()
    assert rules.villagers_pass == ">1/2" and rules.adult_age == 18


@pytest.mark.parametrize("role", ["secretary", "inspector", "supervision"])
def test_village_staff_and_inspector_cannot_change_the_rules(shared_township, role):
    with writes_nothing(), pytest.raises(PermissionDenied):
        services.ruleset_update(
            actor=shared_township["users"][role],
            ruleset=shared_township["own"].rules,
            villagers_pass=">=2/3",
        )


# --- grids ---------------------------------------------------------------------


def test_secretary_creates_a_large_grid_and_an_area(shared_township):
    secretary = shared_township["secretary"]
    large = services.grid_create(
        actor=secretary, village=shared_township["own"], name="第三网格", level="large"
    )
    area = services.grid_create(
        actor=secretary, village=shared_township["own"], name="十九片区", level="area", parent=large
    )
    assert str(area) == "第三网格 · 十九片区"
    assert large.history.count() == 1 and area.history.count() == 1
    created = events("village.grid.create")
    assert [e.object_id for e in created] == [str(large.pk), str(area.pk)]
    assert created[1].payload == {"name": "十九片区", "level": "area", "parent": large.pk}


def test_area_under_another_villages_grid_is_refused(shared_township):
    foreign_large = Grid.objects.create(
        village=shared_township["neighbour"], name="西河大网格", level="large"
    )
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.grid_create(
            actor=shared_township["secretary"],
            village=shared_township["own"],
            name="越界片区",
            level="area",
            parent=foreign_large,
        )
    assert "片区必须属于本村的一个大网格" in excinfo.value.message_dict["parent"][0]


def test_area_without_a_large_grid_is_refused(shared_township):
    with writes_nothing(), pytest.raises(ValidationError):
        services.grid_create(
            actor=shared_township["secretary"],
            village=shared_township["own"],
            name="孤片区",
            level="area",
        )


def test_grid_rename_is_recorded_with_old_and_new_name(shared_township):
    area = shared_township["area"]
    old = area.name
    services.grid_update(actor=shared_township["secretary"], grid=area, name="河沿片区")
    area.refresh_from_db()
    assert area.name == "河沿片区"
    assert area.history.count() == 2  # the factory's version and the rename
    assert events("village.grid.update").get().payload == {"name": [old, "河沿片区"]}


def test_grid_rename_to_a_taken_name_is_refused(shared_township):
    other = AreaFactory(parent=shared_township["area"].parent, name="二片区")
    with writes_nothing(), pytest.raises(ValidationError):
        services.grid_update(
            actor=shared_township["secretary"], grid=shared_township["area"], name=other.name
        )


def test_grid_cannot_be_moved_to_another_village(shared_township):
    area = shared_township["area"]
    services.grid_update(
        actor=shared_township["secretary"], grid=area, village=shared_township["neighbour"]
    )
    area.refresh_from_db()
    assert area.village == shared_township["own"]
    assert not events("village.grid.update").exists()


# --- households ----------------------------------------------------------------


def test_secretary_creates_a_household(shared_township):
    household = services.household_create(
        actor=shared_township["secretary"],
        village=shared_township["own"],
        number="DMP-900",
        area=shared_township["area"],
        address="东街9号",
    )
    assert (
        Household.objects.get(village=shared_township["own"], number="DMP-900").address == "东街9号"
    )
    assert household.history.count() == 1
    event = events("village.household.create").get()
    assert event.object_id == str(household.pk)
    assert event.payload == {
        "number": "DMP-900",
        "area": shared_township["area"].pk,
        "address": "东街9号",
        "status": "active",
    }


def test_household_in_another_villages_area_is_refused(shared_township):
    foreign_area = AreaFactory(parent__village=shared_township["neighbour"])
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.household_create(
            actor=shared_township["secretary"],
            village=shared_township["own"],
            number="DMP-901",
            area=foreign_area,
        )
    assert "请选择本村的一个片区" in excinfo.value.message_dict["area"][0]


def test_household_number_taken_in_the_village_is_refused(shared_township):
    taken = shared_township["villager"].household.number
    with writes_nothing(), pytest.raises(ValidationError):
        services.household_create(
            actor=shared_township["secretary"],
            village=shared_township["own"],
            number=taken,
            area=shared_township["area"],
        )


def test_setting_the_head_of_a_household_is_recorded(shared_township):
    household = shared_township["villager"].household
    services.household_update(
        actor=shared_township["secretary"], household=household, head=shared_township["villager"]
    )
    household.refresh_from_db()
    assert household.head == shared_township["villager"]
    assert household.history.count() == 2  # the factory's version and the change
    event = events("village.household.update").get()
    assert event.payload == {"head": [None, shared_township["villager"].pk]}


def test_head_from_another_household_is_refused(shared_township):
    household = shared_township["villager"].household
    stranger = shared_township["users"]["resident"].villager
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.household_update(
            actor=shared_township["secretary"], household=household, head=stranger
        )
    assert "户主必须是本户成员" in excinfo.value.message_dict["head"][0]
    household.refresh_from_db()
    assert household.head is None


def test_household_cannot_be_moved_to_another_village(shared_township):
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.household_update(
            actor=shared_township["secretary"],
            household=shared_township["villager"].household,
            village=shared_township["neighbour"],
        )
    assert "village" in excinfo.value.messages[0]


def test_services_chain_their_events_per_village(shared_township):
    services.household_create(
        actor=shared_township["secretary"],
        village=shared_township["own"],
        number="A-1",
        area=shared_township["area"],
    )
    other_area = AreaFactory(parent__village=shared_township["neighbour"])
    services.household_create(
        actor=shared_township["other_secretary"],
        village=shared_township["neighbour"],
        number="B-1",
        area=other_area,
    )
    services.household_create(
        actor=shared_township["secretary"],
        village=shared_township["own"],
        number="A-2",
        area=shared_township["area"],
    )
    own_chain = AuditEvent.objects.filter(chain=f"v{shared_township['own'].pk}").order_by("seq")
    assert [e.seq for e in own_chain] == [1, 2]
    assert own_chain[1].prev_hash == own_chain[0].hash
    assert AuditEvent.objects.get(chain=f"v{shared_township['neighbour'].pk}").seq == 1
    assert {e.actor_name for e in own_chain} == {"secretary"}
